"""Rendering: the Jinja2 environment (autoescaped), versioned static URLs, the security headers of pages."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.responses import HTMLResponse

from qunzu.web.i18n import SCRIPT_KEYS, translator

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

# No inline script or style anywhere: every page works under this policy.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def _static_versions() -> dict[str, str]:
    """A short content hash per static file, so a new release never meets a stale cached script."""
    versions: dict[str, str] = {}
    for path in STATIC.rglob("*"):
        if path.is_file():
            rel = path.relative_to(STATIC).as_posix()
            versions[rel] = hashlib.sha256(path.read_bytes()).hexdigest()[:10]
    return versions


CHINA = ZoneInfo("Asia/Shanghai")


def when(value: datetime | None) -> str:
    """A time as people in China read it (Beijing time), to the minute."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def hue(value: object) -> int:
    """One of eight avatar colours for a person or group; the same function as hueOf() in common.js."""
    h = 0
    for ch in str(value):
        h = (h * 31 + ord(ch)) & 0xFFFFFFFF
    return h % 8


class Renderer:
    def __init__(self) -> None:
        self.env = Environment(
            loader=FileSystemLoader(str(TEMPLATES)),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        versions = _static_versions()
        self.env.globals["hue"] = hue
        self.env.globals["when"] = when
        self.env.globals["static"] = lambda rel: f"/static/{rel}?v={versions.get(rel, '0')}"

    def page(self, template: str, *, language: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        """Render a full page in `language` with the strict Content-Security-Policy."""
        t = translator(language)
        context.setdefault("user", None)
        context.setdefault("csrf", None)
        context.setdefault("path", "/")
        context.setdefault("banner_pending", [])
        context.setdefault("dev_profile", False)
        html = self.env.get_template(template).render(
            t=t,
            lang=language,
            script_texts={k: t(k) for k in SCRIPT_KEYS},
            **context,
        )
        return HTMLResponse(html, status_code=status_code, headers=PAGE_HEADERS)
