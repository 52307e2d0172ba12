"""services/report_periodic.py and the `report-periodic` job (D13): the signed summary of each past calendar week
or month, built once, on SQLite and PostgreSQL, on the injected clock."""

from __future__ import annotations

import asyncio
import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from tests.compliance._creation import staff
from tests.compliance._reports import Seed

from qunzu.clock import ManualClock
from qunzu.context import Ctx
from qunzu.jobs import run_job
from qunzu.jobs.catalogue import platform_jobs
from qunzu.services import report_package as rpk
from qunzu.services import report_periodic
from qunzu.services.report_keys import load_signing_key
from qunzu.services.views import UserView
from qunzu.storage.tables import disclosure_register, enforcement_records

AUTHORITY = "北京市互联网信息办公室"


def bj(y: int, m: int, d: int, h: int = 0) -> datetime:
    """A Beijing wall-clock time as a UTC instant."""
    return datetime(y, m, d, h, tzinfo=UTC) - timedelta(hours=8)


@pytest.fixture
def manual_clock() -> ManualClock:
    return ManualClock(bj(2026, 11, 20, 10))


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"reports": {"periodic": "monthly", "periodic_authority": AUTHORITY}}


def job(container: Any, **reports: Any) -> Any:
    """The `report-periodic` job as the scheduler has it, with `reports` settings changed when given."""
    settings = container.settings
    if reports:
        settings = settings.model_copy(update={"reports": settings.reports.model_copy(update=reports)})
    return next(j for j in platform_jobs(container.db, settings) if j.name == "report-periodic")


def officer() -> UserView:
    return UserView(id=1, username="officer", nickname="合规", staff_role="compliance_officer",
                    created_at=datetime(2026, 1, 1, tzinfo=UTC))  # fmt: skip


async def register(container: Any) -> list[Any]:
    async with container.db.uow(write=False) as uow:
        return list(await uow.conn.execute(select(disclosure_register).order_by(disclosure_register.c.id)))


def records_in(path: Path) -> list[dict[str, Any]]:
    with zipfile.ZipFile(path) as zf:
        return [json.loads(line) for line in zf.read("enforcement_records.jsonl").decode().splitlines()]


