"""R-5.1-1 as an inspector checks it: the console shows the review team's capacity — the review, complaint and appeal
backlogs, the age of the oldest item, the items each reviewer decided per day and the reviewers on shift — against
the targets the operator set, and an alert (a banner on every staff page and a metric) fires once the oldest item
waits past its SLA. Shifts are started and ended by the reviewers, end by themselves when forgotten, and are recorded.

第五条第一款：互联网群组信息服务提供者应当落实信息内容安全管理主体责任，配备与服务规模相适应的专业人员和技术能力……
"""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from tests.compliance._creation import staff
from tests.web.test_hostile_forms_http import PASSWORD, Person

from qunzu.app import create_app
from qunzu.context import Ctx
from qunzu.domain.accounts import StaffRole
from qunzu.jobs import run_job
from qunzu.services.accounts import register_user
from qunzu.storage.tables import operation_log, staff_shifts


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {
        "capacity": {"review_sla_minutes": 30, "backlog_per_reviewer": 150, "max_shift_hours": 12},
        "throttle": {"post_rate_override": 1000},
    }


@pytest.fixture
async def app(container: Any) -> Any:
    return create_app(container, with_web=True)  # the console's pages as well as the API


@pytest.fixture
async def browser(app: Any, container: Any) -> AsyncIterator[Any]:
    """A staff member signed in to the console in a browser of their own (cookies, forms)."""
    opened: list[httpx.AsyncClient] = []

    async def person(role: str) -> Person:
        c = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("203.0.113.9", 40000)),
                              base_url="http://testserver", headers={"Accept-Language": "zh-CN"})  # fmt: skip
        opened.append(c)
        username = f"w{secrets.token_hex(4)}"
        await register_user(container.db, container.passwords, username=username, password=PASSWORD,
                            nickname=username, ctx=Ctx.system(container.clock.now()), staff_role=StaffRole(role))  # fmt: skip
        p = Person(c)
        assert (await p.submit("/login", "/login", username=username, password=PASSWORD)).status_code == 303
        p.id = (await c.get("/api/v1/me")).json()["id"]
        return p

    yield person
    for c in opened:
        await c.aclose()


def _text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


async def _count_figures(container: Any) -> None:
    """What the scheduler does each minute: the capacity job, at the container's `now`."""
    assert container.scheduler is not None
    await run_job(container.scheduler.jobs["capacity"], container.clock.now())


def _gauge(container: Any, name: str, **labels: str) -> float | None:
    return container.registry.get_sample_value(name, labels)  # type: ignore[no-any-return]


async def _hold_posts(api: Any, n: int) -> None:
    """`n` posts held for review (the seeded hold marker), from one author in one group."""
    author = await api.user()
    code = await api.create_group(author)
    for i in range(n):
        r = await api.post(author, code, f"QZ-TEST-HOLD 第{i}条")
        assert r.status_code == 201 and r.json()["status"] == "under_review", r.text


