"""Settings: the only reader of the environment. Built once by the entry point and passed in."""

from __future__ import annotations

import os
from datetime import date, time
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from qunzu.domain.text import clean_line
from qunzu.errors import QunzuError

# Legal floors (R-13.2-1, CSL Art. 21(3) / new Art. 23(3)): 6 months, computed as 184 days.
LOG_RETENTION_FLOOR_DAYS = 184

DEFAULT_CATEGORIES = [
    "family",  # 亲友
    "work",  # 工作
    "study",  # 学习
    "interest",  # 兴趣
    "business",  # 商业/营销
    "charity",  # 公益
    "news",  # 新闻资讯
    "finance",  # 金融理财
    "health",  # 医疗健康
    "education",  # 教育培训
    "other",  # 其他
]


class GroupSettings(BaseModel):
    max_members_hard: int = Field(
        2000,
        ge=2,
        description="the deployment's ceiling: the group policy's hard cap (version 1's, and any raise) stays under it",
    )
    categories: list[str] = Field(default_factory=lambda: list(DEFAULT_CATEGORIES))
    name_max_length: int = Field(30, ge=2, le=200)
    description_max_length: int = Field(500, ge=0, le=5000)
    announcement_max_length: int = Field(1000, ge=0, le=5000)

    @model_validator(mode="after")
    def _default_within_hard(self) -> GroupSettings:
        if not self.categories:
            raise ValueError("groups.categories may not be empty")
        return self


class MessageSettings(BaseModel):
    max_length: int = Field(4000, ge=1, le=100_000)
    page_limit_max: int = Field(200, ge=1, le=1000)


class AuthSettings(BaseModel):
    token_ttl_hours: int = Field(24 * 30, ge=1)
    web_session_ttl_hours: int = Field(24 * 7, ge=1)
    password_min_length: int = Field(8, ge=8, le=128)
    password_min_score: int = Field(
        3, ge=0, le=4, description="least zxcvbn strength score (0–4) a new password must reach; 0 turns the check off"
    )
    cookie_secure: bool = False


class RateLimit(BaseModel):
    """`limit` requests per `window_seconds` (a burst of `limit`, then one every window/limit)."""

    limit: int = Field(ge=1, le=1_000_000)
    window_seconds: int = Field(ge=1, le=7 * 24 * 3600)


DEFAULT_LOCKOUT_PERIODS = [60, 300, 900, 3600, 4 * 3600, 24 * 3600]
LOCKOUT_CAP_SECONDS = 24 * 3600


class ThrottleSettings(BaseModel):
    """Sign-in, registration and phone-code throttling, and account lockout (docs/security.md)."""

    login_per_account: RateLimit = Field(default_factory=lambda: RateLimit(limit=10, window_seconds=60))
    login_per_ip: RateLimit = Field(default_factory=lambda: RateLimit(limit=30, window_seconds=300))
    register_per_ip: RateLimit = Field(default_factory=lambda: RateLimit(limit=20, window_seconds=3600))
    phone_code_per_account: RateLimit = Field(default_factory=lambda: RateLimit(limit=5, window_seconds=3600))
    phone_code_per_ip: RateLimit = Field(default_factory=lambda: RateLimit(limit=20, window_seconds=3600))
    phone_confirm_per_account: RateLimit = Field(default_factory=lambda: RateLimit(limit=10, window_seconds=600))
    phone_confirm_per_ip: RateLimit = Field(default_factory=lambda: RateLimit(limit=30, window_seconds=600))
    lockout_threshold: int = Field(10, ge=3, le=100, description="consecutive failed sign-ins that lock an account")
    lockout_periods_seconds: list[int] = Field(
        default_factory=lambda: list(DEFAULT_LOCKOUT_PERIODS),
        description="how long the 1st, 2nd, ... lock lasts (the last repeats); at most 24 h each",
    )
    lockout_forget_hours: int = Field(
        24, ge=1, le=24 * 30, description="failures and the lock level are forgotten after this long without one"
    )
    ipv6_prefix: int = Field(64, ge=32, le=128, description="IPv6 sources are counted by this network prefix")
    # posting (R-7.1-4): the per-member rate comes from the group policy; this ceiling holds per source address
    post_per_ip: RateLimit = Field(default_factory=lambda: RateLimit(limit=600, window_seconds=60))
    # group search is open to visitors: each query scans names, so each source has its share
    search_per_ip: RateLimit = Field(default_factory=lambda: RateLimit(limit=60, window_seconds=60))
    post_rate_override: int | None = Field(
        None, ge=1, le=1_000_000, description="messages per member per minute in place of the policy's (load tests)"
    )
    redis_prefix: str | None = Field(
        None, max_length=64, description="key prefix in Redis (default: derived from the database URL)"
    )

    @field_validator("lockout_periods_seconds")
    @classmethod
    def _periods(cls, v: list[int]) -> list[int]:
        if not v or len(v) > 20:
            raise ValueError("throttle.lockout_periods_seconds needs 1–20 periods")
        if any(p < 1 or p > LOCKOUT_CAP_SECONDS for p in v):
            raise ValueError(f"each lockout period is 1–{LOCKOUT_CAP_SECONDS} seconds (24 h)")
        if v != sorted(v):
            raise ValueError("throttle.lockout_periods_seconds may not shrink (each lock lasts at least as long)")
        return v


