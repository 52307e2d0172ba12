"""Reporting on the web (Art. 12, R-12.1-1): the public report form (/report, no account, no CAPTCHA: limited per
source address), its status lookup, the channels page (/report/channels: every channel with the handling times the
configuration sets), 举报该群 from the group info page (works without scripts), and 我的举报 (/me/reports).

The chat's 举报 on messages and the member list's on members are the dialog of static/js/report.js over the JSON API.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.responses import Response

from qunzu.domain.complaints import GUIDE_ITEM, ReportCategory, is_high_risk
from qunzu.domain.groupcode import format_group_code
from qunzu.errors import ErrorCode, QunzuError
from qunzu.services import complaints
from qunzu.services.complaints import category_text
from qunzu.services.csrf import csrf_failed
from qunzu.web.context import Web, WebDep, form_fields
from qunzu.web.i18n import error_field, form_error
from qunzu.web.session import AnonCsrf, retry_after

router = APIRouter(include_in_schema=False)
NATIONAL_SITE = "https://www.12377.cn"
NATIONAL_PHONE = "12377"


def category_choices(lang: str) -> list[dict[str, Any]]:
    """The report categories in the guide's order, with their labels and high-risk marks."""
    return [
        {
            "code": c.value,
            "label": category_text(c.value, lang),
            "high_risk": is_high_risk(c),
            "item": GUIDE_ITEM[c.value],
        }
        for c in ReportCategory
    ]


def _csrf_ok(w: Web, anon: AnonCsrf, presented: str) -> bool:
    return w.csrf_valid(presented) if w.session else anon.ok(presented)


def _receipt(w: Web, r: complaints.Receipt) -> dict[str, Any]:
    return {
        "number": r.number,
        "category": category_text(r.category, w.lang),
        "high_risk": r.high_risk,
        "received_at": r.received_at,
        "due_at": r.due_at,
        "feedback_due": r.feedback_due,
        "lookup_code": r.lookup_code,
        "existing": r.existing,
    }


# --- the public form ----------------------------------------------------------------------------------------------


async def _form_page(
    w: Web, values: dict[str, str], *, error: QunzuError | None = None, status: dict[str, Any] | None = None,
    lookup_error: QunzuError | None = None,
) -> Response:  # fmt: skip
    anon = AnonCsrf(w.request, w.container)
    failed = error or lookup_error
    response = w.page(
        "report_form.html",
        status_code=(429 if failed.code is ErrorCode.REPORT_LIMIT else 422) if failed else 200,
        anon_csrf=anon.token,
        values=values,
        categories=category_choices(w.lang),
        error=form_error(error, w.lang) if error else None,
        error_field=error_field(error) if error else None,
        lookup_error=form_error(lookup_error, w.lang) if lookup_error else None,
        status=status,
    )
    retry_after(response, failed)
    anon.attach(response)
    return response


@router.get("/report")
async def report_form(w: WebDep) -> Response:
    q = w.request.query_params
    values = {"target": q.get("target", "")[:200], "category": q.get("category", "")[:32], "description": "",
              "contact": "", "number": "", "code": ""}  # fmt: skip
    return await _form_page(w, values)


@router.post("/report")
async def submit_report(w: WebDep) -> Response:
    f = await form_fields(w.request, "target", "category", "description", "contact", "csrf")
    kept = {k: f[k] for k in ("target", "category", "description", "contact")} | {"number": "", "code": ""}
    if not _csrf_ok(w, AnonCsrf(w.request, w.container), f["csrf"]):
        return await _form_page(w, kept, error=csrf_failed())
    c = w.container
    try:
        receipt = await complaints.report_by_form(
            c.db, target=f["target"], category=f["category"], description=f["description"], contact=f["contact"],
            keys=c.keys, throttle=c.throttle, settings=c.settings.complaints, ctx=w.ctx,
        )  # fmt: skip
    except QunzuError as exc:
        return await _form_page(w, kept, error=exc)
    return w.page("report_done.html", receipt=_receipt(w, receipt), channel="form")