async def _capacity(api: Any, who: dict[str, Any]) -> dict[str, Any]:
    r = await api.client.get("/api/v1/staff/capacity", headers=api.h(who))
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def test_r_5_1_1_hundred_items_one_reviewer_the_alert_fires_once_the_oldest_passes_its_sla(
    api: Any,
    container: Any,
    manual_clock: Any,
    browser: Any,
) -> None:
    reviewer: Person = await browser("reviewer")
    page = await reviewer.c.get("/staff/review")
    assert 'data-on-shift="no"' in page.text and "上班" in _text(page.text)
    r = await reviewer.submit(page, "/staff/shift/start")
    assert r.status_code == 303 and r.headers["location"] == "/staff/review?shift=started"
    await _hold_posts(api, 100)

    officer = await staff(api, container, "compliance_officer")
    figures = await _capacity(api, officer)
    assert figures["review"]["open"] == 100 and figures["reviewers_on_shift"] == 1
    assert [s["user_id"] for s in figures["on_shift"]] == [reviewer.id]
    assert figures["backlog_per_reviewer"] == 100 and figures["alert"] is False and figures["breaches"] == []
    await _count_figures(container)
    assert _gauge(container, "qunzu_backlog_items", queue="review") == 100
    assert _gauge(container, "qunzu_reviewers_on_shift") == 1 and _gauge(container, "qunzu_capacity_alert") == 0
    console = (await reviewer.c.get("/staff/capacity")).text
    assert 'data-queue="review" data-open="100"' in console and 'id="capacity-alert"' not in console
    assert 'data-check="review_sla" data-ok="yes"' in console

    manual_clock.advance(timedelta(minutes=29))
    await _count_figures(container)
    assert _gauge(container, "qunzu_capacity_alert") == 0, "within the 30-minute SLA"
    manual_clock.advance(timedelta(minutes=2))
    await _count_figures(container)
    assert _gauge(container, "qunzu_capacity_alert") == 1
    assert _gauge(container, "qunzu_backlog_oldest_seconds", queue="review") == 31 * 60
    assert _gauge(container, "qunzu_backlog_overdue_items", queue="review") == 100
    figures = await _capacity(api, officer)
    assert figures["alert"] is True and figures["breaches"] == ["review_sla"]
    assert figures["review"]["oldest_age_seconds"] == 31 * 60
    review_page = (await reviewer.c.get("/staff/review")).text
    assert 'id="capacity-alert" data-breaches="review_sla"' in review_page, "the banner on every staff page"
    assert "最早的待审内容已超过处理时限" in _text(review_page)
    console = (await reviewer.c.get("/staff/capacity")).text
    assert 'data-check="review_sla" data-ok="no"' in console and 'data-alert="yes"' in console


async def test_r_5_1_1_work_waiting_with_nobody_on_shift_or_too_much_per_reviewer_is_an_alert(
    api: Any, container: Any
) -> None:
    await _hold_posts(api, 3)
    admin = await staff(api, container, "admin")
    figures = await _capacity(api, admin)
    assert figures["breaches"] == ["nobody_on_shift"] and figures["backlog_per_reviewer"] is None
    assert (await api.client.post("/api/v1/staff/shift/start", headers=api.h(admin))).status_code == 201
    assert (await _capacity(api, admin))["alert"] is False
    await _hold_posts(api, 148)
    figures = await _capacity(api, admin)
    assert figures["review"]["open"] == 151 and figures["breaches"] == ["backlog_per_reviewer"]
    check = next(c for c in figures["checks"] if c["key"] == "backlog_per_reviewer")
    assert check == {"key": "backlog_per_reviewer", "value": 151, "target": 150, "ok": False}


async def test_r_5_1_1_shifts_start_end_and_are_recorded(api: Any, container: Any) -> None:
    reviewer = await staff(api, container)
    assert (await api.client.get("/api/v1/staff/shift", headers=api.h(reviewer))).json() is None
    r = await api.client.post("/api/v1/staff/shift/end", headers=api.h(reviewer))
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_on_shift"
    started = await api.client.post("/api/v1/staff/shift/start", headers=api.h(reviewer))
    assert started.status_code == 201
    again = await api.client.post("/api/v1/staff/shift/start", headers=api.h(reviewer))
    assert again.status_code == 200 and again.json()["id"] == started.json()["id"], "a second press changes nothing"
    assert (await api.client.get("/api/v1/staff/shift", headers=api.h(reviewer))).json()["id"] == started.json()["id"]
    ended = await api.client.post("/api/v1/staff/shift/end", headers=api.h(reviewer))
    assert ended.status_code == 200 and ended.json()["id"] == started.json()["id"]
    async with container.db.uow(write=False) as uow:
        rows = (
            await uow.conn.execute(
                select(operation_log.c.action, operation_log.c.actor_id, operation_log.c.details)
                .where(operation_log.c.action.like("staff.shift_%"))
                .order_by(operation_log.c.id)
            )
        ).all()
    assert [(a, who) for a, who, _ in rows] == [
        ("staff.shift_start", reviewer["id"]),
        ("staff.shift_end", reviewer["id"]),
    ]
    assert rows[1].details["shift_id"] == started.json()["id"]


