"""Art. 7 ¶1 and Art. 8 ¶1 — the group policy table, its filing, and the global member cap: as an inspector checks
them, through the API and the operator's command, on SQLite and PostgreSQL.

第七条 互联网群组信息服务提供者应当根据互联网群组的性质类别、成员规模、活跃程度等实行分级分类管理，制定具体管理制度并向
国家或省、自治区、直辖市互联网信息办公室备案，依法规范群组信息传播秩序。
第八条 互联网群组信息服务提供者应当根据自身服务规模和管理能力，合理设定群组成员人数和个人建立群数、参加群数上限。

Staff (administrators and compliance officers) change the table and the change is in force at once; every version is
kept with its changes, author and filing status; the 管理制度 document is exported with every threshold; the console
warns while the running version is not the filed one; raising the global hard cap needs a second staff member.
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from tests.compliance.test_art06_identity import make_id, staff

from qunzu.storage.tables import operation_log


async def _policy(client: Any) -> dict[str, Any]:
    r = await client.get("/api/v1/policy")
    assert r.status_code == 200, r.text
    return r.json()


async def _write(api: Any, client: Any, who: dict[str, Any], body: dict[str, Any], base: int, note: str = "") -> Any:
    return await client.post(
        "/api/v1/staff/policy", json={"base_version": base, "body": body, "note": note}, headers=api.h(who)
    )


async def _l2_user(api: Any, client: Any) -> dict[str, Any]:
    u = await api.user()
    body17 = f"1101051980{secrets.randbelow(12) + 1:02d}{secrets.randbelow(28) + 1:02d}{secrets.randbelow(900) + 100}"
    r = await client.post("/api/v1/me/verification/id", json={"name": "张三", "id_number": make_id(body17)},
                          headers=api.h(u))  # fmt: skip
    assert r.status_code == 200, r.text
    return u


async def _create_l(api: Any, client: Any, creator: dict[str, Any], name: str) -> Any:
    """Ask for an L group (the creator accepts the current 群主责任告知书)."""
    duties = (await api.current_versions())["owner_duties"]
    body = {"name": name, "category": "work", "tier": "L", "duties_version": duties}
    return await client.post("/api/v1/groups", json=body, headers=api.h(creator))


async def _actions(container: Any, prefix: str) -> list[Any]:
    async with container.db.uow(write=False) as uow:
        rows = await uow.conn.execute(
            select(operation_log).where(operation_log.c.action.like(prefix + "%")).order_by(operation_log.c.id)
        )
        return list(rows)


async def test_r_7_1_2_a_staff_change_to_the_table_is_in_force_at_once(
    api: Any, client: Any, container: Any, manual_clock: Any
) -> None:
    admin = await staff(api, container, "admin")
    creator = await _l2_user(api, client)
    manual_clock.advance(timedelta(days=8))  # L needs an account 7 days old
    r = await _create_l(api, client, creator, "大群一")
    assert r.status_code == 201, r.text
    current = await _policy(client)
    body = current["policy"]
    body["tiers"]["L"]["create_credit"] = 5  # from C3 to C5: the creator (100 points, C4) no longer qualifies
    body["categories"].append({"id": "volunteer", "sensitive": True, "member_cap": 200})
    r = await _write(api, client, admin, body, current["version"], note="L 级群须 C5")
    assert r.status_code == 201, r.text
    version = r.json()
    assert version["version"] == current["version"] + 1 and version["created_by"] == admin["id"]
    assert {"path": "tiers.L.create_credit", "old": 3, "new": 5} in version["changes"]
    r = await _create_l(api, client, creator, "大群二")
    assert r.status_code == 403 and r.json()["error"]["code"] == "credit_insufficient", r.text
    categories = {c["id"]: c for c in (await client.get("/api/v1/categories")).json()}
    assert categories["volunteer"]["sensitive"] is True and categories["news"]["sensitive"] is True
    assert (await _policy(client))["version"] == version["version"]
    (logged,) = await _actions(container, "policy.version")
    assert logged.actor_id == admin["id"] and logged.target_id == f"v{version['version']}"
    assert {"path": "tiers.L.create_credit", "old": 3, "new": 5} in logged.details["changes"]


async def test_r_7_1_2_a_bad_value_is_refused_naming_its_field(api: Any, client: Any, container: Any) -> None:
    officer = await staff(api, container, "compliance_officer")
    current = await _policy(client)
    body = current["policy"]
    body["tiers"]["M"]["send_per_minute"] = 0
    r = await _write(api, client, officer, body, current["version"])
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "tiers.M.send_per_minute"
    body["tiers"]["M"]["send_per_minute"] = 12
    body["hard_cap"] = container.settings.groups.max_members_hard + 1
    r = await _write(api, client, officer, body, current["version"])
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "hard_cap"
    assert "groups.max_members_hard" in r.json()["error"]["message"]
    assert (await _policy(client))["version"] == current["version"], "nothing half-written"


async def test_r_7_1_2_an_edit_of_an_older_version_is_stale(api: Any, client: Any, container: Any) -> None:
    admin, officer = await staff(api, container, "admin"), await staff(api, container, "compliance_officer")
    current = await _policy(client)
    mine, theirs = current["policy"], dict(current["policy"])
    mine = {**mine, "joined_max": 400}
    theirs = {**theirs, "link_ttl_days": 3}
    assert (await _write(api, client, admin, mine, current["version"])).status_code == 201
    r = await _write(api, client, officer, theirs, current["version"])
    assert r.status_code == 409 and r.json()["error"]["code"] == "policy_stale"
    assert (await _policy(client))["policy"]["link_ttl_days"] == 7
    latest = await _policy(client)
    racing = [{**latest["policy"], "joined_max": n} for n in (300, 301, 302, 303)]
    results = await asyncio.gather(*(_write(api, client, admin, b, latest["version"]) for b in racing))
    assert sorted(r.status_code for r in results) == [201, 409, 409, 409], "simultaneous edits: one wins"
    assert (await _policy(client))["version"] == latest["version"] + 1


async def test_r_7_1_2_only_staff_read_the_versions_and_only_admins_and_officers_change_them(
    api: Any, client: Any, container: Any
) -> None:
    member, reviewer = await api.user(), await staff(api, container, "reviewer")
    current = await _policy(client)
    for who in (member, reviewer):
        r = await _write(api, client, who, current["policy"], current["version"])
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
        r = await client.post("/api/v1/staff/policy/cap-requests", json={"value": 3000, "reason": "扩容"},
                              headers=api.h(who))  # fmt: skip
        assert r.status_code == 403
    for path in ("/api/v1/staff/policy/versions", "/api/v1/staff/policy/export", "/api/v1/staff/policy/cap-requests"):
        assert (await client.get(path, headers=api.h(member))).status_code == 403, path
        assert (await client.get(path, headers=api.h(reviewer))).status_code == 200, path
    assert (await client.get("/api/v1/policy")).status_code == 200, "the numbers of the published rules are public"


async def test_r_7_1_3_the_export_has_every_threshold_in_both_formats_and_languages(
    api: Any, client: Any, container: Any
) -> None:
    admin = await staff(api, container, "admin")
    current = await _policy(client)
    body = current["policy"]
    body["tiers"]["XL"]["send_per_minute"] = 7
    body["levels"]["3"]["owned_max"] = 17
    body["join_per_hour"] = 23
    body["activity"]["hot_messages"] = 6543
    assert (await _write(api, client, admin, body, current["version"])).status_code == 201
    r = await client.get("/api/v1/staff/policy/export", headers=api.h(admin))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/markdown")
    md = r.text
    for expected in ("互联网群组信息服务管理制度", "［运营者名称］", f"v{current['version'] + 1}", "未备案",
                     "| XL | 2000 | L2 | C4 | 7 | 是 | 申请审批、仅限邀请 | 不允许 | 7 | 200 |", "| C3 | 17 | 5 | 20 |",
                     "| 新闻资讯 | news | 是 | 按规模级别 |", "| 每人每小时加入或申请次数 | 23 |", "| 高度活跃 | 6543 | 200 |",
                     "| 全局成员上限（任何群组不得超过） | 2000 |", "| tiers.XL.send_per_minute | 10 | 7 |"):  # fmt: skip
        assert expected in md, expected
    r = await client.get("/api/v1/staff/policy/export", params={"format": "html", "lang": "en", "version": 1},
                         headers=api.h(admin))  # fmt: skip
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    for expected in ('<html lang="en">', "Group Information Service Management Rules", "<td>XL</td><td>2000</td>",
                     "<td>C3</td><td>20</td>", "<td>finance</td><td>yes</td>", "<td>hot</td><td>7000</td><td>200</td>"):  # fmt: skip
        assert expected in r.text, expected
    r = await client.get("/api/v1/staff/policy/export", params={"format": "pdf"}, headers=api.h(admin))
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "format"


async def test_r_7_1_3_a_changed_threshold_is_unfiled_until_its_version_is_marked_filed(
    api: Any, client: Any, container: Any
) -> None:
    officer = await staff(api, container, "compliance_officer")
    first = await _policy(client)
    assert first["filing"]["differs"] is True and first["filing"]["filed_version"] is None
    r = await client.post(f"/api/v1/staff/policy/versions/{first['version']}/filing", json={"ref": "京网信备-2026-001"},
                          headers=api.h(officer))  # fmt: skip
    assert r.status_code == 200 and r.json()["filed_ref"] == "京网信备-2026-001"
    assert (await _policy(client))["filing"] == {"running_version": 1, "filed_version": 1, "differs": False}
    body = first["policy"]
    body["invite_consent_above"] = 30
    new = (await _write(api, client, officer, body, first["version"])).json()
    assert (await _policy(client))["filing"] == {"running_version": 2, "filed_version": 1, "differs": True}
    r = await client.post(f"/api/v1/staff/policy/versions/{new['version']}/filing", json={"ref": "京网信备-2026-002"},
                          headers=api.h(officer))  # fmt: skip
    assert r.status_code == 200
    assert (await _policy(client))["filing"]["differs"] is False
    r = await client.post(f"/api/v1/staff/policy/versions/{new['version']}/filing", json={"ref": "again"},
                          headers=api.h(officer))  # fmt: skip
    assert r.status_code == 409 and r.json()["error"]["code"] == "already_decided"
    versions = (await client.get("/api/v1/staff/policy/versions", headers=api.h(officer))).json()
    assert [(v["version"], v["filed_ref"]) for v in versions] == [(2, "京网信备-2026-002"), (1, "京网信备-2026-001")]
    assert [a.details["ref"] for a in await _actions(container, "policy.filing")] == [
        "京网信备-2026-001", "京网信备-2026-002"
    ]  # fmt: skip


async def test_r_8_1_4_raising_the_hard_cap_needs_a_second_staff_members_approval(
    api: Any, client: Any, container: Any
) -> None:
    admin, officer = await staff(api, container, "admin"), await staff(api, container, "compliance_officer")
    current = await _policy(client)
    body = current["policy"]
    body["hard_cap"] = 1500  # lowering needs no second approval
    assert (await _write(api, client, admin, body, current["version"])).status_code == 201
    lowered = await _policy(client)
    body = lowered["policy"]
    body["hard_cap"] = 1800
    r = await _write(api, client, admin, body, lowered["version"])
    assert r.status_code == 403 and r.json()["error"]["code"] == "second_approver_required"
    assert (await _policy(client))["policy"]["hard_cap"] == 1500
    r = await client.post("/api/v1/staff/policy/cap-requests", json={"value": 1800, "reason": "业务增长，大群扩容"},
                          headers=api.h(admin))  # fmt: skip
    assert r.status_code == 201 and r.json()["status"] == "pending"
    request_id = r.json()["id"]
    decide = f"/api/v1/staff/policy/cap-requests/{request_id}/decision"
    r = await client.post(decide, json={"approve": True}, headers=api.h(admin))
    assert r.status_code == 403 and r.json()["error"]["code"] == "second_approver_required", "not the requester"
    assert (await _policy(client))["policy"]["hard_cap"] == 1500
    r = await client.post(decide, json={"approve": True, "note": "同意"}, headers=api.h(officer))
    assert r.status_code == 200, r.text
    decided = r.json()
    assert (decided["status"], decided["decided_by"], decided["policy_version"]) == (
        "approved", officer["id"], lowered["version"] + 1
    )  # fmt: skip
    in_force = await _policy(client)
    assert (in_force["version"], in_force["policy"]["hard_cap"]) == (lowered["version"] + 1, 1800)
    assert (await client.post(decide, json={"approve": True}, headers=api.h(officer))).status_code == 409
    r = await client.post("/api/v1/staff/policy/cap-requests", json={"value": 5000, "reason": "超过部署上限"},
                          headers=api.h(admin))  # fmt: skip
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "hard_cap"
    (requested,) = await _actions(container, "policy.cap_request")
    (approved,) = await _actions(container, "policy.cap_decision")
    assert (requested.actor_id, requested.details["old"], requested.details["new"]) == (admin["id"], 1500, 1800)
    assert (approved.actor_id, approved.details["approve"], approved.details["old"], approved.details["new"]) == (
        officer["id"], True, 1500, 1800
    )  # fmt: skip


async def test_r_8_1_4_a_request_can_be_refused_or_withdrawn(api: Any, client: Any, container: Any) -> None:
    admin, officer = await staff(api, container, "admin"), await staff(api, container, "compliance_officer")
    current = await _policy(client)
    body = {**current["policy"], "hard_cap": 1000}
    assert (await _write(api, client, admin, body, current["version"])).status_code == 201
    first = (await client.post("/api/v1/staff/policy/cap-requests", json={"value": 1200, "reason": "试运行"},
                               headers=api.h(admin))).json()  # fmt: skip
    second = (await client.post("/api/v1/staff/policy/cap-requests", json={"value": 1300, "reason": "试运行"},
                                headers=api.h(admin))).json()  # fmt: skip
    r = await client.post(f"/api/v1/staff/policy/cap-requests/{first['id']}/decision",
                          json={"approve": False, "note": "管理能力不足"}, headers=api.h(officer))  # fmt: skip
    assert r.status_code == 200 and r.json()["status"] == "refused"
    r = await client.post(f"/api/v1/staff/policy/cap-requests/{second['id']}/withdrawal", headers=api.h(officer))
    assert r.status_code == 404, "only the requester withdraws"
    r = await client.post(f"/api/v1/staff/policy/cap-requests/{second['id']}/withdrawal", headers=api.h(admin))
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    assert (await _policy(client))["policy"]["hard_cap"] == 1000
