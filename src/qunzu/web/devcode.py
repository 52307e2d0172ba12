"""The development one-time-code hint: shown on the verification page only with the console SMS sender.

A newcomer running `make run` alone has no SMS gateway, so the code the console sender "sent" is shown next to the
code field. Only when the profile is one of DEV_CODE_PROFILES (never production, which refuses the console sender
anyway) and the configured sender is `console`.
"""

from __future__ import annotations

from qunzu.bootstrap import Container
from qunzu.services import identity

DEV_CODE_PROFILES = ("development", "test")


def dev_code_visible(container: Container) -> bool:
    return container.settings.profile in DEV_CODE_PROFILES and container.sms.name == "console"


async def dev_code(container: Container, actor: int | None) -> str | None:
    """The newest code the console sender 'sent' to this user (from the development outbox), or None."""
    if not dev_code_visible(container) or actor is None:
        return None
    return await identity.dev_last_code(container.db, actor=actor)
