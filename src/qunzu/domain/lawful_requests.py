"""Lawful requests of an authority (Art. 13 ¶1, R-13.1-1, CSL Art. 28 / new 30): what a request must say, who may
decide it, its states, and the sections of the signed package that answers it. Pure.

A request names the authority, its document number and the legal basis, what it asks about (the scope: group codes,
accounts, source addresses with or without a port — at least one) and a period of at most 366 days. It asks for
real identities only when `include_identity` is set; otherwise the package carries them masked. An officer records
it; **another** officer approves or refuses it (four eyes: the one who recorded it may not decide it); only an
approved request is answered, once. The answer is a package in the format of the enforcement reports
(domain/reports.py): each section as JSON Lines and CSV, a signed manifest, listed in the disclosure register.

    pending ──approve──▶ approved ──answer──▶ answered
       └─────refuse────▶ refused
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from qunzu.domain.rules import rule
from qunzu.errors import Conflict, ErrorCode, Forbidden, QunzuError, ValidationFailed

PENDING, APPROVED, REFUSED, ANSWERED = "pending", "approved", "refused", "answered"
STATES = (PENDING, APPROVED, REFUSED, ANSWERED)
KIND = "lawful_request"  # the disclosure register's kind and the manifest's
AUTHORITY_MAX = 200
DOCUMENT_NUMBER_MAX = 100
LEGAL_BASIS_MAX = 200
REASON_MAX = 2000
SUBJECTS_MAX = 50  # group codes, accounts and addresses each: a wider request is several requests
PERIOD_MAX = timedelta(days=366)
# Records go back no further than the platform, and no request reaches past this; the bounds also keep every date
# of a period printable in any time zone (year 1 and 9999 are not).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
PURPOSE = "lawful request"  # the purpose written to the personal-data access record for each revealed identity

# Operation records that change who is in a group or in which role (services/joining.py, groups.py, group_tools.py,
# group_roles.py). The subject is the record's target user, or the actor for group.create.
MEMBERSHIP_ACTIONS = (
    "group.create", "group.join", "group.join_request_decision", "group.invitation_accept", "group.leave",
    "group.remove", "group.transfer", "group.manager_accept", "group.manager_remove", "group.manager_resign",
    "group.dissolve",
)  # fmt: skip
JOINS = ("group.create", "group.join")
LEAVES = ("group.leave", "group.remove")
# Sign-in (refused ones too), sign-out, lockout and WebSocket connect/disconnect records (§3.2 session events).
SESSION_ACTIONS = ("auth.login", "auth.logout", "auth.lockout", "ws.connect", "ws.disconnect")


@dataclass(frozen=True, slots=True)
class Address:
    """A source address asked about: an IP, and a port when the authority names one (NAT: the port tells users
    behind one public address apart, §3.2)."""

    ip: str
    port: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"ip": self.ip, "port": self.port}


@dataclass(frozen=True, slots=True)
class RequestSpec:
    """A request as recorded: `group_codes` and `accounts` as typed (the service resolves them)."""

    authority: str
    document_number: str
    legal_basis: str
    reason: str
    period_from: datetime
    period_to: datetime
    group_codes: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()  # usernames or user ids
    addresses: tuple[str, ...] = ()  # "203.0.113.7", "203.0.113.7:50123", "[2001:db8::1]:443"
    include_identity: bool = False
    parsed_addresses: tuple[Address, ...] = field(default=())


def _bad(field_name: str, reason: str, message: str, **more: Any) -> ValidationFailed:
    return ValidationFailed(message, details={"field": field_name, "reason": reason, **more})


def _line(value: str, field_name: str, limit: int, what: str) -> str:
    value = value.strip()
    if not value:
        raise _bad(field_name, "required", f"{field_name}: {what} is required")
    if len(value) > limit:
        raise _bad(field_name, "too_long", f"{field_name}: at most {limit} characters", max=limit)
    return value


def parse_address(raw: str) -> Address:
    """An IPv4 or IPv6 address, optionally with a port ("1.2.3.4:80", "[::1]:80"); refuses anything else."""
    text = raw.strip()
    host, port = text, None
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest:
            if not rest.startswith(":"):
                raise _bad("addresses", "invalid", f"addresses: {text!r} is not an IP address", value=text)
            port = rest[1:]
    elif text.count(":") == 1:
        host, port = text.split(":")
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        raise _bad("addresses", "invalid", f"addresses: {text!r} is not an IP address", value=text) from None
    number = None
    if port is not None:
        if not port.isascii() or not port.isdigit() or not 1 <= int(port) <= 65535:
            raise _bad("addresses", "invalid_port", f"addresses: {text!r} has no valid port (1–65535)", value=text)
        number = int(port)
    return Address(ip=str(ip), port=number)


def _subjects(values: Sequence[str], field_name: str) -> tuple[str, ...]:
    out = tuple(dict.fromkeys(v.strip() for v in values if v.strip()))
    if len(out) > SUBJECTS_MAX:
        raise _bad(field_name, "too_many", f"{field_name}: at most {SUBJECTS_MAX} in one request", max=SUBJECTS_MAX)
    return out


@rule("R-13.1-1", ErrorCode.VALIDATION_FAILED)
def check_request(spec: RequestSpec) -> RequestSpec:
    """A request names the authority, its document number and legal basis, why, at least one group code, account
    or source address, and a period of at most 366 days that ends after it starts; else `validation_failed`
    naming the field."""
    authority = _line(spec.authority, "authority", AUTHORITY_MAX, "the requesting authority")
    number = _line(spec.document_number, "document_number", DOCUMENT_NUMBER_MAX, "the document number")
    basis = _line(spec.legal_basis, "legal_basis", LEGAL_BASIS_MAX, "the legal basis")
    reason = spec.reason.strip()
    if not reason:
        raise _bad("reason", "required", "reason: state what the authority asks for and why")
    if len(reason) > REASON_MAX:
        raise _bad("reason", "too_long", f"reason: at most {REASON_MAX} characters", max=REASON_MAX)
    codes = _subjects(spec.group_codes, "group_codes")
    accounts = _subjects(spec.accounts, "accounts")
    raw_addresses = _subjects(spec.addresses, "addresses")
    addresses = tuple(dict.fromkeys(parse_address(a) for a in raw_addresses))
    if not (codes or accounts or addresses):
        raise _bad("scope", "required", "scope: name at least one group code, account or source address")
    if not EARLIEST <= spec.period_from < LATEST:
        raise _bad("period_from", "out_of_range", "period_from: a period lies between 2000 and 2100")
    if not EARLIEST < spec.period_to <= LATEST:
        raise _bad("period_to", "out_of_range", "period_to: a period lies between 2000 and 2100")
    if spec.period_to <= spec.period_from:
        raise _bad("period_to", "before_start", "period_to: the period must end after it starts")
    if spec.period_to - spec.period_from > PERIOD_MAX:
        raise _bad("period_to", "too_long", "period_to: a request covers at most 366 days", max_days=366)
    return RequestSpec(
        authority=authority, document_number=number, legal_basis=basis, reason=reason,
        period_from=spec.period_from, period_to=spec.period_to, group_codes=codes, accounts=accounts,
        addresses=raw_addresses, include_identity=spec.include_identity, parsed_addresses=addresses,
    )  # fmt: skip


@rule("R-13.1-1", ErrorCode.LAWFUL_REQUEST_SAME_OFFICER)
def check_decider(*, requested_by: int, decider: int) -> None:
    """Four eyes: the officer who recorded a request may not approve or refuse it; another officer decides."""
    if requested_by == decider:
        raise Forbidden(
            "You recorded this request: another compliance officer or administrator must decide it",
            code=ErrorCode.LAWFUL_REQUEST_SAME_OFFICER,
            details={"requested_by": requested_by},
        )


def check_pending(status: str) -> None:
    """Only a pending request is approved or refused (a decision stands)."""
    if status != PENDING:
        raise Conflict("This request has been decided already", code=ErrorCode.ALREADY_DECIDED,
                       details={"status": status})  # fmt: skip


def check_refusal(reason: str) -> str:
    """A refusal says why (the authority is told, and the record keeps it)."""
    reason = reason.strip()
    if not reason:
        raise ValidationFailed("State why the request is refused", code=ErrorCode.REASON_REQUIRED,
                               details={"field": "reason", "reason": "required"})  # fmt: skip
    return reason[:REASON_MAX]


@rule("R-13.1-1", ErrorCode.LAWFUL_REQUEST_NOT_APPROVED)
def check_answerable(status: str) -> None:
    """Only an approved request is answered, and only once: no package leaves without a second officer's approval."""
    if status != APPROVED:
        raise QunzuError(
            "Only an approved request is answered" if status != ANSWERED else "This request was answered already",
            code=ErrorCode.LAWFUL_REQUEST_NOT_APPROVED,
            details={"status": status},
        )


