"""The lawful-requests pages over HTTP (R-13.1-1): a compliance officer records a request about a group from
/staff/lawful (a request with no scope keeps the input, with the error on its field), cannot approve it herself, an
administrator approves it, she builds the signed answer and downloads it, then marks it delivered; a reviewer may not
open the page."""

from __future__ import annotations

import html
import io
import re
import zipfile
from typing import Any

from tests.web.test_hostile_forms_http import Person, web  # noqa: F401  (the `web` fixture)


def _text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


async def test_a_request_is_recorded_approved_by_another_officer_answered_and_delivered(
    web: Any,  # noqa: F811
) -> None:
    owner: Person = await web()
    r = await owner.submit("/groups/new", "/groups/new", name="读书会", category="interest", duties="1")
    code = r.headers["location"].rsplit("/", 1)[1]
    officer: Person = await web("compliance_officer")
    page = await officer.c.get("/staff/lawful")
    assert page.status_code == 200 and 'href="/staff/lawful" aria-current="page"' in page.text
    assert "依法调取请求" in _text(page.text) and "暂无调取请求" in _text(page.text)
    fields = {"authority": "某市公安局", "document_number": "某公调〔2026〕15号", "legal_basis": "《网络安全法》第二十八条",
              "reason": "调查诈骗案件", "from_day": "2026-02-28", "to_day": "2026-03-01"}  # fmt: skip
    r = await officer.submit(page, "/staff/lawful", **fields)
    assert r.status_code == 422 and "请至少填写一个群组编码、账号或来源地址" in _text(r.text)
    assert 'value="某市公安局"' in r.text, "the input is kept"
    r = await officer.submit(page, "/staff/lawful", **fields, group_codes=code, addresses="203.0.113.300")
    assert r.status_code == 422 and 'id="f-addresses"' in r.text and 'aria-invalid="true"' in r.text
    r = await officer.submit(page, "/staff/lawful", **fields, group_codes=code)
    assert r.status_code == 303, r.text
    detail_path = r.headers["location"].split("?")[0]
    detail = await officer.c.get(r.headers["location"])
    assert "待审批" in _text(detail.text) and 'id="four-eyes"' in detail.text and 'id="approve-form"' not in detail.text
    r = await officer.post(f"{detail_path}/approve", {"csrf": re.search(r'name="csrf" value="([^"]+)"', detail.text)
                                                      .group(1), "reason": ""})  # type: ignore[union-attr]  # fmt: skip
    assert r.status_code == 403 and "须由另一位合规专员或管理员审批" in _text(r.text), "four eyes"
    admin: Person = await web("admin")
    r = await admin.submit(detail_path, f"{detail_path}/approve", reason="手续齐全")
    assert r.status_code == 303 and r.headers["location"].endswith("done=approved")
    r = await officer.submit(detail_path, f"{detail_path}/answer")
    assert r.status_code == 303 and r.headers["location"].endswith("done=answered")
    answered = await officer.c.get(r.headers["location"])
    assert "已答复" in _text(answered.text) and 'data-section="members"' in answered.text
    link = re.search(r'id="package-download" href="([^"]+)"', answered.text).group(1)  # type: ignore[union-attr]
    package = await officer.c.get(link)
    assert package.status_code == 200 and "qunzu-lawful-" in package.headers["content-disposition"]
    assert "manifest.sig" in zipfile.ZipFile(io.BytesIO(package.content)).namelist()
    r = await officer.submit(answered, f"{detail_path}/delivered")
    assert r.status_code == 303
    assert 'id="delivered"' in (await officer.c.get(detail_path)).text
    register = (await officer.c.get("/staff/reports")).text
    assert 'data-kind="lawful_request"' in register and "调取请求 #" in register, "the disclosure register lists it"
    listed = (await officer.c.get("/staff/lawful")).text
    assert 'data-status="answered"' in listed and "某公调〔2026〕15号" in listed
    reviewer: Person = await web("reviewer")
    assert (await reviewer.c.get("/staff/lawful")).status_code == 403
