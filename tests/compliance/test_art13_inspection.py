"""R-13.1-4 as an inspector checks it: a regulator sees the groups in the scope of their access — members over time,
messages including the deleted and the held ones (marked), measures, the complaint figures, the operation log — and
nothing outside it; each view, each download and each refusal is itself an operation record.

第十三条第一款：互联网群组信息服务提供者应当配合有关主管部门依法进行的监督检查，并提供必要的技术支持和协助。
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.compliance._creation import staff
from tests.compliance._inspection import records, regulator

from qunzu.storage.tables import operation_log


async def _two_groups(api: Any) -> tuple[dict[str, Any], dict[str, Any], str, str]:
    owner, member = await api.user(), await api.user()
    inside = await api.create_group(owner, name="在范围内的群", category="work")
    outside = await api.create_group(owner, name="范围外的群", category="study")
    assert (await api.join(member, inside)).status_code in (200, 201)
    return owner, member, inside, outside


async def test_r_13_1_4_a_regulator_views_groups_in_scope_and_each_view_is_logged(
    api: Any, container: Any, manual_clock: Any
) -> None:
    owner, member, inside, outside = await _two_groups(api)
    admin = await staff(api, container, "admin")
    reg = await regulator(api, admin, manual_clock.now(), group_codes=[inside])
    listed = (await api.client.get("/api/v1/inspect/groups", headers=api.h(reg))).json()
    assert [g["code"] for g in listed] == [inside]
    everything = (await api.client.get("/api/v1/inspect/groups", headers=api.h(admin))).json()
    assert {inside, outside} <= {g["code"] for g in everything}, "administrators see every group"
    members = (await api.client.get(f"/api/v1/inspect/groups/{inside}/members", headers=api.h(reg))).json()
    assert {m["user_id"] for m in members["members"]} == {owner["id"], member["id"]}
    assert [h["action"] for h in members["history"]] == ["group.create", "group.join"]
    views = await records(container, operation_log.c.action == "inspect.view", operation_log.c.actor_id == reg["id"])
    assert [(v.details["view"], v.target_id, v.result) for v in views] == [
        ("groups", "groups", "ok"), ("members", inside, "ok"),
    ]  # fmt: skip
    assert views[1].details["rows"] == 4


async def test_r_13_1_4_messages_include_the_deleted_and_held_ones_marked(
    api: Any, container: Any, manual_clock: Any
) -> None:
    owner, member, inside, _ = await _two_groups(api)
    admin = await staff(api, container, "admin")
    reg = await regulator(api, admin, manual_clock.now(), categories=["work"])
    shown = (await api.post(member, inside, "一条普通消息")).json()
    gone = (await api.post(member, inside, "一条被删除的消息")).json()
    r = await api.client.delete(f"/api/v1/groups/{inside}/messages/{gone['id']}", headers=api.h(owner))
    assert r.status_code == 200, r.text
    held = (await api.post(member, inside, "QZ-TEST-HOLD 待审核")).json()
    assert held["seq"] is None
    r = await api.client.get(f"/api/v1/inspect/groups/{inside}/messages", headers=api.h(reg))
    assert r.status_code == 200, r.text
    by_id = {m["id"]: m for m in r.json()["messages"]}
    assert by_id[shown["id"]]["deleted_at"] is None and by_id[shown["id"]]["review_state"] == "clean"
    assert by_id[gone["id"]]["deleted_at"] is not None and by_id[gone["id"]]["text"] == "一条被删除的消息"
    assert by_id[held["id"]]["review_state"] == "held" and by_id[held["id"]]["text"].startswith("QZ-TEST-HOLD")
    assert by_id[shown["id"]]["src_ip"], "the record carries where it came from"
    r = await api.client.get(f"/api/v1/inspect/groups/{inside}/measures", headers=api.h(reg))
    assert r.status_code == 200 and r.json()["measures"] == []


async def test_r_13_1_4_views_outside_the_scope_are_refused_and_the_refusal_is_logged(
    api: Any, container: Any, manual_clock: Any
) -> None:
    _, _, inside, outside = await _two_groups(api)
    admin = await staff(api, container, "admin")
    reg = await regulator(api, admin, manual_clock.now(), group_codes=[inside], region="上海市")
    for view in ("members", "messages", "measures"):
        r = await api.client.get(f"/api/v1/inspect/groups/{outside}/{view}", headers=api.h(reg))
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden", r.text
    r = await api.client.get("/api/v1/inspect/log", params={"group": outside}, headers=api.h(reg))
    assert r.status_code == 403
    reviewer = await staff(api, container, "reviewer")
    r = await api.client.get(f"/api/v1/inspect/groups/{inside}/messages", headers=api.h(reviewer))
    assert r.status_code == 403, "the reviewer role does not inspect"
    refused = await records(container, operation_log.c.action == "inspect.view", operation_log.c.result == "refused")
    assert [(x.actor_id, x.details["view"], x.error_code) for x in refused] == [
        (reg["id"], "members", "forbidden"), (reg["id"], "messages", "forbidden"),
        (reg["id"], "measures", "forbidden"), (reg["id"], "log", "forbidden"),
        (reviewer["id"], "messages", "forbidden"),
    ]  # fmt: skip
    assert refused[0].target_id == outside


async def test_r_13_1_4_the_window_limits_the_records_shown(api: Any, container: Any, manual_clock: Any) -> None:
    owner, member, inside, _ = await _two_groups(api)
    await api.post(member, inside, "窗口之前")
    manual_clock.advance(timedelta(days=10))
    now = manual_clock.now()
    admin = await staff(api, container, "admin")
    reg = await regulator(api, admin, now, categories=["work"], window_from=(now - timedelta(days=1)).isoformat())
    await api.post(member, inside, "窗口之内")
    newcomer = await api.user()
    assert (await api.join(newcomer, inside)).status_code in (200, 201)
    seen = (await api.client.get(f"/api/v1/inspect/groups/{inside}/messages", headers=api.h(reg))).json()
    assert [m["text"] for m in seen["messages"]] == ["窗口之内"]
    history = (await api.client.get(f"/api/v1/inspect/groups/{inside}/members", headers=api.h(reg))).json()
    assert [h["action"] for h in history["history"]] == ["group.join"], "the earlier joins were before the window"
    assert len(history["members"]) == 3, "the members now, whenever they joined"
    log = (await api.client.get("/api/v1/inspect/log", params={"actor_id": owner["id"]}, headers=api.h(reg))).json()
    assert log == [], "the owner's records are all before the window"
    log = (await api.client.get("/api/v1/inspect/log", params={"actor_id": newcomer["id"]}, headers=api.h(reg))).json()
    assert [r["action"] for r in log] == ["group.join"]
    wider = {"actor_id": newcomer["id"], "since": "2020-01-01T00:00:00Z"}
    assert (await api.client.get("/api/v1/inspect/log", params=wider, headers=api.h(reg))).json() == log


async def test_r_13_1_4_log_search_and_download_are_scoped_and_logged(
    api: Any, container: Any, manual_clock: Any
) -> None:
    _, member, inside, outside = await _two_groups(api)
    await api.post(member, inside, "在范围内发言")
    assert (await api.join(member, outside)).status_code in (200, 201)
    await api.post(member, outside, "在范围外发言")
    admin = await staff(api, container, "admin")
    reg = await regulator(api, admin, manual_clock.now(), group_codes=[inside])
    found = (await api.client.get("/api/v1/inspect/log", params={"actor_id": member["id"]}, headers=api.h(reg))).json()
    assert found and {r["group_id"] for r in found} == {found[0]["group_id"]}, "only the group in scope"
    ip = found[0]["src_ip"]
    by_ip = (await api.client.get("/api/v1/inspect/log", params={"ip": ip}, headers=api.h(reg))).json()
    assert {r["id"] for r in found} <= {r["id"] for r in by_ip}
    r = await api.client.get("/api/v1/inspect/log.csv", params={"group": inside}, headers=api.h(reg))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "group.join" in r.content.decode("utf-8-sig")
    downloads = await records(container, operation_log.c.action == "inspect.download")
    assert [(d.actor_id, d.target_id, d.details["query"]) for d in downloads] == [
        (reg["id"], inside, {"group": inside})
    ]
    figures = await api.client.get(
        "/api/v1/inspect/figures", params={"from": "2026-01-01T00:00:00Z", "to": "2026-06-01T00:00:00Z"},
        headers=api.h(reg),
    )  # fmt: skip
    assert figures.status_code == 200, figures.text
    views = await records(container, operation_log.c.action == "inspect.view", operation_log.c.actor_id == reg["id"])
    assert [v.details["view"] for v in views] == ["log", "log", "figures"]
