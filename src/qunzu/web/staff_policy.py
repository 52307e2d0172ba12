"""The staff console's group policy pages (Art. 7 ¶1–2, Art. 8 ¶1): the version in force as readable tables with
the filing warning and an edit form (`/staff/policy`), the versions with their changes and filing
(`/staff/policy/versions`), and the hard-cap requests with their second approval (`/staff/policy/caps`).

Every staff role reads these pages; administrators and compliance officers change the policy (the services check
each role again). Forms work without JavaScript and check the page's CSRF token.
"""

from __future__ import annotations

import copy
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from qunzu.domain.policy import TIER_ORDER, JoinMode
from qunzu.domain.text import parse_int
from qunzu.errors import ErrorCode, QunzuError, ValidationFailed
from qunzu.i18n import category_label, section
from qunzu.services import policy_admin
from qunzu.services.policy_export import changes_table, policy_tables
from qunzu.web.context import Web, form_fields, staff_page
from qunzu.web.i18n import error_field, form_error
from qunzu.web.staff import _page, _refused

router = APIRouter(include_in_schema=False)
PolicyDep = Annotated[Web, Depends(staff_page(policy_admin.POLICY_READERS))]
TIER_INTS = ("ceiling", "create_verification", "create_credit", "create_account_days", "send_per_minute",
             "members_per_manager")  # fmt: skip
TIER_BOOLS = ("create_review", "links")
LEVEL_INTS = ("owned_max", "created_per_day", "send_per_minute")
THRESHOLD_INTS = ("hard_cap", "invite_consent_above", "join_verification_above", "info_public_at", "link_ttl_days",
                  "joined_max", "managers_max", "managers_max_large", "manager_verification", "new_account_hours",
                  "new_account_send_per_minute", "join_per_hour")  # fmt: skip
ACTIVITY_INTS = ("normal_messages", "normal_members", "active_messages", "active_members", "hot_messages",
                 "hot_members")  # fmt: skip


def _can_edit(w: Web) -> bool:
    return w.session is not None and w.session.user.staff_role in policy_admin.POLICY_EDITORS


def _number(raw: str) -> int | str | None:
    """A form number: digits → int; blank → None; anything else is passed on for the policy's validation to name."""
    raw = raw.strip()
    if not raw:
        return None
    value = parse_int(raw, lo=0)
    return value if value is not None else raw


def body_from_form(form: FormData, base: dict[str, Any]) -> dict[str, Any]:
    """The edited table: the base version's body with every structured field of the form applied."""
    body = copy.deepcopy(base)

    def text(name: str) -> str:
        value = form.get(name)
        return value[:32] if isinstance(value, str) else ""

    for tier in TIER_ORDER:
        rule = body["tiers"][tier.value]
        for name in TIER_INTS:
            rule[name] = _number(text(f"tiers.{tier.value}.{name}"))
        for name in TIER_BOOLS:
            rule[name] = f"tiers.{tier.value}.{name}" in form
        rule["join_modes"] = [m.value for m in JoinMode if m.value in form.getlist(f"tiers.{tier.value}.join_modes")]
    for i, category in enumerate(body["categories"]):
        category["sensitive"] = f"categories.{i}.sensitive" in form
        category["member_cap"] = _number(text(f"categories.{i}.member_cap"))
    new_id = text("new_category.id").strip()
    if new_id:
        body["categories"].append(
            {"id": new_id, "sensitive": "new_category.sensitive" in form,
             "member_cap": _number(text("new_category.member_cap"))}
        )  # fmt: skip
    for level, rule in body["levels"].items():
        for name in LEVEL_INTS:
            rule[name] = _number(text(f"levels.{level}.{name}"))
    for name in THRESHOLD_INTS:
        body[name] = _number(text(name))
    body["sensitive_review"] = "sensitive_review" in form
    for name in ACTIVITY_INTS:
        body["activity"][name] = _number(text(f"activity.{name}"))
    return body


def _form_field(exc: QunzuError, base: dict[str, Any]) -> str | None:
    """The form field an error names (a new category's fields are `new_category.*` in the form)."""
    field = error_field(exc)
    new_at = f"categories.{len(base['categories'])}"
    if field and field.startswith(new_at):
        return "new_category" + field[len(new_at) :]
    return field


