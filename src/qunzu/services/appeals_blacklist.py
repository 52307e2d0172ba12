"""Appeals against blacklist entries (用户服务协议 §6.4, §8.1) for services/appeals.py: who may appeal an entry, what
the appellant and the decider see of it (never the identity HMAC; the masked label), and what upholding does.

An upheld appeal removes the entry through services/blacklist.py::remove_in, in the appeal's transaction, with the
change row's reason "appeal upheld"; the accounts' levels are recomputed there. A group entry's closure measure is
NOT reopened: staff lift it separately if the group should come back.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from qunzu.context import Ctx
from qunzu.domain import appeals as rules
from qunzu.domain import blacklist as bl
from qunzu.domain.appeals import Appealable, Subject
from qunzu.services.blacklist import remove_in
from qunzu.services.blacklist_effects import Outcome
from qunzu.services.blacklist_gate import accounts_of_identity, facts
from qunzu.services.views import UserView
from qunzu.storage.tables import blacklist_entries
from qunzu.storage.uow import UnitOfWork

REMOVAL_REASON = "appeal upheld"


def appeal_link(entry_id: int) -> str:
    return f"/me/blacklist/{entry_id}/appeal"


async def load_entry(uow: UnitOfWork, entry_id: int) -> tuple[Appealable, Any] | None:
    """The rules' view of an entry and its row; None when there is no such entry or nobody may appeal it."""
    row = (await uow.conn.execute(select(blacklist_entries).where(blacklist_entries.c.id == entry_id))).one_or_none()
    if row is None:
        return None
    bound = await accounts_of_identity(uow, row.subject_key) if row.subject_type == "identity" else []
    who = rules.blacklist_appellants(row.subject_type, row.subject_key, row.evidence, bound)
    if not who:
        return None
    view = Appealable(
        Subject.BLACKLIST, who[0], row.created_by, row.starts_at, row.removed_at is not None, also_subjects=who[1:]
    )
    return view, row


def entry_summary(row: Any) -> dict[str, Any]:
    """What the form, /me/appeals and the staff detail show of an entry: severity, restrictions, dates, reason."""
    owner = (row.evidence or {}).get("owner") or {}
    return {
        "id": row.id, "subject_type": row.subject_type, "label": row.label, "severity": row.severity,
        "effects": [e.value for e in bl.effects(row.severity)] if row.subject_type != "group" else ["no_create"],
        "source": row.source, "authority_ref": row.authority_ref, "reason": row.reason,
        "starts_at": row.starts_at, "review_at": row.review_at, "ends_at": row.ends_at, "removed_at": row.removed_at,
        "record_id": row.record_id, "group_name": owner.get("group_name"),
    }  # fmt: skip


async def undo_entry(uow: UnitOfWork, row: Any, *, staff: UserView, ctx: Ctx) -> tuple[dict[str, Any], Outcome]:
    """Upheld: the entry removed (if it still holds), the accounts it touched recomputed."""
    if not bl.is_active(facts(row), now=ctx.now):
        return {"entry_ended": row.id}, Outcome()
    locked = (
        await uow.conn.execute(select(blacklist_entries).where(blacklist_entries.c.id == row.id).with_for_update())
    ).one()
    outcome = await remove_in(uow, locked, actor=staff.id, reason=REMOVAL_REASON, ctx=ctx)
    done: dict[str, Any] = {"entry_removed": row.id}
    if row.subject_type == "group" and row.record_id is not None:
        done["group_closure_kept"] = row.record_id
    return done, outcome
