"""The legal holds page over HTTP (R-13.1-3): a compliance officer places a hold on a group from /staff/holds and
releases it; a bad window keeps the input with the error on its field; a reviewer may not open the page."""

from __future__ import annotations

import html
import re
from typing import Any

from tests.web.test_hostile_forms_http import Person, web  # noqa: F401  (the `web` fixture)


def _text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


async def test_an_officer_places_and_releases_a_group_hold(web: Any) -> None:  # noqa: F811
    owner: Person = await web()
    r = await owner.submit("/groups/new", "/groups/new", name="读书会", category="interest", duties="1")
    code = r.headers["location"].rsplit("/", 1)[1]
    officer: Person = await web("compliance_officer")
    page = await officer.c.get("/staff/holds")
    assert page.status_code == 200 and 'href="/staff/holds" aria-current="page"' in page.text
    assert "法律保全" in _text(page.text) and "暂无保全记录" in _text(page.text)
    r = await officer.submit(page, "/staff/holds", subject_type="period", subject="", from_day="2026-03-02",
                             to_day="2026-03-01", authority="某市公安局", reason="案件调查")  # fmt: skip
    assert r.status_code == 422 and 'id="f-to"' in r.text and 'aria-invalid="true"' in r.text
    assert 'value="某市公安局"' in r.text, "the input is kept"
    r = await officer.submit(page, "/staff/holds", subject_type="group", subject=code, authority="某市公安局",
                             document_number="公调〔2026〕12号", reason="案件调查")  # fmt: skip
    assert r.status_code == 303 and r.headers["location"] == "/staff/holds?done=placed"
    listed_page = await officer.c.get("/staff/holds?done=placed")
    listed = listed_page.text
    assert "已实施保全" in _text(listed) and "公调〔2026〕12号" in listed and 'data-active="yes"' in listed
    hold_id = re.search(r'data-hold="(\d+)"', listed).group(1)  # type: ignore[union-attr]
    r = await officer.submit(listed_page, f"/staff/holds/{hold_id}/release", reason="结案")
    assert r.status_code == 303
    after = (await officer.c.get("/staff/holds")).text
    assert 'data-active="no"' in after and "结案" in after
    reviewer: Person = await web("reviewer")
    assert (await reviewer.c.get("/staff/holds")).status_code == 403
