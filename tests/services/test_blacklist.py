"""The blacklist's rules and actions (domain/blacklist.py, services/blacklist*.py): terms, levels from overlapping
entries, sessions, the review, expiry, the owner's binding, and who may act — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from qunzu.context import Ctx
from qunzu.domain import blacklist as rules
from qunzu.domain.blacklist import EntryFacts, SubjectType
from qunzu.errors import ErrorCode, QunzuError
from qunzu.services import blacklist, blacklist_views
from qunzu.services.views import UserView
from qunzu.storage.tables import account_notices, auth_tokens, blacklist_changes, groups, users

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


# --- the pure rules -------------------------------------------------------------------------------------------------


def terms(**kw: Any) -> rules.Terms:
    base: dict[str, Any] = {"severity": 1, "source": "platform", "authority_ref": None, "reason": "违规",
                            "review_at": None, "ends_at": None, "now": T0}  # fmt: skip
    return rules.check_terms(**(base | kw))


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"severity": 0}, "severity", "invalid"),
        ({"severity": "x"}, "severity", "invalid"),
        ({"source": "rumour"}, "source", "invalid"),
        ({"source": "authority"}, "authority_ref", "required"),
        ({"source": "authority", "authority_ref": "  "}, "authority_ref", "required"),
        ({"reason": "  "}, "reason", "required"),
        ({"reason": "x" * 2001}, "reason", "too_long"),
        ({"ends_at": T0}, "ends_at", "past"),
        ({"review_at": T0 - timedelta(days=1)}, "review_at", "past"),
        ({"review_at": T0 + timedelta(days=20), "ends_at": T0 + timedelta(days=10)}, "review_at", "after_end"),
        ({"review_at": T0 + timedelta(days=400)}, "review_at", "too_far"),
    ],
)
def test_r_11_3_1_an_entry_without_proper_terms_is_refused_naming_the_field(
    change: dict[str, Any], field: str, reason: str
) -> None:
    with pytest.raises(QunzuError) as caught:
        terms(**change)
    assert caught.value.code is ErrorCode.VALIDATION_FAILED
    assert (caught.value.details["field"], caught.value.details["reason"]) == (field, reason)


def test_r_11_3_1_the_review_date_defaults_to_90_days_or_the_end_if_sooner() -> None:
    assert terms().review_at == T0 + timedelta(days=90)
    assert terms(ends_at=T0 + timedelta(days=30)).review_at == T0 + timedelta(days=30)
    assert terms(source="authority", authority_ref=" 公网安〔2026〕7号 ").authority_ref == "公网安〔2026〕7号"


def entry(kind: SubjectType, key: str, severity: int, **kw: Any) -> EntryFacts:
    return EntryFacts(kind, key, severity, kw.get("starts_at", T0), kw.get("ends_at"), kw.get("removed_at"))


def test_r_11_3_2_the_level_is_the_highest_active_entry_on_the_account_or_its_identity() -> None:
    entries = [
        entry(SubjectType.ACCOUNT, "7", 1),
        entry(SubjectType.IDENTITY, "aa", 2, ends_at=T0 + timedelta(days=1)),
        entry(SubjectType.IDENTITY, "bb", 3, removed_at=T0),
        entry(SubjectType.ACCOUNT, "8", 3),
        entry(SubjectType.GROUP, "7", 3),
    ]
    now = T0 + timedelta(hours=1)
    assert rules.effective_level(entries, user_id=7, identity_hmacs=["aa", "bb"], now=now) == 2
    assert rules.effective_level(entries, user_id=7, identity_hmacs=["aa"], now=T0 + timedelta(days=2)) == 1
    assert rules.effective_level(entries, user_id=9, identity_hmacs=[], now=now) == 0
    assert rules.effects(1) == (rules.Effect.NO_CREATE, rules.Effect.NO_JOIN, rules.Effect.NO_MANAGE,
                                rules.Effect.SLOW_SEND)  # fmt: skip
    assert rules.signs_out(2) and not rules.suspends(2) and rules.suspends(3)
    with pytest.raises(QunzuError) as caught:
        rules.check_identity_may_verify(3)
    assert caught.value.code is ErrorCode.BLACKLISTED
    rules.check_identity_may_verify(2)


def test_r_11_3_3_the_diff_names_each_field_that_changed() -> None:
    assert rules.diff({"severity": 1, "reason": "a"}, {"severity": 2, "reason": "a"}) == {
        "severity": {"before": 1, "after": 2}
    }
    assert rules.diff(None, {"severity": 1}) == {"severity": {"before": None, "after": 1}}


# --- the actions ----------------------------------------------------------------------------------------------------


async def keeper(api: Any, container: Any, role: str = "compliance_officer") -> UserView:
    from tests.compliance._creation import staff

    made = await staff(api, container, role)
    async with container.db.uow(write=False) as uow:
        name = (await uow.conn.execute(select(users.c.username).where(users.c.id == made["id"]))).scalar_one()
    return UserView(made["id"], name, "staff", role, container.clock.now())


def ctx(container: Any) -> Ctx:
    return Ctx(now=container.clock.now(), ip="203.0.113.1", port=1)


async def add(container: Any, staff: UserView, kind: str, subject: str, severity: int = 1, **kw: Any) -> Any:
    return await blacklist.add_entry(
        container.db, container.keys, staff=staff, subject_type=kind, subject=subject, severity=severity,
        source=kw.pop("source", "platform"), authority_ref=kw.pop("authority_ref", None),
        reason=kw.pop("reason", "违规"), review_at=kw.pop("review_at", None), ends_at=kw.pop("ends_at", None),
        ctx=ctx(container), **kw,
    )  # fmt: skip


async def level(container: Any, user_id: int) -> int:
    async with container.db.uow(write=False) as uow:
        return int((await uow.conn.execute(select(users.c.blacklist_level).where(users.c.id == user_id))).scalar_one())


async def test_overlapping_entries_do_not_lift_each_other(api: Any, container: Any) -> None:
    staff = await keeper(api, container)
    person = await api.user()
    account = (await add(container, staff, "account", person["username"], 1)).entry_ids[0]
    identity = (await add(container, staff, "identity", person["username"], 2)).entry_ids[0]
    assert await level(container, person["id"]) == 2
    await blacklist.remove_entry(container.db, staff=staff, entry_id=identity, reason="复核解除", ctx=ctx(container))
    assert await level(container, person["id"]) == 1, "the account entry still holds"
    await blacklist.remove_entry(container.db, staff=staff, entry_id=account, reason="复核解除", ctx=ctx(container))
    assert await level(container, person["id"]) == 0


async def test_severe_signs_the_accounts_out_and_the_api_asks_them_to_sign_in_again(api: Any, container: Any) -> None:
    staff = await keeper(api, container)
    person = await api.user()
    done = await add(container, staff, "account", person["username"], 2)
    assert done.signed_out == [person["id"]]
    container.tokens.evict_user(person["id"])
    r = await api.client.get("/api/v1/me", headers=api.h(person))
    assert r.status_code == 401
    async with container.db.uow(write=False) as uow:
        live = await uow.conn.execute(
            select(auth_tokens.c.id).where(auth_tokens.c.user_id == person["id"], auth_tokens.c.revoked_at.is_(None))
        )
        assert live.first() is None
    r = await api.client.post(
        "/api/v1/auth/login", json={"username": person["username"], "password": "correct-horse-9"}
    )
    assert r.status_code == 200, "SEVERE signs out but does not suspend"
    again = await add(container, staff, "identity", person["username"], 1)
    assert again.signed_out == [], "an entry that does not raise the level signs nobody out"
    with pytest.raises(QunzuError) as caught:
        await add(container, staff, "account", person["username"], 3)
    assert caught.value.details["reason"] == "already_listed", "one entry per subject: change it instead"


async def test_the_review_keeps_with_a_new_date_changes_or_removes(api: Any, container: Any, manual_clock: Any) -> None:
    staff = await keeper(api, container)
    person = await api.user()
    entry_id = (await add(container, staff, "account", person["username"], 1)).entry_ids[0]
    manual_clock.advance(timedelta(days=91))
    due = await blacklist_views.list_entries(container.db, staff=staff, now=manual_clock.now(), status="due")
    assert [e.id for e in due] == [entry_id]
    with pytest.raises(QunzuError) as caught:
        await blacklist.review_entry(container.db, staff=staff, entry_id=entry_id, outcome="later", reason="x",
                                     ctx=ctx(container))  # fmt: skip
    assert caught.value.details["field"] == "outcome"
    await blacklist.review_entry(container.db, staff=staff, entry_id=entry_id, outcome="keep", reason="仍需限制",
                                 severity=3, ctx=ctx(container))  # fmt: skip
    view, history = await blacklist_views.entry_detail(container.db, staff=staff, entry_id=entry_id,
                                                       now=manual_clock.now())  # fmt: skip
    assert view.review_at == manual_clock.now() + timedelta(days=90) and view.severity == 1, "keep ignores severity"
    assert not view.due and history[-1].change == "reviewed" and history[-1].after["review_outcome"] == "keep"
    await blacklist.review_entry(container.db, staff=staff, entry_id=entry_id, outcome="change", reason="升级",
                                 severity=3, ctx=ctx(container))  # fmt: skip
    assert await level(container, person["id"]) == 3
    await blacklist.review_entry(container.db, staff=staff, entry_id=entry_id, outcome="remove", reason="已整改",
                                 ctx=ctx(container))  # fmt: skip
    assert await level(container, person["id"]) == 0
    _, history = await blacklist_views.entry_detail(
        container.db, staff=staff, entry_id=entry_id, now=manual_clock.now()
    )
    assert [c.change for c in history] == ["added", "reviewed", "reviewed", "removed"]
    assert history[-1].after["review_outcome"] == "remove"


async def test_expiry_runs_once_and_leaves_later_entries(api: Any, container: Any, manual_clock: Any) -> None:
    staff = await keeper(api, container)
    person = await api.user()
    now = manual_clock.now()
    soon = (await add(container, staff, "account", person["username"], 2, ends_at=now + timedelta(days=1))).entry_ids
    await add(container, staff, "identity", person["username"], 1, ends_at=now + timedelta(days=9))
    manual_clock.advance(timedelta(days=2))
    assert await blacklist.expire_entries(container.db, now=manual_clock.now()) == 1
    assert await blacklist.expire_entries(container.db, now=manual_clock.now()) == 0
    assert await level(container, person["id"]) == 1
    async with container.db.uow(write=False) as uow:
        rows = (await uow.conn.execute(select(blacklist_changes).where(blacklist_changes.c.entry_id == soon[0]))).all()
        kinds = await uow.conn.execute(select(account_notices.c.kind).where(account_notices.c.user_id == person["id"]))
        told = list(kinds.scalars())
    assert [r.change for r in rows] == ["added", "expired"] and rows[1].actor_id is None
    assert told.count("blacklist_added") == 2 and "blacklist_expired" in told
    with pytest.raises(QunzuError) as caught:
        await blacklist.change_entry(container.db, staff=staff, entry_id=soon[0], reason="x", severity=3,
                                     ctx=ctx(container))  # fmt: skip
    assert caught.value.code is ErrorCode.BLACKLIST_ENTRY_ENDED


async def test_who_may_act_and_what_may_be_blacklisted(api: Any, container: Any) -> None:
    reviewer = await keeper(api, container, "reviewer")
    officer = await keeper(api, container)
    person, unverified = await api.user(), await api.unverified_user()
    with pytest.raises(QunzuError) as caught:
        await add(container, reviewer, "account", person["username"])
    assert caught.value.code is ErrorCode.FORBIDDEN
    for kind, subject, reason in (("identity", unverified["username"], "no_identity"),
                                  ("account", officer.username, "staff"),
                                  ("account", "nobody", "not_found")):  # fmt: skip
        with pytest.raises(QunzuError) as caught:
            await add(container, officer, kind, subject)
        assert caught.value.details.get("reason") == reason, subject
    with pytest.raises(QunzuError) as caught:
        await add(container, officer, "member", person["username"])
    assert caught.value.details["field"] == "subject_type"
    with pytest.raises(QunzuError) as caught:
        await blacklist_views.entry_detail(container.db, staff=officer, entry_id=10**9, now=container.clock.now())
    assert caught.value.code is ErrorCode.BLACKLIST_ENTRY_NOT_FOUND


async def test_a_dissolved_groups_entry_binds_its_owner_without_a_second_closure(api: Any, container: Any) -> None:
    officer = await keeper(api, container)
    owner = await api.user()
    code = await api.create_group(owner, name="已解散的群")
    async with container.db.uow() as uow:
        await uow.conn.execute(groups.update().where(groups.c.code == code).values(status="closed"))
        await uow.commit()
    done = await add(container, officer, "group", code, record_id=None)
    view, _ = await blacklist_views.entry_detail(container.db, staff=officer, entry_id=done.entry_ids[0],
                                                 now=container.clock.now())  # fmt: skip
    assert view.record_id is None and view.group_code == code and "identity" not in view.evidence["owner"]
    assert done.accounts == [], "a group entry sets no account's level"
    versions = await api.current_versions()
    r = await api.client.post(
        "/api/v1/groups", json={"name": "另一个群", "category": "work", "tier": "S",
                                "duties_version": versions["owner_duties"]}, headers=api.h(owner),
    )  # fmt: skip
    assert r.status_code == 403 and r.json()["error"]["details"]["reason"] == "owner_blacklisted"
    await blacklist.remove_entry(
        container.db, staff=officer, entry_id=done.entry_ids[0], reason="x", ctx=ctx(container)
    )
    assert await api.create_group(owner, name="已解散的群"), "free again once the entry is removed"


async def test_the_api_answers_bad_input_in_the_error_envelope(api: Any, container: Any) -> None:
    from tests.compliance._creation import staff

    officer = await staff(api, container, "compliance_officer")
    person = await api.user()
    h = api.h(officer)
    base = {"subject_type": "account", "subject": person["username"], "severity": 1, "reason": "违规"}
    for bad in ({"severity": 4}, {"subject_type": "phone"}, {"review_at": "2030-01-01T00:00:00"},
                {"message_ids": [0]}, {"record_id": -1}, {"reason": ""}, {"extra": 1}, {"subject": "x" * 65}):  # fmt: skip
        r = await api.client.post("/api/v1/staff/blacklist", json=base | bad, headers=h)
        assert r.status_code == 422 and r.json()["error"]["code"] == "validation_failed", (bad, r.text)
    for path in ("/api/v1/staff/blacklist/0", "/api/v1/staff/blacklist/abc", "/api/v1/staff/blacklist/99999"):
        r = await api.client.get(path, headers=h)
        assert r.status_code in (404, 422) and "error" in r.json(), path
    r = await api.client.get("/api/v1/staff/blacklist/99999", headers=h)
    assert r.json()["error"]["code"] == "blacklist_entry_not_found"
    r = await api.client.get("/api/v1/staff/blacklist?status=someday", headers=h)
    assert r.status_code == 422
    r = await api.client.get("/api/v1/staff/blacklist", headers=api.h(person))
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    r = await api.client.post(
        "/api/v1/staff/blacklist/99999/review", json={"outcome": "keep", "reason": "x"}, headers=h
    )
    assert r.status_code == 404 and r.json()["error"]["code"] == "blacklist_entry_not_found"
