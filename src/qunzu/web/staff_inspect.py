"""The staff console's inspection pages (R-3-1, R-13.1-4).

Administrators issue and revoke regulators' access at /staff/regulators (the initial password is shown once, on the
response that issued it). Regulators (within their scope), compliance officers and administrators read the groups in
scope, one group's members, messages and measures, and search the operation log, at /staff/inspect/...: read-only
pages, whose only forms are GET searches. Every view is recorded by the service (`inspect.view`, `inspect.download`).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends
from starlette.responses import RedirectResponse, Response

from qunzu.domain.staff import INSPECTORS, REGULATOR_ISSUERS
from qunzu.domain.text import clean_line, parse_int
from qunzu.errors import ErrorCode, QunzuError, ValidationFailed
from qunzu.services import inspection, regulators
from qunzu.services.regulators import RegulatorSpec
from qunzu.web.context import Web, form_fields, staff_page
from qunzu.web.i18n import error_field, form_error
from qunzu.web.staff import _page

router = APIRouter(include_in_schema=False)
InspectorDep = Annotated[Web, Depends(staff_page(INSPECTORS))]
IssuerDep = Annotated[Web, Depends(staff_page(REGULATOR_ISSUERS))]
CHINA = ZoneInfo("Asia/Shanghai")
FIELDS = ("username", "official_name", "organisation", "document_number", "group_codes", "categories", "region",
          "window_from", "window_to", "expires_at", "csrf")  # fmt: skip
VIEWS = ("members", "messages", "measures")


def _day(raw: str, field: str, *, end: bool) -> datetime:
    """A Beijing calendar day typed in a form: from its 00:00, or (`end`) through its 24:00."""
    try:
        d = date.fromisoformat(raw.strip())
    except ValueError:
        raise ValidationFailed("A day is written YYYY-MM-DD", details={"field": field, "reason": "invalid"}) from None
    return datetime.combine(d + timedelta(days=1) if end else d, time(), CHINA).astimezone(ZoneInfo("UTC"))


def _words(raw: str) -> list[str]:
    return [w for w in raw.replace(",", " ").replace("，", " ").split() if w][:200]


def _inspect_refused(w: Web, exc: QunzuError) -> Response:
    if exc.code is ErrorCode.ACCESS_EXPIRED:
        return w.forbidden("inspect.expired")
    if exc.code is ErrorCode.FORBIDDEN:
        return w.forbidden("inspect.out_of_scope", back=("/staff/inspect", "inspect.back"))
    if exc.code in (ErrorCode.NOT_FOUND, ErrorCode.GROUP_NOT_FOUND):
        return w.not_found()
    raise exc


# --- issuing access (admin) ------------------------------------------------------------------------------------


async def _regulators_page(
    w: Web, *, form: dict[str, str] | None = None, error: QunzuError | None = None, issued: Any = None
) -> Response:
    assert w.session is not None
    rows = await regulators.list_regulators(w.container.db, staff=w.session.user)
    status = 200 if error is None else (422 if error.code is ErrorCode.VALIDATION_FAILED else 409 if
                                        error.code is ErrorCode.USERNAME_TAKEN else 404)  # fmt: skip
    return _page(
        w, "staff_regulators.html", "regulators", status_code=status, rows=rows, now=w.ctx.now,
        form=dict.fromkeys(FIELDS, "") | (form or {}), issued=issued,
        categories=w.container.settings.groups.categories,
        error=form_error(error, w.lang) if error else None, error_field=error_field(error) if error else None,
        flash=w.request.query_params.get("done") == "revoked",
    )  # fmt: skip


@router.get("/staff/regulators")
async def regulators_page(w: IssuerDep) -> Response:
    return await _regulators_page(w)


@router.post("/staff/regulators")
async def issue(w: IssuerDep) -> Response:
    """Issue an access; the initial password appears on this response only."""
    assert w.session is not None
    f = await form_fields(w.request, *FIELDS)
    try:
        w.check_csrf(f["csrf"])
        spec = RegulatorSpec(
            username=clean_line(f["username"], field="username"),
            official_name=clean_line(f["official_name"], field="official_name"),
            organisation=clean_line(f["organisation"], field="organisation"),
            document_number=clean_line(f["document_number"], field="document_number", required=False) or None,
            group_codes=_words(f["group_codes"]), categories=_words(f["categories"]),
            region=clean_line(f["region"], field="region", required=False) or None,
            window_from=_day(f["window_from"], "window_from", end=False),
            window_to=_day(f["window_to"], "window_to", end=True),
            expires_at=_day(f["expires_at"], "expires_at", end=True),
        )  # fmt: skip
        issued = await regulators.create_regulator(
            w.container.db, w.container.passwords, staff=w.session.user, spec=spec,
            known_categories=w.container.settings.groups.categories, ctx=w.ctx,
            password_min_length=w.container.settings.auth.password_min_length,
        )  # fmt: skip
    except QunzuError as exc:
        if exc.code is ErrorCode.FORBIDDEN:
            return w.forbidden()
        f.pop("csrf", None)
        return await _regulators_page(w, form=f, error=exc)
    return await _regulators_page(w, issued=issued)


@router.post("/staff/regulators/{raw_id}/revoke")
async def revoke(raw_id: str, w: IssuerDep) -> Response:
    assert w.session is not None
    user_id = parse_int(raw_id, lo=1, hi=2**63 - 1)
    if user_id is None:
        return w.not_found()
    f = await form_fields(w.request, "csrf")
    try:
        w.check_csrf(f["csrf"])
        await regulators.revoke_regulator(w.container.db, staff=w.session.user, user_id=user_id, ctx=w.ctx)
    except QunzuError as exc:
        if exc.code is ErrorCode.NOT_FOUND:
            return w.not_found()
        return await _regulators_page(w, error=exc)
    w.container.tokens.evict_user(user_id)
    return RedirectResponse("/staff/regulators?done=revoked", status_code=303)


# --- inspection (read-only) ------------------------------------------------------------------------------------


async def _scope_note(w: Web) -> Any:
    """The regulator's own access, shown above every inspection page (None for unlimited staff)."""
    assert w.session is not None
    if w.session.user.staff_role != "regulator":
        return None
    from qunzu.services.inspection_scope import load_scope

    async with w.container.db.uow(write=False) as uow:
        return await load_scope(uow.conn, staff=w.session.user)


