"""The group policy (Art. 7 ¶1, Art. 8): tiers, categories and what each (tier × category) and credit level allows.

One `GroupPolicy` value is the whole table an operator configures. It is stored as numbered versions (the staff console
edits it, `qunzu compliance policy export` writes it out as the 管理制度 for filing), and the gates of
domain/admission.py (creation, joining, links, send rates) read it:

- size tiers (S ≤ 40, M ≤ 100, L ≤ 500, XL ≤ 2,000 by default): a group is created for a ceiling tier, which sets its
  member cap; its current tier follows its member count on every join and leave;
- activity tiers, recomputed by a scheduled job from the last 7 days;
- creation requirements per tier, stricter for sensitive categories (D16), and a staff review where the tier or
  category asks for one (R-8.3-1);
- join modes, invitation consent, the verification level above a size, invite links, send rates, managers per members;
- per credit level: groups owned, groups created per day, send rate (R-7.2-2, R-8.1-2).

Pure: no I/O, no clock. The services read the current version and pass the facts in.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from qunzu.domain.credit import CreditLevel, CreditPolicy, level_of
from qunzu.domain.rules import rule
from qunzu.errors import ErrorCode, ValidationFailed

HARD_CAP_CEILING = 10_000  # no configuration may set the global hard cap above this (DingTalk's largest, S13)


class SizeTier(StrEnum):
    S = "S"
    M = "M"
    L = "L"
    XL = "XL"


TIER_ORDER = (SizeTier.S, SizeTier.M, SizeTier.L, SizeTier.XL)


class ActivityTier(StrEnum):
    QUIET = "quiet"
    NORMAL = "normal"
    ACTIVE = "active"
    HOT = "hot"


class JoinMode(StrEnum):
    OPEN = "open"  # anyone holding the code joins at once (small tiers only)
    APPROVAL = "approval"  # the owner or a manager approves each request, optionally reading an answer
    INVITATION = "invitation"  # only by invitation or invite link


class RiskClass(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TierRule(_Frozen):
    """What one size tier allows and requires."""

    ceiling: int = Field(ge=2, description="most members a group of this tier may have")
    create_verification: int = Field(ge=1, le=2, description="verification level to create (1 phone, 2 real name)")
    create_credit: CreditLevel = Field(description="lowest credit level that may create")
    create_account_days: int = Field(default=0, ge=0, le=365, description="least account age in days to create")
    create_review: bool = Field(default=False, description="creation waits for a staff reviewer")
    join_modes: tuple[JoinMode, ...] = Field(description="join modes a group of this tier may use")
    links: bool = Field(description="invite links and QR codes allowed")
    send_per_minute: int = Field(ge=1, le=600, description="messages per member per minute in the group")
    members_per_manager: int = Field(default=0, ge=0, description="one manager needed per this many members (0: none)")


class CategoryRule(_Frozen):
    id: str = Field(min_length=1, max_length=32, pattern=r"^[a-z][a-z0-9_]*$")
    sensitive: bool = False  # news, finance, health, education (D16): L2 and staff review at any size
    member_cap: int | None = Field(default=None, ge=2, description="a lower member cap for this category, if any")


class LevelRule(_Frozen):
    """What one credit level allows besides the entitlements of CreditPolicy.needs."""

    owned_max: int = Field(ge=0, le=10_000)
    created_per_day: int = Field(ge=0, le=1_000)
    send_per_minute: int = Field(ge=0, le=600)


class ActivityRule(_Frozen):
    """The lowest 7-day figures of each tier above quiet: a group reaches a tier by either figure."""

    normal_messages: int = Field(default=70, ge=1)
    normal_members: int = Field(default=5, ge=1)
    active_messages: int = Field(default=700, ge=1)
    active_members: int = Field(default=50, ge=1)
    hot_messages: int = Field(default=7000, ge=1)
    hot_members: int = Field(default=200, ge=1)


def _default_tiers() -> dict[SizeTier, TierRule]:
    small = (JoinMode.OPEN, JoinMode.APPROVAL, JoinMode.INVITATION)
    large = (JoinMode.APPROVAL, JoinMode.INVITATION)
    return {
        SizeTier.S: TierRule(ceiling=40, create_verification=1, create_credit=CreditLevel.C2, join_modes=small,
                             links=True, send_per_minute=20),
        SizeTier.M: TierRule(ceiling=100, create_verification=1, create_credit=CreditLevel.C2, join_modes=small,
                             links=True, send_per_minute=20),
        SizeTier.L: TierRule(ceiling=500, create_verification=2, create_credit=CreditLevel.C3, create_account_days=7,
                             join_modes=large, links=False, send_per_minute=20, members_per_manager=200),
        SizeTier.XL: TierRule(ceiling=2000, create_verification=2, create_credit=CreditLevel.C4,
                              create_account_days=7, create_review=True, join_modes=large, links=False,
                              send_per_minute=10, members_per_manager=200),
    }  # fmt: skip


DEFAULT_CATEGORIES = (
    "family", "work", "study", "interest", "business", "charity", "news", "finance", "health", "education", "other",
)  # fmt: skip
SENSITIVE_CATEGORIES = frozenset({"news", "finance", "health", "education"})


def _default_categories() -> tuple[CategoryRule, ...]:
    return tuple(CategoryRule(id=c, sensitive=c in SENSITIVE_CATEGORIES) for c in DEFAULT_CATEGORIES)


def _default_levels() -> dict[CreditLevel, LevelRule]:
    return {
        CreditLevel.C0: LevelRule(owned_max=0, created_per_day=0, send_per_minute=0),
        CreditLevel.C1: LevelRule(owned_max=0, created_per_day=0, send_per_minute=5),
        CreditLevel.C2: LevelRule(owned_max=5, created_per_day=5, send_per_minute=20),
        CreditLevel.C3: LevelRule(owned_max=20, created_per_day=5, send_per_minute=20),
        CreditLevel.C4: LevelRule(owned_max=50, created_per_day=5, send_per_minute=20),
        CreditLevel.C5: LevelRule(owned_max=100, created_per_day=5, send_per_minute=20),
    }


class GroupPolicy(_Frozen):
    """The whole configurable table. Every number is a default of REQUIREMENTS §2 until staff change it."""

    hard_cap: int = Field(default=2000, ge=2, le=HARD_CAP_CEILING, description="no group ever exceeds this")
    tiers: dict[SizeTier, TierRule] = Field(default_factory=_default_tiers)
    categories: tuple[CategoryRule, ...] = Field(default_factory=_default_categories)
    sensitive_create_verification: int = Field(default=2, ge=2, le=2, description="D16: always real name")
    sensitive_review: bool = Field(default=True, description="D16: sensitive categories wait for staff review")
    manager_verification: int = Field(default=1, ge=1, le=2, description="verification level to become a manager")
    invite_consent_above: int = Field(
        default=40, ge=0, description="invitations into larger groups need the invitee's yes"
    )
    join_verification_above: int = Field(
        default=100, ge=0, description="joining a larger group needs verification level 2"
    )
    info_public_at: int = Field(default=100, ge=1, description="from this many members the info page is public (D7)")
    link_ttl_days: int = Field(default=7, ge=1, le=90)
    joined_max: int = Field(
        default=500, ge=1, le=10_000, description="groups one person may be in, pending requests included"
    )
    managers_max: int = Field(default=10, ge=1, le=100, description="managers per group up to 500 members")
    managers_max_large: int = Field(default=20, ge=1, le=100, description="managers per group above 500 members")
    new_account_hours: int = Field(default=24, ge=0, le=24 * 30)
    new_account_send_per_minute: int = Field(default=5, ge=1, le=600)
    join_per_hour: int = Field(default=30, ge=1, le=10_000, description="joins and join requests per person per hour")
    levels: dict[CreditLevel, LevelRule] = Field(default_factory=_default_levels)
    activity: ActivityRule = Field(default_factory=ActivityRule)

    @model_validator(mode="after")
    def _consistent(self) -> GroupPolicy:
        if set(self.tiers) != set(TIER_ORDER):
            raise ValueError("tiers: give all four tiers S, M, L and XL")
        ceilings = [self.tiers[t].ceiling for t in TIER_ORDER]
        if ceilings != sorted(set(ceilings)):
            raise ValueError("tiers: each tier's ceiling must be above the one before")
        if set(self.levels) != set(CreditLevel):
            raise ValueError("levels: give every credit level C0–C5")
        ids = [c.id for c in self.categories]
        if not ids or len(ids) != len(set(ids)):
            raise ValueError("categories: give at least one, each id once")
        if any(not self.tiers[t].join_modes for t in TIER_ORDER):
            raise ValueError("tiers: each tier allows at least one join mode")
        return self

    # --- lookups ---------------------------------------------------------------------------------------------------

    def category(self, category_id: str) -> CategoryRule:
        for c in self.categories:
            if c.id == category_id:
                return c
        raise ValidationFailed(
            "Unknown group category",
            code=ErrorCode.UNKNOWN_CATEGORY,
            details={"field": "category", "allowed": [c.id for c in self.categories]},
        )

    def category_ids(self) -> list[str]:
        return [c.id for c in self.categories]

    def tier(self, tier: SizeTier) -> TierRule:
        return self.tiers[tier]

    def level(self, score: int, credit: CreditPolicy) -> LevelRule:
        return self.levels[level_of(score, credit)]


DEFAULT_POLICY = GroupPolicy()


def parse_policy(body: Mapping[str, Any]) -> GroupPolicy:
    """A policy from its stored or submitted JSON body; a bad value is `validation_failed` naming its path."""
    try:
        return GroupPolicy.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        path = ".".join(str(p) for p in first["loc"]) or "policy"
        raise ValidationFailed(
            f"{path}: {first['msg']}", details={"field": path, "errors": [_error(e) for e in exc.errors()[:20]]}
        ) from None


def _error(e: Any) -> dict[str, str]:
    return {"field": ".".join(str(p) for p in e["loc"]) or "policy", "message": str(e["msg"])}


def policy_body(policy: GroupPolicy) -> dict[str, Any]:
    """The JSON body of a policy (what a version stores and the export prints)."""
    return policy.model_dump(mode="json")


def policy_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every leaf that differs between two bodies, as {"path", "old", "new"} (what a version records)."""
    out: list[dict[str, Any]] = []

    def walk(a: Any, b: Any, path: str) -> None:
        if isinstance(a, Mapping) and isinstance(b, Mapping):
            for key in sorted(set(a) | set(b), key=str):
                walk(a.get(key), b.get(key), f"{path}.{key}" if path else str(key))
        elif isinstance(a, list) and isinstance(b, list) and _keyed(a) and _keyed(b):
            walk({x["id"]: x for x in a}, {x["id"]: x for x in b}, path)
        elif a != b:
            out.append({"path": path, "old": a, "new": b})

    walk(old, new, "")
    return out


