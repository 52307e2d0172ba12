"""An appeal in headless Chromium against a real server (R-11-x): a user with a measure opens /me/measures, appeals
through the form; the original decider is refused; a different staff member upholds it in /staff/appeals; the user
sees the outcome."""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from tests.web.browser import PASSWORD, Person
from tests.web.server import Server, create_staff
from tests.web.test_identity_browser import sign_in

pytestmark = pytest.mark.browser
MakePerson = Callable[..., Person]


def _apply_mute(server: Server, *, username: str, decider: str) -> int:
    """The set-up: a platform mute applied through services/enforcement.py on the server's database."""

    async def run() -> int:
        from prometheus_client import CollectorRegistry
        from sqlalchemy import select

        from qunzu.bootstrap import build_container
        from qunzu.config import load_settings
        from qunzu.context import Ctx
        from qunzu.domain.credit import Severity
        from qunzu.domain.enforcement import MeasureKind, MeasureSpec
        from qunzu.services import enforcement
        from qunzu.storage.tables import users

        settings = load_settings(profile="test", data_dir=server.log_path.parent)
        c = build_container(settings, registry=CollectorRegistry())
        await c.dispatcher.start()  # the events leave into this process's memory broker (the server reads the page)
        try:
            async with c.db.uow() as uow:
                ids = dict(
                    (r.username, r.id)
                    for r in await uow.conn.execute(
                        select(users.c.username, users.c.id).where(users.c.username.in_((username, decider)))
                    )
                )
                spec = MeasureSpec(
                    kind=MeasureKind.USER_MUTE, target_id=ids[username], reason_code="harassment",
                    reason="在多个群组辱骂其他成员", duration=timedelta(days=3), credit_severity=Severity.MODERATE,
                )  # fmt: skip
                record_id = await enforcement.apply_measure(
                    uow, spec=spec, decided_by=ids[decider], ctx=Ctx.system(c.clock.now())
                )
                await uow.commit()
            return record_id
        finally:
            await c.dispatcher.stop()
            await c.db.dispose()

    with ThreadPoolExecutor(1) as pool:  # the sync Playwright API owns this thread's event loop
        return pool.submit(asyncio.run, run()).result(timeout=60)


def _staff(person: MakePerson, nickname: str, role: str) -> tuple[Person, str]:
    me = person(nickname)
    name = f"{role[:4]}{secrets.token_hex(3)}"
    create_staff(me.server, name, role, PASSWORD)
    sign_in(me, name)
    return me, name


def test_r_11_x_a_user_appeals_a_measure_and_another_staff_member_upholds_it(person: MakePerson) -> None:
    user = person("小周")
    user.sign_up()
    first, first_name = _staff(person, "审核员甲", "reviewer")
    second, _ = _staff(person, "合规专员乙", "compliance_officer")
    record_id = _apply_mute(user.server, username=user.username, decider=first_name)

    user.goto("/me/measures")
    user.page.locator(f'a[href="/me/measures/{record_id}/appeal"]').first.click()
    expect(user.page).to_have_url(re.compile(rf"/me/measures/{record_id}/appeal$"))
    expect(user.page.locator("#appeal-subject")).to_contain_text("暂停发布（全平台）")
    expect(user.page.get_by_text("在多个群组辱骂其他成员")).to_be_visible()
    user.page.get_by_label("请说明你不同意的理由").fill("那些话是朋友之间的玩笑，对方已说明不介意，请复核。")
    user.page.get_by_role("button", name="提交申诉").click()
    expect(user.page).to_have_url(re.compile(r"/me/appeals\?filed=\d+$"))
    expect(user.page.get_by_role("status")).to_contain_text("申诉已提交")
    mine = user.page.locator("#my-appeals li").first
    expect(mine).to_contain_text("处理中")
    appeal_id = mine.get_attribute("data-appeal")

    first.goto("/staff")
    first.page.get_by_role("link", name="申诉", exact=True).click()
    expect(first.page).to_have_url(re.compile(r"/staff/appeals$"))
    first.page.get_by_role("link", name=f"处理 {appeal_id}").click()
    expect(first.page.locator("#appeal-own")).to_contain_text("须由其他工作人员处理")
    expect(first.page.locator("#appeal-decision")).to_have_count(0)

    second.goto("/staff/appeals")
    row = second.page.locator(f'#appeals-queue tr[data-appeal="{appeal_id}"]')
    expect(row).to_contain_text("小周")
    row.get_by_role("link", name=f"处理 {appeal_id}").click()
    expect(second.page.locator("#original-decider")).to_contain_text(first_name)
    expect(second.page.get_by_text("那些话是朋友之间的玩笑")).to_be_visible()
    second.page.get_by_label("处理理由").fill("聊天记录显示双方系朋友间玩笑，不构成辱骂。")
    second.page.get_by_role("button", name="申诉成立，撤销措施").click()
    expect(second.page).to_have_url(re.compile(rf"/staff/appeals\?decided={appeal_id}$"))
    expect(second.page.get_by_role("status")).to_contain_text(f"申诉 {appeal_id} 已处理")

    user.goto("/me/appeals")
    done = user.page.locator(f'#my-appeals li[data-appeal="{appeal_id}"]')
    expect(done).to_contain_text("申诉成立")
    expect(done).to_contain_text("不构成辱骂")
    user.goto("/me")
    expect(user.page.get_by_text(f"你的申诉（编号 {appeal_id}）成立")).to_be_visible()
    assert user.errors == [] and first.errors == [] and second.errors == []
