"""services/report_package.py: what a package carries, its files, the register, marking, and failure modes."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from tests.compliance._reports import Seed

from qunzu.context import Ctx
from qunzu.domain.reports import parse_period
from qunzu.errors import ErrorCode, QunzuError
from qunzu.services import report_package as rpk
from qunzu.services.report_keys import load_signing_key
from qunzu.services.views import UserView
from qunzu.storage.tables import disclosure_register, enforcement_records, operation_log, tickets

FEB = parse_period("2026-02-01", "2026-03-01")  # Beijing calendar: 2026-01-31T16:00Z .. 2026-02-28T16:00Z
IN_FEB = datetime(2026, 2, 10, 3, 0, tzinfo=UTC)


def officer(uid: int = 1, role: str = "compliance_officer") -> UserView:
    return UserView(id=uid, username=f"officer{uid}", nickname="合规", staff_role=role, created_at=IN_FEB)


async def build(container: Any, tmp_path: Path, **kw: Any) -> rpk.PackageInfo:
    args: dict[str, Any] = {
        "staff": None, "period_from": FEB[0], "period_to": FEB[1], "authority": "北京市互联网信息办公室",
        "key": load_signing_key(tmp_path / "report-signing.key"), "out_dir": tmp_path / "reports",
        "ctx": Ctx.system(container.clock.now(), ip="cli"),
    }  # fmt: skip
    args.update(kw)
    return await rpk.build_enforcement_package(container.db, **args)


def members(tmp_path: Path, info: rpk.PackageInfo) -> dict[str, bytes]:
    with zipfile.ZipFile(tmp_path / "reports" / info.file_name) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


async def seeded(container: Any) -> dict[str, int]:
    s = Seed(container)
    owner = await s.user("群主甲", at=IN_FEB - timedelta(days=30))
    gid, _ = await s.group(owner, at=IN_FEB - timedelta(days=20))
    ids = {
        "owner": owner, "group": gid,
        "before": await s.record(at=FEB[0] - timedelta(minutes=1), target_type="group", target_id=gid, group_id=gid),
        "first": await s.record(at=FEB[0], target_type="group", target_id=gid, group_id=gid),
        "user": await s.record(at=IN_FEB, target_type="user", target_id=owner, group_id=gid, measure="user_mute"),
        "after": await s.record(at=FEB[1], target_type="group", target_id=gid, group_id=gid),
    }  # fmt: skip
    ids["entry"], ids["change"] = await s.blacklist(at=IN_FEB, subject_key=str(owner), label="群主甲")
    ids["ticket"] = await s.ticket(received_at=IN_FEB, group_id=gid, status="upheld",
                                   decided_at=IN_FEB + timedelta(hours=2))  # fmt: skip
    ids["appeal"] = await s.appeal(record_id=ids["user"], appellant=owner, at=IN_FEB + timedelta(hours=1))
    await s.review_item(author=owner, at=IN_FEB, state="rejected", decided_at=IN_FEB + timedelta(minutes=30))
    return ids


@pytest.mark.usefixtures("manual_clock")
async def test_a_package_carries_the_period_and_marks_it(container: Any, tmp_path: Path) -> None:
    ids = await seeded(container)
    info = await build(container, tmp_path)
    assert info.counts["enforcement_records"] == 2 and info.counts["blacklist_changes"] == 1
    assert info.counts["tickets"] == 1 and info.counts["appeals"] == 1 and info.counts["review_statistics"] == 1
    assert info.counts["taxonomy"] > 10
    files = members(tmp_path, info)
    assert sorted(files) == sorted(
        [f"{s}.{x}" for s in rpk.rp.SECTIONS for x in ("jsonl", "csv")] + ["manifest.json", "manifest.sig",
                                                                            "public_key.pem"]
    )  # fmt: skip
    records = [json.loads(line) for line in files["enforcement_records.jsonl"].decode().splitlines()]
    assert [r["id"] for r in records] == [ids["first"], ids["user"]]  # [from, to): the start in, the end out
    assert records[1]["target_label"] == "群主甲" and records[1]["appeal_status"] == "pending"
    assert records[0]["target_label"] == records[0]["group_code"] and records[0]["created_at"].endswith("Z")
    assert records[0]["evidence"][0]["text"] == "违规内容示例"
    # the CSV has the same rows in the same column order, and opens in Excel (BOM)
    raw = files["enforcement_records.csv"]
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert table[0] == list(records[0]) and [int(r[0]) for r in table[1:]] == [ids["first"], ids["user"]]
    manifest = json.loads(files["manifest.json"])
    assert manifest["key_id"] == info.key_id and manifest["counts"] == info.counts
    assert rpk.verify_package(tmp_path / "reports" / info.file_name, trusted_key_ids=[info.key_id]) == []
    async with container.db.uow(write=False) as uow:
        marks = dict((await uow.conn.execute(select(enforcement_records.c.id, enforcement_records.c.report_id))).all())
        ticket_mark = (await uow.conn.execute(select(tickets.c.report_id))).scalar_one()
        logged = (await uow.conn.execute(select(operation_log.c.action).where(
            operation_log.c.action == "report.package"))).scalars().all()  # fmt: skip
    assert marks == {ids["before"]: None, ids["first"]: info.id, ids["user"]: info.id, ids["after"]: None}
    assert ticket_mark == info.id and logged == ["report.package"]

    again = await build(container, tmp_path)
    assert again.counts["enforcement_records"] == 0 and again.counts["blacklist_changes"] == 0
    assert again.counts["tickets"] == 1, "the ticket list of the period is listed again, to match the figures"
    reissue = await build(container, tmp_path, include_reported=True)
    assert reissue.counts["enforcement_records"] == 2
    backlog = await build(container, tmp_path, backlog=True)
    assert backlog.counts["enforcement_records"] == 1
    async with container.db.uow(write=False) as uow:
        marks = dict((await uow.conn.execute(select(enforcement_records.c.id, enforcement_records.c.report_id))).all())
    assert marks[ids["first"]] == info.id, "a re-issue keeps the first report"
    assert marks[ids["before"]] == backlog.id and marks[ids["after"]] is None


@pytest.mark.usefixtures("manual_clock")
async def test_an_unwritable_directory_marks_nothing(container: Any, tmp_path: Path) -> None:
    await seeded(container)
    blocker = tmp_path / "blocked"
    blocker.write_text("a file where the directory should be")
    with pytest.raises(QunzuError) as caught:
        await build(container, tmp_path, out_dir=blocker / "reports")
    assert caught.value.code is ErrorCode.UNAVAILABLE
    async with container.db.uow(write=False) as uow:
        assert (await uow.conn.execute(select(func.count()).select_from(disclosure_register))).scalar_one() == 0
        reported = select(func.count()).select_from(enforcement_records).where(
            enforcement_records.c.reported_at.is_not(None))  # fmt: skip
        assert (await uow.conn.execute(reported)).scalar_one() == 0


@pytest.mark.usefixtures("manual_clock")
async def test_roles_period_and_authority_are_checked(container: Any, tmp_path: Path) -> None:
    for role in ("reviewer", "regulator"):
        with pytest.raises(QunzuError) as caught:
            await build(container, tmp_path, staff=officer(role=role))
        assert caught.value.code is ErrorCode.FORBIDDEN
    with pytest.raises(QunzuError) as caught:
        await build(container, tmp_path, period_from=FEB[1], period_to=FEB[0])
    assert caught.value.code is ErrorCode.PACKAGE_PERIOD_INVALID
    with pytest.raises(QunzuError) as caught:
        await build(container, tmp_path, period_to=FEB[0] + timedelta(days=400))
    assert caught.value.code is ErrorCode.PACKAGE_PERIOD_INVALID
    with pytest.raises(QunzuError) as caught:
        await build(container, tmp_path, authority="  ")
    assert caught.value.code is ErrorCode.VALIDATION_FAILED
    assert not (tmp_path / "reports").exists() or not list((tmp_path / "reports").iterdir())


@pytest.mark.usefixtures("manual_clock")
async def test_register_download_and_figures(container: Any, tmp_path: Path) -> None:
    await seeded(container)
    info = await build(container, tmp_path, document_number="京网信函〔2026〕7号")
    ctx = Ctx.system(container.clock.now())
    listed = await rpk.list_packages(container.db, staff=officer(role="regulator"))
    assert [p.id for p in listed] == [info.id] and listed[0].document_number == "京网信函〔2026〕7号"
    got, data = await rpk.open_package(container.db, staff=officer(), register_id=info.id,
                                       out_dir=tmp_path / "reports", ctx=ctx)  # fmt: skip
    assert data == (tmp_path / "reports" / info.file_name).read_bytes() and got.manifest_sha256 == info.manifest_sha256
    with pytest.raises(QunzuError) as caught:
        await rpk.open_package(container.db, staff=officer(), register_id=info.id + 99, out_dir=tmp_path, ctx=ctx)
    assert caught.value.code is ErrorCode.PACKAGE_NOT_FOUND
    with pytest.raises(QunzuError) as caught:
        await rpk.open_package(container.db, staff=officer(), register_id=info.id, out_dir=tmp_path, ctx=ctx)
    assert caught.value.code is ErrorCode.PACKAGE_FILE_MISSING
    with pytest.raises(QunzuError) as caught:
        await rpk.list_packages(container.db, staff=officer(role="reviewer"))
    assert caught.value.code is ErrorCode.FORBIDDEN
    rows = await rpk.figures(container.db, staff=officer(role="reviewer"), period_from=FEB[0], period_to=FEB[1],
                             now=container.clock.now())  # fmt: skip
    assert [(r.month, r.category, r.received, r.upheld) for r in rows] == [
        ("2026-02", "fraud", 1, 1), ("2026-02", "*", 1, 1), ("*", "*", 1, 1)]  # fmt: skip
    listed = await rpk.ticket_list(container.db, staff=officer(role="regulator"), period_from=FEB[0],
                                   period_to=FEB[1], category="fraud", handled=True)  # fmt: skip
    assert [(t["status"], t["seconds"], t["within_sla"]) for t in listed] == [("upheld", 7200.0, True)]
    assert await rpk.ticket_list(container.db, staff=officer(role="regulator"), period_from=FEB[0],
                                 period_to=FEB[1], handled=False) == []  # fmt: skip
    async with container.db.uow(write=False) as uow:
        actions = (await uow.conn.execute(select(operation_log.c.action).where(
            operation_log.c.action.like("report.%")))).scalars().all()  # fmt: skip
    assert sorted(actions) == ["report.download", "report.package"]


@pytest.mark.usefixtures("manual_clock")
async def test_two_packages_at_once_never_carry_one_record_twice(container: Any, tmp_path: Path) -> None:
    await seeded(container)
    results = await asyncio.gather(build(container, tmp_path), build(container, tmp_path), return_exceptions=True)
    built = [r for r in results if isinstance(r, rpk.PackageInfo)]
    refused = [r for r in results if not isinstance(r, rpk.PackageInfo)]
    assert all(isinstance(r, QunzuError) and r.code is ErrorCode.PACKAGE_CONFLICT for r in refused), refused
    assert sorted(p.counts["enforcement_records"] for p in built) in ([2], [0, 2])
    async with container.db.uow(write=False) as uow:
        register = (await uow.conn.execute(select(disclosure_register.c.file_name))).scalars().all()
    assert sorted(register) == sorted(p.file_name for p in built)
    assert sorted(f.name for f in (tmp_path / "reports").iterdir()) == sorted(register), (
        "a refused package leaves no file"
    )
