"""The emergency switch in headless Chromium (R-5.1-4): an operator stops sending in a group from a shell; a member
opening the chat sees the banner with the reason in Chinese and a closed composer; a member whose chat was already
open is refused on sending and the composer then says why; turning it off opens the composer again."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Callable

import pytest
from playwright.sync_api import expect
from tests.web.browser import Person
from tests.web.server import PYTHON, VENV_BIN, Server, create_staff, server_env
from tests.web.test_chat_browser import _group_of_two

pytestmark = pytest.mark.browser
MakePerson = Callable[..., Person]


def _emergency(server: Server, *args: str) -> str:
    """`qunzu emergency ...` in the server's environment, as an operator in an incident would run it."""
    data_dir = server.log_path.parent
    cli = VENV_BIN / "qunzu"
    cmd = [str(cli)] if cli.exists() else [PYTHON, "-m", "qunzu"]
    out = subprocess.run([*cmd, "emergency", *args], text=True, env=server_env(data_dir), cwd=data_dir,
                         capture_output=True, timeout=60)  # fmt: skip
    assert out.returncode == 0, out.stderr
    return out.stdout


def _until(check: Callable[[], bool]) -> bool:
    """The server process reads the switches at most once a second: poll `check` (which reloads) for up to 10 s."""
    for _ in range(50):
        if check():
            return True
        time.sleep(0.2)
    return False


def test_a_stopped_group_shows_the_banner_and_the_composer_says_why(person: MakePerson, web_server: Server) -> None:
    owner, guest, code = _group_of_two(person)
    create_staff(web_server, "emergops", "admin", "staff-password-1")
    owner.goto(f"/g/{code}")
    owner.wait_live()
    expect(owner.page.get_by_label("输入消息")).to_be_enabled()
    _emergency(web_server, "on", "--kind", "stop_send", "--scope", "group", "--key", code, "--reason", "处置谣言",
               "--by", "emergops")  # fmt: skip
    banner = guest.page.locator(".banner-emergency")

    def shown() -> bool:
        guest.goto(f"/g/{code}")
        return banner.count() > 0

    assert _until(shown), "the banner shows once the server has read the switch"
    expect(banner).to_contain_text("平台应急处置：本群暂停发送消息。原因：处置谣言")
    expect(guest.page.locator("#composer-state")).to_contain_text("平台已启动应急处置，暂停发言。原因：处置谣言")
    expect(guest.page.get_by_label("输入消息")).to_be_disabled()
    # the owner's chat was open before the switch: sending is refused, and the composer closes with the reason
    owner.send("还能发吗")
    expect(owner.page.locator("#composer-state")).to_contain_text("原因：处置谣言")
    expect(owner.page.get_by_label("输入消息")).to_be_disabled()
    expect(owner.message("还能发吗")).to_have_count(0)

    switch_id = re.search(r"#(\d+)", _emergency(web_server, "list")).group(1)  # type: ignore[union-attr]
    _emergency(web_server, "off", switch_id, "--reason", "已处置", "--by", "emergops")

    def gone() -> bool:
        guest.goto(f"/g/{code}")
        return banner.count() == 0

    assert _until(gone)
    expect(guest.page.get_by_label("输入消息")).to_be_enabled()
    guest.send("恢复了")
    expect(guest.message("恢复了")).to_be_visible()
