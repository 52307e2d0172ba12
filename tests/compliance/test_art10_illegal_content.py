"""R-10-3 (CSL Art. 47, new Art. 49; 公约第十五条), as an inspector checks it: once content is confirmed illegal, its
transmission stops (no client receives it afterwards, not even on WebSocket replay), it is removed for members and
kept for the record, the same text cannot be posted again anywhere, and an enforcement record with its report item
exists.

《网络安全法》第四十七条：网络运营者……发现法律、行政法规禁止发布或者传输的信息的，应当立即停止传输该信息，采取消除等处置措施，
防止信息扩散，保存有关记录，并向有关主管部门报告。
"""

import asyncio
import json
from typing import Any

import websockets
from sqlalchemy import select
from tests.api.conftest import live  # noqa: F401  (the live-server fixture)
from tests.compliance._creation import staff

from qunzu.domain.enforcement import evidence_intact
from qunzu.storage.tables import content_bans, enforcement_records, messages, operation_log, review_items

TEXT = "加微信领红包 QZ-TEST-FLAG 转账到这个账户"
VARIANTS = ("加微信領紅包ＱＺ－ＴＥＳＴ－ＦＬＡＧ，轉賬到這個賬戶！", "加 微 信 领 红 包 qz test flag 转账到这个账户")


async def _frames(base: str, user: dict[str, Any], hello: dict[str, Any], *, until: str) -> list[dict[str, Any]]:
    """Every frame a fresh connection receives up to the first `until` frame (the replay's end marker)."""
    async with websockets.connect(
        f"ws://{base}/api/v1/ws", additional_headers={"Authorization": f"Bearer {user['token']}"}
    ) as ws:
        await ws.send(json.dumps({"type": "hello", **hello}))
        out = []
        while True:
            frame = json.loads(await asyncio.wait_for(ws.recv(), 5))
            out.append(frame)
            if frame["type"] == until:
                return out


async def _confirm_from_review(api: Any, client: Any, reviewer: dict[str, Any], *, reason: str = "fraud") -> int:
    item = (await client.get("/api/v1/staff/review/queue", headers=api.h(reviewer))).json()[0]
    r = await client.post(
        f"/api/v1/staff/review/items/{item['id']}/decide",
        json={"approve": False, "reason_code": reason, "confirmed_illegal": True},
        headers=api.h(reviewer),
    )
    assert r.status_code == 204, r.text
    return int(item["id"])


async def test_r_10_3_no_client_receives_confirmed_illegal_content_even_on_replay(api, client, container, live) -> None:  # noqa: F811
    author, member = await api.user(), await api.user()
    reviewer = await staff(api, container, "reviewer")
    code = await api.create_group(author)
    await api.join(member, code)
    posted = (await api.post(author, code, TEXT)).json()  # flagged: published, queued for review
    await api.post(author, code, "after it")
    before = await _frames(live, member, {"groups": {code: 0}}, until="ready")
    assert any(f.get("message", {}).get("text") == TEXT for f in before), "delivered before the finding"
    since = int(container.clock.now().timestamp() * 1000) - 1
    await _confirm_from_review(api, client, reviewer)

    page = (await api.messages(member, code)).json()["messages"]
    assert [(m["seq"], m["deleted"], m["text"]) for m in page] == [(1, True, None), (2, False, "after it")]
    assert TEXT not in (await api.messages(author, code)).text
    # the replay, `ready`, then the deletions since `since`
    replay = await _frames(live, member, {"groups": {code: 0}, "since": since}, until="message_deleted")
    replayed = [f for f in replay if f["type"] == "message"]
    assert [(f["seq"], f["message"]["deleted"], f["message"]["text"]) for f in replayed] == [
        (1, True, None),
        (2, False, "after it"),
    ]
    assert {"type": "message_deleted", "message_id": posted["id"]}.items() <= next(
        f for f in replay if f["type"] == "message_deleted"
    ).items()
    assert all(TEXT not in json.dumps(f, ensure_ascii=False) for f in replay)
    resumed = await _frames(live, member, {"groups": {code: 1}}, until="ready")  # gap repair from seq 1 on
    assert all("QZ-TEST-FLAG" not in json.dumps(f, ensure_ascii=False) for f in resumed)


