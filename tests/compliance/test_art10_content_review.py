"""Art. 10 and Art. 5 (信息审核), as an inspector checks them: prohibited content is refused before it is stored,
held content waits for a reviewer, flagged content is published and queued; group names and nicknames are reviewed;
every decision is recorded; the lexicon is managed by staff and a change takes effect at once.

第十条：……不得利用互联网群组传播法律法规和国家有关规定禁止的信息内容。
"""

import asyncio
import json
import subprocess

from sqlalchemy import func, select
from tests.compliance.test_art06_identity import staff
from tests.conftest import PYTHON, ROOT

from qunzu.storage.tables import messages, operation_log, review_items, violations


async def count(container, table, *where) -> int:  # type: ignore[no-untyped-def]
    async with container.db.uow(write=False) as uow:
        return (await uow.conn.execute(select(func.count()).select_from(table).where(*where))).scalar_one()


async def test_r_10_1_blocked_messages_are_refused_before_they_are_stored(api, container) -> None:
    u = await api.user()
    code = await api.create_group(u)
    for text in ("QZ-TEST-BLOCK", "来玩 六 合 彩", "刷單返利，日入千元", "ｗａｎｇ ｄｕ 网赌"):
        r = await api.post(u, code, text)
        assert r.status_code == 422 and r.json()["error"]["code"] == "content_rejected", text
        assert "categories" in r.json()["error"]["details"]
        assert "六合彩" not in r.text and "刷单" not in r.text, "the matched term is never revealed"
    assert await count(container, messages) == 0
    assert (await api.post(u, code, "明天一起去彩虹公园，六合区那边")).status_code == 201, "innocent chat passes"


async def test_r_10_1_held_messages_reach_the_group_only_after_approval(api, client, container) -> None:
    author, member = await api.user(), await api.user()
    reviewer = await staff(api, container, "reviewer")
    code = await api.create_group(author)
    await api.join(member, code)
    r = await api.post(author, code, "QZ-TEST-HOLD 请审核")
    assert r.status_code == 201 and r.json()["status"] == "under_review" and r.json()["seq"] is None
    await api.post(author, code, "ordinary message")
    seen = (await api.messages(member, code)).json()
    assert [m["text"] for m in seen["messages"]] == ["ordinary message"] and seen["pending"] == []
    own = (await api.messages(author, code)).json()
    assert [m["status"] for m in own["pending"]] == ["under_review"]
    queue = (await client.get("/api/v1/staff/review/queue", headers=api.h(reviewer))).json()
    assert len(queue) == 1 and queue[0]["hits"] == ["QZ-TEST-HOLD"] and queue[0]["action"] == "hold"
    r = await client.post(
        f"/api/v1/staff/review/items/{queue[0]['id']}/decide", json={"approve": True}, headers=api.h(reviewer)
    )
    assert r.status_code == 204
    seen = (await api.messages(member, code)).json()["messages"]
    assert [(m["seq"], m["text"]) for m in seen] == [(1, "ordinary message"), (2, "QZ-TEST-HOLD 请审核")]
    assert (await api.messages(author, code)).json()["pending"] == []


async def test_r_10_1_flagged_messages_publish_and_a_rejection_removes_them_and_records_a_violation(
    api, client, container
) -> None:
    author, member = await api.user(), await api.user()
    reviewer = await staff(api, container, "reviewer")
    code = await api.create_group(author)
    await api.join(member, code)
    r = await api.post(author, code, "加微信领红包 QZ-TEST-FLAG")
    assert r.status_code == 201 and r.json()["seq"] == 1
    assert (await api.messages(member, code)).json()["messages"][0]["text"].startswith("加微信")
    item = (await client.get("/api/v1/staff/review/queue", headers=api.h(reviewer))).json()[0]
    r = await client.post(
        f"/api/v1/staff/review/items/{item['id']}/decide", json={"approve": False}, headers=api.h(reviewer)
    )
    assert r.status_code == 422, "a rejection names a reason code"
    r = await client.post(
        f"/api/v1/staff/review/items/{item['id']}/decide",
        json={"approve": False, "reason_code": "advertising"},
        headers=api.h(reviewer),
    )
    assert r.status_code == 204
    shown = (await api.messages(member, code)).json()["messages"][0]
    assert shown["deleted"] and shown["text"] is None
    async with container.db.uow(write=False) as uow:
        kept = (await uow.conn.execute(select(messages.c.text, messages.c.deleted_by))).one()
        decided = (await uow.conn.execute(select(review_items))).one()
    assert kept.text.startswith("加微信") and kept.deleted_by == reviewer["id"]
    assert (decided.state, decided.decided_by, decided.reason_code) == ("rejected", reviewer["id"], "advertising")
    assert decided.decision_lexicon_version.startswith("v1:")
    assert await count(container, violations, violations.c.user_id == author["id"]) >= 1
    assert await count(container, operation_log, operation_log.c.action == "review.reject") == 1
    again = await client.post(
        f"/api/v1/staff/review/items/{item['id']}/decide", json={"approve": True}, headers=api.h(reviewer)
    )
    assert again.status_code == 409


