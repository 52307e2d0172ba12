"""What each platform staff role may do (staff roles are separate from group roles, R-2.2-2)."""

from __future__ import annotations

from collections.abc import Collection

from qunzu.domain.accounts import StaffRole
from qunzu.errors import Forbidden

ANY_STAFF = frozenset(r.value for r in StaffRole)
# Decide manual identity verifications.
VERIFICATION_REVIEWERS = frozenset(
    {StaffRole.ADMIN.value, StaffRole.REVIEWER.value, StaffRole.COMPLIANCE_OFFICER.value}
)
# Mark a verification lapsed (R-6.1-5).
LAPSE_DECIDERS = frozenset({StaffRole.ADMIN.value, StaffRole.COMPLIANCE_OFFICER.value})
# Read the personal-data access record (R-6.2-2); revealing is for compliance officers alone.
PII_RECORD_READERS = frozenset({StaffRole.ADMIN.value, StaffRole.COMPLIANCE_OFFICER.value})
# Read the development SMS outbox (live one-time codes): administrators only.
OUTBOX_READERS = frozenset({StaffRole.ADMIN.value})
# Decide content review items, and edit the lexicon.
CONTENT_REVIEWERS = frozenset({StaffRole.ADMIN.value, StaffRole.REVIEWER.value})
# Read the review queue and lexicon, use the test tool.
CONTENT_READERS = CONTENT_REVIEWERS | {StaffRole.COMPLIANCE_OFFICER.value}


def require_staff_role(role: str | None, allowed: Collection[str]) -> None:
    """Refuse (`forbidden`) unless the actor's staff role is one of `allowed`."""
    if role not in allowed:
        raise Forbidden("Your staff role may not do this", details={"required": sorted(allowed)})
