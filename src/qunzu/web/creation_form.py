"""The create-a-group form's content (R-8.3-1, R-9.1-1): the tiers with their member caps and requirements (those
the person does not meet marked, with why, and those that go to staff review), the categories from the policy
with the sensitive ones marked (D16), and a refusal's reasons in the person's language."""

from __future__ import annotations

from typing import Any

from qunzu.domain.documents import DocumentKind
from qunzu.domain.policy import TIER_ORDER
from qunzu.errors import ErrorCode, QunzuError
from qunzu.i18n import category_label
from qunzu.services import documents, group_info
from qunzu.web.context import Web

FIELDS = ("name", "category", "description", "tier", "purpose")


def _unmet(w: Web, terms: dict[str, Any]) -> list[str]:
    need, me, met = terms["requirements"], terms["me"], terms["met"]
    out = []
    if not met["verification_level"]:
        out.append(w.t("creation.unmet.verification", need=need["verification_level"], have=me["verification_level"]))
    if not met["credit_level"]:
        out.append(w.t("creation.unmet.credit", need=need["credit_level"], score=me["credit_score"],
                       level=me["credit_level"]))  # fmt: skip
    if not met["account_days"]:
        out.append(w.t("creation.unmet.account_days", need=need["account_days"], have=me["account_days"]))
    if not met["owned"]:
        out.append(w.t("creation.unmet.owned", max=me["owned_max"]))
    if not met["per_day"]:
        out.append(w.t("creation.unmet.per_day", max=me["created_per_day"]))
    return out


def reason_lines(w: Web, exc: QunzuError | None) -> list[str]:
    """Every reason of a creation refusal (details.reasons), each in the page's language."""
    if exc is None:
        return []
    lines = []
    for r in exc.details.get("reasons") or []:
        code = str(r.get("code", ""))
        if code == ErrorCode.CREATE_LIMIT.value:
            key = f"creation.reason.create_limit_{r.get('limit', 'owned')}"
        else:
            key = f"creation.reason.{code}"
        lines.append(w.t(key, **{k: v for k, v in r.items() if k != "code"}) if code in REASON_CODES else code)
    return lines


REASON_CODES = frozenset(
    {
        ErrorCode.VERIFICATION_LEVEL_REQUIRED.value,
        ErrorCode.CREDIT_INSUFFICIENT.value,
        ErrorCode.ACCOUNT_TOO_NEW.value,
        ErrorCode.CREATE_LIMIT.value,
    }
)


async def form_context(w: Web, values: dict[str, str]) -> dict[str, Any]:
    """What group_new.html shows besides the values: categories, tiers with their terms, the duties notice."""
    assert w.session is not None
    policy = await w.container.policy.policy()
    category = values.get("category") or ""
    if category not in policy.category_ids():
        category = next((c.id for c in policy.categories if not c.sensitive), policy.categories[0].id)
    terms = await group_info.creation_terms(
        w.container.db,
        actor=w.session.user.id,
        tiers=[t.value for t in TIER_ORDER],
        category=category,
        policy=policy,
        now=w.ctx.now,
    )
    tiers = [
        {
            "id": tier,
            "cap": t["requirements"]["member_cap"],
            "verification_level": t["requirements"]["verification_level"],
            "credit_level": t["requirements"]["credit_level"],
            "account_days": t["requirements"]["account_days"],
            "review": t["requirements"]["review"],
            "eligible": t["eligible"],
            "unmet": _unmet(w, t),
        }
        for tier, t in terms.items()
    ]
    duties = (await documents.list_versions(w.container.db, kind=DocumentKind.OWNER_DUTIES.value))[0]
    return {
        "categories": [(c.id, category_label(c.id, w.lang), c.sensitive) for c in policy.categories],
        "terms_category": category,
        "terms_category_label": category_label(category, w.lang),
        "terms_sensitive": policy.category(category).sensitive,
        "tiers": tiers,
        "duties_version": duties.version,
        "duties_title": duties.title(w.lang),
    }
