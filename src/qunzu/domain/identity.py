"""Real identity (Art. 6, 后台实名、前台自愿): resident ID numbers (GB 11643-1999), mainland mobile numbers, masking.

Pure functions: the caller passes `today`; nothing here reads the clock or stores anything.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import IntEnum

from qunzu.domain.rules import rule
from qunzu.domain.text import check_characters, clean_line, has_visible
from qunzu.errors import Conflict, ErrorCode, Forbidden, ValidationFailed

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
# First two digits of a resident ID: the province-level division (GB/T 2260).
PROVINCES = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42", "43",
    "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82", "83", "91",
}  # fmt: skip
ID_RE = re.compile(r"^\d{17}[\dX]$")
MAINLAND_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


class Level(IntEnum):
    """Verification levels (D2): none, L1 = mobile number by one-time code, L2 = real name + ID number."""

    NONE = 0
    L1 = 1
    L2 = 2


@dataclass(frozen=True, slots=True)
class ResidentId:
    number: str  # normalised: 18 characters, upper-case X
    region: str
    birth_date: date
    male: bool


def id_check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11]


@rule("R-6.1-1", ErrorCode.INVALID_ID_NUMBER)
def parse_resident_id(raw: str, *, today: date) -> ResidentId:
    """Check an 18-digit resident ID locally: region, a real birth date not in the future, the check character."""
    number = unicodedata.normalize("NFKC", raw).strip().replace(" ", "").upper()
    if not ID_RE.match(number):
        raise _bad_id("An ID number has 17 digits and a final digit or X")
    if number[:2] not in PROVINCES or number[2:6] == "0000":
        raise _bad_id("The ID number's region code is not valid")
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise _bad_id("The ID number's birth date is not a real date") from None
    if born > today or born.year < 1900:
        raise _bad_id("The ID number's birth date is not possible")
    if id_check_char(number[:17]) != number[17]:
        raise _bad_id("The ID number's check character does not match (a typo?)")
    return ResidentId(number=number, region=number[:6], birth_date=born, male=int(number[16]) % 2 == 1)


def _bad_id(message: str) -> ValidationFailed:
    return ValidationFailed(message, code=ErrorCode.INVALID_ID_NUMBER, details={"field": "id_number"})


def age_on(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


@rule("R-6.1-2", ErrorCode.INVALID_PHONE)
def normalise_mainland_mobile(raw: str) -> str:
    """A mainland China mobile number in E.164 form (+8613812345678); other numbers are refused."""
    import phonenumbers

    text = unicodedata.normalize("NFKC", raw).strip()
    try:
        parsed = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        raise _bad_phone() from None
    national = str(parsed.national_number)
    if parsed.country_code != 86 or not MAINLAND_MOBILE_RE.match(national):
        raise _bad_phone()
    if phonenumbers.number_type(parsed) not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise _bad_phone()
    return f"+86{national}"


def _bad_phone() -> ValidationFailed:
    return ValidationFailed(
        "Give a mainland China mobile number (11 digits, starting with 1)",
        code=ErrorCode.INVALID_PHONE,
        details={"field": "phone"},
    )


# Han characters of real names: CJK Unified Ideographs and their extensions A–I (after NFKC, compatibility
# ideographs have become unified ones). U+3007 〇 is written in some names as a character, not a digit.
_HAN = (
    "\u3007\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0002a6df\U0002a700-\U0002ebef\U0002ebf0-\U0002ee5f"
    "\U00030000-\U0003134f\U00031350-\U000323af"
)
# the separator of the parts of a minority name (阿依古丽·买买提), and what people type for it: bullet, katakana middle
# dot (also the NFKC of the half-width one), full stop (the NFKC of the full-width one), hyphenation point.
NAME_DOT = "\u00b7"
_DOT_VARIANTS = re.compile("[\u00b7\u2022\u2027\u30fb.]")
_REAL_NAME = re.compile(f"[{_HAN}]+(?:{NAME_DOT}[{_HAN}]+)*")
NAME_MIN, NAME_MAX = 2, 30
REAL_NAME = "real_name"  # details.reason of a refused name


def normalise_name(raw: str) -> str:
    """A real name as written on the resident ID card: Han characters, the parts of a minority name joined by the
    middle dot "·", 2–30 characters.

    NFKC (full-width and compatibility forms fold), the other middle-dot variants become U+00B7, and spaces go
    (张 三 is 张三), so one person's name is stored, verified and compared in one spelling. Latin letters are refused:
    the only identity document Qunzu checks is the resident ID card (GB 11643), which carries the name in Han
    characters; so are digits, punctuation, controls and invisible characters (张\u200b三, <script>).
    """
    name = unicodedata.normalize("NFKC", clean_line(raw, field="name"))
    name = _DOT_VARIANTS.sub(NAME_DOT, "".join(name.split()))
    if not NAME_MIN <= len(name) <= NAME_MAX or not _REAL_NAME.fullmatch(name):
        raise ValidationFailed(
            "Give the real name as written on the ID card: 2–30 Chinese characters, the parts of a minority name "
            "joined by a middle dot (·)",
            code=ErrorCode.VALIDATION_FAILED,
            details={"field": "name", "reason": REAL_NAME},
        )
    return name


# --- masking (R-6.2-2): what users and staff see by default ---------------------------------------------------


def mask_phone(e164: str) -> str:
    """+8613812341234 → 138****1234."""
    national = e164[3:] if e164.startswith("+86") else e164
    return national[:3] + "****" + national[-4:]


def mask_id_number(number: str) -> str:
    """The region and the last two characters: 11010119900307123X → 110101**********3X."""
    return number[:6] + "*" * 10 + number[-2:]


def mask_name(name: str) -> str:
    """张三 → 张*; 欧阳娜娜 → 欧***; Zhang San → Z********."""
    return name[:1] + "*" * max(1, len(name) - 1)


# --- what verification allows (D1, R-6.1-4, R-6.1-6) -------------------------------------------------------------


@rule("R-6.1-4", ErrorCode.IDENTITY_UNVERIFIED)
def check_verified(level: int, *, action: str) -> None:
    """No posting service without real identity: unverified accounts may only sign in, read and verify (D1)."""
    if level < Level.L1:
        raise Forbidden(
            "Verify your identity (mobile number) before you can do this",
            code=ErrorCode.IDENTITY_UNVERIFIED,
            details={"action": action, "required_level": int(Level.L1)},
        )


@rule("R-6.1-6", ErrorCode.IDENTITY_ACCOUNT_LIMIT)
def identity_limit_error(*, cap: int, kind: str) -> Conflict:
    """One identity (ID number or mobile number) holds at most `cap` accounts."""
    return Conflict(
        f"This {kind} is already verified on {cap} accounts, the most allowed",
        code=ErrorCode.IDENTITY_ACCOUNT_LIMIT,
        details={"cap": cap, "kind": kind},
    )


@rule("R-6.2-2", ErrorCode.PURPOSE_REQUIRED)
def check_reveal_request(*, purpose: str, case_number: str, fields: list[str]) -> tuple[str, str, list[str]]:
    """Revealing personal data needs a stated purpose (≥ 10 characters), a case number, and named fields."""
    purpose = check_characters(purpose, field="purpose", single_line=True).strip()
    case_number = check_characters(case_number, field="case_number", single_line=True).strip()
    allowed = {"phone", "name", "id_number"}
    if len(purpose) < 10 or not has_visible(purpose) or not has_visible(case_number) or len(case_number) > 64:
        raise ValidationFailed(
            "State the purpose (at least 10 characters) and the case number",
            code=ErrorCode.PURPOSE_REQUIRED,
            details={"purpose_min_length": 10},
        )
    chosen = sorted(set(fields))
    if not chosen or not set(chosen) <= allowed:
        raise ValidationFailed("Choose the fields to reveal", details={"allowed": sorted(allowed)})
    return purpose, case_number, chosen