@router.get("/staff/inspect")
async def groups(w: InspectorDep) -> Response:
    assert w.session is not None
    try:
        found = await inspection.list_groups(w.container.db, staff=w.session.user, ctx=w.ctx)
        scope = await _scope_note(w)
    except QunzuError as exc:
        return _inspect_refused(w, exc)
    return _page(w, "staff_inspect.html", "inspect", groups=found, scope=scope)


@router.get("/staff/inspect/groups/{code}")
async def group(code: str, w: InspectorDep) -> Response:
    assert w.session is not None
    view = w.request.query_params.get("view", "members")
    if view not in VIEWS or len(code) > 20:
        return w.not_found()
    try:
        file = await inspection.group_file(w.container.db, staff=w.session.user, code=code, view=view, ctx=w.ctx)
        scope = await _scope_note(w)
    except QunzuError as exc:
        return _inspect_refused(w, exc)
    return _page(w, "staff_inspect_group.html", "inspect", file=file, view=view, views=VIEWS, scope=scope)


def _log_query(w: Web) -> dict[str, str]:
    q = w.request.query_params
    return {k: q.get(k, "").strip()[:64] for k in ("actor_id", "ip", "group", "from_day", "to_day")}


async def _search(w: Web, q: dict[str, str], *, download: bool) -> list[inspection.LogRow]:
    assert w.session is not None
    actor = parse_int(q["actor_id"], lo=1, hi=2**63 - 1) if q["actor_id"] else None
    if q["actor_id"] and actor is None:
        raise ValidationFailed("An account is named by its number", details={"field": "actor_id", "reason": "invalid"})
    return await inspection.search_log(
        w.container.db, staff=w.session.user, actor_id=actor, ip=q["ip"] or None, group_code=q["group"] or None,
        since=_day(q["from_day"], "from_day", end=False) if q["from_day"] else None,
        until=_day(q["to_day"], "to_day", end=True) if q["to_day"] else None, ctx=w.ctx, download=download,
    )  # fmt: skip


@router.get("/staff/inspect/log")
async def log(w: InspectorDep) -> Response:
    q = _log_query(w)
    searched = any(q.values())
    try:
        rows = await _search(w, q, download=False) if searched else []
        scope = await _scope_note(w)
    except QunzuError as exc:
        if exc.code is not ErrorCode.VALIDATION_FAILED:
            return _inspect_refused(w, exc)
        return _page(w, "staff_inspect_log.html", "inspect_log", status_code=422, q=q, rows=[], searched=False,
                     scope=None, error=form_error(exc, w.lang))  # fmt: skip
    return _page(w, "staff_inspect_log.html", "inspect_log", q=q, rows=rows, searched=searched, scope=scope,
                 error=None)  # fmt: skip


@router.get("/staff/inspect/log.csv")
async def log_csv(w: InspectorDep) -> Response:
    """The search as a CSV download; recorded as `inspect.download`."""
    try:
        rows = await _search(w, _log_query(w), download=True)
    except QunzuError as exc:
        if exc.code is ErrorCode.VALIDATION_FAILED:
            return w.not_found(status_code=422)
        return _inspect_refused(w, exc)
    return Response(inspection.log_as_csv(rows), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": 'attachment; filename="operation-log.csv"', "Cache-Control": "no-store"})  # fmt: skip
