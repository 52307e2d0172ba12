"""发言管理 over plain HTTP (R-9.3-1): who may open it, each form (mute all, slow mode, keywords, held messages,
unpin) with CSRF, and the chat page's composer state rendered by the server on load."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from tests.web.server import Server
from tests.web.test_group_settings_http import Group, _api_csrf
from tests.web.test_pages_http import form_csrf


@pytest.fixture
def group(web_server: Server) -> Iterator[Group]:
    with ExitStack() as stack:
        yield Group(stack, web_server)


def _post(c, url: str, **data: str):  # type: ignore[no-untyped-def]
    page = c.get(url.rsplit("/", 1)[0]).text
    return c.post(url, data={"csrf": form_csrf(page), **data})


def test_the_owner_and_a_manager_use_the_page_and_a_member_may_not(group: Group) -> None:
    url = f"/g/{group.code}/settings/chat"
    assert group.member.get(url).status_code == 403
    assert group.outsider.get(url).status_code in (403, 404)
    page = group.manager.get(url)
    assert page.status_code == 200
    assert (
        "全员禁言" in page.text and "慢速模式" in page.text and "本群关键词" in page.text and "待审核消息" in page.text
    )
    assert 'aria-current="page"' in page.text  # the settings tab of this section
    # mute all, slow mode, a keyword; a bad CSRF token changes nothing
    r = group.manager.post(f"{url}/mute-all", data={"csrf": "x", "on": "1"})
    assert r.status_code == 422
    r = _post(group.manager, f"{url}/mute-all", on="1")
    assert r.status_code == 303 and r.headers["location"] == f"{url}?saved=1"
    assert group.owner.get(f"/api/v1/groups/{group.code}/chat-controls").json()["mute_all"] is True
    r = _post(group.owner, f"{url}/slow-mode", seconds="5")
    assert r.status_code == 422 and "10" in r.text
    assert _post(group.owner, f"{url}/slow-mode", seconds="60").status_code == 303
    assert _post(group.owner, f"{url}/mute-all", on="0").status_code == 303
    assert _post(group.owner, f"{url}/keyword-add", term="代购").status_code == 303
    page = group.owner.get(url).text
    assert "代购" in page and 'value="60"' in page
    # a held message: the member sees it pending; the manager approves it on the page
    r = group.member.post(
        f"/api/v1/groups/{group.code}/messages", json={"text": "海外代购", "client_msg_id": "h1"},
        headers=_api_csrf(group.member),
    )  # fmt: skip
    assert r.status_code == 201 and r.json()["status"] == "under_review", r.text
    page = group.manager.get(url).text
    assert "海外代购" in page
    mid = str(r.json()["id"])
    assert _post(group.manager, f"{url}/held", message_id=mid, decision="approve").status_code == 303
    assert "海外代购" not in group.manager.get(url).text.split('id="cc-held"')[1]
    texts = [m["text"] for m in group.owner.get(f"/api/v1/groups/{group.code}/messages").json()["messages"]]
    assert "海外代购" in texts
    # unpin from the page
    r = group.owner.post(f"/api/v1/groups/{group.code}/pins/{mid}", headers=_api_csrf(group.owner))
    assert r.status_code == 200
    assert _post(group.owner, f"{url}/unpin", message_id=mid).status_code == 303
    assert group.owner.get(f"/api/v1/groups/{group.code}/pins").json()["pins"] == []


def test_the_chat_page_shows_the_composer_state_on_load(group: Group) -> None:
    member_id = group.member.get("/api/v1/me").json()["id"]
    r = group.owner.post(
        f"/api/v1/groups/{group.code}/members/{member_id}/mute", json={"seconds": 3600}, headers=_api_csrf(group.owner)
    )
    assert r.status_code == 200, r.text
    page = group.member.get(f"/g/{group.code}").text
    state = re.search(r'<p class="composer-state" id="composer-state"[^>]*>([^<]*)</p>', page)
    assert state and state.group(1).startswith("你已被禁言，至 ") and "月" in state.group(1)
    assert re.search(r'<textarea id="composer-text"[^>]*disabled', page)
    owner_page = group.owner.get(f"/g/{group.code}").text
    assert not re.search(r'<textarea id="composer-text"[^>]*disabled', owner_page)
    r = group.owner.put(f"/api/v1/groups/{group.code}/mute-all", json={"on": True}, headers=_api_csrf(group.owner))
    assert r.status_code == 200
    manager_page = group.manager.get(f"/g/{group.code}").text
    assert not re.search(r'<textarea id="composer-text"[^>]*disabled', manager_page)  # managers still post
    r = group.owner.delete(f"/api/v1/groups/{group.code}/members/{member_id}/mute", headers=_api_csrf(group.owner))
    page = group.member.get(f"/g/{group.code}").text
    assert "全员禁言中" in page and re.search(r'<textarea id="composer-text"[^>]*disabled', page)
