"""The group policy (Art. 7 ¶1–2, Art. 8 ¶1): the version in force (public), and for staff its versions, new
versions, filing with the CAC office, the 管理制度 export, and the second approval a raised hard cap needs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from qunzu.api.deps import ContainerDep, CtxDep, UserDep
from qunzu.api.responses import AUTHED, errors
from qunzu.api.schemas import MAX_ID
from qunzu.api.schemas_policy import (
    MAX_VERSION,
    CapDecisionIn,
    CapRequestIn,
    CapRequestOut,
    FilingIn,
    PolicyOut,
    PolicyVersionOut,
    PolicyWriteIn,
    cap_out,
    filing_out,
    version_out,
)
from qunzu.domain.staff import require_staff_role
from qunzu.services import policy_admin, policy_export

router = APIRouter(prefix="/api/v1", tags=["policy"])
Version = Annotated[int, Path(ge=1, le=MAX_VERSION)]
RequestId = Annotated[int, Path(ge=1, le=MAX_ID)]
MEDIA = {"md": "text/markdown; charset=utf-8", "html": "text/html; charset=utf-8"}


@router.get("/policy", response_model=PolicyOut, responses=errors())
async def policy_in_force(c: ContainerDep) -> PolicyOut:
    """The group policy in force: every threshold of the published rules, with its version and filing status."""
    status = await policy_admin.filing_status(c.db)
    v = status.running
    return PolicyOut(
        version=v.version, created_at=v.created_at, filed_at=v.filed_at, filed_ref=v.filed_ref,
        filing=filing_out(status), policy=v.body,
    )  # fmt: skip


@router.get("/staff/policy/versions", response_model=list[PolicyVersionOut], responses=errors(*AUTHED, 403))
async def versions(user: UserDep, c: ContainerDep) -> list[PolicyVersionOut]:
    """Every version, newest first, with author, note, changes (old → new) and filing status."""
    return [version_out(v) for v in await policy_admin.list_versions(c.db, staff=user)]


@router.post(
    "/staff/policy", status_code=201, response_model=PolicyVersionOut, responses=errors(*AUTHED, 403, 404, 409)
)
async def write(body: PolicyWriteIn, user: UserDep, c: ContainerDep, ctx: CtxDep) -> PolicyVersionOut:
    """Administrators and compliance officers: a new version from the edited table, in force at once
    (`policy_stale` if another version was written since `base_version`; a raised hard cap needs a cap request)."""
    v = await policy_admin.write_version(
        c.db, c.policy, staff=user, base_version=body.base_version, body=body.body, note=body.note,
        ceiling=c.settings.groups.max_members_hard, ctx=ctx,
    )  # fmt: skip
    return version_out(v)


@router.post(
    "/staff/policy/versions/{version}/filing", response_model=PolicyVersionOut, responses=errors(*AUTHED, 403, 404, 409)
)
async def file_version(
    version: Version, body: FilingIn, user: UserDep, c: ContainerDep, ctx: CtxDep
) -> PolicyVersionOut:
    """Record that a version was filed with the CAC office (D15)."""
    return version_out(await policy_admin.mark_filed(c.db, staff=user, version=version, ref=body.ref, ctx=ctx))


@router.get(
    "/staff/policy/export",
    responses={200: {"content": {"text/markdown": {}, "text/html": {}}}} | errors(*AUTHED, 403, 404),
)
async def export(
    user: UserDep,
    c: ContainerDep,
    format: Annotated[str, Query(max_length=8)] = "md",
    lang: Annotated[str, Query(max_length=8)] = "zh-CN",
    version: Annotated[int | None, Query(ge=1, le=MAX_VERSION)] = None,
) -> Response:
    """The 管理制度 document of a version (default: the one in force), as Markdown or HTML, zh-CN or English."""
    require_staff_role(user.staff_role, policy_admin.POLICY_READERS)
    view, text = await policy_export.export_document(c.db, version=version, fmt=format, lang=lang)
    name = f"qunzu-policy-v{view.version}-{lang}.{format}"
    return Response(text, media_type=MEDIA[format], headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/staff/policy/cap-requests", response_model=list[CapRequestOut], responses=errors(*AUTHED, 403))
async def cap_requests(user: UserDep, c: ContainerDep) -> list[CapRequestOut]:
    """The requests to raise the global hard cap, newest first."""
    return [cap_out(r) for r in await policy_admin.list_cap_requests(c.db, staff=user)]


@router.post(
    "/staff/policy/cap-requests", status_code=201, response_model=CapRequestOut, responses=errors(*AUTHED, 403, 404)
)
async def request_cap(body: CapRequestIn, user: UserDep, c: ContainerDep, ctx: CtxDep) -> CapRequestOut:
    """Ask for a higher global hard cap; a different administrator or compliance officer must approve it."""
    r = await policy_admin.request_cap(
        c.db, staff=user, value=body.value, reason=body.reason, ceiling=c.settings.groups.max_members_hard, ctx=ctx
    )
    return cap_out(r)


@router.post(
    "/staff/policy/cap-requests/{request_id}/decision",
    response_model=CapRequestOut,
    responses=errors(*AUTHED, 403, 404, 409),
)
async def decide_cap(
    request_id: RequestId, body: CapDecisionIn, user: UserDep, c: ContainerDep, ctx: CtxDep
) -> CapRequestOut:
    """Approve (not the requester: `second_approver_required`; the new version is in force at once) or refuse."""
    r = await policy_admin.decide_cap(
        c.db, c.policy, staff=user, request_id=request_id, approve=body.approve, note=body.note,
        ceiling=c.settings.groups.max_members_hard, ctx=ctx,
    )  # fmt: skip
    return cap_out(r)


@router.post(
    "/staff/policy/cap-requests/{request_id}/withdrawal",
    response_model=CapRequestOut,
    responses=errors(*AUTHED, 403, 404, 409),
)
async def withdraw_cap(request_id: RequestId, user: UserDep, c: ContainerDep, ctx: CtxDep) -> CapRequestOut:
    """The requester withdraws a pending request."""
    return cap_out(await policy_admin.withdraw_cap(c.db, staff=user, request_id=request_id, ctx=ctx))