# --- the package's sections ----------------------------------------------------------------------------------------

REQUEST_COLUMNS = (
    "id", "authority", "document_number", "legal_basis", "reason", "period_from", "period_to", "groups", "accounts",
    "addresses", "include_identity", "requested_by", "requested_at", "decided_by", "decided_at", "decision_reason",
)  # fmt: skip
MEMBER_COLUMNS = (
    "group_id", "group_code", "row", "at", "user_id", "username", "action", "actor_id", "role", "src_ip", "src_port",
    "details",
)  # fmt: skip
MESSAGE_COLUMNS = (
    "id", "group_id", "group_code", "seq", "sender_id", "sender_nickname", "text", "created_at", "src_ip",
    "src_port", "review_state", "deleted", "deleted_at", "deleted_by", "delete_reason",
)  # fmt: skip
LOG_COLUMNS = (
    "id", "ts", "actor_id", "action", "target_type", "target_id", "group_id", "src_ip", "src_port", "dst_ip",
    "dst_port", "client_type", "client_version", "device_id", "result", "error_code", "details",
)  # fmt: skip
IDENTITY_COLUMNS = (
    "user_id", "username", "relation", "level", "phone", "name", "id_number", "revealed", "phone_verified_at",
    "id_verified_at", "lapsed_at", "methods",
)  # fmt: skip
SECTIONS: Mapping[str, tuple[str, ...]] = {
    "request": REQUEST_COLUMNS,
    "members": MEMBER_COLUMNS,
    "messages": MESSAGE_COLUMNS,
    "operations": LOG_COLUMNS,
    "sessions": LOG_COLUMNS,
    "identities": IDENTITY_COLUMNS,
}


