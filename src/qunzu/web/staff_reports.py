"""The staff console's reports to the authorities (Art. 11 ¶3, D13) and complaint supervision figures (Art. 12 ¶1).

- `/staff/reports`: build a signed package for a period (admins and compliance officers), whether the periodic
  summary is on and which one comes next, the disclosure register (when, by whom, period, rows, manifest hash, key
  id, download) and the signing public key; the regulator role reads and downloads.
  `/staff/reports/{id}/download` sends the zip (recorded as `report.download`).
- `/staff/reports/figures`: the figures by category and Beijing month, each count linking to its tickets.

Forms work without JavaScript and check the page's CSRF token; the services check each role again.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends
from starlette.responses import RedirectResponse, Response

from qunzu.domain.complaint_figures import ALL, beijing_month, months_period
from qunzu.domain.reports import SECTIONS, beijing_day, parse_period, period_invalid
from qunzu.domain.staff import FIGURE_READERS, REPORT_MAKERS, REPORT_READERS, TICKET_HANDLERS
from qunzu.domain.text import parse_int
from qunzu.errors import ErrorCode, QunzuError
from qunzu.i18n.loader import catalogue
from qunzu.services import report_package, report_periodic
from qunzu.services.report_keys import SigningKey, signing_key
from qunzu.web.context import Web, form_fields, staff_page
from qunzu.web.i18n import error_field, form_error, translator
from qunzu.web.staff import _page, _refused

router = APIRouter(include_in_schema=False)
ReportsDep = Annotated[Web, Depends(staff_page(REPORT_READERS))]
FiguresDep = Annotated[Web, Depends(staff_page(FIGURE_READERS))]
TICKET_LIST = "/staff/reports/figures/tickets"  # the tickets behind a count, with their timestamps


def _default_period(w: Web) -> dict[str, str]:
    """Last Beijing month: from its first day to the first day of this one."""
    this_month = beijing_month(w.ctx.now)
    return {"from": beijing_day(months_period(this_month, 2)[0]), "to": beijing_day(months_period(this_month)[0])}


async def _reports_page(
    w: Web, *, status_code: int = 200, error: QunzuError | None = None, values: dict[str, Any] | None = None
) -> Response:
    assert w.session is not None
    try:
        packages = await report_package.list_packages(w.container.db, staff=w.session.user)
    except QunzuError as exc:
        return _refused(w, exc)
    can_make = w.session.user.staff_role in REPORT_MAKERS
    t = translator(w.lang)
    try:
        key: SigningKey | None = signing_key(w.container.settings.report_key_path)
    except QunzuError:
        key = None  # the page still lists the register; building says why it cannot sign
    return _page(
        w, "staff_reports.html", "reports", status_code=status_code, packages=packages, can_make=can_make,
        unreported=await report_package.unreported_counts(w.container.db) if can_make else None,
        sections=[(name, t(f"reports.section_{name}")) for name in SECTIONS], day=beijing_day,
        values=values or {**_default_period(w), "authority": t("reports.authority_default"), "document_number": "",
                          "backlog": False, "include_reported": False},
        key_id=key.key_id if key else None, key_pem=key.public_pem.decode() if key else None,
        periodic=await report_periodic.next_summary(w.container.db, settings=w.container.settings.reports,
                                                     now=w.ctx.now), now=w.ctx.now,
        created=parse_int(w.request.query_params.get("created"), lo=1),
        error=form_error(error, w.lang) if error else None, error_field=_field(error) if error else None,
    )  # fmt: skip


def _field(exc: QunzuError) -> str | None:
    field = error_field(exc)
    return {"from": "from", "to": "to"}.get(field or "", field)


@router.get("/staff/reports")
async def reports(w: ReportsDep) -> Response:
    return await _reports_page(w)


@router.post("/staff/reports")
async def build(w: ReportsDep) -> Response:
    """Build, sign and register a package; then back to the register with the new entry named."""
    assert w.session is not None
    form = await w.request.form()
    f = await form_fields(w.request, "csrf", "from", "to", "authority", "document_number")
    flags = {"backlog": "backlog" in form, "include_reported": "include_reported" in form}
    values = {k: f[k] for k in ("from", "to", "authority", "document_number")} | flags
    try:
        w.check_csrf(f["csrf"])
        lo, hi = parse_period(f["from"], f["to"])
        info = await report_package.build_enforcement_package(
            w.container.db, staff=w.session.user, period_from=lo, period_to=hi, authority=f["authority"][:200],
            document_number=f["document_number"][:100] or None, key=signing_key(
                w.container.settings.report_key_path), out_dir=w.container.settings.report_dir, ctx=w.ctx,
            backlog=flags["backlog"], include_reported=flags["include_reported"],
        )  # fmt: skip
    except QunzuError as exc:
        if exc.code in (ErrorCode.FORBIDDEN, ErrorCode.CSRF_FAILED):
            return w.forbidden()
        status = 409 if exc.code is ErrorCode.PACKAGE_CONFLICT else 503 if exc.code is ErrorCode.UNAVAILABLE else 422
        return await _reports_page(w, status_code=status, error=exc, values=values)
    return RedirectResponse(f"/staff/reports?created={info.id}#package-{info.id}", status_code=303)


@router.get("/staff/reports/{register_id}/download")
async def download(register_id: str, w: ReportsDep) -> Response:
    assert w.session is not None
    rid = parse_int(register_id, lo=1, hi=2**62)
    if rid is None:
        return w.not_found()
    try:
        info, data = await report_package.open_package(
            w.container.db, staff=w.session.user, register_id=rid, out_dir=w.container.settings.report_dir, ctx=w.ctx
        )
    except QunzuError as exc:
        if exc.code in (ErrorCode.PACKAGE_NOT_FOUND, ErrorCode.PACKAGE_FILE_MISSING):
            return w.not_found()
        return _refused(w, exc)
    return Response(
        data, media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{info.file_name}"', "Cache-Control": "no-store"},
    )  # fmt: skip


# --- supervision figures -----------------------------------------------------------------------------------------


def _duration(seconds: float | None, lang: str) -> str:
    """A decision time as people read it: minutes under 2 h, hours (one decimal) under 48 h, else days."""
    t = translator(lang)
    if seconds is None:
        return t("figures.none")
    if seconds < 7200:
        return t("figures.dur_minutes", n=round(seconds / 60))
    if seconds < 48 * 3600:
        return t("figures.dur_hours", n=f"{seconds / 3600:.1f}")
    return t("figures.dur_days", n=f"{seconds / 86400:.1f}")


def _ticket_link(month: str, months: int, row_month: str, category: str, **extra: str) -> str:
    """The ticket list behind one count: the row's month (the grand total: the whole range shown) and category."""
    query = {"month": row_month, "months": "1"} if row_month != ALL else {"month": month, "months": str(months)}
    if category != ALL:
        query["category"] = category
    return f"{TICKET_LIST}?{urlencode(query | extra)}"


