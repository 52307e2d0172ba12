"""Fixtures of the web tests: one real server process for the module, and Debian's Chromium."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest
from tests.conftest import service_missing
from tests.web.server import Server, running_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser
    from tests.web.browser import Person

# Playwright is imported only where a browser is used, so that the HTTP tests here run without it. Without it, a test
# module that imports it is replaced by one test that skips, or fails when QUNZU_REQUIRE_SERVICES=1 (CI).
HAVE_PLAYWRIGHT = importlib.util.find_spec("playwright") is not None


def playwright_missing() -> NoReturn:
    service_missing("Playwright", "is not installed", "pip install -e '.[dev]' (done by `make test`) installs it")


class _WithoutPlaywright(pytest.File):
    """A browser test module collected without Playwright: one test saying so instead of an import error."""

    def collect(self) -> Iterator[pytest.Item]:
        yield _PlaywrightMissing.from_parent(self, name="playwright")


class _PlaywrightMissing(pytest.Item):
    def runtest(self) -> None:
        playwright_missing()

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"{self.path.name}: Playwright is not installed"


def pytest_pycollect_makemodule(module_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if HAVE_PLAYWRIGHT or "playwright" not in module_path.read_text(encoding="utf-8"):
        return None
    return _WithoutPlaywright.from_parent(parent, path=module_path)


@pytest.fixture(scope="module")
def web_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A migrated server started as a subprocess (`uvicorn --factory qunzu.asgi:create`)."""
    with running_server(Path(tmp_path_factory.mktemp("web-server"))) as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium. Plain (sync) fixtures and tests only: the sync API refuses a running event loop."""
    if not HAVE_PLAYWRIGHT:
        playwright_missing()
    from playwright.sync_api import sync_playwright
    from tests.web.browser import CHROMIUM, launch

    if not os.access(CHROMIUM, os.X_OK):
        service_missing(f"Debian's Chromium ({CHROMIUM})", "is not installed", "`make browser` installs it")
    with sync_playwright() as pw:
        b = launch(pw)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def person(browser: Browser, web_server: Server) -> Iterator[Callable[..., Person]]:
    """A factory of people, each in their own browser context; all are closed after the test."""
    from tests.web.browser import new_person

    made: list[Person] = []

    def make(nickname: str, **kw: str) -> Person:
        p = new_person(browser, web_server, nickname, **kw)
        made.append(p)
        return p

    yield make
    for p in made:
        p.context.close()
