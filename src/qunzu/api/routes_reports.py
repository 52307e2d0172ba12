"""Staff API for reports to the authorities (Art. 11 ¶3, D13) and the complaint supervision figures (Art. 12 ¶1):
build a signed package for a period, list the disclosure register, download a package, read the figures."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from starlette.responses import Response

from qunzu.api.deps import ContainerDep, CtxDep, UserDep
from qunzu.api.responses import AUTHED, errors
from qunzu.api.schemas_reports import FigureOut, FiguresOut, PackageIn, PackageOut, PublicKeyOut
from qunzu.domain.complaint_figures import beijing_month, months_period
from qunzu.domain.reports import parse_period, period_invalid
from qunzu.domain.staff import REPORT_READERS, require_staff_role
from qunzu.services import report_package
from qunzu.services.report_keys import signing_key

router = APIRouter(prefix="/api/v1/staff", tags=["reports"])
RegisterId = Annotated[int, Path(ge=1, le=2**62, description="the disclosure-register entry")]


@router.post("/reports", status_code=201, response_model=PackageOut, responses=errors(*AUTHED, 403, 409))
async def build(body: PackageIn, user: UserDep, c: ContainerDep, ctx: CtxDep) -> PackageOut:
    """Build the signed package of a period (admins and compliance officers): the period's unreported enforcement
    records and blacklist changes, review and complaint statistics, tickets, appeals and the content taxonomy.
    Writes the disclosure register, marks what it carried reported, and records `report.package`."""
    lo, hi = parse_period(body.period_from.isoformat(), body.period_to.isoformat())
    info = await report_package.build_enforcement_package(
        c.db, staff=user, period_from=lo, period_to=hi, authority=body.authority,
        document_number=body.document_number, backlog=body.backlog, include_reported=body.include_reported,
        key=signing_key(c.settings.report_key_path), out_dir=c.settings.report_dir, ctx=ctx,
    )  # fmt: skip
    return PackageOut.of(info)


@router.get("/reports", response_model=list[PackageOut], responses=errors(*AUTHED, 403))
async def register(user: UserDep, c: ContainerDep) -> list[PackageOut]:
    """The disclosure register's packages, newest first (admins, compliance officers, the regulator role)."""
    return [PackageOut.of(p) for p in await report_package.list_packages(c.db, staff=user)]


@router.get("/reports/public-key", response_model=PublicKeyOut, responses=errors(*AUTHED, 403))
async def public_key(user: UserDep, c: ContainerDep) -> PublicKeyOut:
    """The report-signing public key and its key id, to check packages with."""
    require_staff_role(user.staff_role, REPORT_READERS)
    key = signing_key(c.settings.report_key_path)
    return PublicKeyOut(key_id=key.key_id, pem=key.public_pem.decode())


@router.get(
    "/reports/{register_id}/download",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}}, **errors(*AUTHED, 403, 404, 410)},
)
async def download(register_id: RegisterId, user: UserDep, c: ContainerDep, ctx: CtxDep) -> Response:
    """The package's zip (recorded as `report.download`)."""
    info, data = await report_package.open_package(
        c.db, staff=user, register_id=register_id, out_dir=c.settings.report_dir, ctx=ctx
    )
    return Response(
        data, media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{info.file_name}"', "Cache-Control": "no-store"},
    )  # fmt: skip


@router.get("/complaints/figures", response_model=FiguresOut, responses=errors(*AUTHED, 403))
async def figures(
    user: UserDep,
    c: ContainerDep,
    ctx: CtxDep,
    month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$", description="last month (default: this one)")] = None,
    months: Annotated[int, Query(ge=1, le=12, description="how many months up to `month`")] = 1,
) -> FiguresOut:
    """Complaint supervision figures by category and Beijing month (R-12.1-3): received, handled, share within the
    SLA, median and nearest-rank P95 time to decision, outcomes; each month's total and the grand total."""
    try:
        lo, hi = months_period(month or beijing_month(ctx.now), months)
    except ValueError:
        raise period_invalid("Not a month (YYYY-MM)", field="month") from None
    rows = await report_package.figures(c.db, staff=user, period_from=lo, period_to=hi, now=ctx.now)
    return FiguresOut(period_from=lo, period_to=hi, rows=[FigureOut.of(r) for r in rows])
