"""The staff console's platform measures (Art. 11 ¶1–2, R-11.1-*, R-11.2-*): the records with filters and their
report status, a form to apply a measure to a group, a user or a message (every field explained), and one record in
full (evidence copies with their hashes, decider, times, notices, appeal, report status) with lifting and, for a
warning, confirming the rectification. Deciders: admin, reviewer, compliance officer; the regulator reads."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from starlette.responses import RedirectResponse, Response

from qunzu.domain.content import REASON_CODES
from qunzu.domain.credit import Severity
from qunzu.domain.enforcement import (
    DEFAULT_CLAUSE,
    SOURCES,
    STATUSES,
    MeasureKind,
    MeasureSpec,
    clause_text,
    legal_basis_text,
)
from qunzu.domain.group_stars import STARS_LOWEST_MEASURE, STARS_MAX
from qunzu.domain.staff import MEASURE_DECIDERS, MEASURE_READERS
from qunzu.domain.text import clean_line, clean_text, parse_int
from qunzu.errors import ErrorCode, QunzuError, ValidationFailed
from qunzu.services import measures
from qunzu.web.context import Web, form_fields, staff_page
from qunzu.web.i18n import form_error
from qunzu.web.staff import _page

router = APIRouter(include_in_schema=False)
MeasuresDep = Annotated[Web, Depends(staff_page(MEASURE_READERS))]
FORM = (
    "kind", "target", "duration", "unit", "reason_code", "reason", "rectification", "evidence", "credit_severity",
    "stars", "source", "source_ref", "clause", "legal_basis",
)  # fmt: skip
TARGET_TYPES = ("group", "user", "message")


def _date(raw: str) -> datetime | None:
    try:
        return datetime.strptime(raw, "%Y-%m-%d").replace(tzinfo=UTC) if raw else None
    except ValueError:
        return None


def _filters(w: Web) -> tuple[measures.RecordFilter, dict[str, str]]:
    q = w.request.query_params
    raw = {k: q.get(k, "").strip()[:32] for k in ("target_type", "target_id", "measure", "status", "since", "until")}
    raw["target_type"] = raw["target_type"] if raw["target_type"] in TARGET_TYPES else ""
    raw["measure"] = raw["measure"] if raw["measure"] in {k.value for k in MeasureKind} else ""
    raw["status"] = raw["status"] if raw["status"] in STATUSES else ""
    target_id = parse_int(raw["target_id"], lo=1)
    raw["target_id"] = str(target_id) if target_id else ""
    since, until = _date(raw["since"]), _date(raw["until"])
    raw["since"], raw["until"] = (raw["since"] if since else ""), (raw["until"] if until else "")
    before = until + timedelta(days=1) if until and until.year < 9999 else None  # the whole last day
    f = measures.RecordFilter(
        target_type=raw["target_type"] or None, target_id=target_id, measure=raw["measure"] or None,
        status=raw["status"] or None, since=since, until=before,
    )  # fmt: skip
    return f, raw


def _choices(w: Web) -> dict[str, Any]:
    return {
        "kinds": [(k.value, w.t(f"measures.kind.{k.value}")) for k in MeasureKind],
        "reason_codes": [(c, w.t(f"reason.{c}")) for c in REASON_CODES],
        "severities": [("", w.t("measures.severity.none"))]
        + [(s.value, w.t(f"measures.severity.{s.value}")) for s in Severity],
        "sources": [(s, w.t(f"measures.source.{s}")) for s in SOURCES if s != "blacklist"],
        "stars_levels": [("", w.t("measures.stars.none"))]
        + [(str(n), w.t("measures.stars.level", stars=n)) for n in range(STARS_MAX - 1, STARS_LOWEST_MEASURE - 1, -1)],
        "statuses": list(STATUSES),
        "target_types": TARGET_TYPES,
        "default_clauses": {k.value: clause_text(v, w.lang) for k, v in DEFAULT_CLAUSE.items()},
    }


async def _list_page(w: Web, *, form: dict[str, str] | None = None, error: QunzuError | None = None) -> Response:
    assert w.session is not None
    filters, raw = _filters(w)
    try:
        records = await measures.list_records(w.container.db, staff=w.session.user, filters=filters, limit=100)
    except QunzuError as exc:
        if exc.code is ErrorCode.FORBIDDEN:
            return w.forbidden()
        raise
    applied = parse_int(w.request.query_params.get("applied", ""), lo=1)
    return _page(
        w,
        "staff_measures.html",
        "measures",
        status_code=422 if error else 200,
        records=records,
        filters=raw,
        can_decide=w.session.user.staff_role in MEASURE_DECIDERS,
        form={k: "" for k in FORM} | (form or _prefill(w)),
        error=form_error(error, w.lang) if error else None,
        error_field=error.details.get("field") if error else None,
        applied=applied,
        **_choices(w),
    )


def _prefill(w: Web) -> dict[str, str]:
    """The form's starting values; a link may name the measure, its target, reason code and reference (a follow-up
    measure on the owner of a group whose warning went overdue). Values outside their choices are dropped."""
    q = w.request.query_params
    form = {"unit": "hours", "source": "platform", "reason_code": "other"}
    if q.get("kind", "") in {k.value for k in MeasureKind}:
        form["kind"] = q["kind"]
    if q.get("reason_code", "") in REASON_CODES:
        form["reason_code"] = q["reason_code"]
    for name, longest in (("target", 64), ("source_ref", 100)):
        value = q.get(name, "").strip()
        if value and len(value) <= longest and value.isprintable():
            form[name] = value
    return form


@router.get("/staff/measures")
async def records(w: MeasuresDep) -> Response:
    return await _list_page(w)


def _evidence_ids(raw: str) -> tuple[int, ...]:
    parts = [p for p in re.split(r"[\s,，、]+", raw.strip()) if p]
    ids = [parse_int(p, lo=1) for p in parts]
    if any(i is None for i in ids):
        raise ValidationFailed(
            "Evidence message ids are numbers", details={"field": "evidence_message_ids", "reason": "invalid"}
        )
    return tuple(i for i in ids if i is not None)


def _duration(amount: str, unit: str) -> timedelta | None:
    if not amount.strip():
        return None
    n = parse_int(amount.strip(), lo=1, hi=100_000)
    if n is None:
        raise ValidationFailed("The period is a whole number", details={"field": "duration", "reason": "invalid"})
    return timedelta(days=n) if unit == "days" else timedelta(hours=n)


async def _spec(w: Web, f: dict[str, str]) -> MeasureSpec:
    if f["kind"] not in {k.value for k in MeasureKind}:
        raise ValidationFailed("Choose a measure", details={"field": "kind", "reason": "required"})
    kind = MeasureKind(f["kind"])
    assert w.session is not None
    target_id = await measures.resolve_target(
        w.container.db, staff=w.session.user, kind=kind, target=clean_line(f["target"], field="target")
    )
    severity = f["credit_severity"]
    return MeasureSpec(
        kind=kind,
        target_id=target_id,
        reason_code=f["reason_code"],
        reason=clean_text(f["reason"], field="reason"),
        duration=_duration(f["duration"], f["unit"]),
        rectification=clean_text(f["rectification"], field="rectification") or None,
        evidence_message_ids=_evidence_ids(f["evidence"]),
        source=f["source"] or "platform",
        source_ref=clean_line(f["source_ref"], field="source_ref", required=False) or None,
        clause=clean_line(f["clause"], field="clause", required=False) or None,
        legal_basis=clean_line(f["legal_basis"], field="legal_basis", required=False) or None,
        credit_severity=Severity(severity) if severity in {s.value for s in Severity} else None,
        stars=parse_int(f["stars"], lo=1, hi=5),
    )


@router.post("/staff/measures")
async def apply(w: MeasuresDep) -> Response:
    """Apply a measure from the form; back to the record it wrote."""
    assert w.session is not None
    f = await form_fields(w.request, *FORM, "csrf")
    try:
        w.check_csrf(f["csrf"])
        spec = await _spec(w, f)
        view = await measures.apply(w.container.db, staff=w.session.user, spec=spec, ctx=w.ctx)
    except QunzuError as exc:
        if exc.code is ErrorCode.FORBIDDEN:
            return w.forbidden()
        return await _list_page(w, form=f, error=exc)
    if view.measure is MeasureKind.USER_SUSPEND:
        w.container.tokens.evict_user(view.target_id)
    return RedirectResponse(f"/staff/measures/{view.id}?applied=1", status_code=303)


async def _detail_page(w: Web, record_id: int, *, error: QunzuError | None = None) -> Response:
    assert w.session is not None
    try:
        view = await measures.record_detail(w.container.db, staff=w.session.user, record_id=record_id)
        sent = await measures.notices_sent(w.container.db, staff=w.session.user, record=view)
    except QunzuError as exc:
        if exc.code is ErrorCode.FORBIDDEN:
            return w.forbidden()
        if exc.code in (ErrorCode.MEASURE_NOT_FOUND, ErrorCode.NOT_FOUND):
            return w.not_found()
        raise
    return _page(
        w,
        "staff_measures_detail.html",
        "measures",
        status_code=422 if error else 200,
        r=view,
        notices=sent,
        overdue_owner=await measures.overdue_owner(w.container.db, staff=w.session.user, record=view),
        clause=clause_text(view.clause, w.lang),
        legal_basis=legal_basis_text(view.legal_basis, w.lang),
        can_decide=w.session.user.staff_role in MEASURE_DECIDERS,
        applied=w.request.query_params.get("applied") == "1",
        lifted=w.request.query_params.get("lifted") == "1",
        error=form_error(error, w.lang) if error else None,
    )


@router.get("/staff/measures/{record_id}")
async def record(record_id: str, w: MeasuresDep) -> Response:
    rid = parse_int(record_id, lo=1)
    return await _detail_page(w, rid) if rid else w.not_found()


@router.post("/staff/measures/{record_id}/lift")
async def lift(record_id: str, w: MeasuresDep) -> Response:
    """Lift the measure, or confirm a warning's rectification (`status=resolved`), with the reason."""
    assert w.session is not None
    rid = parse_int(record_id, lo=1)
    if rid is None:
        return w.not_found()
    f = await form_fields(w.request, "reason", "status", "csrf")
    try:
        w.check_csrf(f["csrf"])
        await measures.lift(
            w.container.db, staff=w.session.user, record_id=rid, reason=clean_line(f["reason"], field="reason"),
            ctx=w.ctx, status="resolved" if f["status"] == "resolved" else "lifted",
        )  # fmt: skip
    except QunzuError as exc:
        if exc.code is ErrorCode.FORBIDDEN:
            return w.forbidden()
        if exc.code is ErrorCode.MEASURE_NOT_FOUND:
            return w.not_found()
        return await _detail_page(w, rid, error=exc)
    return RedirectResponse(f"/staff/measures/{rid}?lifted=1", status_code=303)
