"""Art. 11 ¶1 as the group rules' chapter 8 carries it out, as an inspector checks it: the platform lowers a group's
credit stars (群信用星级, agreement §6.2.2) as a graded measure short of closing it, each level turns off what the
published rules say (Art. 37), and the stars come back when the period set ends (Art. 38).

《群组管理规则》第三十七条：四星：在搜索结果中排序靠后；三星：不在搜索结果中展示，停用链接入群；二星：不能加入新成员，不能发送链接和
文件；一星：关闭群组。第三十八条：群组受到处置的，平台根据情节降低群信用星级；群组整改到位并在规定期间内未再违规的，可以恢复星级。
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from tests.compliance._creation import staff

from qunzu.domain.group_stars import holds_link
from qunzu.jobs import run_job
from qunzu.jobs.catalogue import platform_jobs
from qunzu.storage.tables import groups


async def _stars(api: Any, decider: dict[str, Any], code: str, stars: int, **body: Any) -> Any:
    body = {"kind": "group_stars", "target": code, "stars": stars, "reason_code": "advertising",
            "reason": "群内反复发布引流广告", **body}  # fmt: skip
    return await api.client.post("/api/v1/staff/measures", json=body, headers=api.h(decider, "zh-CN"))


async def _level(container: Any, code: str) -> int:
    async with container.db.uow(write=False) as uow:
        return int((await uow.conn.execute(select(groups.c.stars).where(groups.c.code == code))).scalar_one())


def _error(r: Any) -> dict[str, Any]:
    return dict(r.json()["error"])


async def test_r_11_1_1_three_stars_turn_off_joining_by_link(api, client, container) -> None:
    owner, joiner = await api.user(), await api.user()
    code = await api.create_group(owner)
    link = (await client.post(f"/api/v1/groups/{code}/links", headers=api.h(owner))).json()
    reviewer = await staff(api, container)
    r = await _stars(api, reviewer, code, 3)
    assert r.status_code == 201, r.text
    rec = r.json()
    assert rec["stars"] == 3 and rec["clause_text"] == "《用户服务协议》第6.2.2条" and "第十一条" in rec["legal_basis"]
    assert await _level(container, code) == 3
    r = await client.post(f"/api/v1/invites/{link['token']}/join", headers=api.h(joiner))
    assert r.status_code == 403 and _error(r)["code"] == "stars_restricted"
    assert _error(r)["details"] == {"stars": 3, "restriction": "link_joins"}
    r = await client.post(f"/api/v1/groups/{code}/links", headers=api.h(owner, "zh-CN"))
    assert r.status_code == 403 and "邀请链接" in _error(r)["message"], "said in the reader's language"
    assert (await api.join(joiner, code)).status_code in (200, 201), "joining by the code itself still works"
    assert (await api.post(owner, code, "详见 https://example.com")).status_code == 201, "links still allowed at 3"


async def test_r_11_1_1_two_stars_take_no_new_members_and_no_links(api, client, container) -> None:
    owner, member, newcomer = await api.user(), await api.user(), await api.user()
    code = await api.create_group(owner)
    await api.join(member, code)
    reviewer = await staff(api, container)
    assert (await _stars(api, reviewer, code, 2)).status_code == 201
    r = await api.join(newcomer, code)
    assert r.status_code == 403 and _error(r)["details"]["restriction"] == "new_members"
    for text in ("加我 http://spam.example.cn", "www.example.com", "官网ｅｘａｍｐｌｅ。ｃｏｍ", "t.cn/abc123"):
        r = await api.post(member, code, text)
        assert r.status_code == 403, text
        assert _error(r) | {"message": ""} == {"code": "stars_restricted", "message": "",
                                               "details": {"stars": 2, "restriction": "message_links"}}  # fmt: skip
    for text in ("今天开会", "邮件发到 a@example.com", "版本 1.2.3", "报告.pdf 在群文件"):
        assert (await api.post(member, code, text)).status_code == 201, text


async def test_r_11_1_1_the_lowest_active_level_holds_and_the_stars_come_back(
    api, client, container, manual_clock
) -> None:
    owner = await api.user()
    code = await api.create_group(owner)
    reviewer = await staff(api, container)
    four = (await _stars(api, reviewer, code, 4, duration_hours=24)).json()
    two = (await _stars(api, reviewer, code, 2, duration_hours=72)).json()
    assert await _level(container, code) == 2
    r = await client.post(f"/api/v1/staff/measures/{four['id']}/lift", json={"reason": "复核"},
                          headers=api.h(reviewer))  # fmt: skip
    assert r.status_code == 200, r.text
    assert await _level(container, code) == 2, "lifting the milder measure does not raise the level"
    manual_clock.advance(timedelta(hours=73))
    job = next(j for j in platform_jobs(container.db, container.settings) if j.name == "lift-expired-measures")
    await run_job(job, container.clock.now())
    assert await _level(container, code) == 5, "restored when the period set ends (rules Art. 38)"
    got = (await client.get(f"/api/v1/staff/measures/{two['id']}", headers=api.h(reviewer))).json()
    assert got["status"] == "expired"
    mine = (await client.get("/api/v1/me/measures", headers=api.h(owner))).json()
    assert {m["stars"] for m in mine} == {4, 2}, "the owner reads each level on their measures page"


async def test_r_11_1_1_a_star_measure_names_a_level_between_two_and_four(api, client, container) -> None:
    owner = await api.user()
    code = await api.create_group(owner)
    reviewer = await staff(api, container)
    for stars, reason in ((1, "out_of_range"), (5, "out_of_range"), (None, "required")):
        r = await _stars(api, reviewer, code, stars)  # type: ignore[arg-type]
        assert r.status_code == 422 and _error(r)["details"]["field"] == "stars", r.text
        assert _error(r)["details"]["reason"] == reason
    body = {"kind": "group_suspend", "target": code, "stars": 3, "duration_hours": 2, "reason_code": "fraud",
            "reason": "x"}  # fmt: skip
    r = await client.post("/api/v1/staff/measures", json=body, headers=api.h(reviewer))
    assert r.status_code == 422 and _error(r)["details"] == {"field": "stars", "reason": "not_allowed"}
    assert await _level(container, code) == 5, "nothing half-written"


def test_what_counts_as_a_link() -> None:
    assert all(map(holds_link, ["https://a.cn/x", "weixin://dl/x", "WWW.EXAMPLE.ORG", "qq.com", "10.0.0.1/admin"]))
    assert not any(map(holds_link, ["a@b.com", "e.g. this", "3.50元", "ok.so what", "report.pdf", "1.2.3"]))
