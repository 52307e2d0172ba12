"""The account pages: profile and masked identity, the verification flow, accepted agreements, export, cancellation.

Server-rendered forms (they work without JavaScript); verify.js only adds the code expiry countdown and the resend
throttle. Each handler parses, checks CSRF, calls one service and redirects or renders.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from qunzu.domain.admission import allowances
from qunzu.domain.staff import OUTBOX_READERS
from qunzu.domain.text import clean_line, parse_int
from qunzu.errors import ErrorCode, QunzuError
from qunzu.i18n import notice_text
from qunzu.services import account_data, credit, documents, identity, notices
from qunzu.services.csrf import csrf_failed
from qunzu.services.identity import IdentityView
from qunzu.services.review import profile_screen
from qunzu.web.context import FORM_FIELD_MAX, Web, WebDep, form_fields
from qunzu.web.devcode import dev_code
from qunzu.web.i18n import error_field, form_error
from qunzu.web.session import clear_session_cookie, safe_next

router = APIRouter(include_in_schema=False)
IMAGE_TYPES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _dev(w: Web) -> dict[str, Any]:
    """What the pages say about development verifiers (never in production)."""
    return {
        "dev_sms": w.container.sms.name == "console",
        "dev_verifier": w.container.verifier.name == "format-only",
        "outbox_link": bool(w.session and w.session.user.staff_role in OUTBOX_READERS and w.container.sms.keeps_outbox),
    }


# --- profile and masked identity ------------------------------------------------------------------------------


async def _account_page(w: Web, *, nickname: str | None = None, error: QunzuError | None = None) -> Response:
    assert w.session is not None
    view = await identity.my_identity(w.container.db, w.container.keys, actor=w.session.user.id)
    mine = await notices.my_notices(w.container.db, actor=w.session.user.id, limit=20)
    standing = await credit.my_credit(w.container.db, actor=w.session.user.id, now=w.ctx.now)
    allowed = allowances(
        await w.container.policy.policy(),
        credit.POLICY,
        score=standing.score,
        verification_level=w.session.user.verification_level,
    )
    return w.page(
        "me.html",
        credit=standing,
        allowances=allowed,
        notices=[(n, notice_text(n.kind, n.details, w.lang)) for n in mine],
        status_code=422 if error else 200,
        tab="profile",
        ident=view,
        nickname=w.session.user.nickname if nickname is None else nickname,
        nickname_max=w.container.settings.identity.nickname_max_length,
        saved=w.request.query_params.get("saved") == "1",
        error=form_error(error, w.lang) if error else None,
        error_field=error_field(error) if error else None,
        **_dev(w),
    )


@router.get("/me")
async def account(w: WebDep) -> Response:
    if w.session is None:
        return w.to_login()
    return await _account_page(w)


@router.post("/me/nickname")
async def change_nickname(w: WebDep) -> Response:
    if w.session is None:
        return w.to_login()
    f = await form_fields(w.request, "nickname", "csrf")
    if not w.csrf_valid(f["csrf"]):
        return await _account_page(w, nickname=f["nickname"], error=csrf_failed())
    s = w.container.settings.identity
    try:
        await account_data.change_nickname(
            w.container.db,
            w.container.tokens,
            actor=w.session.user.id,
            nickname=clean_line(f["nickname"], field="nickname", required=False),
            screen=profile_screen(w.container.review),
            reserved=s.reserved_nickname_words,
            max_length=s.nickname_max_length,
            ctx=w.ctx,
        )
    except QunzuError as exc:
        return await _account_page(w, nickname=f["nickname"], error=exc)
    return _see_other("/me?saved=1")


@router.post("/me/notices/{notice_id}/read")
async def read_notice(notice_id: int, w: WebDep) -> Response:
    if w.session is None:
        return w.to_login()
    f = await form_fields(w.request, "csrf")
    try:
        w.check_csrf(f["csrf"])
        await notices.mark_notice_read(w.container.db, actor=w.session.user.id, notice_id=notice_id, ctx=w.ctx)
    except QunzuError as exc:
        return await _account_page(w, error=exc)
    return _see_other("/me#notices")


# --- the verification flow ------------------------------------------------------------------------------------


def _step(view: IdentityView) -> str:
    if view.pending_review:
        return "pending"
    if view.level >= 2 and not view.lapsed:
        return "done"
    if view.level >= 1 and not view.lapsed:
        return "id"
    return "phone"


def _verify_page(w: Web, step: str, *, status_code: int = 200, **context: Any) -> Response:
    context.setdefault("error", None)
    context.setdefault("error_field", None)
    context.setdefault("values", {})
    context.setdefault("challenge", None)
    context.setdefault("l1_done", False)
    return w.page(
        "me_verify.html",
        status_code=status_code,
        tab="verify",
        step=step,
        manual=w.container.verifier.name == "manual",
        document_mb=w.container.settings.identity.document_max_bytes // 1024 // 1024,
        **_dev(w),
        **context,
    )


def _refusal(w: Web, exc: QunzuError) -> dict[str, Any]:
    return {"error": form_error(exc, w.lang), "error_field": error_field(exc)}


def _status(exc: QunzuError) -> int:
    """A refused form answers 422, or 429 when the refusal is a wait (too many codes sent or tried)."""
    return 429 if exc.code in (ErrorCode.RATE_LIMITED, ErrorCode.RESEND_TOO_SOON) else 422


@router.get("/me/verify")
async def verify(w: WebDep) -> Response:
    if w.session is None:
        return w.to_login()
    view = await identity.my_identity(w.container.db, w.container.keys, actor=w.session.user.id)
    return _verify_page(w, _step(view), l1_done=w.request.query_params.get("l1") == "1")


async def _challenge(w: Web, *, phone: str, masked: str, expires: str, resend: str) -> dict[str, Any]:
    """The code step's state, carried in the page (display only: the server keeps the real challenge)."""
    return {
        "phone": phone,
        "masked": masked,
        "expires": expires,
        "resend": resend,
        "dev_code": await dev_code(w.container, w.session.user.id if w.session else None),
    }