class RealtimeSettings(BaseModel):
    queue_size: int = Field(1000, ge=10, description="frames buffered per WebSocket before it is a slow consumer")
    gap_grace_seconds: float = Field(0.2, gt=0, le=10)
    max_connections_per_user: int = Field(
        20, ge=1, le=10_000, description="open WebSockets per account and server process; the next is closed 4429"
    )
    ws_ticket_ttl_seconds: int = Field(
        30, ge=1, le=300, description="lifetime of a single-use ticket from POST /api/v1/ws/ticket"
    )


class LogSettings(BaseModel):
    network_retention_days: int = Field(365, description="sign-in, sign-out and connection records are kept (≥ 184)")
    operation_retention_days: int = Field(365, description="operation records are kept (≥ 184)")
    archive_dir: Path | None = Field(None, description="where expired days are archived (default: <data_dir>/netlog)")
    restore_days: int = Field(30, ge=1, le=366, description="a day brought back from its archive stays this long")
    level: str = "info"
    json_output: bool = Field(False, alias="json")

    @field_validator("network_retention_days", "operation_retention_days")
    @classmethod
    def _floor(cls, v: int) -> int:
        if v < LOG_RETENTION_FLOOR_DAYS:
            raise ValueError(
                f"log retention must be at least {LOG_RETENTION_FLOOR_DAYS} days "
                "(six months: Provisions Art. 13; Cybersecurity Law Art. 21(3), new Art. 23(3))"
            )
        return v


DEFAULT_RESERVED_NICKNAME_WORDS = [
    "管理员", "超级管理员", "客服", "官方", "平台", "系统", "群组官方", "网信", "网信办", "公安", "警察", "派出所",
    "政府", "国务院", "人民日报", "新华社", "央视", "中国", "中华", "国家", "qunzu", "admin", "administrator",
    "official", "support", "system", "police",
]  # fmt: skip


class HttpSmsSettings(BaseModel):
    url: str | None = None
    api_key: SecretStr | None = None
    sign_name: str = "群组"
    template: str = "您的验证码是 {code}，{minutes} 分钟内有效。请勿告诉他人。"
    timeout_seconds: float = Field(5.0, gt=0, le=60)


class HttpVerifierSettings(BaseModel):
    url: str | None = None
    app_id: str | None = None
    secret: SecretStr | None = None
    timeout_seconds: float = Field(5.0, gt=0, le=60)
    retries: int = Field(2, ge=0, le=5)


class IdentitySettings(BaseModel):
    sms_sender: Literal["console", "http"] = "console"
    id_verifier: Literal["format-only", "http", "manual"] = "format-only"
    sms_http: HttpSmsSettings = Field(default_factory=HttpSmsSettings)
    verifier_http: HttpVerifierSettings = Field(default_factory=HttpVerifierSettings)
    code_ttl_seconds: int = Field(300, ge=60, le=3600)
    code_max_attempts: int = Field(5, ge=1, le=10)
    resend_seconds: int = Field(60, ge=10, le=3600)
    accounts_per_identity: int = Field(3, ge=1, le=10)
    reserved_nickname_words: list[str] = Field(default_factory=lambda: list(DEFAULT_RESERVED_NICKNAME_WORDS))
    nickname_max_length: int = Field(20, ge=2, le=64)
    keys_file: Path | None = Field(None, description="default: <data_dir>/master.keys")
    document_max_bytes: int = Field(2 * 1024 * 1024, ge=1024, le=10 * 1024 * 1024)


class ServerSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="peers whose X-Forwarded-For / X-Forwarded-Port headers are believed",
    )
    public_url: str = Field(
        "",
        description="the address people open; unset: http://<host>:<port> (127.0.0.1 for a wildcard host)",
    )
    max_body_bytes: int = Field(
        256 * 1024, ge=4096, le=64 * 1024 * 1024, description="largest request body of most routes (413 above it)"
    )
    max_upload_bytes: int = Field(
        8 * 1024 * 1024,
        ge=64 * 1024,
        le=256 * 1024 * 1024,
        description="largest body of the routes that take a document (an ID card photo, a published rule text)",
    )
    max_lexicon_bytes: int = Field(
        64 * 1024 * 1024,
        ge=64 * 1024,
        le=1024 * 1024 * 1024,
        description="largest body of a whole-lexicon upload (staff only; the role is checked before it is read)",
    )
    opentelemetry: bool = Field(
        False,
        description="FastAPI's OpenTelemetry spans, metrics and logs for requests (needs a configured OTel provider); "
        "off by default: /metrics already serves Prometheus figures, and the per-request checks cost CPU",
    )

    @model_validator(mode="after")
    def _public_url_follows_the_listener(self) -> ServerSettings:
        if not self.public_url:
            host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
            if ":" in host:  # an IPv6 address
                host = f"[{host}]"
            self.public_url = f"http://{host}:{self.port}"
        return self


class ComplaintSettings(BaseModel):
    """The published complaint channels and handling times (Art. 12, D14; the report guide and /report/channels)."""

    email: str = Field("", max_length=200, description="the complaint mailbox the report guide publishes")
    phone: str = Field("", max_length=64, description="the complaint telephone the report guide publishes")
    staffed_from: time = Field(time(8, 0), description="staffed hours begin (Beijing time)")
    staffed_to: time = Field(time(22, 0), description="staffed hours end (Beijing time)")
    staffed_every_day: bool = Field(True, description="false: staffed on working days only")
    holidays: list[date] = Field(default_factory=list, description="statutory holidays (the year's published calendar)")
    workdays: list[date] = Field(default_factory=list, description="weekend days made working days (调休)")
    high_risk_staffed_minutes: int = Field(60, ge=5, le=60, description="high-risk reports in staffed hours (D14)")
    high_risk_other_hours: int = Field(24, ge=1, le=24, description="high-risk reports outside staffed hours")
    decide_working_days: int = Field(3, ge=1, le=3, description="other reports are decided within")
    feedback_working_days: int = Field(15, ge=1, le=15, description="the reporter is told within")
    reports_per_day: int = Field(30, ge=1, le=1000, description="reports one account may file in 24 hours")
    form_per_ip: RateLimit = Field(default_factory=lambda: RateLimit(limit=10, window_seconds=3600))
    lookup_per_ip: RateLimit = Field(default_factory=lambda: RateLimit(limit=30, window_seconds=600))

    @model_validator(mode="after")
    def _hours(self) -> ComplaintSettings:
        if self.staffed_from >= self.staffed_to:
            raise ValueError("complaints.staffed_from must be before complaints.staffed_to")
        return self


class CapacitySettings(BaseModel):
    """The review team's targets (Art. 5, R-5.1-1). No law sets a ratio, so the operator does; tickets and appeals are
    held to their own deadlines (section `complaints`, D14)."""

    review_sla_minutes: int = Field(
        60, ge=1, le=7 * 24 * 60, description="the oldest waiting review item may wait this long before the alert"
    )
    backlog_per_reviewer: int = Field(
        200,
        ge=1,
        le=1_000_000,
        description="items waiting per reviewer on shift (review, tickets, appeals) before the alert",
    )
    max_shift_hours: int = Field(12, ge=1, le=24, description="a shift nobody ended ends by itself after this long")


class MetricsSettings(BaseModel):
    """Where Prometheus reads this process's figures: never the public listener unless a token guards it."""

    host: str = Field("127.0.0.1", description="address of the separate metrics listener")
    port: int | None = Field(
        None, ge=0, le=65535, description="port of the separate metrics listener (unset: no separate listener)"
    )
    token: SecretStr | None = Field(
        None, description="when set, GET /metrics on the main listener answers to 'Authorization: Bearer <token>'"
    )


class ReportSettings(BaseModel):
    """Reports to the authorities (Art. 11 ¶3, D13): the signing key and where packages are written."""

    signing_key_file: Path | None = Field(
        None, description="Ed25519 key that signs report packages (default: <data_dir>/report-signing.key, 0600)"
    )
    out_dir: Path | None = Field(None, description="where report packages are written (default: <data_dir>/reports)")
    periodic: Literal["off", "weekly", "monthly"] = Field(
        "off",
        description="a signed summary package of each past calendar week or month (Beijing time), built by the "
        "report-periodic job within the hour after the period ends",
    )
    periodic_authority: str = Field(
        "属地网信部门",
        min_length=1,
        max_length=200,
        description="the authority the periodic summary is addressed to (as on the package and in the register)",
    )

    @field_validator("periodic_authority")
    @classmethod
    def _authority(cls, v: str) -> str:
        """Checked as a package checks it (one line, something visible), so a bad value stops the start-up rather
        than the first summary weeks later."""
        try:
            return clean_line(v, field="periodic_authority").strip()
        except QunzuError as exc:
            raise ValueError(f"reports.periodic_authority: {exc.message}") from None


