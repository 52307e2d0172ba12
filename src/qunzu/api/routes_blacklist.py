"""Staff API of the blacklist (Art. 11 ¶2–3, R-11.3-*): list, add, change, review, remove, one entry's history.

Administrators and compliance officers keep it; reviewers read it. Accounts an action signs out lose their cached
sessions here, after the commit."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from qunzu.api.deps import ContainerDep, CtxDep, UserDep
from qunzu.api.responses import AUTHED, errors
from qunzu.api.schemas import OneLine
from qunzu.api.schemas_blacklist import (
    BlacklistAddIn,
    BlacklistChangeIn,
    BlacklistChangeOut,
    BlacklistDetailOut,
    BlacklistEntryOut,
    BlacklistOutcomeOut,
    BlacklistRemoveIn,
    BlacklistReviewIn,
)
from qunzu.bootstrap import Container
from qunzu.services import blacklist, blacklist_views
from qunzu.services.blacklist_effects import Outcome

router = APIRouter(prefix="/api/v1/staff/blacklist", tags=["blacklist"])
EntryId = Annotated[int, Path(ge=1, le=2**53 - 1)]


def _done(c: Container, outcome: Outcome) -> BlacklistOutcomeOut:
    for user_id in outcome.accounts:
        c.tokens.evict_user(user_id)  # a level or a session changed: no cached view of it survives
    return BlacklistOutcomeOut.of(outcome)


@router.get("", response_model=list[BlacklistEntryOut], responses=errors(*AUTHED, 403, 422))
async def list_entries(
    user: UserDep,
    c: ContainerDep,
    ctx: CtxDep,
    status: Literal["active", "due", "ended", "all"] = "active",
    subject_type: Literal["group", "account", "identity"] | None = None,
    severity: Annotated[int | None, Query(ge=1, le=3)] = None,
    q: Annotated[OneLine | None, Query(max_length=64)] = None,
) -> list[BlacklistEntryOut]:
    """Entries by status; `active` lists those due for review first. Filter by subject type, severity, label."""
    rows = await blacklist_views.list_entries(
        c.db, staff=user, now=ctx.now, status=status, subject_type=subject_type, severity=severity, q=q
    )
    return [BlacklistEntryOut.of(v, ctx.language) for v in rows]


@router.post("", status_code=201, response_model=BlacklistOutcomeOut, responses=errors(*AUTHED, 403, 422))
async def add(body: BlacklistAddIn, user: UserDep, c: ContainerDep, ctx: CtxDep) -> BlacklistOutcomeOut:
    """Blacklist a group (closed by a measure; its owner may not create groups while the entry holds), an account,
    or an account's identity (every account verified with it). Recorded as `blacklist.add` and an `added` change."""
    outcome = await blacklist.add_entry(
        c.db, c.keys, staff=user, subject_type=body.subject_type, subject=body.subject, severity=body.severity,
        source=body.source, authority_ref=body.authority_ref, reason=body.reason, review_at=body.review_at,
        ends_at=body.ends_at, record_id=body.record_id, message_ids=tuple(body.message_ids),
        reason_code=body.reason_code, ctx=ctx,
    )  # fmt: skip
    return _done(c, outcome)


@router.get("/{entry_id}", response_model=BlacklistDetailOut, responses=errors(*AUTHED, 403, 404))
async def show(entry_id: EntryId, user: UserDep, c: ContainerDep, ctx: CtxDep) -> BlacklistDetailOut:
    """One entry, the accounts it touches, and its full change history."""
    view, changes = await blacklist_views.entry_detail(c.db, staff=user, entry_id=entry_id, now=ctx.now)
    return BlacklistDetailOut(
        entry=BlacklistEntryOut.of(view, ctx.language), changes=[BlacklistChangeOut.of(x) for x in changes]
    )


@router.get("/{entry_id}/history", response_model=list[BlacklistChangeOut], responses=errors(*AUTHED, 403, 404))
async def history(entry_id: EntryId, user: UserDep, c: ContainerDep, ctx: CtxDep) -> list[BlacklistChangeOut]:
    """Every change of an entry, oldest first: before, after, reason, who and when (R-11.3-3)."""
    _, changes = await blacklist_views.entry_detail(c.db, staff=user, entry_id=entry_id, now=ctx.now)
    return [BlacklistChangeOut.of(x) for x in changes]


@router.patch("/{entry_id}", response_model=BlacklistOutcomeOut, responses=errors(*AUTHED, 403, 404, 409, 422))
async def change(
    entry_id: EntryId, body: BlacklistChangeIn, user: UserDep, c: ContainerDep, ctx: CtxDep
) -> BlacklistOutcomeOut:
    """Change the severity, review date or end, with a reason (`blacklist_entry_ended` once it has ended)."""
    outcome = await blacklist.change_entry(
        c.db, staff=user, entry_id=entry_id, reason=body.reason, severity=body.severity, review_at=body.review_at,
        ends_at=body.ends_at, keep_end=body.ends_at is None and not body.clear_end, ctx=ctx,
    )  # fmt: skip
    return _done(c, outcome)


@router.post("/{entry_id}/review", response_model=BlacklistOutcomeOut, responses=errors(*AUTHED, 403, 404, 409, 422))
async def review(
    entry_id: EntryId, body: BlacklistReviewIn, user: UserDep, c: ContainerDep, ctx: CtxDep
) -> BlacklistOutcomeOut:
    """The review on the review date: keep (a new review date), change, or remove, with a reason."""
    outcome = await blacklist.review_entry(
        c.db, staff=user, entry_id=entry_id, outcome=body.outcome, reason=body.reason, severity=body.severity,
        review_at=body.review_at, ends_at=body.ends_at, keep_end=body.ends_at is None and not body.clear_end,
        ctx=ctx,
    )  # fmt: skip
    return _done(c, outcome)


@router.post("/{entry_id}/remove", response_model=BlacklistOutcomeOut, responses=errors(*AUTHED, 403, 404, 409, 422))
async def remove(
    entry_id: EntryId, body: BlacklistRemoveIn, user: UserDep, c: ContainerDep, ctx: CtxDep
) -> BlacklistOutcomeOut:
    """Take an entry off the blacklist, with a reason. A group it closed stays closed."""
    outcome = await blacklist.remove_entry(c.db, staff=user, entry_id=entry_id, reason=body.reason, ctx=ctx)
    return _done(c, outcome)
