"""/staff/reports says whether the periodic summary (D13) is on, which one comes next, and marks the summaries in
the register; in-process, on SQLite and PostgreSQL, on the injected clock."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from tests.web.test_throttle_http import sign_in

from qunzu.app import create_app
from qunzu.clock import ManualClock
from qunzu.context import Ctx
from qunzu.domain.accounts import StaffRole
from qunzu.jobs import run_job
from qunzu.services.accounts import register_user


def bj(y: int, m: int, d: int, h: int = 0) -> datetime:
    return datetime(y, m, d, h, tzinfo=UTC) - timedelta(hours=8)


@pytest.fixture
def manual_clock() -> ManualClock:
    return ManualClock(bj(2026, 12, 2, 9))


@pytest.fixture(params=["off", "monthly"])
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    return {"reports": {"periodic": request.param, "periodic_authority": "上海市互联网信息办公室"}}


@pytest.fixture
async def officer(container: Any) -> AsyncIterator[httpx.AsyncClient]:
    await register_user(
        container.db, container.passwords, username="officer1", password="staff-password-1", nickname="合规",
        ctx=Ctx.system(container.clock.now()), staff_role=StaffRole.COMPLIANCE_OFFICER,
    )  # fmt: skip
    transport = httpx.ASGITransport(app=create_app(container, with_web=True), client=("203.0.113.9", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        assert (await sign_in(c, "officer1", "staff-password-1")).status_code == 303
        yield c


def line(html: str) -> str:
    found = re.search(r'<p id="periodic"[^>]*>(.*?)</p>', html, re.S)
    assert found, "the periodic summary line is on the page"
    return found.group(1)


async def test_the_reports_page_tells_the_periodic_summary(container: Any, officer: httpx.AsyncClient) -> None:
    page = (await officer.get("/staff/reports", headers={"Accept-Language": "zh-CN"})).text
    if container.settings.reports.periodic == "off":
        assert line(page).startswith("定期报告未开启") and 'data-every="off"' in page
        job = container.scheduler.jobs["report-periodic"]
        assert await run_job(job, container.clock.now()) == 0
        return
    assert line(page) == (
        "定期报告已开启：每月自动生成一份，报送上海市互联网信息办公室。2026-11-01 至 2026-12-01（不含）的一份尚未生成，"
        "将在一小时内生成。"
    )
    assert await run_job(container.scheduler.jobs["report-periodic"], container.clock.now()) == 1
    page = (await officer.get("/staff/reports", headers={"Accept-Language": "zh-CN"})).text
    assert line(page) == (
        "定期报告已开启：每月自动生成一份，报送上海市互联网信息办公室。下一份涵盖 2026-12-01 至 2027-01-01（不含），"
        "于 2027-01-01 北京时间零点后一小时内生成。"
    )
    row = re.search(r'<tr id="package-1".*?</tr>', page, re.S)
    assert row and "定期任务" in row.group(0) and '<span class="chip">定期报告</span>' in row.group(0)
    english = (await officer.get("/staff/reports", headers={"Accept-Language": "en"})).text
    assert line(english) == (
        "The periodic summary is on: one package each month, for 上海市互联网信息办公室. The next covers 2026-12-01 to "
        "2027-01-01 (not included) and is built within the hour after 2027-01-01 00:00 Beijing time."
    )
