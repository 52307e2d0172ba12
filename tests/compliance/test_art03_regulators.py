"""R-3-1 as an inspector checks it: an administrator issues a `regulator` account to a named official with a scope
(groups or categories, a region, the window of records shown) and an expiry; after the expiry or a revocation the
official can no longer sign in, a session already open stops at its next request, and every session of a regulator,
refused ones included, is in the operation log.

第三条：国家互联网信息办公室负责全国互联网群组信息服务的监督管理执法工作。地方互联网信息办公室依据职责负责本行政区域内的
互联网群组信息服务的监督管理执法工作。
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from tests.compliance._creation import staff
from tests.compliance._inspection import issue, records, regulator, sign_in
from typer.testing import CliRunner

from qunzu import cli
from qunzu.storage.tables import operation_log


async def test_r_3_1_admin_issues_a_scoped_expiring_regulator_account(
    api: Any, container: Any, manual_clock: Any
) -> None:
    now = manual_clock.now()
    admin, officer = await staff(api, container, "admin"), await staff(api, container, "compliance_officer")
    owner = await api.user()
    code = await api.create_group(owner)
    r = await issue(api, officer, now, group_codes=[code])
    assert r.status_code == 403, "only administrators issue access"
    r = await issue(api, admin, now, group_codes=[code], categories=["work"], region="北京市")
    assert r.status_code == 201, r.text
    issued = r.json()
    reg = issued["regulator"]
    assert reg["official_name"] == "张监督" and reg["organisation"] == "某省网信办"
    assert reg["categories"] == ["work"] and len(reg["group_ids"]) == 1 and reg["region"] == "北京市"
    assert reg["expires_at"].startswith((now + timedelta(days=7)).date().isoformat())
    assert len(issued["initial_password"]) >= 12
    listed = (await api.client.get("/api/v1/staff/regulators", headers=api.h(admin))).json()
    assert [x["user_id"] for x in listed] == [reg["user_id"]]
    made = await records(container, operation_log.c.action == "regulator.create")
    assert made[0].actor_id == admin["id"] and made[0].details["document_number"] == "网信函〔2026〕7号"
    login = await sign_in(api, issued)
    assert login.status_code == 200 and login.json()["user"]["staff_role"] == "regulator"
    assert login.json()["expires_at"] <= reg["expires_at"], "the session ends with the access at the latest"


async def test_r_3_1_bad_scopes_are_refused_naming_the_field(api: Any, container: Any, manual_clock: Any) -> None:
    now = manual_clock.now()
    admin = await staff(api, container, "admin")
    cases = [
        ({}, "group_ids"),  # opens nothing
        ({"categories": ["no-such"]}, "categories"),
        ({"categories": ["work"], "expires_at": (now - timedelta(hours=1)).isoformat()}, "expires_at"),
        ({"categories": ["work"], "expires_at": (now + timedelta(days=400)).isoformat()}, "expires_at"),
        ({"categories": ["work"], "window_to": (now - timedelta(days=40)).isoformat()}, "window_to"),
    ]
    for body, field in cases:
        r = await issue(api, admin, now, **body)
        assert r.status_code == 422 and r.json()["error"]["details"]["field"] == field, (body, r.text)
    r = await issue(api, admin, now, group_codes=["1234567890"])
    assert r.status_code == 404 and r.json()["error"]["code"] == "group_not_found"


async def test_r_3_1_after_expiry_sign_in_is_refused_and_logged(api: Any, container: Any, manual_clock: Any) -> None:
    now = manual_clock.now()
    admin = await staff(api, container, "admin")
    r = await issue(api, admin, now, categories=["work"], expires_at=(now + timedelta(days=2)).isoformat())
    issued = r.json()
    session = await sign_in(api, issued)
    token = {"id": session.json()["user"]["id"], "token": session.json()["access_token"]}
    assert (await api.client.get("/api/v1/inspect/groups", headers=api.h(token))).status_code == 200
    manual_clock.advance(timedelta(days=2, seconds=1))
    r = await sign_in(api, issued)
    assert r.status_code == 403 and r.json()["error"]["code"] == "access_expired", r.text
    r = await api.client.get("/api/v1/inspect/groups", headers=api.h(token))
    assert r.status_code == 403 and r.json()["error"]["code"] == "access_expired", "the open session stops too"
    logins = await records(container, operation_log.c.action == "auth.login", operation_log.c.actor_id == token["id"])
    assert [(x.result, x.error_code) for x in logins] == [("ok", None), ("refused", "access_expired")]
    assert logins[0].session_hash, "the record names the session it opened"


async def test_r_3_1_revocation_ends_the_access_and_its_sessions_at_once(
    api: Any, container: Any, manual_clock: Any
) -> None:
    now = manual_clock.now()
    admin = await staff(api, container, "admin")
    reg = await regulator(api, admin, now, categories=["work"])
    assert (await api.client.get("/api/v1/inspect/groups", headers=api.h(reg))).status_code == 200
    r = await api.client.post(f"/api/v1/staff/regulators/{reg['id']}/revoke", headers=api.h(reg))
    assert r.status_code == 403, "a regulator cannot revoke (or extend) access"
    r = await api.client.post(f"/api/v1/staff/regulators/{reg['id']}/revoke", headers=api.h(admin))
    assert r.status_code == 200 and r.json()["revoked_at"] is not None
    r = await api.client.get("/api/v1/inspect/groups", headers=api.h(reg))
    assert r.status_code == 403 and r.json()["error"]["code"] == "access_expired"
    r = await api.client.post(f"/api/v1/staff/regulators/{reg['id']}/revoke", headers=api.h(admin))
    assert r.status_code == 409 and r.json()["error"]["code"] == "already_decided"
    revoked = await records(container, operation_log.c.action == "regulator.revoke")
    assert [(x.actor_id, x.target_id) for x in revoked] == [(admin["id"], str(reg["id"]))]


async def test_r_3_1_each_regulator_session_is_in_the_log(api: Any, container: Any, manual_clock: Any) -> None:
    now = manual_clock.now()
    admin = await staff(api, container, "admin")
    reg = await regulator(api, admin, now, categories=["work"])
    await api.client.get("/api/v1/inspect/groups", headers=api.h(reg))
    r = await api.client.post("/api/v1/auth/logout", headers=api.h(reg))
    assert r.status_code == 204
    mine = await records(container, operation_log.c.actor_id == reg["id"])
    assert [x.action for x in mine] == ["staff.create", "auth.login", "inspect.view", "auth.logout"]


@pytest.fixture
async def run_cli(container: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    loop = asyncio.get_running_loop()
    monkeypatch.setattr(
        cli, "_with_container", lambda fn: asyncio.run_coroutine_threadsafe(fn(container), loop).result()
    )

    async def invoke(*args: str) -> Any:
        return await asyncio.to_thread(CliRunner().invoke, cli.app, list(args))

    return invoke


async def test_r_3_1_an_operator_issues_lists_and_revokes_access_at_the_console(
    api: Any, container: Any, manual_clock: Any, run_cli: Any
) -> None:
    day = manual_clock.now().date()
    args = ["admin", "regulator", "create", "--username", "lijc", "--official", "李检查", "--organisation",
            "某市网信办", "--category", "work", "--window-from", str(day - timedelta(days=30)), "--window-to",
            str(day), "--expires", str(day + timedelta(days=3))]  # fmt: skip
    bad = await run_cli(*args[:-1], str(day - timedelta(days=3)))
    assert bad.exit_code == 1 and "validation_failed" in bad.output and "[expires_at]" in bad.output
    made = await run_cli(*args)
    assert made.exit_code == 0, made.output
    password = made.output.split("password: ")[1].strip()
    login = await api.client.post("/api/v1/auth/login", json={"username": "lijc", "password": password})
    assert login.status_code == 200
    listed = await run_cli("admin", "regulator", "list")
    assert "李检查" in listed.output and "current" in listed.output
    user_id = login.json()["user"]["id"]
    assert (await run_cli("admin", "regulator", "revoke", str(user_id))).exit_code == 0
    assert "revoked" in (await run_cli("admin", "regulator", "list")).output
    again = await api.client.post("/api/v1/auth/login", json={"username": "lijc", "password": password})
    assert again.status_code == 403 and again.json()["error"]["code"] == "access_expired"
    made_rec = await records(container, operation_log.c.action == "regulator.create")
    assert made_rec[0].actor_id is None and made_rec[0].src_ip == "cli"
    plain = await run_cli("admin", "create", "--username", "wangjc", "--role", "regulator", "--password", "x")
    assert plain.exit_code == 2 and "admin regulator create" in plain.output, "no regulator without scope and expiry"
