"""What the review engine's decision means for each surface (D17, R-5.1-3, R-10-1)."""

from __future__ import annotations

from enum import StrEnum

from qunzu.domain.rules import rule
from qunzu.errors import ErrorCode, ValidationFailed


class Disposition(StrEnum):
    PUBLISH = "publish"  # allow
    PUBLISH_AND_QUEUE = "publish_and_queue"  # flag: delivered, and a reviewer looks later
    HOLD = "hold"  # stored, visible to its author only, delivered if a reviewer approves
    REFUSE = "refuse"  # never stored


REASON_CODES = (
    "fraud",
    "gambling",
    "pornography",
    "violence",
    "illegal_goods",
    "advertising",
    "politics",
    "harassment",
    "privacy",
    "other",
)


@rule("R-10-1", ErrorCode.CONTENT_REJECTED)
def message_disposition(action: str) -> Disposition:
    """Messages (D17): `block` is refused before it is stored, `hold` waits for a reviewer, `flag` publishes and
    queues for review."""
    return {
        "block": Disposition.REFUSE,
        "hold": Disposition.HOLD,
        "flag": Disposition.PUBLISH_AND_QUEUE,
    }.get(action, Disposition.PUBLISH)


@rule("R-5.1-3", ErrorCode.CONTENT_REJECTED)
def profile_disposition(action: str) -> Disposition:
    """Group names, descriptions and nicknames are reviewed on every change: a name cannot wait in a queue while it
    is shown, so `hold` refuses like `block`; `flag` is accepted and queued."""
    return {
        "block": Disposition.REFUSE,
        "hold": Disposition.REFUSE,
        "flag": Disposition.PUBLISH_AND_QUEUE,
    }.get(action, Disposition.PUBLISH)


def content_rejected(categories: list[str], *, field: str) -> ValidationFailed:
    """The refusal names the categories, never the matched term (so the lexicon cannot be probed)."""
    return ValidationFailed(
        "This content breaks the platform's rules and was not published",
        code=ErrorCode.CONTENT_REJECTED,
        details={"categories": sorted(set(categories)), "field": field},
    )


def check_reason_code(code: str) -> str:
    if code not in REASON_CODES:
        raise ValidationFailed("Unknown reason code", details={"allowed": list(REASON_CODES)})
    return code
