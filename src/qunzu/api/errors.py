"""The one error → HTTP mapping and the one error envelope: {"error": {"code", "message", "details"}}."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from qunzu.errors import ErrorCode, QunzuError
from qunzu.i18n import error_text, pick_language

log = structlog.get_logger(__name__)

STATUS: dict[ErrorCode, int] = {
    ErrorCode.VALIDATION_FAILED: 422,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.METHOD_NOT_ALLOWED: 405,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.INTERNAL: 500,
    ErrorCode.UNAVAILABLE: 503,
    ErrorCode.CSRF_FAILED: 403,
    ErrorCode.PAYLOAD_TOO_LARGE: 413,
    ErrorCode.AUTH_REQUIRED: 401,
    ErrorCode.INVALID_CREDENTIALS: 401,
    ErrorCode.USERNAME_TAKEN: 409,
    ErrorCode.WEAK_PASSWORD: 422,
    ErrorCode.ACCOUNT_INFO_REJECTED: 422,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.GROUP_NOT_FOUND: 404,
    ErrorCode.GROUP_CLOSED: 410,
    ErrorCode.INVALID_GROUP_CODE: 422,
    ErrorCode.UNKNOWN_CATEGORY: 422,
    ErrorCode.GROUP_FULL: 409,
    ErrorCode.CREDIT_INSUFFICIENT: 403,
    ErrorCode.ALREADY_MEMBER: 409,
    ErrorCode.NOT_MEMBER: 403,
    ErrorCode.MEMBER_NOT_FOUND: 404,
    ErrorCode.FORBIDDEN_ROLE: 403,
    ErrorCode.OWNER_MUST_TRANSFER: 409,
    ErrorCode.GROUP_PENDING_REVIEW: 409,
    ErrorCode.ACCOUNT_TOO_NEW: 403,
    ErrorCode.CREATE_LIMIT: 409,
    ErrorCode.JOIN_LIMIT: 409,
    ErrorCode.INVITATION_REQUIRED: 403,
    ErrorCode.JOIN_REQUEST_PENDING: 409,
    ErrorCode.JOIN_REQUEST_NOT_FOUND: 404,
    ErrorCode.ANSWER_REQUIRED: 422,
    ErrorCode.LINKS_DISABLED: 403,
    ErrorCode.INVITE_NOT_FOUND: 404,
    ErrorCode.INVITE_EXPIRED: 410,
    ErrorCode.INVITE_REVOKED: 410,
    ErrorCode.DUTIES_NOT_ACCEPTED: 403,
    ErrorCode.OFFER_NOT_FOUND: 404,
    ErrorCode.MANAGERS_LIMIT: 409,
    ErrorCode.MEMBER_MUTED: 403,
    ErrorCode.GROUP_MUTED: 403,
    ErrorCode.SLOW_MODE: 429,
    ErrorCode.PINS_LIMIT: 409,
    ErrorCode.KEYWORDS_LIMIT: 409,
    ErrorCode.POLICY_STALE: 409,
    ErrorCode.SECOND_APPROVER_REQUIRED: 403,
    ErrorCode.MESSAGE_NOT_FOUND: 404,
    ErrorCode.MESSAGE_TOO_LONG: 422,
    ErrorCode.MESSAGE_EMPTY: 422,
    ErrorCode.CLIENT_MSG_ID_CONFLICT: 409,
    ErrorCode.CONTENT_REJECTED: 422,
    ErrorCode.ALREADY_DECIDED: 409,
    ErrorCode.NOT_ON_SHIFT: 409,
    ErrorCode.GROUP_SUSPENDED: 403,
    ErrorCode.MANAGEMENT_SUSPENDED: 403,
    ErrorCode.CREATION_REVOKED: 403,
    ErrorCode.ACCOUNT_SUSPENDED: 403,
    ErrorCode.ACCESS_EXPIRED: 403,  # R-3-1: a regulator's access expired or was revoked
    ErrorCode.ACCOUNT_MUTED: 403,
    ErrorCode.JOINS_FROZEN: 403,
    ErrorCode.STARS_RESTRICTED: 403,
    ErrorCode.EMERGENCY_STOPPED: 403,  # a deliberate stop, not a fault: retrying does not help until it is off
    ErrorCode.EMERGENCY_SWITCH_NOT_FOUND: 404,
    ErrorCode.MEASURE_NOT_FOUND: 404,
    ErrorCode.MEASURE_NOT_ACTIVE: 409,
    ErrorCode.LAWFUL_REQUEST_NOT_FOUND: 404,
    ErrorCode.LAWFUL_REQUEST_SAME_OFFICER: 403,  # four eyes: another officer decides
    ErrorCode.LAWFUL_REQUEST_NOT_APPROVED: 409,
    ErrorCode.PACKAGE_PERIOD_INVALID: 422,
    ErrorCode.PACKAGE_NOT_FOUND: 404,
    ErrorCode.PACKAGE_FILE_MISSING: 410,
    ErrorCode.PACKAGE_CONFLICT: 409,
    ErrorCode.BLACKLIST_ENTRY_NOT_FOUND: 404,
    ErrorCode.BLACKLIST_ENTRY_ENDED: 409,
    ErrorCode.BLACKLISTED: 403,
    ErrorCode.TICKET_NOT_FOUND: 404,
    ErrorCode.TICKET_CLAIMED: 409,
    ErrorCode.TICKET_NOT_CLAIMED: 409,
    ErrorCode.REASON_REQUIRED: 422,
    ErrorCode.REPORT_LIMIT: 429,
    ErrorCode.REPORT_TARGET_INVALID: 422,
    ErrorCode.APPEAL_NOT_FOUND: 404,
    ErrorCode.APPEAL_EXISTS: 409,
    ErrorCode.APPEAL_NOT_ALLOWED: 403,
    ErrorCode.APPEAL_CLOSED: 409,
    ErrorCode.APPEAL_SAME_DECIDER: 403,
    ErrorCode.IDENTITY_UNVERIFIED: 403,
    ErrorCode.VERIFICATION_LEVEL_REQUIRED: 403,
    ErrorCode.INVALID_ID_NUMBER: 422,
    ErrorCode.INVALID_PHONE: 422,
    ErrorCode.CODE_INVALID: 422,
    ErrorCode.CODE_EXPIRED: 422,
    ErrorCode.CODE_LOCKED: 403,
    ErrorCode.RESEND_TOO_SOON: 429,
    ErrorCode.IDENTITY_ACCOUNT_LIMIT: 409,
    ErrorCode.IDENTITY_MISMATCH: 422,
    ErrorCode.VERIFIER_UNAVAILABLE: 503,
    ErrorCode.VERIFICATION_PENDING: 409,
    ErrorCode.AGREEMENT_REQUIRED: 403,
    ErrorCode.DOCUMENT_NOT_FOUND: 404,
    ErrorCode.PURPOSE_REQUIRED: 422,
    ErrorCode.OWNERSHIP_BLOCKS_CANCELLATION: 409,
}


def status_for(code: ErrorCode) -> int:
    return STATUS.get(code, 400)


def envelope(code: ErrorCode, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code.value, "message": message, "details": details or {}}}


# pydantic error types that are refusals of text: ours (api/schemas.py), and pydantic's own for an unpaired surrogate
TEXT_ERRORS = {"text_refused": "", "string_unicode": "surrogate"}


def _printable(value: object) -> str:
    """A location or message part as JSON can carry it (an unpaired surrogate from the request becomes "?")."""
    return str(value).encode("utf-8", "replace").decode("utf-8")


def _language(request: Request) -> str:
    return pick_language(request.headers.get("accept-language"))


def error_response(request: Request, exc: QunzuError) -> JSONResponse:
    lang = _language(request)
    message = error_text(exc.code, exc.message, lang, exc.details)
    headers = {"WWW-Authenticate": "Bearer"} if exc.code in (ErrorCode.AUTH_REQUIRED,) else None
    wait_ms = exc.details.get("retry_after_ms")
    if isinstance(wait_ms, int) and wait_ms > 0:  # rate_limited: the wait in whole seconds, rounded up
        headers = {**(headers or {}), "Retry-After": str(-(-wait_ms // 1000))}
    return JSONResponse(envelope(exc.code, message, exc.details), status_code=status_for(exc.code), headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(QunzuError)
    async def _qunzu(request: Request, exc: QunzuError) -> JSONResponse:
        return error_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {
                "loc": [_printable(p) for p in err.get("loc", ())],
                "type": str(err.get("type", "")),
                "msg": _printable(err.get("msg", "")),
            }
            for err in exc.errors()
        ]
        details: dict[str, Any] = {"problems": problems}
        english = "The request is not valid"
        refused = next((e for e in exc.errors() if e.get("type") in TEXT_ERRORS), None)
        if refused is not None:  # a text rule of qunzu.domain.text: name the field and the reason, like the domain
            loc = [p for p in refused.get("loc", ()) if isinstance(p, str)]
            reason = dict(refused.get("ctx") or {}) or {"reason": TEXT_ERRORS[str(refused.get("type"))]}
            details |= {"field": _printable(loc[-1] if loc else "")} | reason
            english = f"{details['field']}: {refused.get('msg', '')}"
        lang = _language(request)
        message = error_text(ErrorCode.VALIDATION_FAILED, english, lang, details)
        return JSONResponse(envelope(ErrorCode.VALIDATION_FAILED, message, details), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {
            404: ErrorCode.NOT_FOUND,
            405: ErrorCode.METHOD_NOT_ALLOWED,
            401: ErrorCode.AUTH_REQUIRED,
            403: ErrorCode.FORBIDDEN,
            413: ErrorCode.PAYLOAD_TOO_LARGE,
        }.get(exc.status_code, ErrorCode.VALIDATION_FAILED)
        lang = _language(request)
        message = error_text(code, str(exc.detail), lang, {})
        return JSONResponse(envelope(code, message), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled_error", path=request.url.path)
        lang = _language(request)
        message = error_text(ErrorCode.INTERNAL, "Internal error", lang, {})
        return JSONResponse(envelope(ErrorCode.INTERNAL, message), status_code=500)
