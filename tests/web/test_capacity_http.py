"""The capacity page over HTTP (R-5.1-1): a reviewer sees the banner on every staff page while work waits with nobody
on shift, starts a shift from /staff/capacity (the banner goes), reads the figures in Chinese and English, and ends
the shift; ending one twice answers `not_on_shift` on the page; someone without a shift role may not open it."""

from __future__ import annotations

import html
import re
from typing import Any

from tests.web.test_hostile_forms_http import Person, web  # noqa: F401  (the `web` fixture)

from qunzu.jobs import run_job
from qunzu.services.review import Verdict, queue_item


def _text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


async def _waiting_item(container: Any, author: int) -> None:
    """One held post on the review queue, as the posting path leaves it."""
    async with container.db.uow() as uow:
        verdict = Verdict(action="hold", categories=["illegal_goods"], terms=["QZ-TEST-HOLD"], lexicon_version="1")
        await queue_item(uow, kind="message", target_id="1", author_id=author, text="QZ-TEST-HOLD",
                         verdict=verdict, now=container.clock.now())  # fmt: skip
        await uow.commit()


async def test_a_reviewer_goes_on_shift_from_the_capacity_page_and_the_banner_goes(
    web: Any,  # noqa: F811
    container: Any,
) -> None:
    reviewer: Person = await web("reviewer")
    await _waiting_item(container, reviewer.id)
    await run_job(container.scheduler.jobs["capacity"], container.clock.now())
    home = (await reviewer.c.get("/staff")).text
    assert 'id="capacity-alert" data-breaches="nobody_on_shift"' in home
    assert "有待处理事项，但没有审核人员在班" in _text(home) and 'href="/staff/capacity"' in home

    page = await reviewer.c.get("/staff/capacity")
    assert page.status_code == 200 and 'href="/staff/capacity" aria-current="page"' in page.text
    assert 'data-queue="review" data-open="1"' in page.text and 'data-check="nobody_on_shift" data-ok="no"' in page.text
    assert 'data-on-shift="no"' in page.text and "当前没有人在班" in _text(page.text)
    r = await reviewer.submit(page, "/staff/shift/start")
    assert r.status_code == 303 and r.headers["location"] == "/staff/capacity?shift=started"
    after = await reviewer.c.get(r.headers["location"])
    assert "已上班" in _text(after.text) and 'data-on-shift="yes"' in after.text
    assert 'id="capacity-alert"' not in after.text and 'id="reviewers-on-shift">1<' in after.text
    assert 'id="capacity-alert"' not in (await reviewer.c.get("/staff")).text, "the page counted afresh"

    english = (await reviewer.c.get("/staff/capacity", headers={"Accept-Language": "en"})).text
    assert "Review team capacity" in english and "End shift" in english and "Every target is met." in english

    r = await reviewer.submit(after, "/staff/shift/end")
    assert r.status_code == 303 and r.headers["location"] == "/staff/capacity?shift=ended"
    r = await reviewer.submit(after, "/staff/shift/end")  # the same form again, from a stale page
    assert r.status_code == 409 and "你当前不在班上" in _text(r.text)


async def test_the_review_queue_has_the_shift_button_and_a_member_has_no_capacity_page(
    web: Any,  # noqa: F811
) -> None:
    reviewer: Person = await web("compliance_officer")
    queue = await reviewer.c.get("/staff/review")
    assert 'action="/staff/shift/start"' in queue.text and 'name="back" value="/staff/review"' in queue.text
    r = await reviewer.submit(queue, "/staff/shift/start")
    assert r.status_code == 303 and r.headers["location"] == "/staff/review?shift=started"
    assert 'action="/staff/shift/end"' in (await reviewer.c.get("/staff/review")).text
    person: Person = await web()
    assert (await person.c.get("/staff/capacity")).status_code == 403
    r = await person.post("/staff/shift/start", {})
    assert r.status_code == 403
