"""Qunzu's errors: one small hierarchy with stable codes. Knows nothing of HTTP (see api/errors.py)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    """Stable snake_case codes that clients branch on. Never rename one; add new ones."""

    # generic
    VALIDATION_FAILED = "validation_failed"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    RATE_LIMITED = "rate_limited"
    INTERNAL = "internal_error"
    UNAVAILABLE = "service_unavailable"
    CSRF_FAILED = "csrf_failed"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    # auth
    AUTH_REQUIRED = "auth_required"
    INVALID_CREDENTIALS = "invalid_credentials"
    USERNAME_TAKEN = "username_taken"
    WEAK_PASSWORD = "weak_password"
    ACCOUNT_INFO_REJECTED = "account_info_rejected"
    FORBIDDEN = "forbidden"
    # identity (Art. 6)
    IDENTITY_UNVERIFIED = "identity_unverified"
    VERIFICATION_LEVEL_REQUIRED = "verification_level_required"
    INVALID_ID_NUMBER = "invalid_id_number"
    INVALID_PHONE = "invalid_phone"
    CODE_INVALID = "verification_code_invalid"
    CODE_EXPIRED = "verification_code_expired"
    CODE_LOCKED = "verification_code_locked"
    RESEND_TOO_SOON = "resend_too_soon"
    IDENTITY_ACCOUNT_LIMIT = "identity_account_limit"
    IDENTITY_MISMATCH = "identity_mismatch"
    VERIFIER_UNAVAILABLE = "verifier_unavailable"
    VERIFICATION_PENDING = "verification_pending"
    AGREEMENT_REQUIRED = "agreement_required"
    DOCUMENT_NOT_FOUND = "document_not_found"
    PURPOSE_REQUIRED = "purpose_required"
    OWNERSHIP_BLOCKS_CANCELLATION = "ownership_blocks_cancellation"
    # groups
    GROUP_NOT_FOUND = "group_not_found"
    GROUP_CLOSED = "group_closed"
    INVALID_GROUP_CODE = "invalid_group_code"
    UNKNOWN_CATEGORY = "unknown_category"
    GROUP_FULL = "group_full"
    ALREADY_MEMBER = "already_member"
    NOT_MEMBER = "not_member"
    MEMBER_NOT_FOUND = "member_not_found"
    FORBIDDEN_ROLE = "forbidden_role"
    OWNER_MUST_TRANSFER = "owner_must_transfer"
    GROUP_PENDING_REVIEW = "group_pending_review"
    ACCOUNT_TOO_NEW = "account_too_new"
    CREATE_LIMIT = "create_limit"
    JOIN_LIMIT = "join_limit"
    INVITATION_REQUIRED = "invitation_required"
    JOIN_REQUEST_PENDING = "join_request_pending"
    JOIN_REQUEST_NOT_FOUND = "join_request_not_found"
    ANSWER_REQUIRED = "answer_required"
    LINKS_DISABLED = "links_disabled"
    INVITE_NOT_FOUND = "invite_not_found"
    INVITE_EXPIRED = "invite_expired"
    INVITE_REVOKED = "invite_revoked"
    DUTIES_NOT_ACCEPTED = "duties_not_accepted"
    OFFER_NOT_FOUND = "offer_not_found"
    MANAGERS_LIMIT = "managers_limit"
    MEMBER_MUTED = "member_muted"
    GROUP_MUTED = "group_muted"
    SLOW_MODE = "slow_mode"
    PINS_LIMIT = "pins_limit"
    KEYWORDS_LIMIT = "keywords_limit"
    # the group policy (Art. 7 ¶1) and the hard cap (Art. 8 ¶1)
    POLICY_STALE = "policy_stale"
    SECOND_APPROVER_REQUIRED = "second_approver_required"
    # credit (Art. 7 ¶2)
    CREDIT_INSUFFICIENT = "credit_insufficient"
    # messages
    MESSAGE_NOT_FOUND = "message_not_found"
    MESSAGE_TOO_LONG = "message_too_long"
    MESSAGE_EMPTY = "message_empty"
    CLIENT_MSG_ID_CONFLICT = "client_msg_id_conflict"
    CONTENT_REJECTED = "content_rejected"
    ALREADY_DECIDED = "already_decided"
    # measures (Art. 11 ¶1–2): restriction gates and enforcement records
    GROUP_SUSPENDED = "group_suspended"
    MANAGEMENT_SUSPENDED = "management_suspended"
    CREATION_REVOKED = "creation_revoked"
    ACCOUNT_SUSPENDED = "account_suspended"
    ACCOUNT_MUTED = "account_muted"
    JOINS_FROZEN = "joins_frozen"
    STARS_RESTRICTED = "stars_restricted"  # a group's credit stars turned a function off (group rules ch. 8)
    MEASURE_NOT_FOUND = "measure_not_found"
    MEASURE_NOT_ACTIVE = "measure_not_active"
    # blacklist (Art. 11 ¶2–3)
    BLACKLIST_ENTRY_NOT_FOUND = "blacklist_entry_not_found"
    BLACKLIST_ENTRY_ENDED = "blacklist_entry_ended"
    BLACKLISTED = "blacklisted"  # the blacklist's gate (Art. 11 ¶2); raised by domain/restrictions.py
    # complaints and reports (Art. 12, R-12.1-1, R-12.1-2)
    TICKET_NOT_FOUND = "ticket_not_found"
    TICKET_CLAIMED = "ticket_claimed"
    TICKET_NOT_CLAIMED = "ticket_not_claimed"
    REASON_REQUIRED = "reason_required"
    REPORT_LIMIT = "report_limit"
    REPORT_TARGET_INVALID = "report_target_invalid"
    # appeals (R-11-x, D10)
    APPEAL_NOT_FOUND = "appeal_not_found"
    APPEAL_EXISTS = "appeal_exists"
    APPEAL_NOT_ALLOWED = "appeal_not_allowed"
    APPEAL_CLOSED = "appeal_closed"
    APPEAL_SAME_DECIDER = "appeal_same_decider"
    # reports to the authorities (Art. 11 ¶3, D13): the signed export packages
    PACKAGE_PERIOD_INVALID = "package_period_invalid"
    PACKAGE_NOT_FOUND = "package_not_found"
    PACKAGE_FILE_MISSING = "package_file_missing"
    PACKAGE_CONFLICT = "package_conflict"
    # lawful requests of an authority (R-13.1-1): the request, the second officer's decision, the answer
    LAWFUL_REQUEST_NOT_FOUND = "lawful_request_not_found"
    LAWFUL_REQUEST_SAME_OFFICER = "lawful_request_same_officer"
    LAWFUL_REQUEST_NOT_APPROVED = "lawful_request_not_approved"
    # regulators' inspection access (R-3-1): refused at sign-in and on every request after expiry or revocation
    ACCESS_EXPIRED = "access_expired"
    # emergency switches (Art. 5, R-5.1-4): an administrator stopped this function for now (domain/emergency.py)
    EMERGENCY_STOPPED = "emergency_stopped"
    EMERGENCY_SWITCH_NOT_FOUND = "emergency_switch_not_found"
    # the review team's shifts (R-5.1-1): ending a shift the staff member is not on
    NOT_ON_SHIFT = "not_on_shift"


class QunzuError(Exception):
    """Base of every error Qunzu raises on purpose. `code` is stable; `message` is for people."""

    code: ErrorCode = ErrorCode.INTERNAL
    default_message = "Internal error"

    def __init__(
        self,
        message: str | None = None,
        *,
        code: ErrorCode | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        if code is not None:
            self.code = code
        self.message = message or self.default_message
        self.details = details or {}
        super().__init__(self.message)


class ValidationFailed(QunzuError):
    """The input is malformed or out of range."""

    code = ErrorCode.VALIDATION_FAILED
    default_message = "The request is not valid"


class NotFound(QunzuError):
    """The object does not exist, or the actor may not know that it exists."""

    code = ErrorCode.NOT_FOUND
    default_message = "Not found"


class AuthRequired(QunzuError):
    """The request needs a signed-in user."""

    code = ErrorCode.AUTH_REQUIRED
    default_message = "Sign-in required"


class Forbidden(QunzuError):
    """The actor is known but may not do this."""

    code = ErrorCode.FORBIDDEN
    default_message = "Not allowed"


class Conflict(QunzuError):
    """The request collides with the current state (already a member, name taken, group full)."""

    code = ErrorCode.VALIDATION_FAILED
    default_message = "Conflict with the current state"


class RateLimited(QunzuError):
    """Too many requests in a window."""

    code = ErrorCode.RATE_LIMITED
    default_message = "Too many requests"


class Unavailable(QunzuError):
    """A dependency (database, broker, vendor) is not reachable."""

    code = ErrorCode.UNAVAILABLE
    default_message = "Service temporarily unavailable"
