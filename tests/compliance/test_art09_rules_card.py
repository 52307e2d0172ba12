"""Art. 9 ¶2, as an inspector checks it: a new member is shown the group's announcement, the group rules and the
platform convention, and their acknowledgment is recorded.

《互联网群组信息服务管理规定》第九条第二款：群组成员在参与群组信息交流时，应当遵守法律法规，文明互动、理性表达。
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from tests.web.test_throttle_http import csrf, sign_in

from qunzu.app import create_app
from qunzu.storage.tables import groups, memberships, operation_log

ZH = {"Accept-Language": "zh-CN"}


@pytest.fixture
async def app(container: Any) -> Any:
    return create_app(container, with_web=True)  # the chat page as well as the API


async def _seen_at(container: Any, code: str, user_id: int) -> Any:
    async with container.db.uow(write=False) as uow:
        return (
            await uow.conn.execute(
                select(memberships.c.rules_seen_at)
                .join(groups, groups.c.id == memberships.c.group_id)
                .where(groups.c.code == code, memberships.c.user_id == user_id)
            )
        ).scalar_one()


async def test_r_9_2_1_the_first_view_after_joining_shows_the_rules_card(api, client, container) -> None:
    owner, member = await api.user(), await api.user()
    code = await api.create_group(owner, name="读书会")
    await client.patch(f"/api/v1/groups/{code}", json={"announcement": "每周六读书，请文明发言"}, headers=api.h(owner))
    assert (await api.join(member, code)).status_code == 201
    assert await _seen_at(container, code, member["id"]) is None
    async with httpx.AsyncClient(transport=client._transport, base_url="http://testserver") as web:
        assert (await sign_in(web, member["username"], "correct-horse-9")).status_code == 303
        page = (await web.get(f"/g/{code}", headers=ZH)).text
        assert 'id="rules-card"' in page
        card = page[page.index('id="rules-card"') :]
        assert "每周六读书，请文明发言" in card, "the announcement"
        assert 'href="/documents/group_rules"' in card and 'href="/documents/convention"' in card
        assert "我已阅读" in card
        r = await web.post(f"/g/{code}/rules-seen", data={"csrf": csrf(page)}, headers=ZH)
        assert r.status_code == 303
        assert 'id="rules-card"' not in (await web.get(f"/g/{code}", headers=ZH)).text, "shown until acknowledged"


async def test_r_9_2_1_the_acknowledgment_is_recorded_once_with_its_time(api, client, container) -> None:
    owner, member = await api.user(), await api.user()
    code = await api.create_group(owner)
    await api.join(member, code)
    r = await client.post(f"/api/v1/groups/{code}/rules-ack", headers=api.h(member))
    assert r.status_code == 200, r.text
    first = r.json()["rules_seen_at"]
    again = await client.post(f"/api/v1/groups/{code}/rules-ack", headers=api.h(member))
    assert again.json()["rules_seen_at"] == first
    assert await _seen_at(container, code, member["id"]) is not None
    async with container.db.uow(write=False) as uow:
        records = list(
            await uow.conn.execute(select(operation_log).where(operation_log.c.action == "group.rules_seen"))
        )
    assert len(records) == 1 and records[0].actor_id == member["id"]
    assert records[0].details["documents"] == ["group_rules", "convention"]
    outsider = await api.user()
    r = await client.post(f"/api/v1/groups/{code}/rules-ack", headers=api.h(outsider))
    assert r.status_code == 403 and r.json()["error"]["code"] == "not_member"