def _months_query(w: Web) -> tuple[str, int, QunzuError | None]:
    """The `month` and `months` asked for (default: three months up to this one), or this month and an error."""
    q = w.request.query_params
    month = q.get("month", "").strip()[:7] or beijing_month(w.ctx.now)
    months = parse_int(q.get("months"), lo=1, hi=12) or 3
    try:
        months_period(month, months)
    except ValueError:
        return beijing_month(w.ctx.now), months, period_invalid("Not a month (YYYY-MM)", field="month")
    return month, months, None


@router.get("/staff/reports/figures")
async def figures(w: FiguresDep) -> Response:
    """The figures for `months` Beijing months up to `month` (default: the last three up to this one)."""
    assert w.session is not None
    month, months, error = _months_query(w)
    lo, hi = months_period(month, months)
    try:
        rows = await report_package.figures(w.container.db, staff=w.session.user, period_from=lo, period_to=hi,
                                            now=w.ctx.now)  # fmt: skip
    except QunzuError as exc:
        return _refused(w, exc)
    categories = catalogue(w.lang).get("report_categories", {})
    t = translator(w.lang)
    table = [
        {
            "row": r, "total": r.category == ALL,
            "month": t("figures.grand_total") if r.month == ALL else r.month,
            "category": (t("figures.all_categories") if r.category == ALL else categories.get(r.category, r.category)),
            "share": "—" if r.within_sla_share is None else f"{r.within_sla_share:.1%}",
            "median": _duration(r.median_seconds, w.lang), "p95": _duration(r.p95_seconds, w.lang),
            "received_link": _ticket_link(month, months, r.month, r.category),
            "handled_link": _ticket_link(month, months, r.month, r.category, handled="1"),
        }
        for r in rows
    ]  # fmt: skip
    return _page(
        w, "staff_reports_figures.html", "figures", status_code=422 if error else 200, table=table, month=month,
        months=months, period_from=lo, period_to=hi, empty=rows[-1].received == 0,
        error=form_error(error, w.lang) if error else None,
    )  # fmt: skip


@router.get("/staff/reports/figures/tickets")
async def figure_tickets(w: FiguresDep) -> Response:
    """The ticket list behind the figures (R-12.1-3): received in the months asked for, of one category if given,
    only the handled ones with `handled=1`; each ticket with its times, outcome and whether it met its deadline."""
    assert w.session is not None
    month, months, error = _months_query(w)
    lo, hi = months_period(month, months)
    category = w.request.query_params.get("category", "").strip()[:32] or None
    handled = True if w.request.query_params.get("handled") == "1" else None
    try:
        tickets = await report_package.ticket_list(
            w.container.db, staff=w.session.user, period_from=lo, period_to=hi, category=category, handled=handled
        )
    except QunzuError as exc:
        return _refused(w, exc)
    categories = catalogue(w.lang).get("report_categories", {})
    rows = [
        t | {"category_label": categories.get(t["category"], t["category"]), "took": _duration(t["seconds"], w.lang)}
        for t in tickets
    ]
    return _page(
        w, "staff_reports_tickets.html", "figures", status_code=422 if error else 200, rows=rows, month=month,
        months=months, period_from=lo, period_to=hi, day=beijing_day, handled=handled,
        category_label=categories.get(category, category) if category else None,
        can_open=w.session.user.staff_role in TICKET_HANDLERS, error=form_error(error, w.lang) if error else None,
    )  # fmt: skip
