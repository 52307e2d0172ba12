"""Art. 12 ¶2 as an inspector reads it: nothing is required of the platform, which is encouraged to take part in
industry self-discipline; the published Community Convention says it accepts the oversight of industry organisations
and follows the conventions they adopt (R-12.2-1).

第十二条第二款：鼓励互联网群组信息服务提供者积极参与制定行业公约，加强行业自律，履行法定义务和社会责任。
"""

from __future__ import annotations

from typing import Any


async def test_r_12_2_1_the_convention_names_industry_oversight_and_conventions(client: Any) -> None:
    zh = (await client.get("/api/v1/documents/convention", headers={"Accept-Language": "zh-CN"})).json()["body"]
    en = (await client.get("/api/v1/documents/convention", headers={"Accept-Language": "en"})).json()["body"]
    assert "行业组织的监督" in zh and "行业公约" in zh
    assert "industry" in en.lower() and "convention" in en.lower()
