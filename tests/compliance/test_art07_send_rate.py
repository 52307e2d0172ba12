"""Art. 7, the anti-flood part of spread controls (R-7.1-4), as an inspector checks it: each member sends at most the
policy's rate per minute in a group (the least of the group's tier rate, the sender's credit level rate and, for a
new account, the new-account rate); more is refused with `rate_limited` and when to retry.

第七条：互联网群组信息服务提供者应当根据自身服务规模和管理能力，合理设定群组成员人数和个人建立群数、参加群数上限。
互联网群组信息服务提供者应设置和显示唯一群组识别编码，对成员达到一定规模的群组要设置群信息页面……
（R-7.1-4 依法规范群组信息传播秩序：按群组规模分级的防刷屏限制。）
"""

from datetime import timedelta
from typing import Any

import pytest
from tests.conftest import use_policy


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"throttle": {"post_rate_override": None}}  # the policy's rates, not the suite's raised ones


async def _burst(api: Any, user: dict[str, Any], code: str, n: int) -> list[Any]:
    return [await api.post(user, code, f"第 {i} 条") for i in range(n)]


async def test_r_7_1_4_a_member_over_the_policy_rate_is_refused_with_the_wait(api, container, manual_clock) -> None:
    owner, member = await api.user(), await api.user()
    code = await api.create_group(owner)
    await api.join(member, code)
    manual_clock.advance(timedelta(hours=25))  # no longer new accounts: the tier's and the level's rate hold
    policy = await container.policy.policy()
    rate = policy.tiers["S"].send_per_minute
    sent = await _burst(api, member, code, rate)
    assert [r.status_code for r in sent] == [201] * rate
    refused = await api.post(member, code, "再来一条")
    assert refused.status_code == 429, refused.text
    error = refused.json()["error"]
    assert error["code"] == "rate_limited" and 0 < error["details"]["retry_after_ms"] <= 60_000
    assert refused.headers.get("Retry-After")
    # the owner's own rate is counted apart; and the member may send again after the wait
    assert (await api.post(owner, code, "群主发言")).status_code == 201
    manual_clock.advance(timedelta(milliseconds=error["details"]["retry_after_ms"]))
    assert (await api.post(member, code, "等过了")).status_code == 201


async def test_r_7_1_4_a_new_account_gets_the_lower_rate(api, container, manual_clock) -> None:
    owner, newcomer = await api.user(), await api.user()
    code = await api.create_group(owner)
    await api.join(newcomer, code)
    policy = await container.policy.policy()
    low = policy.new_account_send_per_minute
    assert low < policy.tiers["S"].send_per_minute
    sent = await _burst(api, newcomer, code, low + 1)
    assert [r.status_code for r in sent] == [201] * low + [429]
    assert sent[-1].json()["error"]["code"] == "rate_limited"


async def test_r_7_1_4_the_rate_follows_the_policy_in_force(api, container, manual_clock) -> None:
    owner, member = await api.user(), await api.user()
    code = await api.create_group(owner)
    await api.join(member, code)
    manual_clock.advance(timedelta(hours=25))
    policy = await container.policy.policy()
    tiers = {k: {**v.model_dump(mode="json"), "send_per_minute": 3} if k == "S" else v.model_dump(mode="json")
             for k, v in policy.tiers.items()}  # fmt: skip
    await use_policy(container, tiers=tiers)
    manual_clock.advance(timedelta(seconds=2))  # the policy book re-reads the version in force
    sent = await _burst(api, member, code, 4)
    assert [r.status_code for r in sent] == [201, 201, 201, 429]


def test_r_7_1_4_production_takes_send_rates_from_the_policy_only(tmp_path) -> None:
    """The load-test override of the policy's send rates is refused in the production profile."""
    from pydantic import ValidationError

    from qunzu.config import load_settings

    production = {"profile": "production", "data_dir": tmp_path}
    plugins = {"sms_sender": "http", "sms_http": {"url": "https://sms.example"}, "id_verifier": "manual"}
    load_settings(**production, identity=plugins)
    with pytest.raises(ValidationError, match="post_rate_override"):
        load_settings(**production, identity=plugins, throttle={"post_rate_override": 1000})
