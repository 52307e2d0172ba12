"""Art. 5 ¶2, as an inspector checks it: the management rules and platform convention are published; users sign a
service agreement; acceptance is recorded; a new agreement must be accepted before posting again.

第五条：……制定并公开管理规则和平台公约，与使用者签订服务协议，明确双方权利义务。
"""

from sqlalchemy import func, select
from tests.compliance.test_art06_identity import staff

from qunzu.storage.tables import acceptances, users

KINDS = {"agreement", "convention", "group_rules", "privacy", "report_guide", "owner_duties"}


async def test_r_5_2_1_every_document_is_public_with_version_and_date(client) -> None:
    listed = (await client.get("/api/v1/documents", headers={"Accept-Language": "zh-CN"})).json()
    assert {d["kind"] for d in listed} == KINDS
    titles = {d["kind"]: d["title"] for d in listed}
    assert titles["agreement"] == "用户服务协议" and titles["privacy"] == "隐私政策"
    for kind in KINDS:
        doc = (await client.get(f"/api/v1/documents/{kind}", headers={"Accept-Language": "en"})).json()
        assert doc["version"] >= 1 and doc["effective_at"] and len(doc["body"]) > 500
    r = await client.get("/api/v1/documents/secret_plans")
    assert r.status_code in (404, 422) and r.json()["error"]["code"] == "document_not_found"


async def test_r_5_2_1_the_agreement_lists_every_measure_of_article_11(client) -> None:
    body = (await client.get("/api/v1/documents/agreement", headers={"Accept-Language": "zh-CN"})).json()["body"]
    for measure in ("警示整改", "暂停发布", "关闭群组", "降低信用等级", "暂停管理权限", "取消建群资格", "黑名单"):
        assert measure in body, measure


async def test_r_5_2_2_registration_requires_accepting_the_current_agreement(api, client, container) -> None:
    async with container.db.uow(write=False) as uow:
        before = (await uow.conn.execute(select(func.count()).select_from(users))).scalar_one()
    for accept in ({}, {"agreement": 1}, {"agreement": 99, "privacy": 1}):
        r = await client.post(
            "/api/v1/auth/register",
            json={"username": "newbie", "password": "correct-horse-9", "nickname": "新人", "accept": accept},
        )
        assert r.status_code == 403 and r.json()["error"]["code"] == "agreement_required"
    async with container.db.uow(write=False) as uow:
        assert (await uow.conn.execute(select(func.count()).select_from(users))).scalar_one() == before
    u = await api.user()
    mine = (await client.get("/api/v1/me/agreements", headers=api.h(u))).json()
    assert {(a["kind"], a["version"]) for a in mine} == {("agreement", 1), ("privacy", 1)}
    assert all((a["ip"], a["port"]) == ("203.0.113.7", 50123) for a in mine)


async def test_r_5_2_2_a_new_agreement_must_be_accepted_before_the_next_post(api, client, container) -> None:
    u = await api.user()
    code = await api.create_group(u)
    assert (await api.post(u, code, "before")).status_code == 201
    admin = await staff(api, container, "admin")
    new = {
        "title_zh": "用户服务协议",
        "title_en": "User Service Agreement",
        "body_zh": "第一条 …… 修订后的协议全文（测试）。" * 5,
        "body_en": "Article 1 … the revised agreement (test). " * 5,
        "summary_zh": "新增第十二条：群组信用星级",
        "summary_en": "New article 12: group credit stars",
    }
    r = await client.post("/api/v1/staff/documents/agreement", json=new, headers=api.h(u))
    assert r.status_code == 403, "only administrators publish"
    r = await client.post("/api/v1/staff/documents/agreement", json=new, headers=api.h(admin))
    assert r.status_code == 201 and r.json()["version"] == 2
    r = await api.post(u, code, "after", cid="after-v2")
    assert r.status_code == 403 and r.json()["error"]["code"] == "agreement_required"
    assert r.json()["error"]["details"] == {"kind": "agreement", "version": 2}
    assert (await client.get("/api/v1/me/agreements/pending", headers=api.h(u))).json() == {"agreement": 2}
    r = await client.post("/api/v1/me/agreements", json={"kind": "agreement", "version": 1}, headers=api.h(u))
    assert r.status_code == 422, "only the current version can be accepted"
    r = await client.post("/api/v1/me/agreements", json={"kind": "agreement", "version": 2}, headers=api.h(u))
    assert r.status_code == 204
    assert (await api.post(u, code, "after", cid="after-v2")).status_code == 201
    versions = (await client.get("/api/v1/documents/agreement/versions")).json()
    assert [v["version"] for v in versions] == [2, 1] and versions[0]["summary"]
    async with container.db.uow(write=False) as uow:
        mine = (acceptances.c.user_id == u["id"], acceptances.c.kind != "owner_duties")  # not the group's duties
        rows = (await uow.conn.execute(select(func.count()).where(*mine))).scalar_one()
    assert rows == 3
