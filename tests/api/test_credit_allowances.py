"""GET /api/v1/me/credit says what the score allows under the policy in force (R-7.2-2, R-7.2-3)."""

from __future__ import annotations

from typing import Any

from tests.conftest import use_policy


async def test_r_7_2_3_allowances_follow_the_score_and_the_policy_in_force(
    api: Any, client: Any, container: Any
) -> None:
    me = await api.user()
    body = (await client.get("/api/v1/me/credit", headers=api.h(me))).json()
    allowed = {a["name"]: a for a in body["allowances"]}
    assert allowed["create_group"] == {
        "name": "create_group", "allowed": True, "value": None, "tiers": ["S", "M"], "unlock_score": None,
    }  # fmt: skip
    assert allowed["groups_owned"]["value"] == 50 and allowed["groups_owned"]["unlock_score"] == 110
    await use_policy(container, levels={4: {"owned_max": 7, "created_per_day": 2, "send_per_minute": 12}})
    after = {a["name"]: a for a in (await client.get("/api/v1/me/credit", headers=api.h(me))).json()["allowances"]}
    assert after["groups_owned"]["value"] == 7 and after["created_per_day"]["value"] == 2
    assert after["send_rate"]["value"] == 12