def _keyed(items: list[Any]) -> bool:
    return all(isinstance(x, Mapping) and "id" in x for x in items)


# --- tiers --------------------------------------------------------------------------------------------------------


@rule("R-7.1-1", ErrorCode.VALIDATION_FAILED)
def size_tier(member_count: int, policy: GroupPolicy) -> SizeTier:
    """A group's size tier follows its member count: the smallest tier whose ceiling holds it."""
    for tier in TIER_ORDER:
        if member_count <= policy.tiers[tier].ceiling:
            return tier
    return SizeTier.XL


def parse_tier(raw: str) -> SizeTier:
    try:
        return SizeTier(raw)
    except ValueError:
        raise ValidationFailed(
            "Unknown size tier", details={"field": "tier", "allowed": [t.value for t in TIER_ORDER]}
        ) from None


def member_cap(policy: GroupPolicy, tier: SizeTier, category: str) -> int:
    """The member cap of a group created for `tier` in `category` (R-8.1-1): the tier's ceiling, lowered by the
    category's own cap if it has one, never above the global hard cap."""
    cap = min(policy.tiers[tier].ceiling, policy.hard_cap)
    own = policy.category(category).member_cap
    return min(cap, own) if own is not None else cap


def activity_tier(messages_7d: int, active_members_7d: int, policy: GroupPolicy) -> ActivityTier:
    """The activity tier from the last 7 days: messages published and members who posted (R-7.1-1)."""
    a = policy.activity
    if messages_7d >= a.hot_messages or active_members_7d >= a.hot_members:
        return ActivityTier.HOT
    if messages_7d >= a.active_messages or active_members_7d >= a.active_members:
        return ActivityTier.ACTIVE
    if messages_7d >= a.normal_messages or active_members_7d >= a.normal_members:
        return ActivityTier.NORMAL
    return ActivityTier.QUIET


def risk_class(*, tier: SizeTier, activity: ActivityTier, sensitive: bool) -> RiskClass:
    """The derived risk class staff sort and sample by: sensitive, XL or hot groups are high."""
    if sensitive or tier is SizeTier.XL or activity is ActivityTier.HOT:
        return RiskClass.HIGH
    if tier is SizeTier.L or activity is ActivityTier.ACTIVE:
        return RiskClass.MEDIUM
    return RiskClass.LOW


def managers_needed(member_count: int, policy: GroupPolicy) -> int:
    """Managers a group of this size should have (R-9.3-2): one per `members_per_manager` in L and XL."""
    per = policy.tiers[size_tier(member_count, policy)].members_per_manager
    return 0 if per == 0 else member_count // per


def managers_max(member_cap_: int, policy: GroupPolicy) -> int:
    return policy.managers_max if member_cap_ <= 500 else policy.managers_max_large