async def test_r_10_3_the_same_text_and_its_variants_are_refused_in_every_group(api, client, container) -> None:
    author, other = await api.user(), await api.user()
    reviewer = await staff(api, container, "reviewer")
    code = await api.create_group(author)
    elsewhere = await api.create_group(other, name="另一个群")
    await api.post(author, code, TEXT)
    await _confirm_from_review(api, client, reviewer)
    for text in (TEXT, *VARIANTS):
        r = await api.post(other, elsewhere, text)
        assert r.status_code == 422, text
        error = r.json()["error"]
        assert error["code"] == "content_rejected" and "ill_other_prohibited" in error["details"]["categories"]
        async with container.db.uow(write=False) as uow:
            digest = (await uow.conn.execute(select(content_bans.c.text_sha256))).scalar_one()
        assert digest not in r.text, "the refusal never shows the hash"
    r = await client.patch(
        f"/api/v1/groups/{elsewhere}", json={"description": VARIANTS[0]}, headers=api.h(other, "zh-CN")
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "content_rejected", "group descriptions too"
    assert (await api.post(other, elsewhere, "加微信领红包 是正常的活动吗")).status_code == 201, "other text passes"


async def test_r_10_3_the_record_and_its_report_item_keep_the_copy(api, client, container) -> None:
    author = await api.user()
    reviewer = await staff(api, container, "reviewer")
    code = await api.create_group(author)
    posted = (await api.post(author, code, TEXT)).json()
    item_id = await _confirm_from_review(api, client, reviewer, reason="gambling")
    async with container.db.uow(write=False) as uow:
        rec = (await uow.conn.execute(select(enforcement_records))).one()
        kept = (await uow.conn.execute(select(messages).where(messages.c.id == posted["id"]))).one()
        ban = (await uow.conn.execute(select(content_bans))).one()
        item = (await uow.conn.execute(select(review_items).where(review_items.c.id == item_id))).one()
        actions = set((await uow.conn.execute(select(operation_log.c.action))).scalars())
    assert (rec.measure, rec.target_type, rec.target_id) == ("content_removal", "message", posted["id"])
    assert (rec.source, rec.source_ref, rec.decided_by) == ("review", f"review_item:{item_id}", reviewer["id"])
    assert rec.reported_at is None and rec.report_id is None, "a report item waiting for its package"
    assert rec.credit_event_id is not None, "the deduction rides on the record (so an appeal reverses it)"
    assert rec.legal_basis.startswith("《网络安全法》") and "公约第九条第9项" == rec.clause
    assert rec.evidence[0]["text"] == TEXT and evidence_intact(rec.evidence, rec.evidence_sha256)
    assert kept.text == TEXT and kept.deleted_at is not None and kept.deleted_by == reviewer["id"]
    assert (ban.category, ban.record_id, ban.message_id) == ("ill_obscenity_gambling_violence", rec.id, posted["id"])
    assert item.state == "rejected"
    assert {"review.reject", "enforcement.apply", "content.illegal"} <= actions


async def test_r_10_3_a_held_message_confirmed_illegal_is_never_published(api, client, container) -> None:
    author, member = await api.user(), await api.user()
    reviewer = await staff(api, container, "reviewer")
    code = await api.create_group(author)
    await api.join(member, code)
    held = (await api.post(author, code, "QZ-TEST-HOLD 转账到这个账户")).json()
    assert held["status"] == "under_review"
    await _confirm_from_review(api, client, reviewer)
    assert (await api.messages(member, code)).json()["messages"] == []
    async with container.db.uow(write=False) as uow:
        row = (await uow.conn.execute(select(messages).where(messages.c.id == held["id"]))).one()
    assert row.seq is None and row.review_state == "rejected" and row.deleted_at is not None
    assert (await api.post(author, code, "QZ-TEST-HOLD 转账到这个账户")).status_code == 422


async def test_r_10_3_staff_confirm_a_message_outside_the_review_queue(api, client, container) -> None:
    author, other, member = await api.user(), await api.user(), await api.user()
    officer = await staff(api, container, "reviewer")
    code = await api.create_group(author)
    elsewhere = await api.create_group(other)
    text = "这是一条经举报核实的违法信息样本"
    posted = (await api.post(author, code, text)).json()
    body = {
        "category": "ill_rumours",
        "reason": "经核实为扰乱社会秩序的谣言",
        "source": "complaint",
        "source_ref": "T-1",
    }
    r = await client.post(f"/api/v1/staff/messages/{posted['id']}/illegal", json=body, headers=api.h(member))
    assert r.status_code == 403, "staff only"
    r = await client.post(f"/api/v1/staff/messages/{posted['id']}/illegal", json=body, headers=api.h(officer))
    assert r.status_code == 201 and r.json()["category"] == "ill_rumours"
    r = await api.post(other, elsewhere, "这是一条经举报核实的違法信息样本！")
    assert r.status_code == 422 and r.json()["error"]["details"]["categories"] == ["ill_rumours"]
    async with container.db.uow(write=False) as uow:
        rec = (await uow.conn.execute(select(enforcement_records))).one()
    assert (rec.source, rec.source_ref, rec.measure) == ("complaint", "T-1", "content_removal")
    assert rec.reason == "经核实为扰乱社会秩序的谣言" and rec.credit_event_id is not None
    bad = await client.post(
        f"/api/v1/staff/messages/{posted['id']}/illegal", json={**body, "category": "nonsense"}, headers=api.h(officer)
    )
    assert bad.status_code == 422


async def test_r_10_3_another_server_process_refuses_the_text_within_a_second_or_two(api, client, container) -> None:
    from qunzu.services.review_runtime import ReviewRuntime

    other = ReviewRuntime(container.db, cache_dir=None, ban_poll_seconds=0.05)  # a second process's runtime
    await other.start()
    try:
        author = await api.user()
        reviewer = await staff(api, container, "reviewer")
        await api.post(author, await api.create_group(author), TEXT)
        assert other.banned(VARIANTS[0]) is None
        await _confirm_from_review(api, client, reviewer)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 2.0
        while other.banned(VARIANTS[0]) is None:  # its own poll, not a call from the test
            assert loop.time() < deadline, "not picked up within two seconds"
            await asyncio.sleep(0.02)
        assert other.banned(VARIANTS[1]) == "ill_other_prohibited" and other.banned("无关的文字") is None
    finally:
        await other.stop()
