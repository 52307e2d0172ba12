"""Fixtures of the web tests: one real server process for the module, and Debian's Chromium."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright
from tests.web.browser import Person, launch, new_person
from tests.web.server import Server, running_server


@pytest.fixture(scope="module")
def web_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A migrated server started as a subprocess (`uvicorn --factory qunzu.api.asgi:create`)."""
    with running_server(Path(tmp_path_factory.mktemp("web-server"))) as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium. Plain (sync) fixtures and tests only: the sync API refuses a running event loop."""
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian's chromium is not installed (make browser)")
    with sync_playwright() as pw:
        b = launch(pw)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def person(browser: Browser, web_server: Server) -> Iterator[Callable[..., Person]]:
    """A factory of people, each in their own browser context; all are closed after the test."""
    made: list[Person] = []

    def make(nickname: str, **kw: str) -> Person:
        p = new_person(browser, web_server, nickname, **kw)
        made.append(p)
        return p

    yield make
    for p in made:
        p.context.close()