@router.post("/report/status")
async def report_status(w: WebDep) -> Response:
    """The status of a form report, by its number and the code shown once (POST: the code stays out of URLs)."""
    f = await form_fields(w.request, "number", "code", "csrf")
    kept = {"target": "", "category": "", "description": "", "contact": "", "number": f["number"][:24], "code": ""}
    if not _csrf_ok(w, AnonCsrf(w.request, w.container), f["csrf"]):
        return await _form_page(w, kept, lookup_error=csrf_failed())
    c = w.container
    try:
        s = await complaints.report_status(c.db, number=f["number"][:24], code=f["code"][:32], throttle=c.throttle,
                                           settings=c.settings.complaints, ctx=w.ctx)  # fmt: skip
    except QunzuError as exc:
        return await _form_page(w, kept, lookup_error=exc)
    return await _form_page(w, kept, status=_status(w, s, with_target=False))


def _status(w: Web, s: complaints.ReportStatus, *, with_target: bool = True) -> dict[str, Any]:
    return {
        "number": s.number,
        "target_type": s.target_type,
        "target": s.target_label if with_target else "",
        "category": category_text(s.category, w.lang),
        "stage": s.stage,
        "outcome": s.outcome,
        "received_at": s.received_at,
        "due_at": s.due_at,
        "decided_at": s.decided_at,
        "feedback_at": s.feedback_at,
    }


# --- channels -----------------------------------------------------------------------------------------------------


@router.get("/report/channels")
async def channels(w: WebDep) -> Response:
    """Every way to report, with the handling times the operator's configuration sets (D14)."""
    s = w.container.settings.complaints
    return w.page(
        "report_channels.html",
        email=s.email,
        phone=s.phone,
        staffed_from=s.staffed_from.strftime("%H:%M"),
        staffed_to=s.staffed_to.strftime("%H:%M"),
        staffed_every_day=s.staffed_every_day,
        high_risk_minutes=s.high_risk_staffed_minutes,
        high_risk_hours=s.high_risk_other_hours,
        decide_days=s.decide_working_days,
        feedback_days=s.feedback_working_days,
        national_site=NATIONAL_SITE,
        national_phone=NATIONAL_PHONE,
        categories=category_choices(w.lang),
    )


# --- in the app: 举报该群 from the info page, and 我的举报 ---------------------------------------------------------


@router.post("/report/group/{code}")
async def report_group(code: str, w: WebDep) -> Response:
    """举报该群 from the group info page (two taps: open the box, choose a category); no script needed."""
    if w.session is None:
        return w.to_login()
    f = await form_fields(w.request, "category", "description", "csrf")
    try:
        w.check_csrf(f["csrf"])
        receipt = await complaints.report_group(
            w.container.db, actor=w.session.user.id, code=code, category=f["category"], description=f["description"],
            settings=w.container.settings.complaints, policy=await w.container.policy.policy(), ctx=w.ctx,
        )  # fmt: skip
    except QunzuError as exc:
        if exc.code in (ErrorCode.GROUP_NOT_FOUND, ErrorCode.INVALID_GROUP_CODE, ErrorCode.NOT_FOUND):
            return w.not_found("notfound.group")
        status = 429 if exc.code is ErrorCode.REPORT_LIMIT else 403 if exc.code is ErrorCode.NOT_MEMBER else 422
        return w.page("error.html", status_code=status, message=form_error(exc, w.lang))
    return w.page("report_done.html", receipt=_receipt(w, receipt), channel="app",
                  group_code=code, group_code_display=format_group_code(code))  # fmt: skip


@router.get("/me/reports")
async def my_reports(w: WebDep) -> Response:
    if w.session is None:
        return w.to_login()
    rows = await complaints.my_reports(w.container.db, actor=w.session.user.id)
    return w.page("me_reports.html", tab="reports", reports=[_status(w, s) for s in rows])
