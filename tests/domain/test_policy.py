"""The group policy and the admission gates (domain/policy.py, domain/admission.py): pure rules, no database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qunzu.domain.admission import (
    Applicant,
    CreationPath,
    GroupFacts,
    Joiner,
    JoinPath,
    JoinVia,
    check_create,
    check_join_mode,
    check_links_allowed,
    info_is_public,
    invitation_needs_consent,
    join_path,
    send_per_minute,
)
from qunzu.domain.credit import CreditPolicy
from qunzu.domain.policy import (
    ActivityTier,
    GroupPolicy,
    JoinMode,
    SizeTier,
    activity_tier,
    managers_needed,
    member_cap,
    parse_policy,
    policy_body,
    policy_changes,
    size_tier,
)
from qunzu.domain.roles import GroupAction, GroupRole, check_may, check_may_act_on, may
from qunzu.errors import ErrorCode, QunzuError

P = GroupPolicy()
C = CreditPolicy()
WEEK = timedelta(days=7)


def applicant(**kw: object) -> Applicant:
    base: dict[str, object] = dict(
        verification_level=1, credit_score=100, account_age=WEEK, groups_owned=0, created_today=0
    )
    return Applicant(**(base | kw))  # type: ignore[arg-type]


def test_r_7_1_1_size_tier_follows_the_member_count() -> None:
    assert [size_tier(n, P) for n in (1, 40, 41, 100, 101, 500, 501, 2000)] == [
        SizeTier.S, SizeTier.S, SizeTier.M, SizeTier.M, SizeTier.L, SizeTier.L, SizeTier.XL, SizeTier.XL,
    ]  # fmt: skip


def test_r_7_1_1_activity_tier_rises_with_messages_or_active_members() -> None:
    assert activity_tier(0, 0, P) is ActivityTier.QUIET
    assert activity_tier(70, 0, P) is ActivityTier.NORMAL
    assert activity_tier(0, 50, P) is ActivityTier.ACTIVE
    assert activity_tier(7000, 1, P) is ActivityTier.HOT


def test_r_8_1_1_member_cap_by_tier_category_and_hard_cap() -> None:
    assert member_cap(P, SizeTier.M, "work") == 100
    capped = parse_policy(policy_body(P) | {"hard_cap": 300})
    assert member_cap(capped, SizeTier.XL, "work") == 300
    body = policy_body(P)
    body["categories"] = [c | {"member_cap": 50} if c["id"] == "family" else c for c in body["categories"]]
    assert member_cap(parse_policy(body), SizeTier.L, "family") == 50


def test_r_8_3_1_an_l1_credit_80_user_asking_for_xl_is_refused_with_every_reason() -> None:
    with pytest.raises(QunzuError) as refused:
        check_create(P, C, applicant(credit_score=80, account_age=timedelta(days=1)), tier=SizeTier.XL, category="work")
    reasons = [r["code"] for r in refused.value.details["reasons"]]
    assert refused.value.code is ErrorCode.VERIFICATION_LEVEL_REQUIRED
    assert reasons == ["verification_level_required", "credit_insufficient", "account_too_new"]


def test_r_8_3_1_xl_and_sensitive_categories_wait_for_review() -> None:
    strong = applicant(verification_level=2, credit_score=110)
    assert check_create(P, C, strong, tier=SizeTier.XL, category="work").path is CreationPath.REVIEW
    assert check_create(P, C, strong, tier=SizeTier.S, category="finance").path is CreationPath.REVIEW
    assert check_create(P, C, strong, tier=SizeTier.L, category="work").path is CreationPath.DIRECT
    with pytest.raises(QunzuError) as refused:
        check_create(P, C, applicant(), tier=SizeTier.S, category="news")  # D16: L2 at any size
    assert refused.value.code is ErrorCode.VERIFICATION_LEVEL_REQUIRED


def test_r_8_1_2_groups_owned_and_created_today_are_capped_by_level() -> None:
    with pytest.raises(QunzuError) as owned:
        check_create(P, C, applicant(credit_score=60, groups_owned=5), tier=SizeTier.S, category="work")
    assert owned.value.code is ErrorCode.CREATE_LIMIT and owned.value.details["limit"] == "owned"
    with pytest.raises(QunzuError) as today:
        check_create(P, C, applicant(created_today=5), tier=SizeTier.S, category="work")
    assert today.value.details["limit"] == "per_day"
    with pytest.raises(QunzuError) as low:
        check_create(P, C, applicant(credit_score=59), tier=SizeTier.S, category="work")
    assert low.value.code is ErrorCode.CREDIT_INSUFFICIENT and low.value.details["unlock_score"] == 60


def facts(count: int, mode: JoinMode = JoinMode.OPEN, cap: int = 500) -> GroupFacts:
    return GroupFacts(member_count=count, member_cap=cap, join_mode=mode)


def test_r_8_3_3_join_modes() -> None:
    j = Joiner(verification_level=2, groups_joined=0)
    assert join_path(P, facts(10), j, via=JoinVia.CODE) is JoinPath.DIRECT
    assert join_path(P, facts(100), j, via=JoinVia.CODE) is JoinPath.REQUEST  # open stops at M
    assert join_path(P, facts(10, JoinMode.APPROVAL), j, via=JoinVia.CODE) is JoinPath.REQUEST
    assert join_path(P, facts(10, JoinMode.APPROVAL), j, via=JoinVia.LINK, vouched=True) is JoinPath.DIRECT
    assert join_path(P, facts(10, JoinMode.APPROVAL), j, via=JoinVia.INVITATION) is JoinPath.REQUEST
    with pytest.raises(QunzuError) as invite_only:
        join_path(P, facts(10, JoinMode.INVITATION), j, via=JoinVia.CODE)
    assert invite_only.value.code is ErrorCode.INVITATION_REQUIRED


def test_r_8_3_3_l1_cannot_join_above_100_members() -> None:
    l1 = Joiner(verification_level=1, groups_joined=0)
    assert join_path(P, facts(100, JoinMode.APPROVAL), l1, via=JoinVia.CODE) is JoinPath.REQUEST
    with pytest.raises(QunzuError) as refused:
        join_path(P, facts(101, JoinMode.APPROVAL), l1, via=JoinVia.CODE)
    assert refused.value.code is ErrorCode.VERIFICATION_LEVEL_REQUIRED


def test_r_8_1_3_joined_cap_and_full_groups() -> None:
    with pytest.raises(QunzuError) as limit:
        join_path(P, facts(1), Joiner(verification_level=2, groups_joined=500), via=JoinVia.CODE)
    assert limit.value.code is ErrorCode.JOIN_LIMIT
    with pytest.raises(QunzuError) as full:
        join_path(P, facts(40, cap=40), Joiner(verification_level=2, groups_joined=0), via=JoinVia.CODE)
    assert full.value.code is ErrorCode.GROUP_FULL


def test_r_8_3_3_consent_links_and_open_mode_by_size() -> None:
    assert not invitation_needs_consent(P, 40) and invitation_needs_consent(P, 41)
    check_links_allowed(P, 100)
    with pytest.raises(QunzuError) as links:
        check_links_allowed(P, 101)
    assert links.value.code is ErrorCode.LINKS_DISABLED
    check_join_mode(P, JoinMode.OPEN, member_cap_=100)
    with pytest.raises(QunzuError):
        check_join_mode(P, JoinMode.OPEN, member_cap_=500)


def test_r_8_2_2_info_page_public_from_100_members() -> None:
    assert not info_is_public(P, 99) and info_is_public(P, 100)


def test_r_9_3_2_one_manager_per_200_members_in_l_and_xl() -> None:
    assert [managers_needed(n, P) for n in (100, 399, 400, 1000)] == [0, 1, 2, 5]


def test_r_7_1_4_send_rate_is_the_least_of_tier_level_and_new_account() -> None:
    assert send_per_minute(P, C, member_count=10, score=100, account_age=WEEK) == 20
    assert send_per_minute(P, C, member_count=1000, score=100, account_age=WEEK) == 10
    assert send_per_minute(P, C, member_count=10, score=30, account_age=WEEK) == 5
    assert send_per_minute(P, C, member_count=10, score=100, account_age=timedelta(hours=2)) == 5


def test_r_9_3_1_the_permission_matrix() -> None:
    for action in GroupAction:
        assert may(GroupRole.CREATOR, action)
    owner_only = {GroupAction.SET_MANAGERS, GroupAction.TRANSFER, GroupAction.DISSOLVE, GroupAction.SET_LISTING}
    assert {a for a in GroupAction if not may(GroupRole.MANAGER, a)} == owner_only
    assert {a for a in GroupAction if may(GroupRole.MEMBER, a)} == {GroupAction.INVITE}
    assert not may(GroupRole.MEMBER, GroupAction.INVITE, invite_rights="managers")
    with pytest.raises(QunzuError) as refused:
        check_may(GroupRole.MEMBER, GroupAction.MUTE_MEMBER)
    assert refused.value.code is ErrorCode.FORBIDDEN_ROLE
    with pytest.raises(QunzuError):
        check_may_act_on(GroupRole.MANAGER, GroupRole.MANAGER, GroupAction.REMOVE_MEMBER)
    with pytest.raises(QunzuError):
        check_may_act_on(GroupRole.CREATOR, GroupRole.CREATOR, GroupAction.MUTE_MEMBER, self_target=True)
    check_may_act_on(GroupRole.MANAGER, GroupRole.MEMBER, GroupAction.MUTE_MEMBER)


def test_r_7_1_3_a_version_records_what_changed() -> None:
    new = policy_body(P)
    new["hard_cap"] = 3000
    new["tiers"]["L"]["links"] = True
    changes = policy_changes(policy_body(P), new)
    assert {(c["path"], c["old"], c["new"]) for c in changes} == {
        ("hard_cap", 2000, 3000),
        ("tiers.L.links", False, True),
    }


def test_a_bad_policy_body_names_its_field() -> None:
    body = policy_body(P)
    body["tiers"]["M"]["ceiling"] = 30  # below S
    with pytest.raises(QunzuError) as bad:
        parse_policy(body)
    assert bad.value.code is ErrorCode.VALIDATION_FAILED and "ceiling" in bad.value.message


@given(st.integers(min_value=0, max_value=5000))
def test_size_tier_is_monotonic(n: int) -> None:
    order = list(SizeTier)
    assert order.index(size_tier(n, P)) <= order.index(size_tier(n + 1, P))


def test_r_7_2_3_the_user_sees_what_their_level_allows_and_what_unlocks_more() -> None:
    from qunzu.domain.admission import allowances

    def by_name(score: int, verification: int = 1) -> dict[str, object]:
        return {a.name: a for a in allowances(P, C, score=score, verification_level=verification)}

    start = by_name(100)
    assert start["create_group"].allowed and start["create_group"].tiers == (SizeTier.S, SizeTier.M)
    assert start["groups_owned"].value == 50 and start["groups_owned"].unlock_score == 110
    assert by_name(100, verification=2)["create_group"].tiers == (SizeTier.S, SizeTier.M, SizeTier.L, SizeTier.XL)
    low = by_name(50)
    assert low["post"].allowed and not low["create_group"].allowed and low["create_group"].unlock_score == 60
    assert not low["share_links"].allowed and low["share_links"].unlock_score == 80
    assert low["send_rate"].value == 5
    zero = by_name(0)
    assert not zero["post"].allowed and zero["post"].unlock_score == 1
