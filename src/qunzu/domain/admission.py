"""Admission to the group layer (Art. 8 ¶3, Art. 8 ¶1, Art. 7 ¶2): who may create a group of which tier, how a
person comes into a group, invite links, the info page's audience and the send rate, all read from a `GroupPolicy`.

Pure: the services pass in the facts (levels, counts, ages) and enforce the counted caps with conditional UPDATEs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from qunzu.domain.credit import CreditLevel, CreditPolicy, Entitlement, level_of
from qunzu.domain.policy import TIER_ORDER, GroupPolicy, JoinMode, SizeTier, member_cap, size_tier
from qunzu.domain.rules import rule
from qunzu.errors import Conflict, ErrorCode, Forbidden, ValidationFailed

# --- creation (R-8.3-1, R-8.1-2, R-7.2-2) ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Applicant:
    verification_level: int
    credit_score: int
    account_age: timedelta
    groups_owned: int
    created_today: int


class CreationPath(StrEnum):
    DIRECT = "direct"  # the group exists at once
    REVIEW = "review"  # the group waits in the staff creation-review queue


@dataclass(frozen=True, slots=True)
class CreationTerms:
    path: CreationPath
    member_cap: int
    owned_max: int
    created_per_day: int


def creation_requirements(policy: GroupPolicy, *, tier: SizeTier, category: str) -> dict[str, Any]:
    """What creating a group of `tier` in `category` requires (shown before the form is sent, and in refusals)."""
    t = policy.tiers[tier]
    sensitive = policy.category(category).sensitive
    return {
        "tier": tier.value,
        "category": category,
        "sensitive": sensitive,
        "verification_level": max(t.create_verification, policy.sensitive_create_verification if sensitive else 0),
        "credit_level": int(t.create_credit),
        "account_days": t.create_account_days,
        "review": t.create_review or (sensitive and policy.sensitive_review),
        "member_cap": member_cap(policy, tier, category),
    }


@rule("R-8.3-1", ErrorCode.VERIFICATION_LEVEL_REQUIRED)
def check_create(
    policy: GroupPolicy, credit: CreditPolicy, applicant: Applicant, *, tier: SizeTier, category: str
) -> CreationTerms:
    """The creation gate by requested tier and category: verification level, credit level, account age, groups
    owned and created today. Every unmet requirement is listed in details.reasons; the code is the first one's."""
    need = creation_requirements(policy, tier=tier, category=category)
    level = level_of(applicant.credit_score, credit)
    lvl = policy.levels[level]
    reasons: list[dict[str, Any]] = []
    if applicant.verification_level < need["verification_level"]:
        reasons.append({"code": ErrorCode.VERIFICATION_LEVEL_REQUIRED.value, "required_level": need[
            "verification_level"], "level": applicant.verification_level})  # fmt: skip
    if level < need["credit_level"]:
        required = CreditLevel(need["credit_level"])
        reasons.append({"code": ErrorCode.CREDIT_INSUFFICIENT.value, "entitlement": "create_group", "level": int(
            level), "required_level": int(required), "unlock_score": credit.floor(required),
            "score": applicant.credit_score})  # fmt: skip
    if applicant.account_age < timedelta(days=need["account_days"]):
        reasons.append({"code": ErrorCode.ACCOUNT_TOO_NEW.value, "required_days": need["account_days"]})
    if applicant.groups_owned >= lvl.owned_max:
        reasons.append({"code": ErrorCode.CREATE_LIMIT.value, "limit": "owned", "max": lvl.owned_max,
                        "level": int(level)})  # fmt: skip
    elif applicant.created_today >= lvl.created_per_day:
        reasons.append({"code": ErrorCode.CREATE_LIMIT.value, "limit": "per_day", "max": lvl.created_per_day,
                        "level": int(level)})  # fmt: skip
    if reasons:
        code = ErrorCode(reasons[0]["code"])
        raise Forbidden(
            f"You may not create a {tier.value} group in this category yet",
            code=code,
            details={"tier": tier.value, "category": category, "reasons": reasons, **reasons[0]},
        )
    return CreationTerms(
        path=CreationPath.REVIEW if need["review"] else CreationPath.DIRECT,
        member_cap=need["member_cap"],
        owned_max=lvl.owned_max,
        created_per_day=lvl.created_per_day,
    )


CREATION_DAY_ZONE = ZoneInfo("Asia/Shanghai")  # the daily creation count starts again at 00:00 Beijing time


