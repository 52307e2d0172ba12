"""The 管理制度 document (Art. 7 ¶1, R-7.1-3, D15): a policy version written out for filing with the CAC office.

`policy_blocks` turns a version into headings, paragraphs and tables (title, operator placeholder, version, date,
filing status, a fingerprint of the policy table, then every threshold: size tiers, categories, credit levels, the
other thresholds, activity tiers, the version's changes and a signature line), in zh-CN or English. The same blocks
are rendered as Markdown or as a standalone HTML page (`render`), and the staff console shows the tables.
`export_document` reads a version (default: the one in force) and renders it.
"""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from qunzu.domain.policy import TIER_ORDER, ActivityTier, GroupPolicy
from qunzu.errors import ValidationFailed
from qunzu.i18n import LANGUAGES, category_label, section
from qunzu.services.policy_admin import VersionView, get_version
from qunzu.storage.uow import Database

FORMATS = ("md", "html")
Format = Literal["md", "html"]
CHINA = ZoneInfo("Asia/Shanghai")
THRESHOLDS = (
    "hard_cap", "invite_consent_above", "join_verification_above", "info_public_at", "link_ttl_days", "joined_max",
    "managers_max", "managers_max_large", "manager_verification", "new_account_hours", "new_account_send_per_minute",
    "join_per_hour", "sensitive_create_verification", "sensitive_review",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Table:
    headers: list[str]
    rows: list[list[str]]
    key: str = ""  # which table (tiers, categories, levels, thresholds, activity, changes): the console's anchor


Block = tuple[str, Any]  # ("h1" | "h2" | "p", text) or ("table", Table)


def _day(at: datetime) -> str:
    return at.astimezone(CHINA).date().isoformat()


def fingerprint(body: dict[str, Any]) -> str:
    """SHA-256 of the policy table's canonical JSON: the filed document names exactly one configuration."""
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _texts(lang: str) -> Callable[..., str]:
    texts = section(lang, "policy_doc")

    def t(key: str, **kw: Any) -> str:
        return texts[key].format(**kw) if kw else texts[key]

    return t


def _value(v: Any, t: Callable[..., str]) -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return t("yes") if v else t("no")
    if isinstance(v, list | dict):
        return json.dumps(v, ensure_ascii=False, sort_keys=True)
    return str(v)


def policy_tables(policy: GroupPolicy, lang: str) -> list[Block]:
    """Every threshold of a policy as headed tables (the document's body; the console shows the same)."""
    t = _texts(lang)
    yes_no: Callable[[bool], str] = lambda b: t("yes") if b else t("no")  # noqa: E731
    sep = "、" if lang == "zh-CN" else ", "
    tiers = Table(
        [t("tier"), t("ceiling"), t("create_verification"), t("create_credit"), t("create_account_days"),
         t("create_review"), t("join_modes"), t("links"), t("send_per_minute"), t("members_per_manager")],
        [
            [tier.value, str(r.ceiling), f"L{r.create_verification}", f"C{int(r.create_credit)}",
             str(r.create_account_days), yes_no(r.create_review), sep.join(t(f"mode.{m.value}") for m in r.join_modes),
             t("allowed") if r.links else t("not_allowed"), str(r.send_per_minute),
             str(r.members_per_manager) if r.members_per_manager else t("none")]
            for tier in TIER_ORDER
            for r in [policy.tiers[tier]]
        ],
        key="tiers",
    )  # fmt: skip
    categories = Table(
        [t("category"), t("category_id"), t("sensitive"), t("member_cap")],
        [
            [category_label(c.id, lang), c.id, yes_no(c.sensitive),
             str(c.member_cap) if c.member_cap is not None else t("by_tier")]
            for c in policy.categories
        ],
        key="categories",
    )  # fmt: skip
    review = t("sensitive_review") if policy.sensitive_review else ""
    levels = Table(
        [t("level"), t("owned_max"), t("created_per_day"), t("level_send")],
        [[f"C{int(lv)}", str(r.owned_max), str(r.created_per_day), str(r.send_per_minute)]
         for lv, r in sorted(policy.levels.items())],
        key="levels",
    )  # fmt: skip
    thresholds = Table(
        [t("item"), t("value")],
        [[t(f"th.{name}"), _value(getattr(policy, name), t)] for name in THRESHOLDS],
        key="thresholds",
    )
    a = policy.activity
    activity = Table(
        [t("activity_tier"), t("messages_7d"), t("members_7d")],
        [
            [t(f"activity.{ActivityTier.NORMAL.value}"), str(a.normal_messages), str(a.normal_members)],
            [t(f"activity.{ActivityTier.ACTIVE.value}"), str(a.active_messages), str(a.active_members)],
            [t(f"activity.{ActivityTier.HOT.value}"), str(a.hot_messages), str(a.hot_members)],
        ],
        key="activity",
    )
    return [
        ("h2", t("h_tiers")), ("table", tiers),
        ("h2", t("h_categories")), ("table", categories),
        ("p", t("sensitive_note", level=policy.sensitive_create_verification, review=review)),
        ("h2", t("h_levels")), ("table", levels),
        ("h2", t("h_thresholds")), ("table", thresholds),
        ("h2", t("h_activity")), ("table", activity), ("p", t("quiet_note")),
    ]  # fmt: skip


def changes_table(changes: list[dict[str, Any]], lang: str) -> Table:
    t = _texts(lang)
    return Table(
        [t("path"), t("old"), t("new")],
        [[str(c.get("path", "")), _value(c.get("old"), t), _value(c.get("new"), t)] for c in changes],
        key="changes",
    )


def policy_blocks(view: VersionView, lang: str) -> list[Block]:
    """The whole document of one version."""
    t = _texts(lang)
    filing = t("filed", ref=view.filed_ref, date=_day(view.filed_at)) if view.filed_at else t("not_filed")
    changes: list[Block] = [("table", changes_table(view.changes, lang))] if view.changes else [("p", t("no_changes"))]
    return [
        ("h1", t("title")),
        ("table", Table([t("item"), t("value")], [
            [t("operator"), t("operator_placeholder")],
            [t("version"), f"v{view.version}"],
            [t("date"), _day(view.created_at)],
            [t("filing"), filing],
            [t("fingerprint"), fingerprint(view.body)],
        ], key="header")),
        ("p", t("basis")),
        *policy_tables(view.policy, lang),
        ("h2", t("h_changes")), *changes,
        ("h2", t("h_sign")), ("p", t("sign_line")),
    ]  # fmt: skip


def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def render_markdown(blocks: list[Block]) -> str:
    out: list[str] = []
    for kind, content in blocks:
        if kind == "h1":
            out.append(f"# {content}")
        elif kind == "h2":
            out.append(f"## {content}")
        elif kind == "p":
            out.append(str(content))
        else:
            table: Table = content
            out.append("| " + " | ".join(_md_cell(h) for h in table.headers) + " |")
            out.append("|" + "---|" * len(table.headers))
            out.extend("| " + " | ".join(_md_cell(c) for c in row) + " |" for row in table.rows)
        out.append("")
    return "\n".join(out)


STYLE = (
    "body{font-family:system-ui,'Noto Sans CJK SC',sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;"
    "line-height:1.6;color:#1f2328}table{border-collapse:collapse;margin:.5rem 0 1.5rem;width:100%}"
    "th,td{border:1px solid #d0d7de;padding:.35rem .6rem;text-align:left;vertical-align:top}th{background:#f6f8fa}"
)


def render_html(blocks: list[Block], lang: str) -> str:
    e = html.escape
    title = next((str(c) for k, c in blocks if k == "h1"), "")
    out = [
        "<!doctype html>",
        f'<html lang="{e(lang)}"><head><meta charset="utf-8"><title>{e(title)}</title><style>{STYLE}</style></head>',
        "<body>",
    ]
    for kind, content in blocks:
        if kind in ("h1", "h2", "p"):
            out.append(f"<{kind}>{e(str(content))}</{kind}>")
        else:
            table: Table = content
            out.append(f'<table data-table="{e(table.key)}"><thead><tr>')
            out.append("".join(f"<th>{e(h)}</th>" for h in table.headers) + "</tr></thead><tbody>")
            out.extend("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in table.rows)
            out.append("</tbody></table>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def check_options(fmt: str, lang: str) -> tuple[Format, str]:
    if fmt not in FORMATS:
        raise ValidationFailed("format: md or html", details={"field": "format", "allowed": list(FORMATS)})
    if lang not in LANGUAGES:
        raise ValidationFailed("lang: zh-CN or en", details={"field": "lang", "allowed": list(LANGUAGES)})
    return fmt, lang  # type: ignore[return-value]


def render(view: VersionView, *, fmt: str = "md", lang: str = "zh-CN") -> str:
    """One version's document as Markdown or HTML."""
    fmt, lang = check_options(fmt, lang)
    blocks = policy_blocks(view, lang)
    return render_markdown(blocks) if fmt == "md" else render_html(blocks, lang)


async def export_document(
    db: Database, *, version: int | None = None, fmt: str = "md", lang: str = "zh-CN"
) -> tuple[VersionView, str]:
    """The 管理制度 of `version` (None: the one in force), for filing (D15)."""
    check_options(fmt, lang)
    view = await get_version(db, version)
    return view, render(view, fmt=fmt, lang=lang)
