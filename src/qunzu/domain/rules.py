"""A registry tying each rule function to its requirement ID (../shared/REQUIREMENTS.md) and error code."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from qunzu.errors import ErrorCode

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Rule:
    requirement: str
    code: ErrorCode
    function: str
    doc: str


RULES: dict[str, list[Rule]] = {}


def rule(requirement: str, code: ErrorCode) -> Callable[[F], F]:
    """Mark a function as the implementation of a requirement; docs/compliance.md is checked against this."""

    def mark(fn: F) -> F:
        doc = (fn.__doc__ or "").strip().splitlines()[0] if fn.__doc__ else ""
        RULES.setdefault(requirement, []).append(
            Rule(requirement=requirement, code=code, function=f"{fn.__module__}.{fn.__qualname__}", doc=doc)
        )
        fn.requirement = requirement  # type: ignore[attr-defined]
        return fn

    return mark
