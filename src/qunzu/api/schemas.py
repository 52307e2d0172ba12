"""Public request and response shapes (XCreate / XPublic). Field names are the API's contract."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from qunzu.config import Settings
from qunzu.domain import text as rules
from qunzu.domain.groupcode import format_group_code
from qunzu.domain.policy import GroupPolicy, size_tier
from qunzu.domain.roles import GroupRole, role_label
from qunzu.errors import ValidationFailed
from qunzu.services.views import GroupView, MemberView, MessageView, UserView

MAX_ID = 2**53 - 1  # JSON-safe, and within BIGINT
TEXT_REFUSED = "text_refused"  # the pydantic error type of a refusal by qunzu.domain.text (see api/errors.py)


def _text_rule(check: Callable[[str], str]) -> AfterValidator:
    """A pydantic validator running one of the domain's text rules; its refusal keeps the domain's reason."""

    def validate(value: str) -> str:
        try:
            return check(value)
        except ValidationFailed as exc:
            ctx = {k: v for k, v in exc.details.items() if k in ("reason", "position", "character")}
            raise PydanticCustomError(TEXT_REFUSED, exc.message.replace("{", "(").replace("}", ")"), ctx) from None

    return AfterValidator(validate)


# Every text field and string parameter of the API has one of these types (the field name comes from the error's
# location): one visible line; one line that may be blank; multi-line text (LF line ends); a secret kept as typed.
OneLine = Annotated[str, _text_rule(lambda v: rules.clean_line(v, field=""))]
OneLineOrBlank = Annotated[str, _text_rule(lambda v: rules.clean_line(v, field="", required=False))]
Text = Annotated[str, _text_rule(lambda v: rules.clean_text(v, field="", required=True))]
TextOrBlank = Annotated[str, _text_rule(lambda v: rules.clean_text(v, field=""))]
AnyText = Annotated[str, _text_rule(lambda v: rules.check_characters(v, field=""))]
Secret = Annotated[str, _text_rule(lambda v: rules.check_secret(v, field=""))]
MessageText = Annotated[str, _text_rule(rules.check_message_characters)]  # emptiness: message_empty, in the service


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorBody(BaseModel):
    code: str = Field(description="stable snake_case error code")
    message: str = Field(description="for people, in the request's language")
    details: dict[str, Any] = Field(default_factory=dict)


class ErrorEnvelope(BaseModel):
    error: ErrorBody


class RegisterIn(Strict):
    username: OneLine = Field(min_length=1, max_length=64, examples=["zhangsan"])
    password: Secret = Field(min_length=1, max_length=256)
    nickname: OneLine = Field(min_length=1, max_length=64, examples=["小张"])
    accept: dict[str, Annotated[int, Field(ge=0, le=1_000_000)]] = Field(
        default_factory=dict,
        max_length=10,
        description='the versions accepted: {"agreement": n, "privacy": n} (GET /api/v1/documents)',
    )


class LoginIn(Strict):
    username: OneLine = Field(min_length=1, max_length=64)
    password: Secret = Field(min_length=1, max_length=256)


class UserPublic(BaseModel):
    id: int
    username: str
    nickname: str
    staff_role: str | None = None
    created_at: datetime
    verified: bool = Field(False, description="the 已实名 badge: the identity is verified (L1 or above)")
    verification_level: int = 0

    @classmethod
    def of(cls, v: UserView) -> UserPublic:
        return cls(
            id=v.id,
            username=v.username,
            nickname=v.nickname,
            staff_role=v.staff_role,
            created_at=v.created_at,
            verified=v.verification_level >= 1,
            verification_level=v.verification_level,
        )


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime
    user: UserPublic


class GroupCreate(Strict):
    name: OneLine = Field(min_length=1, max_length=200)
    category: OneLine = Field(min_length=1, max_length=32)
    description: TextOrBlank = Field("", max_length=5000)
    tier: Literal["S", "M", "L", "XL"] = Field("S", description="the size tier asked for; it sets the member cap")
    duties_version: int | None = Field(
        None, ge=1, le=1_000_000, description="the current owner_duties (群主责任告知书) version the creator accepts"
    )
    purpose: TextOrBlank = Field("", max_length=500, description="the group's purpose (required if sensitive)")


class GroupProfileUpdate(Strict):
    """Only the fields given change; an empty description or announcement clears it."""

    name: OneLine | None = Field(None, min_length=1, max_length=200)
    description: TextOrBlank | None = Field(None, max_length=5000)
    announcement: TextOrBlank | None = Field(None, max_length=5000, description="群公告, shown to members in the group")


class GroupPublic(BaseModel):
    code: str = Field(description="the unique group code (唯一群组识别编码), 10 digits with a check digit")
    code_display: str
    name: str
    category: str
    description: str
    status: Literal["active", "closed"] | str
    member_count: int
    member_cap: int
    last_seq: int | None = Field(None, description="the last message sequence number (members only)")
    created_at: datetime
    my_role: GroupRole | None = None
    my_role_label: str | None = None
    announcement: str | None = Field(None, description="the group announcement (群公告; members only)")
    announcement_at: datetime | None = None
    tier: str = Field("S", description="the current size tier (S/M/L/XL), from the member count")
    max_tier: str = Field("L", description="the size tier the group was created for; it sets member_cap")
    join_mode: str = Field("open", description="open | approval | invitation")

    @classmethod
    def of(cls, v: GroupView, language: str, policy: GroupPolicy) -> GroupPublic:
        return cls(
            code=v.code,
            code_display=format_group_code(v.code),
            name=v.name,
            category=v.category,
            description=v.description,
            status=v.status,
            member_count=v.member_count,
            member_cap=v.member_cap,
            last_seq=v.last_seq if v.my_role is not None else None,
            created_at=v.created_at,
            my_role=v.my_role,
            my_role_label=role_label(v.my_role, language) if v.my_role else None,
            announcement=v.announcement if v.my_role is not None else None,
            announcement_at=v.announcement_at if v.my_role is not None else None,
            tier=size_tier(v.member_count, policy).value,
            max_tier=v.max_tier,
            join_mode=v.join_mode,
        )


class MemberPublic(BaseModel):
    user_id: int
    nickname: str
    role: GroupRole
    role_label: str
    joined_at: datetime

    @classmethod
    def of(cls, v: MemberView, language: str) -> MemberPublic:
        return cls(
            user_id=v.user_id,
            nickname=v.nickname,
            role=v.role,
            role_label=role_label(v.role, language),
            joined_at=v.joined_at,
        )


class MembersOut(BaseModel):
    members: list[MemberPublic]
    count: int


class UserRef(Strict):
    user_id: int = Field(ge=1, le=MAX_ID)


class MessageCreate(Strict):
    text: MessageText = Field(min_length=1, max_length=100_000)
    client_msg_id: OneLine = Field(
        min_length=1,
        max_length=64,
        description="chosen by the client; a retry with the same id returns the same message",
    )


class SenderPublic(BaseModel):
    id: int
    nickname: str
    role: GroupRole | None
    role_label: str | None = None


class MessagePublic(BaseModel):
    id: int
    group_code: str
    seq: int | None = Field(description="per-group sequence number, increasing without gaps; null while under review")
    sender: SenderPublic
    text: str | None = Field(description="null when the message was deleted")
    client_msg_id: str
    created_at: datetime
    deleted: bool
    status: Literal["published", "under_review", "rejected"] = Field(
        "published", description="under_review / rejected: only the author sees such a message (审核中)"
    )

    @classmethod
    def of(cls, v: MessageView, language: str) -> MessagePublic:
        return cls(
            id=v.id,
            group_code=v.group_code,
            seq=v.seq,
            sender=SenderPublic(
                id=v.sender_id,
                nickname=v.sender_nickname,
                role=v.sender_role,
                role_label=role_label(v.sender_role, language) if v.sender_role else None,
            ),
            text=v.text,
            client_msg_id=v.client_msg_id,
            created_at=v.created_at,
            deleted=v.deleted,
            status=v.status,  # type: ignore[arg-type]
        )


class MessagePage(BaseModel):
    messages: list[MessagePublic]
    has_more: bool = Field(description="older (or, with `after`, newer) messages exist beyond this page")
    pending: list[MessagePublic] = Field(
        default_factory=list, description="the caller's own messages under review or rejected (newest page only)"
    )


class CategoryOut(BaseModel):
    id: str
    label: str
    sensitive: bool = False  # news, finance, health, education (D16): L2 and staff review at any size


class HealthOut(BaseModel):
    status: Literal["ok", "unavailable"]
    database: bool | None = None


# --- identity (Art. 6) ----------------------------------------------------------------------------------------------


class PhoneStartIn(Strict):
    phone: OneLine = Field(min_length=1, max_length=32, examples=["13812341234"])


class PhoneChallengeOut(BaseModel):
    phone: str = Field(description="masked")
    expires_at: datetime
    resend_after: datetime
    sender: str
    development: bool = Field(description="true when codes go to the development console, not a real SMS gateway")


class PhoneConfirmIn(Strict):
    code: OneLine = Field(min_length=1, max_length=12)


class IdVerifyIn(Strict):
    name: OneLine = Field(min_length=1, max_length=64)
    id_number: OneLine = Field(min_length=1, max_length=32)
    document_base64: OneLine | None = Field(None, max_length=4_000_000, description="ID card photo, for manual review")
    document_type: Literal["image/jpeg", "image/png"] | None = None


class VerificationRecord(BaseModel):
    level: int
    method: str
    result: str
    authoritative: bool
    at: datetime


class IdentityOut(BaseModel):
    level: int = Field(description="0 none, 1 mobile number, 2 real name + ID number")
    verified: bool
    phone: str | None = Field(description="masked, e.g. 138****1234")
    name: str | None = Field(description="masked, e.g. 张*")
    id_number: str | None = Field(description="masked, e.g. 110101**********1X")
    phone_verified_at: datetime | None
    id_verified_at: datetime | None
    lapsed: bool
    pending_review: bool
    authoritative: bool = Field(description="false when a development verifier was used")
    history: list[VerificationRecord]


class NicknameIn(Strict):
    nickname: OneLine = Field(min_length=1, max_length=64)


class CancelIn(Strict):
    password: Secret = Field(min_length=1, max_length=256)
    confirm: Literal[True]


class AcceptIn(Strict):
    kind: OneLine = Field(min_length=1, max_length=24)
    version: int = Field(ge=1, le=1_000_000)


class AcceptanceOut(BaseModel):
    kind: str
    version: int
    accepted_at: datetime
    ip: str | None
    port: int | None


class DocumentOut(BaseModel):
    kind: str
    version: int
    title: str
    body: str = Field(description="Markdown")
    summary: str = Field(description="what changed in this version")
    effective_at: datetime
    published_at: datetime


class DocumentSummary(BaseModel):
    kind: str
    version: int
    title: str
    effective_at: datetime


class DocumentPublishIn(Strict):
    title_zh: OneLine = Field(min_length=1, max_length=200)
    title_en: OneLine = Field(min_length=1, max_length=200)
    body_zh: Text = Field(min_length=1, max_length=200_000)
    body_en: Text = Field(min_length=1, max_length=200_000)
    summary_zh: Text = Field(min_length=1, max_length=2000)
    summary_en: Text = Field(min_length=1, max_length=2000)


class RevealIn(Strict):
    fields: list[Literal["phone", "name", "id_number"]] = Field(min_length=1, max_length=3)
    purpose: OneLineOrBlank = Field(min_length=1, max_length=1000)
    case_number: OneLineOrBlank = Field(min_length=1, max_length=64)


class RevealOut(BaseModel):
    user_id: int
    values: dict[str, str | None]
    record_id: int
    at: datetime


class PendingReviewOut(BaseModel):
    id: int
    user_id: int
    nickname: str
    submitted_at: datetime
    name: str
    id_number: str
    document_type: str | None


class DecideIn(Strict):
    approve: bool
    reason: OneLineOrBlank = Field("", max_length=200)


class LapseIn(Strict):
    reason: OneLine = Field(min_length=1, max_length=200)


class AccessRecordOut(BaseModel):
    id: int
    ts: datetime
    staff_id: int
    staff_role: str
    subject_user_id: int
    fields: list[str]
    purpose: str
    case_number: str
    src_ip: str | None
    src_port: int | None
    row_hash: str


class OutboxOut(BaseModel):
    id: int
    created_at: datetime
    phone: str = Field(description="masked")
    body: str


class StaffUserOut(BaseModel):
    id: int
    username: str
    nickname: str
    status: str
    verification_level: int
    staff_role: str | None
    created_at: datetime


# --- content review --------------------------------------------------------------------------------------------------


class ReviewItemOut(BaseModel):
    id: int
    kind: str
    target_id: str
    group_code: str | None
    author_id: int
    author_nickname: str
    text: str
    action: str
    categories: list[str]
    hits: list[str] = Field(description="the lexicon terms that matched (staff only)")
    lexicon_version: str
    state: str
    created_at: datetime
    decided_at: datetime | None
    decided_by: int | None
    decider_nickname: str | None = None
    reason_code: str | None
    context: list[dict[str, Any]] = Field(default_factory=list)


class ReviewDecisionIn(Strict):
    approve: bool
    reason_code: OneLine | None = Field(None, max_length=32, description="required to reject: fraud, gambling, …")
    confirmed_illegal: bool = Field(
        False, description="a rejection that confirms illegal content (R-10-3): removed, banned, recorded, reported"
    )


class TestTextIn(Strict):
    text: AnyText = Field(min_length=1, max_length=20_000)


class TestHitOut(BaseModel):
    term: str
    category: str
    action: str
    start: int
    end: int
    matched: str
    excepted: bool
    via: str


class TestTextOut(BaseModel):
    action: str
    normalized: str
    hits: list[TestHitOut]
    lexicon_version: str


class LexiconInfoOut(BaseModel):
    version: int
    content_hash: str
    term_count: int
    note: str
    created_at: datetime
    created_by: int | None


class LexiconEntryIn(Strict):
    term: OneLine = Field(min_length=1, max_length=100)
    category: Literal[
        "fraud", "gambling", "pornography", "violence", "illegal_goods", "advertising", "politics", "custom"
    ] = "custom"
    action: Literal["block", "hold", "flag"] = "block"
    exceptions: list[Annotated[OneLine, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=50
    )
    pinyin_initials: bool = False


class LexiconReplaceIn(Strict):
    content: TextOrBlank = Field(min_length=0, max_length=20_000_000, description="the whole lexicon, plain or CSV")
    format: Literal["text", "csv"] = "text"
    note: OneLineOrBlank = Field("", max_length=200)


class LexiconEditIn(Strict):
    add: list[LexiconEntryIn] = Field(default_factory=list, max_length=1000)
    remove: list[Annotated[OneLine, Field(min_length=1, max_length=100)]] = Field(default_factory=list, max_length=1000)
    note: OneLineOrBlank = Field("", max_length=200)


def settings_limits(settings: Settings) -> dict[str, dict[str, int]]:
    """The `maxLength` the OpenAPI schema shows for the fields whose real limit is a setting (schema → field →
    limit). The models above keep a generous parse-time bound; the services enforce these, with their own codes."""
    groups, nickname = settings.groups, settings.identity.nickname_max_length
    profile = {"name": groups.name_max_length, "description": groups.description_max_length}
    return {
        "MessageCreate": {"text": settings.messages.max_length},
        "GroupCreate": profile,
        "GroupProfileUpdate": profile | {"announcement": groups.announcement_max_length},
        "RegisterIn": {"nickname": nickname},
        "NicknameIn": {"nickname": nickname},
    }
