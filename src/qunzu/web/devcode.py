"""The development one-time-code hint: shown on the verification page only with the console SMS sender.

A newcomer running `make run` alone has no SMS gateway, so the code the console sender "sent" is shown next to the
code field. Only when the profile is one of DEV_CODE_PROFILES (never production, which refuses the console sender
anyway) and the configured sender is `console`.
"""

from __future__ import annotations

import re

from qunzu.bootstrap import Container
from qunzu.domain.identity import mask_phone

DEV_CODE_PROFILES = ("development", "test")
CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")


def dev_code_visible(container: Container) -> bool:
    return container.settings.profile in DEV_CODE_PROFILES and container.sms.name == "console"


def dev_code(container: Container, masked_phone: str) -> str | None:
    """The newest code the console sender kept in memory for this (masked) number, or None."""
    if not dev_code_visible(container) or not masked_phone:
        return None
    # TODO(identity.dev_last_code): read the user's own newest outbox row through a service instead.
    for sent in reversed(list(getattr(container.sms, "sent", ()))):
        if mask_phone(sent.phone_e164) == masked_phone:
            found = CODE.search(sent.text)
            return found.group(1) if found else None
    return None