def _labels(w: Web) -> dict[str, str]:
    return dict(section(w.lang, "policy_doc"))


async def _policy_page(
    w: Web, *, status_code: int = 200, error: QunzuError | None = None, values: dict[str, Any] | None = None,
    base_version: int | None = None,
) -> Response:  # fmt: skip
    status = await policy_admin.filing_status(w.container.db)
    running = status.running
    body = copy.deepcopy(values) if values is not None else running.body
    new_category = {"id": "", "sensitive": False, "member_cap": None}
    if values is not None and len(body["categories"]) > len(running.body["categories"]):
        new_category = body["categories"].pop()  # the row the form adds, shown again in the "add" row
    return _page(
        w, "staff_policy.html", "policy", status_code=status_code, status=status, running=running,
        tables=policy_tables(running.policy, w.lang), labels=_labels(w), body=body, new_category=new_category,
        base_version=base_version or running.version, can_edit=_can_edit(w), tiers=[t.value for t in TIER_ORDER],
        join_modes=[m.value for m in JoinMode], category_names={c["id"]: category_label(c["id"], w.lang)
                                                              for c in body["categories"]},
        error=form_error(error, w.lang) if error else None, error_detail=error.message if error else None,
        error_field=_form_field(error, running.body) if error else None,
        saved=parse_int(w.request.query_params.get("saved"), lo=1),
    )  # fmt: skip


@router.get("/staff/policy")
async def policy_page(w: PolicyDep) -> Response:
    return await _policy_page(w)


@router.post("/staff/policy")
async def write_policy(w: PolicyDep) -> Response:
    """Write a new version from the edit form; a refusal shows on its field, with the values as typed."""
    assert w.session is not None
    form = await w.request.form()
    f = await form_fields(w.request, "csrf", "base_version", "note")
    base_version = parse_int(f["base_version"], lo=1, hi=2**31 - 1) or 0
    body: dict[str, Any] | None = None
    try:
        w.check_csrf(f["csrf"])
        base = await policy_admin.get_version(w.container.db, base_version)
        body = body_from_form(form, base.body)
        view = await policy_admin.write_version(
            w.container.db, w.container.policy, staff=w.session.user, base_version=base_version, body=body,
            note=f["note"][:500], ceiling=w.container.settings.groups.max_members_hard, ctx=w.ctx,
        )  # fmt: skip
    except QunzuError as exc:
        if exc.code in (ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND, ErrorCode.CSRF_FAILED):
            return _refused(w, exc) if exc.code is not ErrorCode.CSRF_FAILED else w.forbidden()
        return await _policy_page(
            w, status_code=_refusal_status(exc), error=exc, values=body, base_version=base_version
        )
    return RedirectResponse(f"/staff/policy?saved={view.version}", status_code=303)


# --- versions and filing ---------------------------------------------------------------------------------------


async def _versions_page(w: Web, *, status_code: int = 200, error: QunzuError | None = None,
                         error_version: int | None = None) -> Response:  # fmt: skip
    assert w.session is not None
    try:
        versions = await policy_admin.list_versions(w.container.db, staff=w.session.user)
    except QunzuError as exc:
        return _refused(w, exc)
    status = await policy_admin.filing_status(w.container.db)
    return _page(
        w, "staff_policy_versions.html", "policy", status_code=status_code, versions=versions, status=status,
        changes={v.version: changes_table(v.changes, w.lang) for v in versions}, can_edit=_can_edit(w),
        error=form_error(error, w.lang) if error else None,
        error_version=error_version, filed=parse_int(w.request.query_params.get("filed"), lo=1),
    )  # fmt: skip


@router.get("/staff/policy/versions")
async def versions_page(w: PolicyDep) -> Response:
    return await _versions_page(w)


