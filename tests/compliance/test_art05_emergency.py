"""R-5.1-4 as an inspector checks it: an administrator turns an emergency switch on — for one group, a category of
groups or the whole platform — with a reason; what it stops is refused at once (a second server process follows
within five seconds), users are told why, other groups go on; turning it off restores the function; both steps are
recorded with the administrator and the reason. Only administrators turn switches; staff are never stopped.

第五条第一款：互联网群组信息服务提供者应当落实信息内容安全管理主体责任，配备与服务规模相适应的专业人员和技术能力，
建立健全用户注册、信息审核、应急处置、安全防护等管理制度。
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from tests.compliance._creation import staff
from typer.testing import CliRunner

from qunzu import cli
from qunzu.storage.tables import emergency_switch_events, operation_log


async def _on(api: Any, who: dict[str, Any], lang: str = "en", **body: Any) -> httpx.Response:
    body = {"reason": "网络安全事件处置", **body}
    return await api.client.post("/api/v1/staff/emergency", json=body, headers=api.h(who, lang))


async def _off(api: Any, who: dict[str, Any], switch_id: int, reason: str = "处置完毕") -> httpx.Response:
    return await api.client.post(
        f"/api/v1/staff/emergency/{switch_id}/off", json={"reason": reason}, headers=api.h(who)
    )


async def _records(container: Any, action: str) -> list[Any]:
    async with container.db.uow(write=False) as uow:
        stmt = select(operation_log).where(operation_log.c.action == action).order_by(operation_log.c.id)
        return list((await uow.conn.execute(stmt)).all())


def _stopped(r: httpx.Response, kind: str) -> dict[str, Any]:
    assert r.status_code == 403, r.text
    error = r.json()["error"]
    assert error["code"] == "emergency_stopped" and error["details"]["kind"] == kind, error
    return dict(error)


async def test_r_5_1_4_a_group_switch_stops_posting_there_only_and_turning_it_off_restores_it(
    api: Any, container: Any
) -> None:
    admin = await staff(api, container, "admin")
    owner, member = await api.user(), await api.user()
    stopped, other = await api.create_group(owner), await api.create_group(owner, name="别的群")
    assert (await api.join(member, stopped)).status_code == 201
    assert (await api.post(member, stopped, "事件前")).status_code == 201

    r = await _on(api, admin, scope="group", scope_key=stopped, kind="stop_send")
    assert r.status_code == 201, r.text
    switch = r.json()
    assert switch["active"] and switch["label"].replace(" ", "") == stopped and switch["turned_on_by"] == admin["id"]

    r = await api.client.post(f"/api/v1/groups/{stopped}/messages", json={"text": "事件中", "client_msg_id": "e1"},
                              headers=api.h(member, "zh-CN"))  # fmt: skip
    error = _stopped(r, "stop_send")
    assert error["details"]["scope"] == "group" and error["details"]["reason"] == "网络安全事件处置"
    assert "网络安全事件处置" in error["message"] and "应急" in error["message"], "users are told why, in Chinese"
    assert (await api.post(owner, other, "别的群照常")).status_code == 201, "other groups are unaffected"
    page = (await api.messages(member, stopped)).json()
    assert [m["text"] for m in page["messages"]] == ["事件前"], "reading continues; nothing was stored"

    r = await _off(api, admin, switch["id"])
    assert r.status_code == 200 and r.json()["active"] is False and r.json()["off_reason"] == "处置完毕"
    assert (await api.post(member, stopped, "恢复后")).status_code == 201, "turning it off restores posting"
    assert (await _off(api, admin, switch["id"])).status_code == 409

    on, off = await _records(container, "emergency.on"), await _records(container, "emergency.off")
    assert on[-1].actor_id == admin["id"] and on[-1].details["reason"] == "网络安全事件处置"
    assert on[-1].details["kind"] == "stop_send" and on[-1].details["scope"] == "group"
    assert off[-1].actor_id == admin["id"] and off[-1].details["reason"] == "处置完毕"
    listed = (await api.client.get("/api/v1/staff/emergency", headers=api.h(admin))).json()
    assert [(e["event"], e["actor_id"], e["reason"]) for e in listed["history"]] == [
        ("off", admin["id"], "处置完毕"),
        ("on", admin["id"], "网络安全事件处置"),
    ]


async def test_r_5_1_4_category_and_platform_scopes(api: Any, container: Any) -> None:
    admin = await staff(api, container, "admin")
    owner = await api.user()
    work, study = await api.create_group(owner, category="work"), await api.create_group(owner, category="study")
    r = await _on(api, admin, scope="category", scope_key="work", kind="stop_send")
    assert r.status_code == 201, r.text
    _stopped(await api.post(owner, work, "工作群"), "stop_send")
    assert (await api.post(owner, study, "学习群")).status_code == 201, "another category is unaffected"
    assert (await _off(api, admin, r.json()["id"])).status_code == 200

    r = await _on(api, admin, scope="platform", kind="stop_send")
    assert r.status_code == 201 and r.json()["scope_key"] == ""
    for code in (work, study):
        _stopped(await api.post(owner, code, "全平台"), "stop_send")
    assert (await _off(api, admin, r.json()["id"])).status_code == 200
    assert (await api.post(owner, work, "恢复")).status_code == 201


async def test_r_5_1_4_read_only_stops_every_member_write_but_not_reading_or_staff(api: Any, container: Any) -> None:
    admin = await staff(api, container, "admin")
    owner, joiner = await api.user(), await api.user()
    code = await api.create_group(owner)
    assert (await api.post(owner, code, "只读之前")).status_code == 201
    r = await _on(api, admin, scope="platform", kind="read_only", reason="系统维护")
    assert r.status_code == 201
    _stopped(await api.post(owner, code, "发言"), "read_only")
    _stopped(await api.join(joiner, code), "read_only")
    body = {
        "name": "新群",
        "category": "work",
        "tier": "S",
        "duties_version": (await api.current_versions())["owner_duties"],
    }
    _stopped(await api.client.post("/api/v1/groups", json=body, headers=api.h(owner)), "read_only")
    _stopped(await api.client.patch(f"/api/v1/groups/{code}", json={"name": "改名"}, headers=api.h(owner)), "read_only")
    _stopped(await api.client.patch("/api/v1/me", json={"nickname": "新昵称"}, headers=api.h(owner)), "read_only")
    assert (await api.messages(owner, code)).status_code == 200, "reading continues"
    # Staff are never stopped: the console goes on (a second switch), and so does turning the first off.
    second = await _on(api, admin, scope="group", scope_key=code, kind="stop_links")
    assert second.status_code == 201
    assert (await _off(api, admin, second.json()["id"])).status_code == 200
    assert (await _off(api, admin, r.json()["id"])).status_code == 200
    assert (await api.join(joiner, code)).status_code == 201


async def test_r_5_1_4_stop_join_stop_create_and_stop_links(api: Any, container: Any) -> None:
    admin = await staff(api, container, "admin")
    owner, joiner = await api.user(), await api.user()
    code = await api.create_group(owner)
    link = await api.client.post(f"/api/v1/groups/{code}/links", headers=api.h(owner))
    assert link.status_code == 201, link.text
    assert (await _on(api, admin, scope="group", scope_key=code, kind="stop_join")).status_code == 201
    _stopped(await api.join(joiner, code), "stop_join")
    r = await api.client.post(f"/api/v1/invites/{link.json()['token']}/join", headers=api.h(joiner))
    _stopped(r, "stop_join")
    r = await api.client.post(f"/api/v1/groups/{code}/invitations", json={"user_id": joiner["id"]},
                              headers=api.h(owner))  # fmt: skip
    _stopped(r, "stop_join")
    assert (await api.post(owner, code, "加群暂停，发言照常")).status_code == 201

    assert (await _on(api, admin, scope="category", scope_key="news", kind="stop_create")).status_code == 201
    versions = await api.current_versions()
    body = {"name": "新闻群", "category": "news", "tier": "S", "duties_version": versions["owner_duties"],
            "purpose": "发布本地新闻资讯"}  # fmt: skip
    _stopped(await api.client.post("/api/v1/groups", json=body, headers=api.h(owner)), "stop_create")
    assert await api.create_group(owner, category="work"), "creation in another category goes on"
    r = await _on(api, admin, scope="group", scope_key=code, kind="stop_create")
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "kind", "a group cannot stop its creation"

    assert (await _on(api, admin, scope="group", scope_key=code, kind="stop_links")).status_code == 201
    _stopped(await api.post(owner, code, "看这里 example.com/x"), "stop_links")
    assert (await api.post(owner, code, "没有链接的消息")).status_code == 201


async def test_r_5_1_4_hold_all_holds_posts_for_the_reviewer(api: Any, container: Any) -> None:
    admin, reviewer = await staff(api, container, "admin"), await staff(api, container, "reviewer")
    owner = await api.user()
    code, other = await api.create_group(owner), await api.create_group(owner, name="另一个群")
    assert (await _on(api, admin, scope="group", scope_key=code, kind="hold_all")).status_code == 201
    r = await api.post(owner, code, "先审后发的消息")
    assert r.status_code == 201 and r.json()["status"] == "under_review" and r.json()["seq"] is None
    assert (await api.post(owner, other, "照常发布")).json()["status"] == "published"
    queue = (await api.client.get("/api/v1/staff/review/queue", headers=api.h(reviewer))).json()
    held = [i for i in queue if i["text"] == "先审后发的消息"]
    assert held and held[0]["action"] == "hold" and "emergency_hold" in held[0]["categories"], queue
    r = await api.client.post(f"/api/v1/staff/review/items/{held[0]['id']}/decide", json={"approve": True},
                              headers=api.h(reviewer))  # fmt: skip
    assert r.status_code == 204, r.text
    page = (await api.messages(owner, code)).json()
    assert [m["text"] for m in page["messages"]] == ["先审后发的消息"], "the reviewer publishes it"


async def test_r_5_1_4_only_administrators_turn_switches(api: Any, container: Any) -> None:
    admin, officer = await staff(api, container, "admin"), await staff(api, container, "compliance_officer")
    reviewer, person = await staff(api, container, "reviewer"), await api.user()
    for who in (officer, reviewer, person):
        r = await _on(api, who, scope="platform", kind="stop_send")
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    r = await _on(api, admin, scope="platform", kind="stop_join")
    assert r.status_code == 201
    assert (await _off(api, officer, r.json()["id"])).status_code == 403
    listed = await api.client.get("/api/v1/staff/emergency", headers=api.h(officer))
    assert listed.status_code == 200 and [s["id"] for s in listed.json()["switches"]] == [r.json()["id"]]
    assert (await api.client.get("/api/v1/staff/emergency", headers=api.h(reviewer))).status_code == 403
    # bad switches name the field
    assert (await _on(api, admin, scope="platform", kind="stop_join")).status_code == 409, "on already"
    r = await _on(api, admin, scope="category", scope_key="nonsense", kind="stop_send")
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "scope_key"
    r = await _on(api, admin, scope="group", scope_key="0000000000", kind="stop_send")
    assert r.status_code == 404 and r.json()["error"]["details"]["field"] == "scope_key"
    r = await _on(api, admin, scope="platform", kind="stop_send", reason="   ")
    assert r.status_code == 422
    assert (await _off(api, admin, 999_999)).json()["error"]["code"] == "emergency_switch_not_found"


async def test_r_5_1_4_the_operator_turns_switches_from_a_shell(
    api: Any, container: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = await staff(api, container, "admin")
    reviewer = await staff(api, container, "reviewer")
    owner = await api.user()
    code = await api.create_group(owner)
    async with container.db.uow(write=False) as uow:
        from qunzu.storage.tables import users

        names = dict((await uow.conn.execute(select(users.c.id, users.c.username))).all())
    loop = asyncio.get_running_loop()
    monkeypatch.setattr(
        cli, "_with_container", lambda fn: asyncio.run_coroutine_threadsafe(fn(container), loop).result()
    )

    async def run(*args: str) -> Any:
        return await asyncio.to_thread(CliRunner().invoke, cli.app, list(args))

    out = await run("emergency", "on", "--kind", "stop_send", "--scope", "group", "--key", code,
                    "--reason", "命令行开启", "--by", names[reviewer["id"]])  # fmt: skip
    assert out.exit_code == 1 and "forbidden" in out.output
    out = await run("emergency", "on", "--kind", "stop_send", "--scope", "group", "--key", code,
                    "--reason", "命令行开启", "--by", names[admin["id"]])  # fmt: skip
    assert out.exit_code == 0, out.output
    _stopped(await api.post(owner, code, "x"), "stop_send")
    listed = await run("emergency", "list")
    assert listed.exit_code == 0 and "stop_send" in listed.output and "命令行开启" in listed.output
    switch_id = listed.output.split("#", 1)[1].split()[0]
    out = await run("emergency", "off", switch_id, "--reason", "命令行关闭", "--by", names[admin["id"]])
    assert out.exit_code == 0, out.output
    assert (await api.post(owner, code, "y")).status_code == 201
    on = await _records(container, "emergency.on")
    assert on[-1].actor_id == admin["id"] and on[-1].src_ip == "cli"
    async with container.db.uow(write=False) as uow:
        events = list((await uow.conn.execute(select(emergency_switch_events))).all())
    assert [(e.event, e.actor_id) for e in events] == [("on", admin["id"]), ("off", admin["id"])]


# --- across processes -------------------------------------------------------------------------------------------


async def _until(deadline: float, check: Any) -> bool:
    """Poll `check()` every 100 ms until it holds or `deadline` (monotonic) passes: the requirement's 5 s bound."""
    while True:
        if await check():
            return True
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.1)


