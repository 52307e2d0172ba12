"""Published documents: readable without signing in, with versions and change log (R-5.2-1)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from qunzu.api.deps import ContainerDep, CtxDep
from qunzu.api.responses import errors
from qunzu.api.schemas import DocumentOut, DocumentSummary, OneLine
from qunzu.services import documents
from qunzu.services.documents import DocumentView

router = APIRouter(prefix="/api/v1/documents", tags=["documents"])
Kind = Annotated[
    OneLine, Path(min_length=1, max_length=24, description="agreement, convention, group_rules, privacy, report_guide")
]


def out(v: DocumentView, language: str) -> DocumentOut:
    return DocumentOut(
        kind=v.kind,
        version=v.version,
        title=v.title(language),
        body=v.body(language),
        summary=v.summary(language),
        effective_at=v.effective_at,
        published_at=v.published_at,
    )


@router.get("", response_model=list[DocumentSummary], responses=errors())
async def current(c: ContainerDep, ctx: CtxDep) -> list[DocumentSummary]:
    """The current version of each published document (the versions to accept at registration)."""
    return [
        DocumentSummary(kind=d.kind, version=d.version, title=d.title(ctx.language), effective_at=d.effective_at)
        for d in await documents.list_current(c.db)
    ]


@router.get("/{kind}", response_model=DocumentOut, responses=errors(404))
async def read(
    kind: Kind,
    c: ContainerDep,
    ctx: CtxDep,
    version: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
) -> DocumentOut:
    """A document, the current version unless `version` is given."""
    return out(await documents.get_document(c.db, kind=kind, version=version), ctx.language)


@router.get("/{kind}/versions", response_model=list[DocumentOut], responses=errors(404))
async def versions(kind: Kind, c: ContainerDep, ctx: CtxDep) -> list[DocumentOut]:
    """Every version, newest first, each with its change summary."""
    return [out(v, ctx.language) for v in await documents.list_versions(c.db, kind=kind)]
