"""The staff console's blacklist (Art. 11 ¶2–3): the entries with the review queue first, the add form, one entry
with its change history and the review, change and removal forms.

Administrators and compliance officers keep the list; reviewers read it. Identities are chosen as "this account's
identity" and shown masked; nobody types an ID number here. Dates are calendar days in Beijing time: a review date
is due from the start of its day, an end holds through its day.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends
from starlette.responses import RedirectResponse, Response

from qunzu.domain.blacklist import DEFAULT_REVIEW, LEVELS, effects
from qunzu.domain.staff import BLACKLIST_KEEPERS, BLACKLIST_READERS
from qunzu.domain.text import parse_int
from qunzu.errors import ErrorCode, QunzuError, ValidationFailed
from qunzu.i18n.blacklist_texts import effect_label, level_label
from qunzu.services import blacklist, blacklist_views
from qunzu.services.blacklist_effects import Outcome
from qunzu.web.context import Web, form_fields, staff_page
from qunzu.web.i18n import error_field, form_error, translator
from qunzu.web.render import when
from qunzu.web.staff import _page, _refused

router = APIRouter(include_in_schema=False)
ReaderDep = Annotated[Web, Depends(staff_page(BLACKLIST_READERS))]
KeeperDep = Annotated[Web, Depends(staff_page(BLACKLIST_KEEPERS))]
CHINA = ZoneInfo("Asia/Shanghai")
ADD_FIELDS = (
    "subject_type",
    "subject",
    "severity",
    "source",
    "authority_ref",
    "reason",
    "reason_code",
    "review_on",
    "ends_on",
    "record_id",
    "message_ids",
    "csrf",
)
CHANGE_FIELDS = ("severity", "review_on", "ends_on", "clear_end", "reason", "outcome", "csrf")
REASON_CODES = (
    "fraud",
    "gambling",
    "pornography",
    "violence",
    "illegal_goods",
    "advertising",
    "politics",
    "harassment",
    "privacy",
    "other",
)


def _day(raw: str, field: str, *, through: bool = False) -> datetime | None:
    """A calendar day typed in a form as an instant: its start in Beijing time, or (an end) the start of the next."""
    text = raw.strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed("Give the date as YYYY-MM-DD", details={"field": field, "reason": "invalid"}) from None
    return datetime.combine(day + timedelta(days=1 if through else 0), time(), CHINA)


def _on(at: datetime | None, *, through: bool = False) -> str:
    """An instant as the day a date input shows."""
    if at is None:
        return ""
    local = at.astimezone(CHINA)
    return (local - timedelta(days=1 if through else 0)).date().isoformat()


def _ids(raw: str) -> tuple[int, ...]:
    parts = [p for p in re.split(r"[\s,，、]+", raw.strip()) if p]
    ids = tuple(parse_int(p, lo=1, hi=2**53 - 1) for p in parts)
    if any(i is None for i in ids):
        raise ValidationFailed(
            "Message numbers are whole numbers", details={"field": "message_ids", "reason": "invalid"}
        )
    return tuple(i for i in ids if i is not None)


def _levels(lang: str) -> list[dict[str, Any]]:
    """The severities with what each restricts, for the forms."""
    return [
        {"value": int(v), "label": level_label(v, lang), "effects": [effect_label(e.value, lang) for e in effects(v)]}
        for v in LEVELS
    ]


def _level_names(lang: str) -> dict[int, str]:
    return {int(v): level_label(v, lang) for v in LEVELS}


def _flash(w: Web) -> str | None:
    done = w.request.query_params.get("done", "")
    return w.t(f"blacklist.done.{done}") if done in ("added", "changed", "reviewed", "removed") else None


@router.get("/staff/blacklist")
async def entries(w: ReaderDep) -> Response:
    assert w.session is not None
    p = w.request.query_params
    status = p.get("status", "active") if p.get("status") in ("active", "due", "ended", "all") else "active"
    kind = p.get("type") if p.get("type") in ("group", "account", "identity") else None
    severity = parse_int(p.get("severity", ""), lo=1, hi=3)
    q = p.get("q", "").strip()[:64]
    try:
        rows = await blacklist_views.list_entries(
            w.container.db,
            staff=w.session.user,
            now=w.ctx.now,
            status=status,
            subject_type=kind,
            severity=severity,
            q=q or None,
        )
    except QunzuError as exc:
        return _refused(w, exc)
    return _page(
        w,
        "staff_blacklist.html",
        "blacklist",
        due=[r for r in rows if r.due] if status != "due" else [],  # the queue on top, unless it is all we show
        rows=[r for r in rows if not r.due or status == "due"],
        filters={"status": status, "type": kind or "", "severity": severity or "", "q": q},
        can_keep=w.session.user.staff_role in BLACKLIST_KEEPERS,
        levels=_levels(w.lang),
        level_names=_level_names(w.lang),
    )


def _add_form(w: Web, values: dict[str, str], *, error: QunzuError | None = None) -> Response:
    return _page(
        w,
        "staff_blacklist_new.html",
        "blacklist",
        status_code=422 if error else 200,
        values=values,
        levels=_levels(w.lang),
        reason_codes=REASON_CODES,
        error=form_error(error, w.lang) if error else None,
        error_field=error_field(error) if error else None,
    )


@router.get("/staff/blacklist/new")
async def new_entry(w: KeeperDep) -> Response:
    p = w.request.query_params
    values = {name: "" for name in ADD_FIELDS}
    values |= {
        "subject_type": p.get("subject_type", "account")
        if p.get("subject_type") in ("group", "identity")
        else "account",
        "subject": p.get("subject", "").strip()[:64],
        "severity": "1",
        "source": "platform",
        "reason_code": "other",
        "review_on": _on(w.ctx.now + DEFAULT_REVIEW),
    }
    return _add_form(w, values)


@router.post("/staff/blacklist")
async def add(w: KeeperDep) -> Response:
    assert w.session is not None
    f = await form_fields(w.request, *ADD_FIELDS)
    try:
        w.check_csrf(f["csrf"])
        done = await blacklist.add_entry(
            w.container.db,
            w.container.keys,
            staff=w.session.user,
            subject_type=f["subject_type"],
            subject=f["subject"],
            severity=f["severity"],
            source=f["source"],
            authority_ref=f["authority_ref"],
            reason=f["reason"],
            review_at=_day(f["review_on"], "review_at"),
            ends_at=_day(f["ends_on"], "ends_at", through=True),
            record_id=parse_int(f["record_id"], lo=1, hi=2**53 - 1) if f["record_id"] else None,
            message_ids=_ids(f["message_ids"]),
            reason_code=f["reason_code"] if f["reason_code"] in REASON_CODES else "other",
            ctx=w.ctx,
        )
    except QunzuError as exc:
        if exc.code in (ErrorCode.FORBIDDEN, ErrorCode.CSRF_FAILED):
            return _refused(w, exc) if exc.code is ErrorCode.FORBIDDEN else _add_form(w, f, error=exc)
        return _add_form(w, f, error=exc)
    _evict(w, done)
    return RedirectResponse(f"/staff/blacklist/{done.entry_ids[0]}?done=added", status_code=303)


def _evict(w: Web, done: Outcome) -> None:
    for user_id in done.accounts:
        w.container.tokens.evict_user(user_id)


async def _entry_page(
    w: Web,
    entry_id: int,
    *,
    error: QunzuError | None = None,
    form: str | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    assert w.session is not None
    try:
        view, changes = await blacklist_views.entry_detail(
            w.container.db, staff=w.session.user, entry_id=entry_id, now=w.ctx.now
        )
    except QunzuError as exc:
        if exc.code is ErrorCode.BLACKLIST_ENTRY_NOT_FOUND:
            return w.not_found()
        return _refused(w, exc)
    defaults = {
        "severity": str(view.severity),
        "review_on": _on(w.ctx.now + DEFAULT_REVIEW),
        "ends_on": "",
        "reason": "",
        "outcome": "keep",
        "clear_end": "",
    }
    return _page(
        w,
        "staff_blacklist_entry.html",
        "blacklist",
        status_code=422 if error else 200,
        e=view,
        changes=_history(changes, w.lang),
        levels=_levels(w.lang),
        level_names=_level_names(w.lang),
        effects=[effect_label(x.value, w.lang) for x in effects(view.severity)],
        can_keep=w.session.user.staff_role in BLACKLIST_KEEPERS,
        flash_text=_flash(w),
        error=form_error(error, w.lang) if error else None,
        error_field=error_field(error) if error else None,
        error_form=form,
        values=defaults | (values or {}),
    )


TIME_FIELDS = ("review_at", "ends_at", "removed_at")


def _shown(field: str, value: Any, lang: str) -> str:
    """A value of the change history as people read it: times in Beijing time, severities by name."""
    if value is None:
        return "—"
    if field in TIME_FIELDS:
        try:
            return when(datetime.fromisoformat(str(value)))
        except ValueError:
            return str(value)
    if field == "severity":
        return level_label(int(value), lang)
    if field == "source":
        return translator(lang)(f"blacklist.source.{value}")
    return str(value)


def _history(changes: list[blacklist_views.ChangeView], lang: str) -> list[dict[str, Any]]:
    rows = []
    for c in changes:
        fields = [
            (f, _shown(f, pair["before"], lang), _shown(f, pair["after"], lang))
            for f, pair in c.diff.items()
            if f != "review_outcome" and not (c.change == "added" and f == "reason")
        ]
        outcome = (c.after or {}).get("review_outcome")
        rows.append(
            {"at": c.at, "change": c.change, "outcome": outcome, "actor": c.actor, "fields": fields, "reason": c.reason}
        )
    return rows


@router.get("/staff/blacklist/{entry_id}")
async def entry(entry_id: str, w: ReaderDep) -> Response:
    number = parse_int(entry_id, lo=1, hi=2**53 - 1)
    return w.not_found() if number is None else await _entry_page(w, number)


@router.post("/staff/blacklist/{entry_id}/{action}")
async def act(entry_id: str, action: str, w: KeeperDep) -> Response:
    """Review (keep, change or remove), change, or remove an entry; then back to its page."""
    assert w.session is not None
    number = parse_int(entry_id, lo=1, hi=2**53 - 1)
    if number is None or action not in ("review", "change", "remove"):
        return w.not_found()
    f = await form_fields(w.request, *CHANGE_FIELDS)
    try:
        w.check_csrf(f["csrf"])
        done = await _do(w, number, action, f)
    except QunzuError as exc:
        if exc.code is ErrorCode.FORBIDDEN:
            return _refused(w, exc)
        return await _entry_page(w, number, error=exc, form=action, values=f)
    _evict(w, done)
    word = {"review": "reviewed", "change": "changed", "remove": "removed"}[action]
    return RedirectResponse(f"/staff/blacklist/{number}?done={word}", status_code=303)


async def _do(w: Web, entry_id: int, action: str, f: dict[str, str]) -> Outcome:
    assert w.session is not None
    db, staff, ctx = w.container.db, w.session.user, w.ctx
    if action == "remove":
        return await blacklist.remove_entry(db, staff=staff, entry_id=entry_id, reason=f["reason"], ctx=ctx)
    ends = _day(f["ends_on"], "ends_at", through=True)
    common: dict[str, Any] = {
        "severity": f["severity"] or None,
        "review_at": _day(f["review_on"], "review_at"),
        "ends_at": ends,
        "keep_end": ends is None and not f["clear_end"],
    }
    if action == "change":
        return await blacklist.change_entry(db, staff=staff, entry_id=entry_id, reason=f["reason"], ctx=ctx, **common)
    return await blacklist.review_entry(
        db, staff=staff, entry_id=entry_id, outcome=f["outcome"], reason=f["reason"], ctx=ctx, **common
    )