async def test_r_5_1_3_group_names_descriptions_and_nicknames_are_reviewed(api, client, container) -> None:
    u = await api.user()
    r = await client.post("/api/v1/groups", json={"name": "六合彩交流", "category": "interest"}, headers=api.h(u))
    assert r.status_code == 422 and r.json()["error"]["code"] == "content_rejected"
    r = await client.post(
        "/api/v1/groups",
        json={"name": "正常群", "category": "interest", "description": "QZ-TEST-HOLD"},
        headers=api.h(u),
    )
    assert r.status_code == 422, "a held profile field is refused: a name cannot wait in a queue while shown"
    r = await client.post(
        "/api/v1/groups", json={"name": "兼职日结群", "category": "interest", "duties_version": 1}, headers=api.h(u)
    )
    assert r.status_code == 201, "flagged: created and queued"
    r = await client.patch("/api/v1/me", json={"nickname": "卖冰毒的"}, headers=api.h(u))
    assert r.status_code == 422 and r.json()["error"]["code"] == "content_rejected"
    kinds = {i.kind for i in [row for row in await _items(container)]}
    assert kinds == {"group_name"}


async def _items(container):  # type: ignore[no-untyped-def]
    async with container.db.uow(write=False) as uow:
        return list(await uow.conn.execute(select(review_items)))


async def test_lexicon_changes_take_effect_at_once_and_are_versioned(api, client, container) -> None:
    u = await api.user()
    admin = await staff(api, container, "admin")
    code = await api.create_group(u)
    assert (await api.post(u, code, "我们去买蓝莓")).status_code == 201
    r = await client.post(
        "/api/v1/staff/lexicon/entries",
        json={
            "add": [{"term": "蓝莓", "category": "custom", "action": "block", "exceptions": ["蓝莓酱"]}],
            "note": "test",
        },
        headers=api.h(admin),
    )
    assert r.status_code == 200 and r.json()["version"] == 2
    assert (await api.post(u, code, "再买 蓝 莓")).json()["error"]["code"] == "content_rejected"
    assert (await api.post(u, code, "蓝莓酱很好吃")).status_code == 201, "an exception lets the phrase through"
    tool = (await client.post("/api/v1/staff/review/test", json={"text": "再买 藍 莓"}, headers=api.h(admin))).json()
    assert tool["action"] == "block" and tool["hits"][0]["matched"] == "藍 莓" and "蓝莓" in tool["normalized"]
    history = (await client.get("/api/v1/staff/lexicon", headers=api.h(admin))).json()
    assert [h["version"] for h in history] == [2, 1]
    exported = (await client.get("/api/v1/staff/lexicon/current", headers=api.h(admin))).text
    assert "蓝莓\tcustom\tblock" in exported
    r = await client.post("/api/v1/staff/lexicon/entries", json={"remove": ["蓝莓"]}, headers=api.h(u))
    assert r.status_code == 403, "members do not manage the lexicon"