async def test_the_monthly_summary_covers_the_last_month_once(
    api: Any, container: Any, manual_clock: ManualClock
) -> None:
    owner = await api.user()
    code = await api.create_group(owner)
    reviewer = await staff(api, container)
    r = await api.client.post(
        "/api/v1/staff/measures", headers=api.h(reviewer, "zh-CN"),
        json={"kind": "group_warning", "target": code, "reason_code": "advertising", "reason": "群内广告泛滥",
              "duration_hours": 72, "rectification": "三日内清理广告"},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    measure = r.json()["id"]
    reports = container.settings.report_dir
    # the job is the scheduler's, hourly; in November it sends October (nothing happened then), not November
    assert container.scheduler.jobs["report-periodic"].every == timedelta(hours=1)
    assert await run_job(job(container), manual_clock.now()) == 1
    october = (await register(container))[-1]
    assert (october.period_from, october.period_to) == (bj(2026, 10, 1), bj(2026, 11, 1))
    assert october.counts["enforcement_records"] == 0

    manual_clock.set(bj(2026, 12, 2, 9))  # 2 December, 09:00 Beijing time (01:00 UTC)
    assert await run_job(job(container), manual_clock.now()) == 1
    entries = await register(container)
    assert len(entries) == 2
    november = entries[-1]
    assert (november.period_from, november.period_to) == (bj(2026, 11, 1), bj(2026, 12, 1))
    assert november.kind == "enforcement_report" and november.authority == AUTHORITY
    assert november.created_by is None and november.created_at == manual_clock.now()
    assert november.scope["periodic"] == "monthly"
    assert november.scope["backlog"] is False and november.scope["include_reported"] is False
    path = reports / november.file_name
    assert november.file_name.startswith("qunzu-report-20261101-20261201-")
    key = load_signing_key(container.settings.report_key_path, create=False)
    assert rpk.verify_package(path, trusted_key_ids=[key.key_id]) == [] and november.key_id == key.key_id
    assert [row["id"] for row in records_in(path)] == [measure]
    with zipfile.ZipFile(path) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    assert manifest["authority"] == AUTHORITY and manifest["scope"]["periodic"] == "monthly"
    async with container.db.uow(write=False) as uow:
        mark = (await uow.conn.execute(select(enforcement_records.c.report_id).where(
            enforcement_records.c.id == measure))).scalar_one()  # fmt: skip
    assert mark == november.id
    # the register as staff read it, with its period
    listed = await rpk.list_packages(container.db, staff=officer())
    assert [(p.id, p.period_from, p.period_to, p.creator) for p in listed] == [
        (november.id, bj(2026, 11, 1), bj(2026, 12, 1), None), (october.id, bj(2026, 10, 1), bj(2026, 11, 1), None),
    ]  # fmt: skip

    # again, later the same month: nothing is built, and the key is not even read
    manual_clock.advance(timedelta(days=10))
    assert await run_job(job(container), manual_clock.now()) == 0
    assert await report_periodic.build_due_summary(
        container.db, settings=container.settings.reports, key=lambda: pytest.fail("the key was loaded"),
        out_dir=reports, ctx=Ctx.system(manual_clock.now()),
    ) is None  # fmt: skip
    assert len(await register(container)) == 2
    assert sorted(p.name for p in reports.iterdir()) == sorted([october.file_name, november.file_name])


async def test_off_builds_nothing_and_loads_no_key(container: Any, manual_clock: ManualClock) -> None:
    manual_clock.set(bj(2026, 12, 2, 9))
    assert await run_job(job(container, periodic="off"), manual_clock.now()) == 0
    assert await report_periodic.build_due_summary(
        container.db, settings=container.settings.reports.model_copy(update={"periodic": "off"}),
        key=lambda: pytest.fail("the key was loaded"), out_dir=container.settings.report_dir,
        ctx=Ctx.system(manual_clock.now()),
    ) is None  # fmt: skip
    assert await register(container) == []
    assert not container.settings.report_key_path.exists() and not container.settings.report_dir.exists()


async def test_weekly_covers_monday_to_monday_in_beijing(container: Any, manual_clock: ManualClock) -> None:
    s = Seed(container)
    owner = await s.user("群主乙", at=bj(2026, 11, 1))
    gid, _ = await s.group(owner, at=bj(2026, 11, 2))
    inside = await s.record(at=bj(2026, 11, 30, 0), target_type="group", target_id=gid, group_id=gid)
    sunday_night = await s.record(at=bj(2026, 12, 6, 23), target_type="group", target_id=gid, group_id=gid)
    # Sunday 6 December 16:30 UTC is Monday 7 December 00:30 in Beijing: the week of 30 November has ended
    after = await s.record(at=bj(2026, 12, 7, 0), target_type="group", target_id=gid, group_id=gid)
    manual_clock.set(datetime(2026, 12, 6, 16, 30, tzinfo=UTC))
    weekly = job(container, periodic="weekly")
    assert await run_job(weekly, manual_clock.now()) == 1
    (entry,) = await register(container)
    assert (entry.period_from, entry.period_to) == (bj(2026, 11, 30), bj(2026, 12, 7))
    assert entry.scope["periodic"] == "weekly"
    path = container.settings.report_dir / entry.file_name
    assert rpk.verify_package(path) == []
    assert [r["id"] for r in records_in(path)] == [inside, sunday_night]
    assert await run_job(weekly, manual_clock.now() + timedelta(days=6)) == 0
    # a weekly summary of the same dates is not a monthly one, nor is a staff package of exactly the period
    manual_clock.set(bj(2026, 12, 14, 1))
    await rpk.build_enforcement_package(
        container.db, staff=None, period_from=bj(2026, 12, 7), period_to=bj(2026, 12, 14), authority="有关主管部门",
        key=load_signing_key(container.settings.report_key_path), out_dir=container.settings.report_dir,
        ctx=Ctx.system(manual_clock.now()),
    )  # fmt: skip
    assert await run_job(weekly, manual_clock.now()) == 1
    entries = await register(container)
    assert [(e.period_from, e.scope.get("periodic")) for e in entries] == [
        (bj(2026, 11, 30), "weekly"), (bj(2026, 12, 7), None), (bj(2026, 12, 7), "weekly"),
    ]  # fmt: skip
    assert entries[1].counts["enforcement_records"] == 1 and entries[2].counts["enforcement_records"] == 0, (
        "the summary carries what no package carried: the staff package already sent the record of 7 December"
    )
    assert [r["id"] for r in records_in(container.settings.report_dir / entries[1].file_name)] == [after]


async def test_two_runs_at_once_build_one_summary(container: Any, manual_clock: ManualClock, tmp_path: Path) -> None:
    """An empty month: nothing for `package_conflict` to catch, so only the lock and the check inside the
    package's transaction keep the second run from registering a second summary."""
    manual_clock.set(bj(2026, 12, 1, 0))
    key = load_signing_key(tmp_path / "k.key")

    async def run(out: str) -> Any:
        return await report_periodic.build_due_summary(
            container.db, settings=container.settings.reports, key=lambda: key, out_dir=tmp_path / out,
            ctx=Ctx.system(manual_clock.now()),
        )  # fmt: skip

    built = await asyncio.gather(*(run(f"out{i}") for i in range(3)))
    assert sum(b is not None for b in built) == 1
    (entry,) = await register(container)
    assert (entry.period_from, entry.period_to) == (bj(2026, 11, 1), bj(2026, 12, 1))
    assert (
        sum(len(list((tmp_path / f"out{i}").glob("*.zip"))) for i in range(3) if (tmp_path / f"out{i}").exists()) == 1
    )
    async with container.db.uow(write=False) as uow:
        assert (await uow.conn.execute(select(func.count()).select_from(disclosure_register))).scalar_one() == 1


async def test_next_summary_says_what_comes_next(container: Any, manual_clock: ManualClock) -> None:
    reports = container.settings.reports
    manual_clock.set(bj(2026, 12, 2, 9))
    due = await report_periodic.next_summary(container.db, settings=reports, now=manual_clock.now())
    assert due is not None and (due.every, due.authority) == ("monthly", AUTHORITY)
    assert (due.period_from, due.period_to) == (bj(2026, 11, 1), bj(2026, 12, 1)), "November is due, not built"
    assert await run_job(job(container), manual_clock.now()) == 1
    after = await report_periodic.next_summary(container.db, settings=reports, now=manual_clock.now())
    assert after is not None and (after.period_from, after.period_to) == (bj(2026, 12, 1), bj(2027, 1, 1))
    off = reports.model_copy(update={"periodic": "off"})
    assert await report_periodic.next_summary(container.db, settings=off, now=manual_clock.now()) is None