async def test_r_5_1_1_a_forgotten_shift_ends_by_itself_after_the_longest_shift(
    api: Any, container: Any, manual_clock: Any
) -> None:
    reviewer = await staff(api, container)
    shift = (await api.client.post("/api/v1/staff/shift/start", headers=api.h(reviewer))).json()
    manual_clock.advance(timedelta(hours=12, minutes=1))
    officer = await staff(api, container, "compliance_officer")
    assert (await _capacity(api, officer))["reviewers_on_shift"] == 0, "not counted past 12 hours, job or no job"
    await _count_figures(container)
    async with container.db.uow(write=False) as uow:
        ended_at = (
            await uow.conn.execute(select(staff_shifts.c.ended_at).where(staff_shifts.c.id == shift["id"]))
        ).scalar_one()
        record = (
            await uow.conn.execute(select(operation_log).where(operation_log.c.action == "staff.shift_end"))
        ).one()
    assert ended_at.replace(tzinfo=None) == (manual_clock.now() - timedelta(minutes=1)).replace(tzinfo=None)
    assert record.actor_id is None and record.details["expired"] is True and record.target_id == str(reviewer["id"])


async def test_r_5_1_1_items_decided_per_reviewer_per_beijing_day(api: Any, container: Any, manual_clock: Any) -> None:
    await _hold_posts(api, 5)
    first, second = await staff(api, container), await staff(api, container, "admin")
    queue = (await api.client.get("/api/v1/staff/review/queue", headers=api.h(first))).json()
    ids = [item["id"] for item in queue]

    async def decide(who: dict[str, Any], item: int) -> None:
        r = await api.client.post(
            f"/api/v1/staff/review/items/{item}/decide", json={"approve": True}, headers=api.h(who)
        )
        assert r.status_code == 204, r.text

    await decide(first, ids[0])
    await decide(first, ids[1])  # 2026-03-01 17:00 Beijing time
    manual_clock.advance(timedelta(hours=8))  # 2026-03-02 01:00 Beijing time: the next Beijing day
    await decide(second, ids[2])
    figures = await _capacity(api, second)
    assert figures["days"][-2:] == ["2026-03-01", "2026-03-02"] and len(figures["days"]) == 7
    by_user = {r["user_id"]: r for r in figures["reviewers"]}
    assert [r["user_id"] for r in figures["reviewers"]] == [first["id"], second["id"]], "the busiest first"
    assert by_user[first["id"]]["per_day"] == [0, 0, 0, 0, 0, 2, 0]
    assert by_user[first["id"]]["by_queue"] == {"review": 2, "tickets": 0, "appeals": 0}
    assert by_user[second["id"]]["per_day"] == [0, 0, 0, 0, 0, 0, 1]
    assert by_user[second["id"]]["per_day_average"] == round(1 / 7, 2)
    assert figures["review"]["open"] == 2


async def test_r_5_1_1_who_reads_the_figures_and_goes_on_shift(api: Any, container: Any) -> None:
    regulator, person = await staff(api, container, "regulator"), await api.user()
    for who in (regulator, person):
        assert (await api.client.get("/api/v1/staff/capacity", headers=api.h(who))).status_code == 403
        assert (await api.client.post("/api/v1/staff/shift/start", headers=api.h(who))).status_code == 403
    for role in ("admin", "compliance_officer", "reviewer"):
        who = await staff(api, container, role)
        assert (await api.client.get("/api/v1/staff/capacity", headers=api.h(who))).status_code == 200
        assert (await api.client.post("/api/v1/staff/shift/start", headers=api.h(who))).status_code == 201
    assert (await api.client.get("/api/v1/staff/capacity")).status_code == 401


@pytest.mark.parametrize(
    "bad", [{"review_sla_minutes": 0}, {"backlog_per_reviewer": 0}, {"max_shift_hours": 25}, {"max_shift_hours": 0}]
)
def test_r_5_1_1_targets_out_of_range_stop_the_start_up(bad: dict[str, int]) -> None:
    from pydantic import ValidationError

    from qunzu.config import Settings

    with pytest.raises(ValidationError, match="capacity"):
        Settings(capacity=bad)
