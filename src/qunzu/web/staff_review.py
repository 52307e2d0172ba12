"""The staff console's content review pages: the review queue, the lexicon and the "test this text" tool (Art. 10).

Reviewers and admins decide items and change the lexicon; compliance officers read the queue and the lexicon and
use the test tool. Every page answers 403 to other people; the services check each role again.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from qunzu.domain.content import REASON_CODES
from qunzu.domain.staff import CONTENT_READERS, CONTENT_REVIEWERS
from qunzu.domain.text import check_characters, clean_line, parse_int
from qunzu.errors import ErrorCode, QunzuError, ValidationFailed
from qunzu.review import Lexicon, LexiconEntry
from qunzu.review.model import Action, Category
from qunzu.services import review
from qunzu.web.context import Web, form_fields, staff_page
from qunzu.web.i18n import form_error
from qunzu.web.staff import _page, _refused
from qunzu.web.staff_capacity import shift_context

router = APIRouter(include_in_schema=False)
ReviewDep = Annotated[Web, Depends(staff_page(CONTENT_READERS))]
STATES = ("pending", "approved", "rejected")
CATEGORIES = tuple(c.value for c in Category)
ACTIONS = ("block", "hold", "flag")
PER_PAGE = 50
IMPORT_MAX_BYTES = 20_000_000  # the API's limit for a whole lexicon


def _can_decide(w: Web) -> bool:
    return w.session is not None and w.session.user.staff_role in CONTENT_REVIEWERS


def marked(text: str, spans: list[tuple[int, int]]) -> list[tuple[str, bool]]:
    """`text` cut into (piece, is_hit) runs, overlapping spans merged; the template escapes every piece."""
    merged: list[list[int]] = []
    for start, end in sorted((max(0, s), min(len(text), e)) for s, e in spans if e > s):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out: list[tuple[str, bool]] = []
    at = 0
    for start, end in merged:
        if start > at:
            out.append((text[at:start], False))
        out.append((text[start:end], True))
        at = end
    if at < len(text) or not out:
        out.append((text[at:], False))
    return out


def _term_spans(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """Plain occurrences of the recorded terms (when the current lexicon no longer finds them)."""
    spans = []
    folded = text.casefold()
    for term in terms:
        needle = term.casefold()
        at = folded.find(needle) if needle else -1
        while at >= 0:
            spans.append((at, at + len(needle)))
            at = folded.find(needle, at + len(needle))
    return spans


# --- the review queue -----------------------------------------------------------------------------------------


def _item_view(w: Web, item: dict[str, Any]) -> dict[str, Any]:
    assert w.session is not None
    text = item["text"]
    spans: list[tuple[int, int]] = []
    if len(text) <= 20_000:
        seen = review.test_text(w.container.review, staff=w.session.user, text=text)
        spans = [(h["start"], h["end"]) for h in seen["hits"] if not h["excepted"]]
    if not spans:
        spans = _term_spans(text, list(item.get("hits") or []))
    fitting = [c for c in item.get("categories") or [] if c in REASON_CODES]
    return item | {"pieces": marked(text, spans), "default_reason": fitting[0] if fitting else "other"}


async def _queue_page(w: Web, state: str, *, error: QunzuError | None = None) -> Response:
    assert w.session is not None
    try:
        items = await review.review_queue(w.container.db, staff=w.session.user, state=state)
    except QunzuError as exc:
        return _refused(w, exc)
    decided = w.request.query_params.get("decided", "")
    return _page(
        w,
        "staff_review.html",
        "review",
        status_code=422 if error else 200,
        state=state,
        states=STATES,
        items=[_item_view(w, i) for i in items],
        reason_codes=REASON_CODES,
        can_decide=_can_decide(w),
        decided=parse_int(decided, lo=1),
        error=form_error(error, w.lang) if error else None,
        **await shift_context(w, back="/staff/review"),  # "上班 / 下班" where the work is (R-5.1-1)
    )


@router.get("/staff/review")
async def queue(w: ReviewDep) -> Response:
    state = w.request.query_params.get("state", "pending")
    if state not in STATES:
        return w.not_found()
    return await _queue_page(w, state)


@router.post("/staff/review/items/{raw_id}/decide")
async def decide(raw_id: str, w: ReviewDep) -> Response:
    """Approve, or reject with a reason code; then back to the pending queue."""
    assert w.session is not None
    item_id = parse_int(raw_id, lo=1)
    if item_id is None:
        return w.not_found()
    f = await form_fields(w.request, "decision", "reason_code", "illegal", "csrf")
    try:
        w.check_csrf(f["csrf"])
        approve = f["decision"] == "approve"
        illegal = not approve and f["illegal"] == "1"  # R-10-3: removed, banned, recorded and reported
        await review.decide_item(
            w.container.db,
            staff=w.session.user,
            item_id=item_id,
            approve=approve,
            reason_code=None if approve else f["reason_code"][:32],
            lexicon_version=w.container.review.lexicon_version,
            ctx=w.ctx,
            confirmed_illegal=illegal,
            ban_digest=w.container.review.ban_digest,
        )
        if illegal:
            await w.container.review.refresh_bans()
    except QunzuError as exc:
        if exc.code in (ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND):
            return _refused(w, exc)
        return await _queue_page(w, "pending", error=exc)
    return RedirectResponse(f"/staff/review?decided={item_id}", status_code=303)


# --- the "test this text" tool ------------------------------------------------------------------------------


def _test_page(w: Web, text: str, result: dict[str, Any] | None, error: QunzuError | None = None) -> Response:
    if result is not None:
        spans = [(h["start"], h["end"]) for h in result["hits"]]
        result = result | {"pieces": marked(text, spans)}
    return _page(
        w,
        "staff_review_test.html",
        "review_test",
        status_code=422 if error else 200,
        text=text,
        result=result,
        error=form_error(error, w.lang) if error else None,
    )


@router.get("/staff/review/test")
async def test_form(w: ReviewDep) -> Response:
    return _test_page(w, "", None)


@router.post("/staff/review/test")
async def test_text(w: ReviewDep) -> Response:
    assert w.session is not None
    f = await form_fields(w.request, "text", "csrf")
    try:
        w.check_csrf(f["csrf"])
        text = check_characters(f["text"], field="text")
        result = review.test_text(w.container.review, staff=w.session.user, text=text)
    except QunzuError as exc:
        if exc.code is ErrorCode.FORBIDDEN:
            return w.forbidden()
        return _test_page(w, f["text"], None, exc)
    return _test_page(w, f["text"], result)


# --- the lexicon ----------------------------------------------------------------------------------------------


@dataclass
class _Parsed:
    """The current lexicon's entries, parsed once per version (a 100,000-term lexicon is parsed once, not per page)."""

    version: int
    entries: list[LexiconEntry]


