"""The account page shows the user's credit (R-7.2-3): score, level, the events with their reasons, the next
recovery. In-process (ASGI), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from tests.web.test_throttle_http import sign_in, sign_up

from qunzu.app import create_app
from qunzu.context import Ctx
from qunzu.services import credit
from qunzu.storage.tables import users


@pytest.fixture
async def web(container: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(container, with_web=True), client=("203.0.113.9", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def test_r_7_2_3_the_account_page_shows_score_level_events_and_recovery(
    web: httpx.AsyncClient, container: Any, manual_clock: Any
) -> None:
    assert (await sign_up(web, "credit1", "correct-horse-9")).status_code == 303
    assert (await sign_in(web, "credit1", "correct-horse-9")).status_code == 303
    page = (await web.get("/me", headers={"Accept-Language": "zh-CN"})).text
    assert 'id="credit-score">100 / 120' in page and ">C4<" in page and "暂无信用记录" in page
    async with container.db.uow() as uow:
        user_id = (await uow.conn.execute(select(users.c.id).where(users.c.username == "credit1"))).scalar_one()
        await credit.record_violation(
            uow, user_id=user_id, reason_code="gambling", rule="R-10-1", source="review", source_id=None,
            decided_by=None, ctx=Ctx.system(manual_clock.now()),
        )  # fmt: skip
        await uow.commit()
    page = (await web.get("/me", headers={"Accept-Language": "zh-CN"})).text
    assert 'id="credit-score">80 / 120' in page and ">C3<" in page
    allowed = page.split('id="credit-allowances"')[1].split("</ul>")[0]
    assert 'class="allowed" data-allowance="share_links"' in allowed  # C3 still shares links
    assert 'class="allowed" data-allowance="groups_owned"' in allowed and "最多 20 个" in allowed
    assert "信用分达到 100 分可提升" in allowed, "what would unlock more is said"
    assert "违规扣分" in page and "-20" in page and "赌博" in page and "R-10-1" in page
    assert "无需恢复" not in page, "the next recovery date is shown"
    english = (await web.get("/me", headers={"Accept-Language": "en"})).text
    assert "Violation" in english and "Gambling" in english
