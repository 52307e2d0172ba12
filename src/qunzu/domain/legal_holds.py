"""Legal holds (R-13.1-3): what a hold names and the rules it must meet. Pure.

A hold keeps records past every purge — the network and operation log's retention, the purge of a cancelled
account's identity copy — until it is released. It names a user (the records they made and those about their
account), a group (the group's records) or a period (everything in it); a user or group hold may be limited to a
window. It says who asked for it (the authority and its document number) and why. The purges ask
netlog/retention.py::held_clause; placing and releasing are services/legal_holds.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from qunzu.errors import ValidationFailed

SUBJECT_TYPES = ("user", "group", "period")
AUTHORITY_MAX = 200
DOCUMENT_MAX = 100
REASON_MAX = 2000
WINDOW_MAX = timedelta(days=3660)  # a held period of at most ten years


@dataclass(frozen=True, slots=True)
class HoldSpec:
    subject_type: str
    subject_id: int | None  # the user or group (resolved by the service); None for a period
    authority: str
    reason: str
    document_number: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None


def _bad(field: str, reason: str, message: str, **more: Any) -> ValidationFailed:
    return ValidationFailed(message, details={"field": field, "reason": reason, **more})


def check_hold(spec: HoldSpec) -> HoldSpec:
    """A hold names its subject, the authority and the reason; a period has both ends; a window ends after it
    starts and spans at most ten years. Else `validation_failed` naming the field."""
    if spec.subject_type not in SUBJECT_TYPES:
        raise _bad("subject_type", "unknown", "Hold a user, a group or a period", allowed=list(SUBJECT_TYPES))
    if spec.subject_type != "period" and spec.subject_id is None:
        raise _bad("subject", "required", "Name the user or group to hold")
    authority = spec.authority.strip()
    if not authority:
        raise _bad("authority", "required", "Name the authority that asked for the hold")
    if len(authority) > AUTHORITY_MAX:
        raise _bad("authority", "too_long", "The authority is too long", max=AUTHORITY_MAX)
    number = (spec.document_number or "").strip() or None
    if number is not None and len(number) > DOCUMENT_MAX:
        raise _bad("document_number", "too_long", "The document number is too long", max=DOCUMENT_MAX)
    reason = spec.reason.strip()
    if not reason:
        raise _bad("reason", "required", "State why the records are held")
    if len(reason) > REASON_MAX:
        raise _bad("reason", "too_long", "The reason is too long", max=REASON_MAX)
    if spec.subject_type == "period" and (spec.starts_at is None or spec.ends_at is None):
        raise _bad("starts_at" if spec.starts_at is None else "ends_at", "required", "A held period has two ends")
    if spec.starts_at is not None and spec.ends_at is not None:
        if spec.ends_at <= spec.starts_at:
            raise _bad("ends_at", "before_start", "The window must end after it starts")
        if spec.ends_at - spec.starts_at > WINDOW_MAX:
            raise _bad("ends_at", "too_long", "A held window spans at most ten years")
    return HoldSpec(
        subject_type=spec.subject_type, subject_id=None if spec.subject_type == "period" else spec.subject_id,
        authority=authority, reason=reason, document_number=number, starts_at=spec.starts_at, ends_at=spec.ends_at,
    )  # fmt: skip
