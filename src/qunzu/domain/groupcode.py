"""The unique group code (唯一群组识别编码, Art. 8 ¶2): 10 digits, random, with an ISO 7064 MOD 11-10 check digit."""

from __future__ import annotations

import secrets

from qunzu.domain.rules import rule
from qunzu.errors import ErrorCode, ValidationFailed

CODE_LENGTH = 10


def mod11_10_check_digit(body: str) -> int:
    """ISO 7064 MOD 11-10 check digit of a string of decimal digits."""
    product = 10
    for ch in body:
        total = (int(ch) + product) % 10
        if total == 0:
            total = 10
        product = (total * 2) % 11
    return (11 - product) % 10


def is_valid_mod11_10(code: str) -> bool:
    """True when the last digit of `code` is the MOD 11-10 check digit of the rest."""
    return mod11_10_check_digit(code[:-1]) == int(code[-1])


def new_group_code(randbelow: object = secrets.randbelow) -> str:
    """A fresh random code: 9 random digits (first non-zero) and a check digit. Uniqueness is the store's job."""
    draw = randbelow if callable(randbelow) else secrets.randbelow
    first = str(1 + draw(9))
    rest = "".join(str(draw(10)) for _ in range(CODE_LENGTH - 2))
    body = first + rest
    return body + str(mod11_10_check_digit(body))


@rule("R-8.2-1", ErrorCode.INVALID_GROUP_CODE)
def parse_group_code(raw: str) -> str:
    """Accept a code typed by a person (spaces and dashes allowed); reject a malformed or mistyped one."""
    code = "".join(ch for ch in raw.strip() if ch not in " -")
    if len(code) != CODE_LENGTH or not code.isascii() or not code.isdigit() or code[0] == "0":
        raise ValidationFailed(
            "A group code has 10 digits",
            code=ErrorCode.INVALID_GROUP_CODE,
            details={"expected": "10 digits, the first not 0"},
        )
    if not is_valid_mod11_10(code):
        raise ValidationFailed(
            "This group code is mistyped (its check digit does not match)",
            code=ErrorCode.INVALID_GROUP_CODE,
            details={"reason": "check_digit"},
        )
    return code


def format_group_code(code: str) -> str:
    """Display form: 123 456 7890."""
    return f"{code[:3]} {code[3:6]} {code[6:]}"