async def _entries(w: Web, version: int, content: str) -> list[LexiconEntry]:
    state = w.request.app.state
    cached: _Parsed | None = getattr(state, "web_lexicon_parsed", None)
    if cached is None or cached.version != version:
        lexicon = await asyncio.to_thread(Lexicon.load_text, content.splitlines(), strict=False)
        cached = _Parsed(version=version, entries=list(lexicon))
        state.web_lexicon_parsed = cached
    return cached.entries


def _search(entries: list[LexiconEntry], q: str, category: str) -> list[LexiconEntry]:
    needle = q.casefold()
    return [
        e
        for e in entries
        if (not category or e.category.value == category)
        and (not needle or needle in e.term.casefold() or any(needle in x.casefold() for x in e.exceptions))
    ]


def _page_number(raw: str) -> int:
    return parse_int(raw, lo=1, hi=999_999) or 1


async def _lexicon_page(
    w: Web,
    *,
    error: str | None = None,
    error_form: str | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    assert w.session is not None
    try:
        history = await review.lexicon_history(w.container.db, staff=w.session.user)
        version, content = await review.current_lexicon(w.container.db, staff=w.session.user)
    except QunzuError as exc:
        return _refused(w, exc)
    q = w.request.query_params
    search = q.get("q", "").strip()[:100]
    category = q.get("category", "")
    category = category if category in CATEGORIES else ""
    found = _search(await _entries(w, version, content), search, category)
    pages = max(1, -(-len(found) // PER_PAGE))
    number = min(_page_number(q.get("page", "1")), pages)
    start = (number - 1) * PER_PAGE
    saved = q.get("saved", "")
    return _page(
        w,
        "staff_lexicon.html",
        "lexicon",
        status_code=422 if error else 200,
        version=version,
        current=history[0] if history else None,
        history=history,
        rows=found[start : start + PER_PAGE],
        total=len(found),
        first=start + 1,
        last=min(start + PER_PAGE, len(found)),
        page_no=number,
        pages=pages,
        search=search,
        category=category,
        categories=CATEGORIES,
        actions=ACTIONS,
        can_edit=_can_decide(w),
        saved=parse_int(saved, lo=1, hi=999_999_999),
        error=error,
        error_form=error_form,
        values=values or {"term": "", "category": "custom", "action": "block", "exceptions": "", "note": ""},
    )


def error_text(exc: QunzuError, w: Web) -> str:
    """Lexicon format errors keep their detail (the line number); the rest read like any form error."""
    if exc.code is ErrorCode.VALIDATION_FAILED and not exc.details.get("field"):
        return w.t("lexicon.import_invalid", detail=exc.message)
    return form_error(exc, w.lang)


@router.get("/staff/lexicon")
async def lexicon(w: ReviewDep) -> Response:
    return await _lexicon_page(w)


def _saved(info: review.LexiconInfo, term: str = "") -> RedirectResponse:
    target = f"/staff/lexicon?saved={info.version}"
    if term:
        target += "&q=" + quote(term)
    return RedirectResponse(target, status_code=303)


@router.post("/staff/lexicon/entries")
async def add_entry(w: ReviewDep) -> Response:
    """Add (or replace) one entry: a new lexicon version."""
    assert w.session is not None
    f = await form_fields(w.request, "term", "category", "action", "exceptions", "initials", "note", "csrf")
    values = {k: f[k] for k in ("term", "category", "action", "exceptions", "note")}
    try:
        w.check_csrf(f["csrf"])
        if f["category"] not in CATEGORIES or f["action"] not in ACTIONS:
            raise ValidationFailed("Choose a category and an action", details={"field": "category"})
        exceptions = [
            clean_line(x.strip(), field="exceptions")
            for x in f["exceptions"].replace("|", "\n").splitlines()
            if x.strip()
        ]
        if len(f["term"].strip()) > 100 or len(exceptions) > 50 or any(len(x) > 100 for x in exceptions):
            raise ValidationFailed("Terms and exceptions are at most 100 characters, at most 50 exceptions")
        entry = LexiconEntry(
            clean_line(f["term"], field="term"),
            Category(f["category"]),
            Action(f["action"]),
            exceptions=tuple(exceptions),
            pinyin_initials=f["initials"] == "1",
        )
        info = await review.edit_lexicon(
            w.container.db,
            w.container.review,
            staff=w.session.user,
            add=[entry],
            note=clean_line(f["note"][:200], field="note", required=False),
            ctx=w.ctx,
        )
    except QunzuError as exc:
        if exc.code is ErrorCode.FORBIDDEN:
            return w.forbidden()
        return await _lexicon_page(w, error=error_text(exc, w), error_form="add", values=values)
    return _saved(info, entry.term)


@router.post("/staff/lexicon/remove")
async def remove_entry(w: ReviewDep) -> Response:
    assert w.session is not None
    f = await form_fields(w.request, "term", "note", "csrf")
    try:
        w.check_csrf(f["csrf"])
        info = await review.edit_lexicon(
            w.container.db,
            w.container.review,
            staff=w.session.user,
            remove=[clean_line(f["term"][:100], field="term")],
            note=clean_line(f["note"][:200], field="note", required=False),
            ctx=w.ctx,
        )
    except QunzuError as exc:
        if exc.code is ErrorCode.FORBIDDEN:
            return w.forbidden()
        return await _lexicon_page(w, error=error_text(exc, w), error_form="entries")
    return _saved(info)


async def _import_source(form: Any) -> tuple[str, str]:
    """(content, format) from the uploaded file, else from the textarea; the format follows the file name or the
    choice on the form."""
    fmt = form.get("format") if form.get("format") in ("text", "csv") else "text"
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        raw = await upload.read(IMPORT_MAX_BYTES + 1)
        if len(raw) > IMPORT_MAX_BYTES:
            raise ValidationFailed("The file is larger than 20 MB")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValidationFailed("The file is not UTF-8 text") from exc
        if upload.filename.lower().endswith(".csv"):
            fmt = "csv"
        if text.strip():
            return text, fmt
    pasted = form.get("content")
    return (pasted if isinstance(pasted, str) else ""), fmt


@router.post("/staff/lexicon/import")
async def import_lexicon(w: ReviewDep) -> Response:
    """Replace the whole lexicon from an uploaded file (plain or CSV) or pasted text."""
    assert w.session is not None
    if w.session.user.staff_role not in CONTENT_REVIEWERS:  # asked before the upload is read
        return w.forbidden()
    form = await w.request.form(max_part_size=IMPORT_MAX_BYTES + 1024)
    csrf = form.get("csrf")
    note = form.get("note")
    note = note[:200] if isinstance(note, str) else ""
    try:
        w.check_csrf(csrf if isinstance(csrf, str) else None)
        content, fmt = await _import_source(form)
        note = clean_line(note, field="note", required=False)
        lexicon = (
            await asyncio.to_thread(Lexicon.load_csv, io.StringIO(content))
            if fmt == "csv"
            else await asyncio.to_thread(Lexicon.load_text, content.splitlines())
        )
        if len(lexicon) == 0:
            return await _lexicon_page(w, error=w.t("lexicon.import_empty"), error_form="import")
        info = await review.edit_lexicon(
            w.container.db, w.container.review, staff=w.session.user, replace_with=lexicon, note=note, ctx=w.ctx
        )
    except QunzuError as exc:
        if exc.code is ErrorCode.FORBIDDEN:
            return w.forbidden()
        return await _lexicon_page(w, error=error_text(exc, w), error_form="import")
    return _saved(info)
