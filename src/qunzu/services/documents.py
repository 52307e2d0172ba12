"""Published rules and the service agreement: versions, publication, acceptance (Art. 5 ¶2, R-5.2-*)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import Any

from sqlalchemy import func, insert, select, update

from qunzu import netlog
from qunzu.context import Ctx
from qunzu.domain.accounts import StaffRole
from qunzu.domain.documents import DocumentKind, parse_kind
from qunzu.errors import ErrorCode, Forbidden, NotFound, ValidationFailed
from qunzu.netlog import Target
from qunzu.services.views import UserView
from qunzu.storage.tables import acceptances, documents, users
from qunzu.storage.uow import Database, UnitOfWork


@dataclass(frozen=True, slots=True)
class DocumentView:
    kind: str
    version: int
    title_zh: str
    title_en: str
    body_zh: str
    body_en: str
    summary_zh: str
    summary_en: str
    effective_at: datetime
    published_at: datetime

    def title(self, language: str) -> str:
        return self.title_zh if language == "zh-CN" else self.title_en

    def body(self, language: str) -> str:
        return self.body_zh if language == "zh-CN" else self.body_en

    def summary(self, language: str) -> str:
        return self.summary_zh if language == "zh-CN" else self.summary_en


def _view(row: Any) -> DocumentView:
    return DocumentView(
        kind=row.kind,
        version=row.version,
        title_zh=row.title_zh,
        title_en=row.title_en,
        body_zh=row.body_zh,
        body_en=row.body_en,
        summary_zh=row.summary_zh,
        summary_en=row.summary_en,
        effective_at=row.effective_at,
        published_at=row.published_at,
    )


def default_text(kind: DocumentKind, language: str) -> tuple[str, str]:
    """(title, body) of the version-1 text shipped with Qunzu (src/qunzu/data/documents)."""
    text = resources.files("qunzu.data").joinpath("documents", f"{kind.value}.{language}.md").read_text("utf-8")
    first, _, rest = text.partition("\n")
    return first.lstrip("# ").strip(), rest.strip() + "\n"


async def ensure_default_documents(db: Database, *, ctx: Ctx) -> list[str]:
    """Publish version 1 of every document kind that has none yet (first start of a deployment)."""
    created = []
    async with db.uow() as uow:
        have = set((await uow.conn.execute(select(documents.c.kind).distinct())).scalars())
        for kind in DocumentKind:
            if kind.value in have:
                continue
            title_zh, body_zh = default_text(kind, "zh-CN")
            title_en, body_en = default_text(kind, "en")
            await uow.conn.execute(
                insert(documents).values(
                    kind=kind.value,
                    version=1,
                    title_zh=title_zh,
                    title_en=title_en,
                    body_zh=body_zh,
                    body_en=body_en,
                    summary_zh="首次发布",
                    summary_en="First publication",
                    effective_at=ctx.now,
                    published_at=ctx.now,
                    published_by=None,
                )
            )
            created.append(kind.value)
        await uow.commit()
    return created


async def current_versions(conn: Any) -> dict[str, int]:
    rows = await conn.execute(select(documents.c.kind, func.max(documents.c.version)).group_by(documents.c.kind))
    return {k: int(v) for k, v in rows}


async def list_current(db: Database) -> list[DocumentView]:
    """The newest version of each published document."""
    async with db.uow(write=False) as uow:
        versions = await current_versions(uow.conn)
        out = []
        for kind in DocumentKind:
            if kind.value in versions:
                row = (
                    await uow.conn.execute(
                        select(documents).where(
                            documents.c.kind == kind.value, documents.c.version == versions[kind.value]
                        )
                    )
                ).one()
                out.append(_view(row))
        return out


async def get_document(db: Database, *, kind: str, version: int | None = None) -> DocumentView:
    """A document by kind, the newest version unless one is named. Readable without signing in."""
    k = parse_kind(kind)
    async with db.uow(write=False) as uow:
        stmt = select(documents).where(documents.c.kind == k.value)
        stmt = stmt.where(documents.c.version == version) if version else stmt.order_by(documents.c.version.desc())
        row = (await uow.conn.execute(stmt.limit(1))).one_or_none()
    if row is None:
        raise NotFound("No such document version", code=ErrorCode.DOCUMENT_NOT_FOUND)
    return _view(row)


async def list_versions(db: Database, *, kind: str) -> list[DocumentView]:
    """Every version of a document, newest first (the change log)."""
    k = parse_kind(kind)
    async with db.uow(write=False) as uow:
        rows = await uow.conn.execute(
            select(documents).where(documents.c.kind == k.value).order_by(documents.c.version.desc())
        )
        return [_view(r) for r in rows]


async def publish_document(
    db: Database,
    *,
    staff: UserView,
    kind: str,
    title_zh: str,
    title_en: str,
    body_zh: str,
    body_en: str,
    summary_zh: str,
    summary_en: str,
    ctx: Ctx,
) -> DocumentView:
    """An administrator publishes a new version. A new agreement must be accepted again before the next post."""
    if staff.staff_role != StaffRole.ADMIN.value:
        raise Forbidden("Only administrators publish the platform's documents")
    k = parse_kind(kind)
    for field, value, limit in (
        ("title_zh", title_zh, 200),
        ("title_en", title_en, 200),
        ("summary_zh", summary_zh, 2000),
        ("summary_en", summary_en, 2000),
    ):
        if not value.strip() or len(value) > limit:
            raise ValidationFailed(f"{field} is required (at most {limit} characters)", details={"field": field})
    for field, value in (("body_zh", body_zh), ("body_en", body_en)):
        if len(value.strip()) < 20 or len(value) > 200_000:
            raise ValidationFailed(f"{field} must hold the document's text", details={"field": field})
    async with db.uow() as uow:
        version = (await current_versions(uow.conn)).get(k.value, 0) + 1
        row = (
            await uow.conn.execute(
                insert(documents)
                .values(
                    kind=k.value,
                    version=version,
                    title_zh=title_zh.strip(),
                    title_en=title_en.strip(),
                    body_zh=body_zh,
                    body_en=body_en,
                    summary_zh=summary_zh.strip(),
                    summary_en=summary_en.strip(),
                    effective_at=ctx.now,
                    published_at=ctx.now,
                    published_by=staff.id,
                )
                .returning(documents)
            )
        ).one()
        await netlog.record(uow, ctx, "document.publish", Target.document(k.value, version), actor=staff.id)
        await uow.commit()
    return _view(row)


async def record_acceptance(uow: UnitOfWork, *, user_id: int, kind: str, version: int, ctx: Ctx) -> None:
    await uow.conn.execute(
        insert(acceptances).values(
            user_id=user_id, kind=kind, version=version, accepted_at=ctx.now, src_ip=ctx.ip, src_port=ctx.port
        )
    )
    if kind == DocumentKind.AGREEMENT.value:
        await uow.conn.execute(update(users).where(users.c.id == user_id).values(agreement_version=version))


async def accept_document(db: Database, *, actor: int, kind: str, version: int, ctx: Ctx) -> None:
    """The user accepts the current version of a document (recorded with time, IP and port)."""
    k = parse_kind(kind)
    async with db.uow() as uow:
        current = (await current_versions(uow.conn)).get(k.value)
        if current is None or version != current:
            raise ValidationFailed(
                "Only the current version can be accepted", details={"kind": k.value, "current_version": current}
            )
        await record_acceptance(uow, user_id=actor, kind=k.value, version=version, ctx=ctx)
        await netlog.record(uow, ctx, "document.accept", Target.document(k.value, version), actor=actor)
        await uow.commit()


async def my_acceptances(db: Database, *, actor: int) -> list[dict[str, Any]]:
    """What the user accepted, when, from where."""
    async with db.uow(write=False) as uow:
        rows = await uow.conn.execute(
            select(acceptances).where(acceptances.c.user_id == actor).order_by(acceptances.c.id.desc())
        )
        return [
            {"kind": r.kind, "version": r.version, "accepted_at": r.accepted_at, "ip": r.src_ip, "port": r.src_port}
            for r in rows
        ]


async def pending_acceptances(db: Database, *, actor: int) -> dict[str, int]:
    """Documents whose current version the user has not accepted (agreement and privacy policy)."""
    async with db.uow(write=False) as uow:
        current = await current_versions(uow.conn)
        rows = await uow.conn.execute(
            select(acceptances.c.kind, func.max(acceptances.c.version))
            .where(acceptances.c.user_id == actor)
            .group_by(acceptances.c.kind)
        )
        accepted = {k: int(v) for k, v in rows}
    return {
        k: v
        for k, v in current.items()
        if k in (DocumentKind.AGREEMENT.value, DocumentKind.PRIVACY.value) and accepted.get(k, 0) < v
    }
