"""Request and response shapes of the report-package and supervision-figure endpoints (api/routes_reports.py)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from qunzu.api.schemas import OneLine, OneLineOrBlank, Strict
from qunzu.domain.complaint_figures import FigureRow
from qunzu.domain.reports import AUTHORITY_MAX, DOCUMENT_NUMBER_MAX
from qunzu.services.report_package import PackageInfo


class PackageIn(Strict):
    period_from: date = Field(description="first day covered (Beijing calendar)", examples=["2026-11-01"])
    period_to: date = Field(description="first day NOT covered (Beijing calendar)", examples=["2026-12-01"])
    authority: OneLine = Field(min_length=1, max_length=AUTHORITY_MAX, examples=["北京市互联网信息办公室"])
    document_number: OneLineOrBlank | None = Field(
        None, max_length=DOCUMENT_NUMBER_MAX, description="the authority's document or request number"
    )
    backlog: bool = Field(False, description="also carry the unreported items from before the period")
    include_reported: bool = Field(False, description="carry the period's items again, even if already reported")


class PackageOut(BaseModel):
    """A disclosure-register entry: the package, what it covers and carries, and how to check it."""

    id: int = Field(description="the disclosure-register entry")
    package_id: str
    kind: str
    authority: str
    document_number: str | None
    period_from: datetime
    period_to: datetime
    counts: dict[str, int] = Field(description="rows per section")
    backlog: bool
    include_reported: bool
    periodic: str | None = Field(description="weekly | monthly: built by the periodic job (D13); null otherwise")
    manifest_sha256: str
    signature: str = Field(description="Ed25519 over manifest.json, hex")
    key_id: str = Field(description="SHA-256 of the raw signing public key, hex")
    file_name: str
    created_by: int | None
    creator: str | None
    created_at: datetime
    download: str = Field(description="the path that downloads the zip")

    @staticmethod
    def of(p: PackageInfo) -> PackageOut:
        return PackageOut(
            id=p.id, package_id=p.package_id, kind=p.kind, authority=p.authority, document_number=p.document_number,
            period_from=p.period_from, period_to=p.period_to, counts=p.counts, backlog=bool(p.scope.get("backlog")),
            include_reported=bool(p.scope.get("include_reported")), periodic=p.scope.get("periodic"),
            manifest_sha256=p.manifest_sha256,
            signature=p.signature, key_id=p.key_id, file_name=p.file_name, created_by=p.created_by,
            creator=p.creator, created_at=p.created_at, download=f"/api/v1/staff/reports/{p.id}/download",
        )  # fmt: skip


class PublicKeyOut(BaseModel):
    key_id: str
    pem: str


class FigureOut(BaseModel):
    month: str = Field(description='"2026-11" (Beijing calendar), or "*" for the grand total')
    category: str = Field(description='the ticket category, or "*" for the month\'s total')
    received: int
    handled: int
    within_sla: int
    within_sla_share: float | None = Field(description="within_sla / handled; null when none is handled")
    overdue_open: int
    median_seconds: float | None
    p95_seconds: int | None = Field(description="nearest-rank P95 of the time to decision")
    upheld: int
    rejected: int
    open: int

    @staticmethod
    def of(r: FigureRow) -> FigureOut:
        return FigureOut.model_validate(r.as_dict())


class FiguresOut(BaseModel):
    period_from: datetime
    period_to: datetime
    rows: list[FigureOut]
