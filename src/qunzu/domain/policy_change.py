"""Changing the group policy (Art. 7 ¶1, Art. 8 ¶1): what a new version may do, and who must agree to a raised cap.

Staff write a new version from the version they edited; it may not lift the global hard cap above the deployment's
ceiling (`groups.max_members_hard`), and raising the cap above the version in force needs a second staff member:
the first files a request, a different administrator or compliance officer approves it (R-8.1-4). The version in
force and the last version filed with the CAC office are compared for the console's warning (R-7.1-3, D15).

Pure: no I/O, no clock.
"""

from __future__ import annotations

from qunzu.domain.policy import GroupPolicy
from qunzu.domain.rules import rule
from qunzu.errors import ErrorCode, QunzuError, ValidationFailed

CAP_REQUEST_STATES = ("pending", "approved", "refused", "withdrawn")


def check_within_ceiling(hard_cap: int, *, ceiling: int) -> None:
    """The hard cap never exceeds the deployment's ceiling (`groups.max_members_hard`)."""
    if hard_cap > ceiling:
        raise ValidationFailed(
            f"hard_cap: at most {ceiling} (groups.max_members_hard)",
            details={"field": "hard_cap", "maximum": ceiling, "setting": "groups.max_members_hard"},
        )


@rule("R-8.1-4", ErrorCode.SECOND_APPROVER_REQUIRED)
def check_new_version(old: GroupPolicy, new: GroupPolicy, *, ceiling: int) -> None:
    """A version written directly may lower the hard cap but not raise it: a raise goes through a cap request."""
    check_within_ceiling(new.hard_cap, ceiling=ceiling)
    if new.hard_cap > old.hard_cap:
        raise QunzuError(
            "Raising the global member cap needs a second staff member's approval: file a cap request",
            code=ErrorCode.SECOND_APPROVER_REQUIRED,
            details={"field": "hard_cap", "current": old.hard_cap, "requested": new.hard_cap},
        )


def check_cap_request(value: int, *, current: int, ceiling: int) -> None:
    """A cap request asks for a raise, within the ceiling."""
    check_within_ceiling(value, ceiling=ceiling)
    if value <= current:
        raise ValidationFailed(
            f"value: the hard cap is {current} already; a lower cap needs no approval",
            details={"field": "value", "current": current},
        )


@rule("R-8.1-4", ErrorCode.SECOND_APPROVER_REQUIRED)
def check_second_approver(*, requested_by: int, approver: int) -> None:
    """The approver of a raised cap is not the staff member who asked for it."""
    if requested_by == approver:
        raise QunzuError(
            "Another administrator or compliance officer must approve your own request",
            code=ErrorCode.SECOND_APPROVER_REQUIRED,
            details={"requested_by": requested_by},
        )


def filing_differs(running: int, filed: int | None) -> bool:
    """Whether the version in force is not the one last filed with the CAC office (the console warns, D15)."""
    return filed != running
