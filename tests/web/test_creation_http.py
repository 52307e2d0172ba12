"""The create-a-group form, the waiting page, the staff creation-review page, the info page and the tombstone, over
HTTP with the app in process (R-8.2-2, R-8.3-1, R-9.1-1, D7, D8)."""

from __future__ import annotations

import html
import re
from typing import Any

from tests.compliance._creation import promote, set_group
from tests.web.test_hostile_forms_http import Person, web  # noqa: F401  (the `web` fixture)


def _text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


async def test_the_form_shows_each_tier_its_cap_and_what_the_person_lacks(web: Any) -> None:  # noqa: F811
    me: Person = await web()
    page = (await me.c.get("/groups/new")).text
    assert 'href="/documents/owner_duties"' in page and 'name="duties" value="1"' in page
    assert "我已阅读并接受" in page and "《群主责任告知书》" in page
    assert re.search(r'class="mode-choice" for="f-tier-S"', page) and re.search(
        r'class="mode-choice" for="f-tier-M"', page
    )
    assert 'class="mode-choice tier-unavailable" for="f-tier-XL"' in page
    text = _text(page)
    assert "人数上限 2000 人" in text and "需要 L2 认证，你目前为 L1" in text and "需平台审核" in text
    assert "账号需注册满 7 天，你的账号已注册 0 天" in text
    assert re.search(r'<option value="finance"[^>]*data-sensitive="true">[^<]+（敏感类别：需实名认证与平台审核）', page)


async def test_without_the_duties_notice_the_form_is_refused(web: Any, container: Any) -> None:  # noqa: F811
    me: Person = await web()
    r = await me.submit("/groups/new", "/groups/new", name="读书会", category="interest")
    assert r.status_code == 422 and "请先阅读并接受《群主责任告知书》" in _text(r.text)
    assert 'value="读书会"' in r.text, "the input is kept"


async def test_a_refusal_lists_every_reason_in_the_persons_language(web: Any, container: Any) -> None:  # noqa: F811
    me: Person = await web()
    await promote(container, {"id": me.id}, credit=80)
    r = await me.submit("/groups/new", "/groups/new", name="大群", category="work", tier="XL", duties="1")
    assert r.status_code == 422
    reasons = re.search(r'<ul class="alert alert-error" id="refusal-reasons" role="list">(.*?)</ul>', r.text, re.S)
    assert reasons, r.text
    items = [_text(li).strip() for li in re.findall(r"<li>(.*?)</li>", reasons.group(1), re.S)]
    assert items == [
        "需要 L2 实名认证，你目前为 L1",
        "需要信用等级 C4（信用分 100），你的信用分为 80",
        "账号需注册满 7 天",
    ]


async def test_a_sensitive_group_waits_for_review_and_a_reviewer_approves_it(web: Any, container: Any) -> None:  # noqa: F811
    me: Person = await web()
    await promote(container, {"id": me.id}, level=2)
    r = await me.submit("/groups/new", "/groups/new", name="理财交流", category="finance", duties="1")
    assert r.status_code == 422 and "该类别的群组须写明建群目的" in _text(r.text)
    r = await me.submit(
        "/groups/new", "/groups/new", name="理财交流", category="finance", purpose="交流理财知识", duties="1"
    )
    assert r.status_code == 303, r.text
    code = r.headers["location"].rsplit("/", 1)[1]
    waiting = await me.c.get(r.headers["location"])
    assert waiting.status_code == 200 and 'id="group-pending"' in waiting.text and "等待平台审核" in waiting.text

    outsider: Person = await web()
    assert (await outsider.c.get(f"/g/{code}")).status_code == 404
    officer: Person = await web("compliance_officer")
    queue = await officer.c.get("/staff/groups")
    assert queue.status_code == 200 and "理财交流" in queue.text and "交流理财知识" in queue.text
    assert f'action="/staff/groups/{code}/decision"' not in queue.text, "compliance officers read, not decide"
    reviewer: Person = await web("reviewer")
    queue = await reviewer.c.get("/staff/groups")
    assert 'href="/staff/groups"' in queue.text
    refused = await reviewer.submit(queue, f"/staff/groups/{code}/decision", decision="refuse", reason="")
    assert refused.status_code == 422 and "拒绝时须填写理由" in _text(refused.text)
    forms = [m.start() for m in re.finditer(rf'action="/staff/groups/{code}/decision"', queue.text)]
    assert len(forms) == 2
    r = await reviewer.submit(queue, f"/staff/groups/{code}/decision")  # the first form: approve
    assert r.status_code == 303 and r.headers["location"] == f"/staff/groups?decided={code}"
    assert 'id="group-pending"' not in (await me.c.get(f"/g/{code}")).text
    notices = _text((await me.c.get("/me")).text)
    assert "理财交流" in notices and "平台审核结果" in notices


async def test_the_info_page_for_members_visitors_and_a_closed_group(web: Any, container: Any) -> None:  # noqa: F811
    me: Person = await web()
    r = await me.submit("/groups/new", "/groups/new", name="读书会", category="interest", duties="1")
    code = r.headers["location"].rsplit("/", 1)[1]
    chat = (await me.c.get(f"/g/{code}")).text
    assert f'href="/g/{code}/info"' in chat
    info = await me.c.get(f"/g/{code}/info")
    assert info.status_code == 200 and 'data-full="true"' in info.text
    text = _text(info.text)
    assert f"{code[:3]} {code[3:6]} {code[6:]}" in text and "1 / 40 人" in text and "群主" in text
    visitor: Person = await web()
    limited = await visitor.c.get(f"/g/{code}/info")
    assert limited.status_code == 200 and 'data-full="false"' in limited.text and 'id="info-join"' in limited.text
    assert "1 / 40" not in _text(limited.text)
    await set_group(container, code, status="closed", closed_at=container.clock.now())
    for path in (f"/g/{code}", f"/g/{code}/info"):
        r = await me.c.get(path)
        assert r.status_code == 410 and "该群已关闭" in r.text and f"{code[:3]} {code[3:6]} {code[6:]}" in r.text