def membership_subject(action: str, actor_id: int | None, target_type: str | None, target_id: str | None) -> int | None:
    """Whose membership a record changed: the target user, or the creator for group.create."""
    if target_type == "user" and target_id is not None and target_id.isdigit():
        return int(target_id)
    return actor_id if action == "group.create" else None


def members_at(current: Mapping[int, datetime], later: Sequence[tuple[str, int]], at: datetime) -> set[int]:
    """Who was a member at `at`, from the members now (`current`: user → joined_at) and the membership events after
    `at`, oldest first (`later`: (action, user)): a member now who joined before `at` was one then unless they left
    and came back; anyone whose first event after `at` is a leave or a removal was one too."""
    first: dict[int, str] = {}
    for action, user in later:
        if action in JOINS or action in LEAVES:
            first.setdefault(user, action)
    now_members = {u for u, joined in current.items() if joined < at and first.get(u) not in JOINS}
    return now_members | {u for u, action in first.items() if action in LEAVES}


def owners_during(
    current: int, transfers: Sequence[tuple[datetime, int | None]], lo: datetime, hi: datetime
) -> set[int]:
    """Who owned a group at some time in [lo, hi): the owner at `hi`, worked back from today's owner through the
    transfers since (`transfers`: (when, the previous owner) of each group.transfer at or after `lo`, oldest first),
    and each owner a transfer within the period replaced."""
    owner = current
    for at, previous in reversed(transfers):
        if at >= hi and previous is not None:
            owner = previous
    return {owner} | {previous for at, previous in transfers if at < hi and previous is not None}
