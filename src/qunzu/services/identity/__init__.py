"""Real identity (Art. 6): phone verification (L1), name + ID verification (L2), manual review, masked views.

后台实名、前台自愿: the real identity is verified and kept encrypted in the back end; other users see only the
nickname and a "verified" badge; the user sees their own data masked; staff see it masked unless a compliance officer
reveals it with a purpose and a case number (see services/pii_access.py).

One module per concern; their SQL is in storage/identity/:

    phone.py          L1: one-time code to a mainland mobile number
    id_check.py       L2: name + resident ID number, by the configured verifier
    manual_review.py  staff review of `manual` submissions (ID card photos)
    slots.py          the accounts one identity may hold, counted on its HMAC (R-6.1-6): reuse it for any rule
                      about "this identity" (e.g. a blacklist)
    standing.py       the verification record, lapses (R-6.1-5), release on account cancellation
    views.py          masked views for the user and for staff
    staff.py          staff look-ups of accounts (never identity data)
    outbox.py         the development SMS outbox of the console sender

Callers outside this package import from it, not from its modules: `from qunzu.services import identity`, then
`identity.verify_id(...)`.
"""

from qunzu.services.identity.id_check import verify_id
from qunzu.services.identity.manual_review import decide_review, pending_reviews, submission_document
from qunzu.services.identity.outbox import dev_last_code, keep_in_outbox, outbox_messages
from qunzu.services.identity.phone import confirm_phone_code, start_phone_verification
from qunzu.services.identity.slots import (
    IdentitySlot,
    check_slot,
    claim_slot,
    id_slot,
    phone_slot,
    release_slot,
    slots_of,
)
from qunzu.services.identity.staff import find_users, staff_account
from qunzu.services.identity.standing import aad, mark_lapsed, release_identity
from qunzu.services.identity.views import IdentityView, PhoneChallengeView, my_identity, staff_identity

__all__ = [
    "IdentitySlot",
    "IdentityView",
    "PhoneChallengeView",
    "aad",
    "check_slot",
    "claim_slot",
    "confirm_phone_code",
    "decide_review",
    "dev_last_code",
    "find_users",
    "id_slot",
    "keep_in_outbox",
    "mark_lapsed",
    "my_identity",
    "outbox_messages",
    "pending_reviews",
    "phone_slot",
    "release_identity",
    "release_slot",
    "slots_of",
    "staff_account",
    "staff_identity",
    "start_phone_verification",
    "submission_document",
    "verify_id",
]