async def test_r_5_1_4_a_second_server_process_follows_within_five_seconds(server_db: str, tmp_path: Any) -> None:
    from tests.system.server import ServerProcess
    from tests.system.users import create_staff, login, verified_user

    env = {"QUNZU_DATABASE_URL": server_db, "QUNZU_DATA_DIR": str(tmp_path)}
    a, b = ServerProcess(env, tmp_path / "a.log"), ServerProcess(env, tmp_path / "b.log")
    a.migrate()
    a.start()
    b.start()
    try:
        create_staff(a)
        async with httpx.AsyncClient(base_url=a.url, timeout=30) as ca, httpx.AsyncClient(base_url=b.url,
                                                                                           timeout=30) as cb:  # fmt: skip
            admin = await login(ca, "ops", "staff-password-1")
            poster = (await verified_user(ca, admin, "poster"))["headers"]
            codes = []
            for name in ("受控群", "旁观群"):
                r = await ca.post("/api/v1/groups", json={"name": name, "category": "work", "duties_version": 1},
                                  headers=poster)  # fmt: skip
                codes.append(r.json()["code"])
            stopped, other = codes
            n = iter(range(1000))

            async def post(code: str) -> str:
                """Post in `code` through process B: "201", or the error code."""
                body = {"text": "跨进程", "client_msg_id": f"c{next(n)}"}
                r = await cb.post(f"/api/v1/groups/{code}/messages", json=body, headers=poster)
                return "201" if r.status_code == 201 else str(r.json()["error"]["code"])

            assert await post(stopped) == "201", "process B has read the (empty) board before the switch"
            r = await ca.post("/api/v1/staff/emergency", headers=admin,
                              json={"scope": "group", "scope_key": stopped, "kind": "stop_send", "reason": "跨进程"})  # fmt: skip
            assert r.status_code == 201, r.text
            deadline = time.monotonic() + 5
            assert await _until(deadline, lambda: _is(post(stopped), "emergency_stopped")), (
                "B refuses within 5 s of the switch"
            )
            assert await post(other) == "201", "other groups are unaffected in B"
            r = await ca.post(f"/api/v1/staff/emergency/{r.json()['id']}/off", json={"reason": "结束"}, headers=admin)
            assert r.status_code == 200
            deadline = time.monotonic() + 5
            assert await _until(deadline, lambda: _is(post(stopped), "201")), "B restores posting within 5 s"
    finally:
        a.stop()
        b.stop()


async def _is(outcome: Any, expected: str) -> bool:
    return bool(await outcome == expected)