def creation_day(now: datetime) -> str:
    """The calendar day (YYYY-MM-DD, Asia/Shanghai) a creation at `now` counts towards."""
    return now.astimezone(CREATION_DAY_ZONE).date().isoformat()


@rule("R-8.1-2", ErrorCode.CREATE_LIMIT)
def create_limit_error(*, limit: str, maximum: int) -> Conflict:
    """Groups owned and groups created per day are capped by credit level; the one beyond is refused."""
    return Conflict(
        "You have reached the number of groups you may own"
        if limit == "owned"
        else "You have created as many groups today as you may",
        code=ErrorCode.CREATE_LIMIT,
        details={"limit": limit, "max": maximum},
    )


# --- joining (R-8.3-3, R-8.1-3) ---------------------------------------------------------------------------------------


class JoinVia(StrEnum):
    CODE = "code"  # asks by the group code
    LINK = "link"  # an invite link or its QR code
    INVITATION = "invitation"  # accepts an invitation


class JoinPath(StrEnum):
    DIRECT = "direct"  # a member at once
    REQUEST = "request"  # a join request waits for the owner or a manager


@dataclass(frozen=True, slots=True)
class GroupFacts:
    member_count: int
    member_cap: int
    join_mode: JoinMode
    join_question: str = ""


@dataclass(frozen=True, slots=True)
class Joiner:
    verification_level: int
    groups_joined: int  # memberships and pending requests


@rule("R-8.3-3", ErrorCode.VERIFICATION_LEVEL_REQUIRED)
def join_path(
    policy: GroupPolicy, group: GroupFacts, joiner: Joiner, *, via: JoinVia, vouched: bool = False
) -> JoinPath:
    """How a person comes into a group, or why not.

    - above `join_verification_above` members, only verification level 2 joins (R-8.3-3, S10);
    - at `joined_max` groups (pending requests counted) the next is refused with `join_limit` (R-8.1-3);
    - a full group is `group_full`;
    - by code: an open group admits at once while its size tier allows open joining, otherwise the request waits
      for a manager; an approval group always asks; an invitation-only group refuses (`invitation_required`);
    - by link or accepted invitation: at once when `vouched` (made or sent by the owner or a manager), and in an
      approval group a member's link or invitation still waits for a manager (as 群聊邀请确认 does).
    """
    if joiner.verification_level < 2 and group.member_count > policy.join_verification_above:
        raise Forbidden(
            f"Groups above {policy.join_verification_above} members need real-name verification to join",
            code=ErrorCode.VERIFICATION_LEVEL_REQUIRED,
            details={"required_level": 2, "level": joiner.verification_level, "above": policy.join_verification_above},
        )
    if joiner.groups_joined >= policy.joined_max:
        raise join_limit_error(maximum=policy.joined_max)
    if group.member_count >= group.member_cap:
        raise Conflict("This group is full", code=ErrorCode.GROUP_FULL, details={"member_cap": group.member_cap})
    mode = group.join_mode
    if via is JoinVia.CODE:
        if mode is JoinMode.INVITATION:
            raise Forbidden("This group admits members by invitation only", code=ErrorCode.INVITATION_REQUIRED)
        grown = size_tier(group.member_count + 1, policy)
        if mode is JoinMode.OPEN and JoinMode.OPEN in policy.tiers[grown].join_modes:
            return JoinPath.DIRECT
        return JoinPath.REQUEST
    if mode is JoinMode.APPROVAL and not vouched:
        return JoinPath.REQUEST
    return JoinPath.DIRECT


@rule("R-8.1-3", ErrorCode.JOIN_LIMIT)
def join_limit_error(*, maximum: int) -> Conflict:
    """One person is in at most `joined_max` groups, pending join requests counted."""
    return Conflict(
        f"You are in {maximum} groups (pending requests counted), the most allowed",
        code=ErrorCode.JOIN_LIMIT,
        details={"max": maximum},
    )


def check_join_mode(policy: GroupPolicy, mode: JoinMode, *, member_cap_: int) -> None:
    """A group may use a join mode only if the tier it can grow to allows it (open joining is for S and M)."""
    allowed = policy.tiers[size_tier(member_cap_, policy)].join_modes
    if mode not in allowed:
        raise ValidationFailed(
            "This join mode is not allowed for a group of this size",
            details={"field": "join_mode", "allowed": [m.value for m in allowed]},
        )