@router.post("/me/verify/phone")
async def send_code(w: WebDep) -> Response:
    if w.session is None:
        return w.to_login()
    f = await form_fields(w.request, "phone", "csrf")
    try:
        w.check_csrf(f["csrf"])
        ch = await identity.start_phone_verification(
            w.container.db,
            w.container.keys,
            w.container.sms,
            actor=w.session.user.id,
            phone=f["phone"],
            ctx=w.ctx,
            settings=w.container.settings.identity,
            throttle=w.container.throttle,
        )
    except QunzuError as exc:
        return _verify_page(w, "phone", status_code=_status(exc), values={"phone": f["phone"][:32]}, **_refusal(w, exc))
    state = await _challenge(
        w,
        phone=f["phone"][:32],
        masked=ch.phone,
        expires=str(int(ch.expires_at.timestamp())),
        resend=str(int(ch.resend_after.timestamp())),
    )
    return _verify_page(w, "code", challenge=state)


@router.post("/me/verify/code")
async def confirm_code(w: WebDep) -> Response:
    if w.session is None:
        return w.to_login()
    f = await form_fields(w.request, "code", "phone", "masked", "expires", "resend", "csrf")
    state = await _challenge(
        w, phone=f["phone"][:32], masked=f["masked"][:16], expires=f["expires"][:12], resend=f["resend"][:12]
    )
    try:
        w.check_csrf(f["csrf"])
        await identity.confirm_phone_code(
            w.container.db,
            w.container.keys,
            w.container.sms,
            actor=w.session.user.id,
            code=f["code"][:16],
            ctx=w.ctx,
            settings=w.container.settings.identity,
            throttle=w.container.throttle,
        )
    except QunzuError as exc:
        return _verify_page(w, "code", status_code=_status(exc), challenge=state, **_refusal(w, exc))
    w.container.tokens.evict_user(w.session.user.id)  # the cached session carries the old level
    return _see_other("/me/verify?l1=1")


async def _document(upload: object, limit: int) -> tuple[bytes | None, str | None]:
    """The uploaded ID-card photo and its type judged by its first bytes (the browser's claim is not trusted).

    At most limit + 1 bytes are read: the service refuses anything longer."""
    if not isinstance(upload, UploadFile):
        return None, None
    raw = await upload.read(limit + 1)
    if not raw:
        return None, None
    for magic, media in IMAGE_TYPES.items():
        if raw.startswith(magic):
            return raw, media
    return raw, upload.content_type or "application/octet-stream"


