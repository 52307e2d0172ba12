"""The staff console: user search, masked identities, reveals (compliance officers), the access record, the manual
verification queue, lapses, document publishing and the development SMS outbox.

Every page answers 403 to a signed-in person without a staff role; the services check each role again.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from starlette.responses import RedirectResponse, Response

from qunzu.domain.documents import DocumentKind
from qunzu.domain.staff import (
    BLACKLIST_KEEPERS,
    BLACKLIST_READERS,
    CAPACITY_READERS,
    EMERGENCY_READERS,
    FIGURE_READERS,
    HOLD_READERS,
    INSPECTORS,
    LAWFUL_READERS,
    MEASURE_READERS,
    OUTBOX_READERS,
    PII_RECORD_READERS,
    REGULATOR_ISSUERS,
    REPORT_READERS,
    TICKET_HANDLERS,
    VERIFICATION_REVIEWERS,
)
from qunzu.domain.text import clean_line, clean_text, parse_int
from qunzu.errors import ErrorCode, QunzuError
from qunzu.services import documents, identity, pii_access
from qunzu.web.context import Web, form_fields, staff_page
from qunzu.web.i18n import error_field, form_error

router = APIRouter(include_in_schema=False)
StaffDep = Annotated[Web, Depends(staff_page())]
REVEAL_FIELDS = ("phone", "name", "id_number")
DOC_FIELDS = ("title_zh", "title_en", "body_zh", "body_en", "summary_zh", "summary_en")


def _refused(w: Web, exc: QunzuError) -> Response:
    if exc.code is ErrorCode.FORBIDDEN:
        return w.forbidden()
    if exc.code in (ErrorCode.NOT_FOUND, ErrorCode.DOCUMENT_NOT_FOUND):
        return w.not_found()
    raise exc


def _user_id(raw: str) -> int | None:
    return parse_int(raw, lo=1)


def _page(w: Web, template: str, section: str, *, status_code: int = 200, **context: Any) -> Response:
    assert w.session is not None
    role = w.session.user.staff_role or ""
    return w.page(
        template,
        status_code=status_code,
        section=section,
        staff_role=role,
        can_pii=role in PII_RECORD_READERS,
        can_review=role in VERIFICATION_REVIEWERS,
        can_publish=role == "admin",
        has_outbox=w.container.sms.keeps_outbox and role in OUTBOX_READERS,
        can_reports=role in REPORT_READERS,  # reports to the authorities (web/staff_reports.py)
        can_figures=role in FIGURE_READERS,  # complaint supervision figures
        can_tickets=role in TICKET_HANDLERS,  # complaint and report tickets (web/staff_tickets.py)
        can_blacklist=role in BLACKLIST_READERS,  # the blacklist (web/staff_blacklist.py)
        can_blacklist_keep=role in BLACKLIST_KEEPERS,
        can_measures=role in MEASURE_READERS,  # platform measures (web/staff_measures.py)
        can_holds=role in HOLD_READERS,  # legal holds (web/staff_holds.py)
        can_lawful=role in LAWFUL_READERS,  # lawful requests (web/staff_lawful.py, R-13.1-1)
        can_inspect=role in INSPECTORS,  # inspection (web/staff_inspect.py, R-13.1-4)
        can_issue_regulators=role in REGULATOR_ISSUERS,  # regulators' access (R-3-1)
        can_capacity=role in CAPACITY_READERS,  # the review team's capacity (web/staff_capacity.py)
        # the capacity alert on every staff page (R-5.1-1): the figures the capacity job counted last, a minute old
        capacity_breaches=w.container.capacity.breaches if w.container.capacity and role in CAPACITY_READERS else [],
        can_emergency=role in EMERGENCY_READERS,  # emergency switches (web/staff_emergency.py)
        **context,
    )


# --- users -------------------------------------------------------------------------------------------------------


@router.get("/staff")
async def home(w: StaffDep) -> Response:
    assert w.session is not None
    q = w.request.query_params.get("q", "").strip()[:64]
    try:
        found = await identity.find_users(w.container.db, staff=w.session.user, query=q) if q else []
    except QunzuError as exc:
        if exc.code is not ErrorCode.VALIDATION_FAILED:
            return _refused(w, exc)
        return _page(w, "staff_home.html", "users", status_code=422, q=q, found=[], searched=False,
                     error=form_error(exc, w.lang))  # fmt: skip
    return _page(w, "staff_home.html", "users", q=q, found=found, searched=bool(q), error=None)


async def _user_page(
    w: Web, user_id: int, *, error: QunzuError | None = None, values: dict[str, Any] | None = None
) -> Response:
    assert w.session is not None
    try:
        view = await identity.staff_identity(w.container.db, w.container.keys, staff=w.session.user, user_id=user_id)
        account = await identity.staff_account(w.container.db, staff=w.session.user, user_id=user_id)
    except QunzuError as exc:
        return _refused(w, exc)
    return _page(
        w,
        "staff_user.html",
        "users",
        status_code=422 if error else 200,
        subject_id=user_id,
        account=account,
        ident=view,
        lapsed_done=w.request.query_params.get("lapsed") == "1",
        error=form_error(error, w.lang) if error else None,
        error_field=error_field(error) if error else None,
        values=values or {"fields": [], "purpose": "", "case_number": "", "reason": ""},
        reveal_fields=REVEAL_FIELDS,
    )


@router.get("/staff/users/{raw_id}")
async def user(raw_id: str, w: StaffDep) -> Response:
    user_id = _user_id(raw_id)
    if user_id is None:
        return w.not_found()
    return await _user_page(w, user_id)


@router.post("/staff/users/{raw_id}/reveal")
async def reveal(raw_id: str, w: StaffDep) -> Response:
    """A compliance officer reveals named fields; the values are shown once, on this response only."""
    assert w.session is not None
    user_id = _user_id(raw_id)
    if user_id is None:
        return w.not_found()
    form = await w.request.form()
    fields = [f for f in form.getlist("fields") if isinstance(f, str) and f in REVEAL_FIELDS]
    f = await form_fields(w.request, "purpose", "case_number", "csrf")
    values = {"fields": fields, "purpose": f["purpose"][:1000], "case_number": f["case_number"][:64], "reason": ""}
    try:
        w.check_csrf(f["csrf"])
        shown = await pii_access.reveal_identity(
            w.container.db,
            w.container.keys,
            staff=w.session.user,
            user_id=user_id,
            fields=fields,
            purpose=values["purpose"],
            case_number=values["case_number"],
            ctx=w.ctx,
        )
    except QunzuError as exc:
        if exc.code in (ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND):
            return _refused(w, exc)
        return await _user_page(w, user_id, error=exc, values=values)
    return _page(w, "staff_revealed.html", "users", subject_id=user_id, shown=shown)


@router.post("/staff/users/{raw_id}/lapse")
async def lapse(raw_id: str, w: StaffDep) -> Response:
    assert w.session is not None
    user_id = _user_id(raw_id)
    if user_id is None:
        return w.not_found()
    f = await form_fields(w.request, "reason", "csrf")
    values = {"fields": [], "purpose": "", "case_number": "", "reason": f["reason"][:200]}
    try:
        w.check_csrf(f["csrf"])
        reason = clean_line(f["reason"][:200], field="reason")
        await identity.mark_lapsed(w.container.db, staff=w.session.user, user_id=user_id, reason=reason, ctx=w.ctx)
    except QunzuError as exc:
        if exc.code is ErrorCode.FORBIDDEN:
            return w.forbidden()
        return await _user_page(w, user_id, error=exc, values=values)
    w.container.tokens.evict_user(user_id)
    return RedirectResponse(f"/staff/users/{user_id}?lapsed=1", status_code=303)


# --- the access record ----------------------------------------------------------------------------------------


@router.get("/staff/pii-access")
async def access_record(w: StaffDep) -> Response:
    assert w.session is not None
    subject = _user_id(w.request.query_params.get("user_id", ""))
    try:
        rows = await pii_access.access_log(w.container.db, staff=w.session.user, user_id=subject)
    except QunzuError as exc:
        return _refused(w, exc)
    return _page(w, "staff_pii.html", "pii", rows=rows, subject=subject)


# --- manual verification queue --------------------------------------------------------------------------------


async def _queue(w: Web, *, error: QunzuError | None = None) -> Response:
    assert w.session is not None
    try:
        rows = await identity.pending_reviews(w.container.db, w.container.keys, staff=w.session.user)
    except QunzuError as exc:
        return _refused(w, exc)
    decided = w.request.query_params.get("decided", "")
    return _page(
        w,
        "staff_queue.html",
        "verifications",
        status_code=422 if error else 200,
        rows=rows,
        decided=parse_int(decided, lo=1),
        error=form_error(error, w.lang) if error else None,
    )


@router.get("/staff/verifications")
async def queue(w: StaffDep) -> Response:
    return await _queue(w)


@router.post("/staff/verifications/{raw_id}/decide")
async def decide(raw_id: str, w: StaffDep) -> Response:
    assert w.session is not None
    submission = _user_id(raw_id)
    if submission is None:
        return w.not_found()
    f = await form_fields(w.request, "decision", "reason", "csrf")
    try:
        w.check_csrf(f["csrf"])
        await identity.decide_review(
            w.container.db,
            w.container.keys,
            staff=w.session.user,
            submission_id=submission,
            approve=f["decision"] == "approve",
            reason=clean_line(f["reason"][:200], field="reason", required=False),
            ctx=w.ctx,
            settings=w.container.settings.identity,
        )
    except QunzuError as exc:
        if exc.code is ErrorCode.FORBIDDEN:
            return w.forbidden()
        return await _queue(w, error=exc)
    return RedirectResponse(f"/staff/verifications?decided={submission}", status_code=303)


# --- development SMS outbox -----------------------------------------------------------------------------------


@router.get("/staff/outbox")
async def outbox(w: StaffDep) -> Response:
    assert w.session is not None
    if not w.container.sms.keeps_outbox:
        return w.not_found()
    try:
        rows = await identity.outbox_messages(w.container.db, staff=w.session.user)
    except QunzuError as exc:
        return _refused(w, exc)
    return _page(w, "staff_outbox.html", "outbox", rows=rows)


# --- document publishing --------------------------------------------------------------------------------------


def _kind(raw: str | None) -> str | None:
    return raw if raw in {k.value for k in DocumentKind} else None


async def _documents_page(
    w: Web, kind: str, *, values: dict[str, str] | None = None, error: QunzuError | None = None
) -> Response:
    doc = await documents.get_document(w.container.db, kind=kind)
    if values is None:
        values = {
            "title_zh": doc.title_zh,
            "title_en": doc.title_en,
            "body_zh": doc.body_zh,
            "body_en": doc.body_en,
            "summary_zh": "",
            "summary_en": "",
        }
    published = w.request.query_params.get("published", "")
    return _page(
        w,
        "staff_documents.html",
        "documents",
        status_code=422 if error else 200,
        kind=kind,
        kinds=[k.value for k in DocumentKind],
        current_version=doc.version,
        values=values,
        published=parse_int(published, lo=1, hi=9_999_999),
        published_title=doc.title(w.lang),
        error=form_error(error, w.lang) if error else None,
        error_field=error_field(error) if error else None,
    )


@router.get("/staff/documents")
async def documents_form(w: StaffDep) -> Response:
    assert w.session is not None
    if w.session.user.staff_role != "admin":
        return w.forbidden()
    kind = _kind(w.request.query_params.get("kind", "agreement"))
    if kind is None:
        return w.not_found()
    return await _documents_page(w, kind)


@router.post("/staff/documents/{kind}")
async def publish(kind: str, w: StaffDep) -> Response:
    assert w.session is not None
    if _kind(kind) is None:
        return w.not_found()
    f = await form_fields(w.request, *DOC_FIELDS, "csrf")
    values = {k: f[k] for k in DOC_FIELDS}
    try:
        w.check_csrf(f["csrf"])
        checked = {
            k: clean_line(v, field=k) if k.startswith("title") else clean_text(v, field=k, required=True)
            for k, v in values.items()
        }
        view = await documents.publish_document(w.container.db, staff=w.session.user, kind=kind, ctx=w.ctx, **checked)
    except QunzuError as exc:
        if exc.code is ErrorCode.FORBIDDEN:
            return w.forbidden()
        return await _documents_page(w, kind, values=values, error=exc)
    return RedirectResponse(f"/staff/documents?kind={kind}&published={view.version}", status_code=303)
