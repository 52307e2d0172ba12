import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qunzu.domain.groupcode import format_group_code, is_valid_mod11_10, new_group_code, parse_group_code
from qunzu.errors import ErrorCode, ValidationFailed


def test_new_codes_have_ten_digits_and_a_valid_check_digit() -> None:
    for _ in range(2000):
        code = new_group_code()
        assert len(code) == 10 and code.isdigit() and code[0] != "0"
        assert is_valid_mod11_10(code)
        assert parse_group_code(code) == code


def test_codes_are_random_not_sequential() -> None:
    codes = [new_group_code() for _ in range(10_000)]
    assert len(set(codes)) > 9_990  # 9 random digits: collisions are rare (the store retries them)
    diffs = {int(b) - int(a) for a, b in itertools.pairwise(codes)}
    assert len(diffs) > 9_000


@given(st.integers(min_value=0, max_value=9), st.integers(min_value=1, max_value=9))
def test_any_single_digit_typo_is_rejected(position: int, delta: int) -> None:
    code = new_group_code()
    typo = code[:position] + str((int(code[position]) + delta) % 10) + code[position + 1 :]
    if typo[0] == "0":
        return
    with pytest.raises(ValidationFailed) as exc:
        parse_group_code(typo)
    assert exc.value.code is ErrorCode.INVALID_GROUP_CODE


def test_adjacent_transpositions_are_mostly_caught() -> None:
    caught = total = 0
    for _ in range(500):
        code = new_group_code()
        for i in range(1, 9):
            if code[i] == code[i + 1]:
                continue
            swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
            total += 1
            caught += not is_valid_mod11_10(swapped)
    assert caught / total > 0.9


@pytest.mark.parametrize("raw", ["", "123", "abcdefghij", "0123456789", "12345678901", "１２３４５６７８９０"])
def test_malformed_codes_are_rejected_before_lookup(raw: str) -> None:
    with pytest.raises(ValidationFailed):
        parse_group_code(raw)


def test_people_may_type_spaces_and_dashes() -> None:
    code = new_group_code()
    assert parse_group_code(format_group_code(code)) == code
    assert parse_group_code(f"{code[:3]}-{code[3:6]}-{code[6:]}") == code