def default_join_mode(policy: GroupPolicy, tier: SizeTier) -> JoinMode:
    modes = policy.tiers[tier].join_modes
    return JoinMode.OPEN if JoinMode.OPEN in modes else JoinMode.APPROVAL if JoinMode.APPROVAL in modes else modes[0]


def invitation_needs_consent(policy: GroupPolicy, member_count: int) -> bool:
    """Invitations into groups above `invite_consent_above` members wait for the invitee's acceptance (S10)."""
    return member_count > policy.invite_consent_above


@rule("R-8.3-3", ErrorCode.LINKS_DISABLED)
def check_links_allowed(policy: GroupPolicy, member_count: int) -> None:
    """Invite links and QR codes are off in tiers whose policy disables them (L and XL by default, S11)."""
    tier = size_tier(member_count, policy)
    if not policy.tiers[tier].links:
        raise Forbidden(
            f"Invite links are not available for groups of tier {tier.value}",
            code=ErrorCode.LINKS_DISABLED,
            details={"tier": tier.value},
        )


def info_is_public(policy: GroupPolicy, member_count: int) -> bool:
    """D7: every group's info page is open to its members; from `info_public_at` members to anyone with the code."""
    return member_count >= policy.info_public_at


# --- send rate (R-7.1-4) --------------------------------------------------------------------------------------------


def send_per_minute(
    policy: GroupPolicy, credit: CreditPolicy, *, member_count: int, score: int, account_age: timedelta
) -> int:
    """Messages a member may send per minute in one group: the least of the tier's rate, the credit level's rate
    and, for accounts younger than `new_account_hours`, the new-account rate."""
    tier_rate = policy.tiers[size_tier(member_count, policy)].send_per_minute
    rate = min(tier_rate, policy.level(score, credit).send_per_minute)
    if account_age < timedelta(hours=policy.new_account_hours):
        rate = min(rate, policy.new_account_send_per_minute)
    return rate


def tiers_for(policy: GroupPolicy, *, verification: int, credit_level: CreditLevel) -> list[SizeTier]:
    """The tiers a user at these verification and credit levels may create (largest last)."""
    return [
        t
        for t in TIER_ORDER
        if verification >= policy.tiers[t].create_verification and credit_level >= policy.tiers[t].create_credit
    ]


# --- what a credit level allows (R-7.2-2, R-7.2-3: shown to the user) -------------------------------------------------


@dataclass(frozen=True, slots=True)
class Allowance:
    """One thing the user's credit level decides: whether it is allowed now, its number if it has one, and the score
    that unlocks it (or the next step of it) when it is not."""

    name: str  # post | create_group | groups_owned | created_per_day | manage | invite | share_links | send_rate
    allowed: bool
    value: int | None = None
    tiers: tuple[SizeTier, ...] = ()
    unlock_score: int | None = None


def allowances(policy: GroupPolicy, credit: CreditPolicy, *, score: int, verification_level: int) -> list[Allowance]:
    """What this score allows, in the order the account page lists it."""
    level = level_of(score, credit)
    rule_ = policy.levels[level]

    def needs(what: Entitlement) -> Allowance:
        need = credit.needs[what]
        ok = level >= need
        return Allowance(what.value, ok, unlock_score=None if ok else credit.floor(need))

    tiers = tuple(tiers_for(policy, verification=max(verification_level, 1), credit_level=level))
    locked = [t for t in TIER_ORDER if t not in tiers and policy.tiers[t].create_credit > level]
    next_floor = credit.floor(policy.tiers[locked[0]].create_credit) if locked else None
    better = [lv for lv in CreditLevel if lv > level]
    owned_up = next((credit.floor(lv) for lv in better if policy.levels[lv].owned_max > rule_.owned_max), None)
    return [
        needs(Entitlement.POST),
        Allowance("create_group", bool(tiers) and rule_.owned_max > 0, tiers=tiers, unlock_score=next_floor),
        Allowance("groups_owned", rule_.owned_max > 0, value=rule_.owned_max, unlock_score=owned_up),
        Allowance("created_per_day", rule_.created_per_day > 0, value=rule_.created_per_day),
        needs(Entitlement.MANAGE),
        needs(Entitlement.INVITE),
        needs(Entitlement.SHARE_LINKS),
        Allowance("send_rate", rule_.send_per_minute > 0, value=rule_.send_per_minute),
    ]