@router.post("/staff/policy/versions/{raw}/filing")
async def mark_filed(raw: str, w: PolicyDep) -> Response:
    assert w.session is not None
    version = parse_int(raw, lo=1, hi=2**31 - 1)
    if version is None:
        return w.not_found()
    f = await form_fields(w.request, "csrf", "ref")
    try:
        w.check_csrf(f["csrf"])
        await policy_admin.mark_filed(w.container.db, staff=w.session.user, version=version, ref=f["ref"][:200],
                                      ctx=w.ctx)  # fmt: skip
    except QunzuError as exc:
        if exc.code in (ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND):
            return _refused(w, exc)
        if exc.code is ErrorCode.CSRF_FAILED:
            return w.forbidden()
        return await _versions_page(w, status_code=409 if exc.code is ErrorCode.ALREADY_DECIDED else 422, error=exc,
                                    error_version=version)  # fmt: skip
    return RedirectResponse(f"/staff/policy/versions?filed={version}", status_code=303)


# --- hard-cap requests -------------------------------------------------------------------------------------------


async def _caps_page(w: Web, *, status_code: int = 200, error: QunzuError | None = None,
                     values: dict[str, str] | None = None) -> Response:  # fmt: skip
    assert w.session is not None
    try:
        requests = await policy_admin.list_cap_requests(w.container.db, staff=w.session.user)
    except QunzuError as exc:
        return _refused(w, exc)
    running = (await policy_admin.filing_status(w.container.db)).running
    return _page(
        w, "staff_policy_caps.html", "policy", status_code=status_code, requests=requests,
        hard_cap=running.policy.hard_cap, ceiling=w.container.settings.groups.max_members_hard, can_edit=_can_edit(w),
        me=w.session.user.id, error=form_error(error, w.lang) if error else None,
        error_field=error_field(error) if error else None, values=values or {"value": "", "reason": ""},
        done=w.request.query_params.get("done", "")[:16],
    )  # fmt: skip


@router.get("/staff/policy/caps")
async def caps_page(w: PolicyDep) -> Response:
    return await _caps_page(w)


def _refusal_status(exc: QunzuError) -> int:
    return {ErrorCode.SECOND_APPROVER_REQUIRED: 403, ErrorCode.ALREADY_DECIDED: 409,
            ErrorCode.POLICY_STALE: 409}.get(exc.code, 422)  # fmt: skip


@router.post("/staff/policy/caps")
async def request_cap(w: PolicyDep) -> Response:
    assert w.session is not None
    f = await form_fields(w.request, "csrf", "value", "reason")
    values = {"value": f["value"][:12], "reason": f["reason"][:500]}
    try:
        w.check_csrf(f["csrf"])
        value = parse_int(values["value"].strip(), lo=0)
        if value is None:
            raise ValidationFailed("value: a whole number", details={"field": "value"})
        await policy_admin.request_cap(
            w.container.db, staff=w.session.user, value=value, reason=values["reason"],
            ceiling=w.container.settings.groups.max_members_hard, ctx=w.ctx,
        )  # fmt: skip
    except QunzuError as exc:
        if exc.code in (ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND):
            return _refused(w, exc)
        if exc.code is ErrorCode.CSRF_FAILED:
            return w.forbidden()
        return await _caps_page(w, status_code=_refusal_status(exc), error=exc, values=values)
    return RedirectResponse("/staff/policy/caps?done=requested", status_code=303)


@router.post("/staff/policy/caps/{raw}/decision")
async def decide_cap(raw: str, w: PolicyDep) -> Response:
    assert w.session is not None
    request_id = parse_int(raw, lo=1)
    if request_id is None:
        return w.not_found()
    f = await form_fields(w.request, "csrf", "decision", "note")
    try:
        w.check_csrf(f["csrf"])
        if f["decision"] == "withdraw":
            await policy_admin.withdraw_cap(w.container.db, staff=w.session.user, request_id=request_id, ctx=w.ctx)
        else:
            await policy_admin.decide_cap(
                w.container.db, w.container.policy, staff=w.session.user, request_id=request_id,
                approve=f["decision"] == "approve", note=f["note"][:500],
                ceiling=w.container.settings.groups.max_members_hard, ctx=w.ctx,
            )  # fmt: skip
    except QunzuError as exc:
        if exc.code in (ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND):
            return _refused(w, exc)
        if exc.code is ErrorCode.CSRF_FAILED:
            return w.forbidden()
        return await _caps_page(w, status_code=_refusal_status(exc), error=exc)
    done = f["decision"] if f["decision"] in ("approve", "withdraw") else "refuse"
    return RedirectResponse(f"/staff/policy/caps?done={done}", status_code=303)
