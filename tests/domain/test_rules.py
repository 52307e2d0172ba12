import pytest

from qunzu.domain import roles
from qunzu.domain.accounts import check_nickname, check_password, normalise_username
from qunzu.domain.limits import check_message_text, effective_member_cap
from qunzu.domain.roles import GroupRole, role_label
from qunzu.errors import ErrorCode, QunzuError


def test_role_labels_in_both_languages() -> None:
    assert role_label(GroupRole.CREATOR, "zh-CN") == "群主"
    assert role_label(GroupRole.MANAGER, "zh-CN") == "管理员"
    assert role_label(GroupRole.MEMBER, "en") == "Member"


@pytest.mark.parametrize(
    ("check", "allowed"),
    [
        (roles.check_can_manage_managers, {GroupRole.CREATOR}),
        (roles.check_can_transfer, {GroupRole.CREATOR}),
    ],
)
def test_only_the_creator_manages_managers_and_transfers(check, allowed) -> None:  # type: ignore[no-untyped-def]
    for role in GroupRole:
        if role in allowed:
            check(role)
        else:
            with pytest.raises(QunzuError) as exc:
                check(role)
            assert exc.value.code is ErrorCode.FORBIDDEN_ROLE


def test_deleting_messages() -> None:
    roles.check_can_delete_message(GroupRole.MEMBER, is_author=True)
    roles.check_can_delete_message(GroupRole.MANAGER, is_author=False)
    roles.check_can_delete_message(GroupRole.CREATOR, is_author=False)
    with pytest.raises(QunzuError) as exc:
        roles.check_can_delete_message(GroupRole.MEMBER, is_author=False)
    assert exc.value.code is ErrorCode.FORBIDDEN_ROLE


def test_owner_cannot_leave_without_transfer() -> None:
    with pytest.raises(QunzuError) as exc:
        roles.check_can_leave(GroupRole.CREATOR)
    assert exc.value.code is ErrorCode.OWNER_MUST_TRANSFER
    roles.check_can_leave(GroupRole.MANAGER)


def test_member_cap_never_exceeds_the_hard_cap() -> None:
    assert effective_member_cap(None, default=500, hard=2000) == 500
    assert effective_member_cap(5000, default=500, hard=2000) == 2000


def test_message_text_rules() -> None:
    assert check_message_text("hi", max_length=10) == "hi"
    with pytest.raises(QunzuError) as exc:
        check_message_text("   ", max_length=10)
    assert exc.value.code is ErrorCode.MESSAGE_EMPTY
    with pytest.raises(QunzuError) as exc:
        check_message_text("x" * 11, max_length=10)
    assert exc.value.code is ErrorCode.MESSAGE_TOO_LONG
    assert exc.value.details == {"max_length": 10, "length": 11}


def test_usernames_nicknames_passwords() -> None:
    assert normalise_username("  Alice_01 ") == "alice_01"
    with pytest.raises(QunzuError):
        normalise_username("a")
    with pytest.raises(QunzuError):
        normalise_username("张三")
    assert check_nickname(" 小张 ") == "小张"
    with pytest.raises(QunzuError) as exc:
        check_nickname("a\u200bb")
    assert exc.value.code is ErrorCode.ACCOUNT_INFO_REJECTED
    with pytest.raises(QunzuError) as exc:
        check_password("short", min_length=8, username="bob")
    assert exc.value.code is ErrorCode.WEAK_PASSWORD
    with pytest.raises(QunzuError):
        check_password("aaaaaaaaaa", min_length=8, username="bob")
    check_password("correct-horse-9", min_length=8, username="bob")


def test_the_creator_and_managers_edit_the_profile() -> None:
    roles.check_can_edit_profile(GroupRole.CREATOR)
    roles.check_can_edit_profile(GroupRole.MANAGER)
    with pytest.raises(QunzuError) as e:
        roles.check_can_edit_profile(GroupRole.MEMBER)
    assert e.value.code == ErrorCode.FORBIDDEN_ROLE


def test_profile_changes_are_cleaned_and_bounded() -> None:
    from qunzu.domain.groups import check_profile_change

    limits = {"name_max": 30, "description_max": 500, "announcement_max": 10}
    change = check_profile_change(name=" 新名 ", description=None, announcement="", **limits)
    assert change.fields() == {"name": "新名", "announcement": ""}, "None leaves a field alone; '' clears it"
    for bad in ({"name": ""}, {"name": "x" * 31}, {"name": "a\u200bb"}, {"announcement": "公" * 11}):
        with pytest.raises(QunzuError) as e:
            check_profile_change(**{"name": None, "description": None, "announcement": None, **bad}, **limits)
        assert e.value.code == ErrorCode.VALIDATION_FAILED, bad
    with pytest.raises(QunzuError):
        check_profile_change(name=None, description=None, announcement=None, **limits)
