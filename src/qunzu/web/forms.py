"""Server-side forms: sign up, sign in, sign out, create a group, join by code.

Each POST handler parses the form, checks its CSRF token, calls one service and redirects (303); a refused
submission re-renders the form with the error in the page's language and the user's input (never a password).
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

from fastapi import APIRouter
from starlette.responses import RedirectResponse, Response

from qunzu.domain.text import check_secret, clean_line, clean_text, parse_int
from qunzu.errors import ErrorCode, QunzuError
from qunzu.services import accounts, documents, joining
from qunzu.services import groups as group_service
from qunzu.services.csrf import csrf_failed
from qunzu.services.review import profile_screen
from qunzu.web import creation_form
from qunzu.web.context import WebDep, form_fields
from qunzu.web.i18n import error_action, error_field, form_error
from qunzu.web.pages import groups_page
from qunzu.web.session import (
    AnonCsrf,
    clear_session_cookie,
    retry_after,
    safe_next,
    set_session_cookie,
)

router = APIRouter(include_in_schema=False)
ACCEPT_AT_SIGN_UP = ("agreement", "privacy")  # accepted as one registers (R-5.2-2)


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# --- sign up ----------------------------------------------------------------------------------------------


async def _signup_page(w: WebDep, values: dict[str, str], error: QunzuError | None = None) -> Response:
    anon = AnonCsrf(w.request, w.container)
    current = {d.kind: d for d in await documents.list_current(w.container.db)}
    response = w.page(
        "signup.html",
        status_code=(429 if error.code is ErrorCode.RATE_LIMITED else 422) if error else 200,
        anon_csrf=anon.token,
        values=values,
        error=form_error(error, w.lang) if error else None,
        error_field=error_field(error) if error else None,
        password_min=w.container.settings.auth.password_min_length,
        nickname_max=w.container.settings.identity.nickname_max_length,
        to_accept=[(k, current[k].title(w.lang), current[k].version) for k in ACCEPT_AT_SIGN_UP if k in current],
    )
    retry_after(response, error)
    anon.attach(response)
    return response


@router.get("/signup")
async def signup_form(w: WebDep) -> Response:
    if w.session:
        return _see_other("/groups")
    return await _signup_page(w, {"username": "", "nickname": "", "accept": ""})


def _accepted(f: dict[str, str]) -> dict[str, int]:
    """The document versions the person saw and accepted (none unless the box was ticked)."""
    if f["accept"] != "1":
        return {}
    out = {}
    for kind in ACCEPT_AT_SIGN_UP:
        version = parse_int(f[f"version_{kind}"], lo=1, hi=9_999_999)
        if version is not None:
            out[kind] = version
    return out


@router.post("/signup")
async def signup(w: WebDep) -> Response:
    names = ["username", "password", "nickname", "accept", "csrf"] + [f"version_{k}" for k in ACCEPT_AT_SIGN_UP]
    f = await form_fields(w.request, *names)
    kept = {"username": f["username"], "nickname": f["nickname"], "accept": f["accept"]}
    if not AnonCsrf(w.request, w.container).ok(f["csrf"]):
        return await _signup_page(w, kept, csrf_failed())
    identity = w.container.settings.identity
    try:
        user = await accounts.register_user(
            w.container.db,
            w.container.passwords,
            username=clean_line(f["username"], field="username", required=False),
            password=check_secret(f["password"], field="password"),
            nickname=clean_line(f["nickname"], field="nickname", required=False),
            ctx=w.ctx,
            password_min_length=w.container.settings.auth.password_min_length,
            password_min_score=w.container.settings.auth.password_min_score,
            throttle=w.container.throttle,
            accepted=_accepted(f),
            reserved_words=identity.reserved_nickname_words,
            nickname_max_length=identity.nickname_max_length,
            screen=profile_screen(w.container.review),
        )
    except QunzuError as exc:
        return await _signup_page(w, kept, exc)
    return _see_other("/login?registered=1&username=" + quote(user.username))


# --- sign in / out ----------------------------------------------------------------------------------------


def _login_page(
    w: WebDep, username: str, next_url: str, error: QunzuError | None = None, registered: bool = False
) -> Response:
    anon = AnonCsrf(w.request, w.container)
    status = {ErrorCode.CSRF_FAILED: 422, ErrorCode.RATE_LIMITED: 429}.get(error.code, 401) if error else 200
    response = w.page(
        "login.html",
        status_code=status,
        anon_csrf=anon.token,
        values={"username": username},
        next_url=next_url,
        registered=registered,
        error=form_error(error, w.lang) if error else None,
        error_field="password" if error and error.code is ErrorCode.INVALID_CREDENTIALS else None,
    )
    retry_after(response, error)
    anon.attach(response)
    return response


@router.get("/login")
async def login_form(w: WebDep) -> Response:
    q = w.request.query_params
    next_url = safe_next(q.get("next"))
    if w.session:
        return _see_other(next_url)
    return _login_page(w, q.get("username", "")[:64], next_url, registered=q.get("registered") == "1")


@router.post("/login")
async def login(w: WebDep) -> Response:
    f = await form_fields(w.request, "username", "password", "next", "csrf")
    next_url = safe_next(f["next"])
    if not AnonCsrf(w.request, w.container).ok(f["csrf"]):
        return _login_page(w, f["username"], next_url, csrf_failed())
    try:
        token = await accounts.sign_in(
            w.container.db,
            w.container.passwords,
            throttle=w.container.throttle,
            sms=w.container.sms,
            keys=w.container.keys,
            username=f["username"],
            password=f["password"],
            kind="web",
            ttl=timedelta(hours=w.container.settings.auth.web_session_ttl_hours),
            ctx=w.ctx,
        )
    except QunzuError as exc:
        return _login_page(w, f["username"], next_url, exc)
    response = _see_other(next_url)
    set_session_cookie(response, w.container, token.token)
    return response


@router.post("/logout")
async def logout(w: WebDep) -> Response:
    f = await form_fields(w.request, "csrf")
    if w.session is None:
        return _see_other("/")
    if not w.csrf_valid(f["csrf"]):
        return w.page("error.html", status_code=403, message=form_error(csrf_failed(), w.lang))
    await accounts.sign_out(
        w.container.db, w.container.tokens, token=w.session.token, actor=w.session.user.id, ctx=w.ctx
    )
    response = _see_other("/")
    clear_session_cookie(response, w.container)
    return response


# --- groups -----------------------------------------------------------------------------------------------


async def _create_page(w: WebDep, values: dict[str, str], error: QunzuError | None = None) -> Response:
    g = w.container.settings.groups
    return w.page(
        "group_new.html",
        status_code=422 if error else 200,
        values=values,
        name_max=g.name_max_length,
        description_max=g.description_max_length,
        error=form_error(error, w.lang) if error else None,
        error_field=error_field(error) if error else None,
        error_action=error_action(error),
        reasons=creation_form.reason_lines(w, error),
        **await creation_form.form_context(w, values),
    )


@router.get("/groups/new")
async def create_form(w: WebDep) -> Response:
    if w.session is None:
        return w.to_login()
    values = {k: "" for k in creation_form.FIELDS} | {"tier": "S"}
    category = w.request.query_params.get("category", "")  # the form's "show the terms for" without JavaScript
    values["category"] = category[:32]
    return await _create_page(w, values)


@router.post("/groups/new")
async def create(w: WebDep) -> Response:
    """Create a group of the tier chosen, accepting the 群主责任告知书; a group sent to review lands on its
    waiting page."""
    if w.session is None:
        return w.to_login()
    f = await form_fields(w.request, *creation_form.FIELDS, "duties", "csrf")
    kept = {k: f[k] for k in creation_form.FIELDS}
    if not w.csrf_valid(f["csrf"]):
        return await _create_page(w, kept, csrf_failed())
    g = w.container.settings.groups
    try:
        group = await group_service.create_group(
            w.container.db,
            actor=w.session.user.id,
            name=clean_line(f["name"], field="name", required=False),
            category=clean_line(f["category"], field="category", required=False),
            description=clean_text(f["description"], field="description"),
            ctx=w.ctx,
            limits=g,
            policy=await w.container.policy.policy(),
            tier=f["tier"] or "S",
            duties_version=parse_int(f["duties"], lo=1),
            purpose=clean_text(f["purpose"], field="purpose"),
            screen=profile_screen(w.container.review),
        )
    except QunzuError as exc:
        return await _create_page(w, kept, exc)
    return _see_other(f"/g/{group.code}")


@router.post("/groups/join")
async def join(w: WebDep) -> Response:
    if w.session is None:
        return w.to_login()
    f = await form_fields(w.request, "code", "csrf")
    try:
        w.check_csrf(f["csrf"])
        outcome = await joining.join_by_code(
            w.container.db, actor=w.session.user.id, code=f["code"], ctx=w.ctx,
            policy=await w.container.policy.policy(), throttle=w.container.throttle,
        )  # fmt: skip
    except QunzuError as exc:
        if exc.code in (ErrorCode.ALREADY_MEMBER, ErrorCode.ANSWER_REQUIRED, ErrorCode.JOIN_REQUEST_PENDING):
            # the group's page shows the membership, the join question, or the pending request
            return _see_other("/g/" + quote("".join(ch for ch in f["code"] if ch in "0123456789")))
        return await groups_page(
            w, join_code=f["code"], join_error=form_error(exc, w.lang), join_action=error_action(exc), status_code=422
        )
    return _see_other(f"/g/{outcome.group.code}")
