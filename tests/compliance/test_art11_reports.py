"""Art. 11 ¶1–3 "保存有关记录，并向有关主管部门报告" (R-11.1-2, R-11.2-2, R-11.3-3; §3.4; D13), checked as an inspector
would: ask for the package of a period, open it, check what it carries against the records, verify it, tamper with
it, and look at the register and the report status of each record."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from tests.compliance._creation import staff
from tests.compliance._reports import Seed

from qunzu.domain import reports as rp
from qunzu.services.report_package import verify_package
from qunzu.storage.tables import blacklist_changes, disclosure_register, enforcement_records

pytestmark = pytest.mark.usefixtures("manual_clock")  # 2026-03-01 09:00 UTC; the period is February (Beijing)
PERIOD = {"period_from": "2026-02-01", "period_to": "2026-03-01", "authority": "北京市互联网信息办公室"}


async def measures(api: Any, container: Any) -> dict[str, int]:
    """A group suspension, a user mute and a blacklist entry added then removed, all in February; one record in
    January and one on 1 March."""
    s, now = Seed(container), container.clock.now()
    feb = now - timedelta(days=10)
    decider = (await staff(api, container, "reviewer"))["id"]
    owner = await s.user("群主丁", at=feb - timedelta(days=40))
    gid, _ = await s.group(owner, at=feb - timedelta(days=30))
    ids = {
        "group": gid, "owner": owner, "decider": decider,
        "suspend": await s.record(at=feb, target_type="group", target_id=gid, group_id=gid, decided_by=decider),
        "mute": await s.record(at=feb + timedelta(hours=1), target_type="user", target_id=owner, group_id=gid,
                               measure="user_mute", decided_by=decider),
        "january": await s.record(at=feb - timedelta(days=20), target_type="group", target_id=gid, group_id=gid),
        "march": await s.record(at=now - timedelta(hours=1), target_type="group", target_id=gid, group_id=gid),
    }  # fmt: skip
    ids["entry"], ids["added"] = await s.blacklist(at=feb + timedelta(hours=2), subject_key=str(owner), label="群主丁",
                                                   actor=decider)  # fmt: skip
    async with container.db.uow() as uow:
        ids["removed"] = (
            await uow.conn.execute(
                blacklist_changes.insert().values(entry_id=ids["entry"], change="removed", actor_id=decider,
                                                  before={"severity": 2}, after=None, reason="复核后解除",
                                                  at=feb + timedelta(days=3)).returning(blacklist_changes.c.id)
            )
        ).scalar_one()  # fmt: skip
        await uow.commit()
    return ids


async def package(api: Any, officer: dict[str, Any], tmp_path: Path, **extra: Any) -> tuple[dict[str, Any], Path]:
    r = await api.client.post("/api/v1/staff/reports", json=PERIOD | extra, headers=api.h(officer))
    assert r.status_code == 201, r.text
    info = r.json()
    got = await api.client.get(info["download"], headers=api.h(officer))
    assert got.status_code == 200 and got.headers["content-type"] == "application/zip"
    assert info["file_name"] in got.headers["content-disposition"]
    path = tmp_path / info["file_name"]
    path.write_bytes(got.content)
    return info, path


def read(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def jsonl(files: dict[str, bytes], name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in files[f"{name}.jsonl"].decode().splitlines()]


async def test_r_11_1_2_the_package_of_a_period_carries_its_enforcement_records_with_all_fields(
    api: Any, container: Any, tmp_path: Path
) -> None:
    ids = await measures(api, container)
    officer = await staff(api, container, "compliance_officer")
    info, path = await package(api, officer, tmp_path)
    files = read(path)
    rows = jsonl(files, "enforcement_records")
    assert [r["id"] for r in rows] == [ids["suspend"], ids["mute"]], "February only: not January, not 1 March"
    async with container.db.uow(write=False) as uow:
        db = {r.id: r for r in await uow.conn.execute(select(enforcement_records))}
    for row in rows:
        record = db[row["id"]]
        assert list(row) == list(rp.ENFORCEMENT_COLUMNS)
        for field in ("target_type", "target_id", "group_id", "measure", "reason_code", "clause", "legal_basis",
                      "reason", "source", "source_ref", "decided_by", "status", "evidence_sha256", "evidence"):  # fmt: skip
            assert row[field] == getattr(record, field), field
        for field in ("created_at", "starts_at", "ends_at", "notified_at"):
            assert row[field] == rp.iso(getattr(record, field)), field
        assert row["decided_by"] == ids["decider"] and row["evidence"][0]["sha256"]
    assert rows[1]["target_label"] == "群主丁", "the person measured, by nickname"
    table = list(csv.DictReader(io.StringIO(files["enforcement_records.csv"].decode("utf-8-sig"))))
    assert [int(r["id"]) for r in table] == [ids["suspend"], ids["mute"]]
    assert table[0]["legal_basis"] == rows[0]["legal_basis"] and json.loads(table[0]["evidence"]) == rows[0]["evidence"]
    assert info["counts"]["enforcement_records"] == 2


async def test_r_11_3_3_blacklist_changes_of_the_period_are_reported(api: Any, container: Any, tmp_path: Path) -> None:
    ids = await measures(api, container)
    officer = await staff(api, container, "compliance_officer")
    info, path = await package(api, officer, tmp_path)
    rows = jsonl(read(path), "blacklist_changes")
    assert [(r["id"], r["change"]) for r in rows] == [(ids["added"], "added"), (ids["removed"], "removed")]
    added = rows[0]
    assert list(added) == list(rp.BLACKLIST_COLUMNS)
    assert (added["entry_id"], added["subject_type"], added["label"], added["severity"], added["source"]) == (
        ids["entry"], "account", "群主丁", 2, "authority")  # fmt: skip
    assert added["authority_ref"] == "京网信函〔2026〕12号" and added["actor_id"] == ids["decider"]
    assert rows[1]["reason"] == "复核后解除" and rows[1]["before"] == {"severity": 2}
    assert info["counts"]["blacklist_changes"] == 2


async def test_r_11_1_2_a_package_verifies_and_any_changed_byte_fails_naming_the_file(
    api: Any, container: Any, tmp_path: Path
) -> None:
    await measures(api, container)
    officer = await staff(api, container, "compliance_officer")
    info, path = await package(api, officer, tmp_path)
    key = (await api.client.get("/api/v1/staff/reports/public-key", headers=api.h(officer))).json()
    assert key["key_id"] == info["key_id"]
    assert verify_package(path, trusted_key_ids=[key["key_id"]]) == []
    original = read(path)
    assert rp.sha256_hex(original["manifest.json"]) == info["manifest_sha256"]
    assert original["public_key.pem"].decode() == key["pem"]
    for name, data in original.items():
        if name in ("manifest.sig", "public_key.pem") or not data:
            continue
        at = len(data) // 2
        changed = tmp_path / f"changed-{name}.zip"
        with zipfile.ZipFile(changed, "w") as zf:
            for other, body in original.items():
                zf.writestr(other, body[:at] + bytes([body[at] ^ 0x20]) + body[at + 1 :] if other == name else body)
        problems = verify_package(changed)
        expected = "manifest.sig: " if name == "manifest.json" else f"{name}: "
        assert problems and problems[0].startswith(expected), (name, problems)
    foreign = tmp_path / "foreign.zip"
    foreign.write_bytes(path.read_bytes())
    assert "not this deployment's" in verify_package(foreign, trusted_key_ids=["0" * 64])[0]


async def test_r_11_2_2_carried_records_show_reported_at_and_the_register_entry(
    api: Any, container: Any, tmp_path: Path
) -> None:
    ids = await measures(api, container)
    officer = await staff(api, container, "compliance_officer")
    info, _ = await package(api, officer, tmp_path, document_number="京网信函〔2026〕21号")
    async with container.db.uow(write=False) as uow:
        marks = {r.id: (r.reported_at, r.report_id) for r in await uow.conn.execute(select(enforcement_records))}
        changes = {r.id: r.report_id for r in await uow.conn.execute(select(blacklist_changes))}
        entry = (await uow.conn.execute(select(disclosure_register))).one()
    assert marks[ids["suspend"]] == (container.clock.now(), info["id"]) == marks[ids["mute"]]
    assert marks[ids["january"]] == (None, None) and marks[ids["march"]] == (None, None)
    assert changes == {ids["added"]: info["id"], ids["removed"]: info["id"]}
    assert (entry.kind, entry.authority, entry.document_number, entry.created_by) == (
        "enforcement_report", "北京市互联网信息办公室", "京网信函〔2026〕21号", officer["id"])  # fmt: skip
    assert entry.manifest_sha256 == info["manifest_sha256"] and entry.counts == info["counts"]
    listed = (await api.client.get("/api/v1/staff/reports", headers=api.h(officer))).json()
    assert [p["id"] for p in listed] == [info["id"]] and listed[0]["creator"] is not None


async def test_r_11_1_2_a_second_package_carries_a_record_again_only_when_asked(
    api: Any, container: Any, tmp_path: Path
) -> None:
    ids = await measures(api, container)
    officer = await staff(api, container, "compliance_officer")
    first, _ = await package(api, officer, tmp_path)
    second, path = await package(api, officer, tmp_path)
    assert second["counts"]["enforcement_records"] == 0 and second["counts"]["blacklist_changes"] == 0
    assert jsonl(read(path), "enforcement_records") == []
    _, path = await package(api, officer, tmp_path, include_reported=True)
    assert [r["id"] for r in jsonl(read(path), "enforcement_records")] == [ids["suspend"], ids["mute"]]
    backlog, path = await package(api, officer, tmp_path, backlog=True)
    assert [r["id"] for r in jsonl(read(path), "enforcement_records")] == [ids["january"]]
    async with container.db.uow(write=False) as uow:
        report_ids = dict(
            (await uow.conn.execute(select(enforcement_records.c.id, enforcement_records.c.report_id))).all()
        )
    assert report_ids[ids["suspend"]] == first["id"], "a re-issue keeps the first report"
    assert report_ids[ids["january"]] == backlog["id"]


async def test_r_11_1_2_only_administrators_and_compliance_officers_build_packages(
    api: Any, container: Any, tmp_path: Path
) -> None:
    reviewer = await staff(api, container, "reviewer")
    regulator = await staff(api, container, "regulator")
    member = await api.user()
    for who in (reviewer, regulator, member):
        r = await api.client.post("/api/v1/staff/reports", json=PERIOD, headers=api.h(who))
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    officer = await staff(api, container, "admin")
    info, _ = await package(api, officer, tmp_path)
    assert (await api.client.get(info["download"], headers=api.h(regulator))).status_code == 200
    assert (await api.client.get(info["download"], headers=api.h(reviewer))).status_code == 403
    r = await api.client.post(
        "/api/v1/staff/reports", json=PERIOD | {"period_to": "2026-01-01"}, headers=api.h(officer)
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "package_period_invalid"
    r = await api.client.get("/api/v1/staff/reports/999999/download", headers=api.h(officer))
    assert r.status_code == 404 and r.json()["error"]["code"] == "package_not_found"


async def test_r_11_1_2_measures_and_blacklist_entries_made_through_the_console_reach_the_package(
    api: Any, container: Any, tmp_path: Path
) -> None:
    """End to end: a reviewer suspends a group citing a message, an administrator blacklists the owner, and the
    compliance officer's package for the day carries both, with the evidence; the measure then shows reported."""
    owner = await api.user(nickname="群主戊")
    code = await api.create_group(owner)
    posted = await api.post(owner, code, "高收益理财，私聊带你赚钱")
    assert posted.status_code in (200, 201), posted.text
    message_id = posted.json()["id"]
    reviewer = await staff(api, container, "reviewer")
    r = await api.client.post(
        "/api/v1/staff/measures", headers=api.h(reviewer),
        json={"kind": "group_suspend", "target": code, "reason_code": "fraud", "reason": "群内发布诈骗信息",
              "duration_hours": 24, "evidence_message_ids": [message_id]},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    record = r.json()
    admin = await staff(api, container, "admin")
    r = await api.client.post(
        "/api/v1/staff/blacklist", headers=api.h(admin),
        json={"subject_type": "account", "subject": owner["username"], "severity": 1, "reason": "多次发布诈骗信息",
              "source": "platform"},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    officer = await staff(api, container, "compliance_officer")
    day = {"period_from": "2026-03-01", "period_to": "2026-03-02"}
    info, path = await package(api, officer, tmp_path, **day)
    assert verify_package(path) == []
    files = read(path)
    [carried] = [row for row in jsonl(files, "enforcement_records") if row["id"] == record["id"]]
    assert (carried["measure"], carried["target_label"], carried["decided_by"]) == (
        "group_suspend", code, reviewer["id"])  # fmt: skip
    assert carried["evidence"] and "高收益理财" in json.dumps(carried["evidence"], ensure_ascii=False)
    assert carried["clause"] and carried["legal_basis"]
    changes = jsonl(files, "blacklist_changes")
    assert any(c["change"] == "added" and c["subject_type"] == "account" for c in changes)
    shown = await api.client.get(f"/api/v1/staff/measures/{record['id']}", headers=api.h(reviewer))
    assert shown.json()["reported_at"] is not None
    assert info["counts"]["enforcement_records"] >= 1
