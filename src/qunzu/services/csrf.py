"""CSRF tokens for cookie sessions: an HMAC of the session token under the deployment secret.

The one check for the JSON API (the `X-CSRF-Token` header) and the web forms (the `csrf` field) alike.
"""

from __future__ import annotations

import hashlib
import hmac

from qunzu.errors import ErrorCode, QunzuError


def csrf_token(secret: str, session_token: str) -> str:
    return hmac.new(secret.encode(), b"csrf:" + session_token.encode(), hashlib.sha256).hexdigest()[:40]


def csrf_ok(secret: str, session_token: str, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(csrf_token(secret, session_token), presented or "")


def csrf_failed() -> QunzuError:
    """The error of a state change whose page did not prove it is ours (expired or forged)."""
    return QunzuError("The page has expired; reload it and try again", code=ErrorCode.CSRF_FAILED)


def check_csrf(secret: str, session_token: str, presented: str | None) -> None:
    """Raise `csrf_failed` unless `presented` is this session's token."""
    if not csrf_ok(secret, session_token, presented):
        raise csrf_failed()