def _toml_path() -> Path | None:
    explicit = os.environ.get("QUNZU_CONFIG_FILE")
    if explicit:
        return Path(explicit)
    candidate = Path("qunzu.toml")
    return candidate if candidate.exists() else None


class Settings(BaseSettings):
    """Every setting, typed. Environment: QUNZU_<NAME>, nested with __ (QUNZU_GROUPS__MAX_MEMBERS_HARD)."""

    model_config = SettingsConfigDict(
        env_prefix="QUNZU_",
        env_nested_delimiter="__",
        extra="ignore",
        populate_by_name=True,
    )

    profile: Literal["development", "production", "test"] = "development"
    data_dir: Path = Path("var")
    database_url: str | None = None
    redis_url: str | None = None
    secret_key: SecretStr | None = None
    language: Literal["zh-CN", "en"] = "zh-CN"
    server: ServerSettings = Field(default_factory=ServerSettings)
    groups: GroupSettings = Field(default_factory=GroupSettings)
    messages: MessageSettings = Field(default_factory=MessageSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    realtime: RealtimeSettings = Field(default_factory=RealtimeSettings)
    logs: LogSettings = Field(default_factory=LogSettings)
    identity: IdentitySettings = Field(default_factory=IdentitySettings)
    throttle: ThrottleSettings = Field(default_factory=ThrottleSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    reports: ReportSettings = Field(default_factory=ReportSettings)
    complaints: ComplaintSettings = Field(default_factory=ComplaintSettings)
    capacity: CapacitySettings = Field(default_factory=CapacitySettings)
    master_key: SecretStr | None = Field(None, description="base64url 32-byte AES key; else the key file")
    identity_hmac_key: SecretStr | None = None

    @model_validator(mode="after")
    def _production_refuses_development_plugins(self) -> Settings:
        if self.profile == "production":
            if self.identity.sms_sender == "console":
                raise ValueError("identity.sms_sender 'console' is for development; production needs 'http'")
            if self.identity.id_verifier == "format-only":
                raise ValueError(
                    "identity.id_verifier 'format-only' is not authoritative; production needs 'http' or 'manual'"
                )
            if self.throttle.post_rate_override is not None:
                raise ValueError(
                    "throttle.post_rate_override replaces the policy's send rates (R-7.1-4) for load tests; "
                    "production takes the rates from the group policy"
                )
        if self.identity.sms_sender == "http" and not self.identity.sms_http.url:
            raise ValueError("identity.sms_http.url is required with sms_sender 'http'")
        if self.identity.id_verifier == "http" and not (
            self.identity.verifier_http.url and self.identity.verifier_http.secret
        ):
            raise ValueError("identity.verifier_http.url and .secret are required with id_verifier 'http'")
        return self

    @property
    def keys_path(self) -> Path:
        return self.identity.keys_file or (self.data_dir / "master.keys")

    @property
    def report_key_path(self) -> Path:
        return self.reports.signing_key_file or (self.data_dir / "report-signing.key")

    @property
    def report_dir(self) -> Path:
        return self.reports.out_dir or (self.data_dir / "reports")

    @property
    def netlog_archive_dir(self) -> Path:
        return self.logs.archive_dir or (self.data_dir / "netlog")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = _toml_path()
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'qunzu.db').as_posix()}"

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")

    def public_dict(self) -> dict[str, Any]:
        """The effective settings with secrets masked, for `qunzu config show`."""
        data = self.model_dump(mode="json", by_alias=False)
        data["database_url"] = _mask_url(self.effective_database_url)
        data["redis_url"] = _mask_url(self.redis_url) if self.redis_url else None
        data["secret_key"] = "********" if self.secret_key else f"(file) {self.data_dir / 'secret_key'}"
        data["master_key"] = "********" if self.master_key else f"(file) {self.keys_path}"
        data["identity_hmac_key"] = "********" if self.identity_hmac_key else f"(file) {self.keys_path}"
        ident = data["identity"]
        ident["sms_http"]["api_key"] = "********" if self.identity.sms_http.api_key else None
        ident["verifier_http"]["secret"] = "********" if self.identity.verifier_http.secret else None
        data["metrics"]["token"] = "********" if self.metrics.token else None
        return data


def _mask_url(url: str) -> str:
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:****@{host}" if ":" in creds else f"{scheme}://{user}@{host}"


def load_settings(**overrides: Any) -> Settings:
    """Read the environment (and qunzu.toml) once. Raises pydantic.ValidationError on a bad value."""
    return Settings(**overrides)
