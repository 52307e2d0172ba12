"""Account slots (R-6.1-6): one real identity holds at most `accounts_per_identity` accounts.

An identity is counted twice over, by its mobile number and by its ID number, each through an HMAC (blind index) of
the normalised value, never the value itself. An `IdentitySlot` names one of the two; this module is the whole API
for "the identity's slot and HMAC", so a later rule about identities (a blacklist) reuses it without the flows:

    slot = phone_slot(keys, "+8613800138000")        # or id_slot(keys, "11010519900307123X")
    await check_slot(uow, slot, actor=user_id, cap=3)  # early refusal, reads only
    await claim_slot(uow, slot, cap=3)                 # count this account, atomically under the cap
    await release_slot(uow, slot)                      # give the place back
    held = await slots_of(uow, user_id)                # the slots the user's identity holds now

`slot.subject` ("phone:<hmac>" / "id:<hmac>") is the stable key to store when another table refers to an identity.
"""

from __future__ import annotations

from dataclasses import dataclass

from qunzu.domain import identity as rules
from qunzu.storage.crypto import KeyRing
from qunzu.storage.identity import identities, identity_slots
from qunzu.storage.identity.identity_slots import SlotKind
from qunzu.storage.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class IdentitySlot:
    """One identity as the account cap counts it: a mobile number (`phone`) or an ID number (`id`), by its HMAC."""

    kind: SlotKind
    hmac: str

    @property
    def subject(self) -> str:
        """The key of its counter: "phone:<hmac>" or "id:<hmac>"."""
        return f"{self.kind}:{self.hmac}"

    @property
    def label(self) -> str:
        """What the refusal calls it."""
        return "mobile number" if self.kind == "phone" else "ID number"


def phone_slot(keys: KeyRing, e164: str) -> IdentitySlot:
    """The slot of a normalised mobile number (`+86…`, see domain.identity.normalise_mainland_mobile)."""
    return IdentitySlot("phone", keys.blind_index("phone", e164))


def id_slot(keys: KeyRing, id_number: str) -> IdentitySlot:
    """The slot of a parsed resident ID number (`ResidentId.number`)."""
    return IdentitySlot("id", keys.blind_index("id", id_number))


async def slots_of(uow: UnitOfWork, user_id: int) -> list[IdentitySlot]:
    """The slots the user's identity holds now (mobile number first); none before verification or after release."""
    ident = await identities.row(uow.conn, user_id)
    if ident is None:
        return []
    held: list[IdentitySlot] = []
    if ident.phone_hmac:
        held.append(IdentitySlot("phone", ident.phone_hmac))
    if ident.id_hmac:
        held.append(IdentitySlot("id", ident.id_hmac))
    return held


async def check_slot(uow: UnitOfWork, slot: IdentitySlot, *, actor: int, cap: int) -> None:
    """Refuse early when the identity is at its cap and `actor` does not already hold it (claim_slot is binding)."""
    count = await identity_slots.accounts(uow.conn, slot.subject)
    mine = await identity_slots.held_by(uow.conn, actor, kind=slot.kind, hmac=slot.hmac)
    if count is not None and count >= cap and not mine:
        raise rules.identity_limit_error(cap=cap, kind=slot.label)


async def claim_slot(uow: UnitOfWork, slot: IdentitySlot, *, cap: int) -> None:
    """Count one more account for the identity, atomically under the cap, or refuse (R-6.1-6)."""
    if not await identity_slots.claim(uow.conn, slot.subject, cap=cap):
        raise rules.identity_limit_error(cap=cap, kind=slot.label)


async def release_slot(uow: UnitOfWork, slot: IdentitySlot) -> None:
    """Count one account fewer for the identity (a changed number, a cancelled account)."""
    await identity_slots.release(uow.conn, slot.subject)