@router.post("/me/verify/id")
async def verify_id(w: WebDep) -> Response:
    if w.session is None:
        return w.to_login()
    limit = w.container.settings.identity.document_max_bytes
    form = await w.request.form(max_part_size=limit + 1024)
    name = form.get("name")
    number = form.get("id_number")
    csrf = form.get("csrf")
    name = name[:FORM_FIELD_MAX] if isinstance(name, str) else ""
    number = number[:64] if isinstance(number, str) else ""
    try:
        w.check_csrf(csrf if isinstance(csrf, str) else None)
        document, media = await _document(form.get("document"), limit)
        await identity.verify_id(
            w.container.db,
            w.container.keys,
            w.container.verifier,
            actor=w.session.user.id,
            name=name,
            id_number=number,
            ctx=w.ctx,
            settings=w.container.settings.identity,
            document=document,
            document_type=media,
        )
    except QunzuError as exc:
        return _verify_page(w, "id", status_code=422, values={"name": name[:64]}, **_refusal(w, exc))
    w.container.tokens.evict_user(w.session.user.id)
    return _see_other("/me/verify")


# --- agreements -----------------------------------------------------------------------------------------------


@router.get("/me/agreements")
async def agreements(w: WebDep) -> Response:
    if w.session is None:
        return w.to_login()
    rows = await documents.my_acceptances(w.container.db, actor=w.session.user.id)
    return w.page(
        "me_agreements.html",
        tab="agreements",
        rows=rows,
        accepted=w.request.query_params.get("accepted") == "1",
    )


@router.post("/me/agreements/accept")
async def accept(w: WebDep) -> Response:
    """Accept the current version of a document (the site-wide banner's button)."""
    if w.session is None:
        return w.to_login()
    f = await form_fields(w.request, "kind", "version", "next", "csrf")
    try:
        w.check_csrf(f["csrf"])
        version = parse_int(f["version"], lo=1, hi=9_999_999) or 0
        await documents.accept_document(
            w.container.db, actor=w.session.user.id, kind=f["kind"][:24], version=version, ctx=w.ctx
        )
    except QunzuError as exc:
        status = 403 if exc.code is ErrorCode.CSRF_FAILED else 422
        return w.page("error.html", status_code=status, message=form_error(exc, w.lang))
    w.container.tokens.evict_user(w.session.user.id)
    target = safe_next(f["next"], default="/me/agreements")
    return _see_other(target)


# --- export and cancellation ----------------------------------------------------------------------------------


def _data_page(
    w: Web, *, error: QunzuError | None = None, owned: list[str] | None = None, unconfirmed: bool = False
) -> Response:
    message = w.t("data.confirm_required") if unconfirmed else form_error(error, w.lang) if error else None
    return w.page(
        "me_data.html",
        status_code=(409 if owned else 422) if message else 200,
        tab="data",
        error=message,
        error_field="confirm" if unconfirmed else error_field(error) if error else None,
        owned=owned or [],
    )


@router.get("/me/data")
async def data(w: WebDep) -> Response:
    if w.session is None:
        return w.to_login()
    return _data_page(w)


@router.post("/me/cancel")
async def cancel(w: WebDep) -> Response:
    if w.session is None:
        return w.to_login()
    f = await form_fields(w.request, "password", "confirm", "csrf")
    if not w.csrf_valid(f["csrf"]):
        return _data_page(w, error=csrf_failed())
    if f["confirm"] != "1":
        return _data_page(w, unconfirmed=True)
    try:
        await account_data.cancel_account(
            w.container.db,
            w.container.passwords,
            w.container.tokens,
            actor=w.session.user.id,
            password=f["password"],
            ctx=w.ctx,
        )
    except QunzuError as exc:
        owned = exc.details.get("groups") if exc.code is ErrorCode.OWNERSHIP_BLOCKS_CANCELLATION else None
        return _data_page(w, error=exc, owned=[str(c) for c in owned or []])
    w.session = None
    w.pending = {}
    response = w.page("cancelled.html")
    clear_session_cookie(response, w.container)
    return response