async def test_the_external_scan_contract(tmp_path) -> None:
    lex = tmp_path / "lex.txt"
    lex.write_text("# comment\n六合彩\n代孕\tillegal_goods\thold\n加微信\tadvertising\tflag\n", encoding="utf-8")
    texts = ["六 合 彩", "新一代孕妇装", "代孕服务", "加 微 信", "你好"]
    proc = await asyncio.to_thread(
        subprocess.run,
        [PYTHON, "-m", "qunzu", "review", "scan", "--lexicon", str(lex)],
        input="".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts),
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert out == [
        {"hits": ["六合彩"], "action": "block"},
        {"hits": [], "action": "allow"},
        {"hits": ["代孕"], "action": "hold"},
        {"hits": ["加微信"], "action": "flag"},
        {"hits": [], "action": "allow"},
    ]


async def test_r_5_1_3_a_group_renamed_or_announced_is_reviewed_on_every_change(api, client, container) -> None:
    """R-5.1-3: "Rename a group to a banned term: refused." Names, descriptions and announcements are reviewed on
    every change; a flagged one is shown and queued, and a reviewer's rejection takes it down, keeping the record."""
    owner, member = await api.user(), await api.user()
    reviewer = await staff(api, container, "reviewer")
    code = await api.create_group(owner, name="读书会")
    await api.join(member, code)
    for body in ({"name": "六合彩交流"}, {"description": "来玩 六 合 彩"}, {"announcement": "QZ-TEST-HOLD"}):
        r = await client.patch(f"/api/v1/groups/{code}", json=body, headers=api.h(owner))
        assert r.status_code == 422 and r.json()["error"]["code"] == "content_rejected", body
        assert r.json()["error"]["details"]["field"] in ("group_name", "group_description", "group_announcement")
    group = (await client.get(f"/api/v1/groups/{code}", headers=api.h(member))).json()
    assert (group["name"], group["description"], group["announcement"]) == ("读书会", "", ""), "nothing was written"
    r = await client.patch(
        f"/api/v1/groups/{code}", json={"announcement": "本周兼职日结 QZ-TEST-FLAG"}, headers=api.h(owner)
    )
    assert r.status_code == 200 and r.json()["announcement"] == "本周兼职日结 QZ-TEST-FLAG", "flagged: shown at once"
    queue = (await client.get("/api/v1/staff/review/queue", headers=api.h(reviewer))).json()
    assert [(i["kind"], i["text"]) for i in queue] == [("group_announcement", "本周兼职日结 QZ-TEST-FLAG")]
    r = await client.post(
        f"/api/v1/staff/review/items/{queue[0]['id']}/decide",
        json={"approve": False, "reason_code": "advertising"},
        headers=api.h(reviewer),
    )
    assert r.status_code == 204
    group = (await client.get(f"/api/v1/groups/{code}", headers=api.h(member))).json()
    assert group["announcement"] == "" and group["announcement_at"] is None, "the rejected announcement is taken down"
    async with container.db.uow(write=False) as uow:
        kept = (await uow.conn.execute(select(review_items.c.text, review_items.c.state))).one()
        log = list(await uow.conn.execute(select(operation_log.c.action, operation_log.c.details).where(
            operation_log.c.action.in_(("group.profile", "review.reject")))))  # fmt: skip
        against = set((await uow.conn.execute(select(violations.c.user_id))).scalars())
    assert tuple(kept) == ("本周兼职日结 QZ-TEST-FLAG", "rejected") and against == {owner["id"]}
    details = {action: json.loads(d) if isinstance(d, str) else d for action, d in log}
    assert details["group.profile"] == {"announcement": {"old": "", "new": "本周兼职日结 QZ-TEST-FLAG"}}
    assert details["review.reject"]["removed"] == "本周兼职日结 QZ-TEST-FLAG"


async def test_r_5_1_3_a_rejected_nickname_is_taken_down(api, client, container) -> None:
    u = await api.user(nickname="兼职日结QZ-TEST-FLAG")
    reviewer = await staff(api, container, "reviewer")
    queue = (await client.get("/api/v1/staff/review/queue", headers=api.h(reviewer))).json()
    item = next(i for i in queue if i["kind"] == "nickname")
    r = await client.post(
        f"/api/v1/staff/review/items/{item['id']}/decide",
        json={"approve": False, "reason_code": "advertising"},
        headers=api.h(reviewer),
    )
    assert r.status_code == 204
    me = (await client.get("/api/v1/me", headers=api.h(u))).json()
    assert me["nickname"] == f"用户{u['id']}"
