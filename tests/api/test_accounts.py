"""Accounts through the HTTP API, on both databases."""

from sqlalchemy import select

from qunzu.storage.tables import auth_tokens, operation_log, users


async def test_register_login_me_logout(api, client, container) -> None:
    v = await api.current_versions()
    r = await client.post(
        "/api/v1/auth/register",
        json={
            "username": "Alice",
            "password": "correct-horse-9",
            "nickname": "爱丽丝",
            "accept": {"agreement": v["agreement"], "privacy": v["privacy"]},
        },
    )
    assert r.status_code == 201
    assert r.json()["username"] == "alice"
    assert "password" not in r.text
    r = await client.post("/api/v1/auth/login", json={"username": "ALICE", "password": "correct-horse-9"})
    assert r.status_code == 200
    token = r.json()["access_token"]
    assert r.json()["token_type"] == "bearer"
    h = {"Authorization": f"Bearer {token}"}
    me = await client.get("/api/v1/me", headers=h)
    assert me.json()["nickname"] == "爱丽丝"
    assert (await client.post("/api/v1/auth/logout", headers=h)).status_code == 204
    r = await client.get("/api/v1/me", headers=h)
    assert r.status_code == 401 and r.json()["error"]["code"] == "auth_required"


async def test_passwords_are_argon2id_and_tokens_stored_hashed(api, container) -> None:
    u = await api.user("bob")
    async with container.db.uow(write=False) as uow:
        pw = (await uow.conn.execute(select(users.c.password_hash))).scalar_one()
        hashes = list((await uow.conn.execute(select(auth_tokens.c.token_hash))).scalars())
    assert pw.startswith("$argon2id$")
    assert u["token"] not in hashes and len(hashes[0]) == 64


async def test_wrong_password_and_unknown_user_look_the_same(api, client) -> None:
    await api.user("carol")
    a = await client.post("/api/v1/auth/login", json={"username": "carol", "password": "wrong-password-1"})
    b = await client.post("/api/v1/auth/login", json={"username": "nobody", "password": "wrong-password-1"})
    assert a.status_code == b.status_code == 401
    assert a.json()["error"]["code"] == b.json()["error"]["code"] == "invalid_credentials"


async def test_duplicate_username_and_weak_password(api, client) -> None:
    await api.user("dave")
    v = await api.current_versions()
    accept = {"agreement": v["agreement"], "privacy": v["privacy"]}
    r = await client.post(
        "/api/v1/auth/register",
        json={"username": "DAVE", "password": "correct-horse-9", "nickname": "d", "accept": accept},
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "username_taken"
    r = await client.post(
        "/api/v1/auth/register", json={"username": "erin", "password": "short", "nickname": "e", "accept": accept}
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "weak_password"


async def test_sign_in_and_out_are_recorded_with_ip_and_port(api, client, container) -> None:
    u = await api.user("frank")
    await client.post("/api/v1/auth/logout", headers=api.h(u))
    await client.post("/api/v1/auth/login", json={"username": "frank", "password": "nope-nope-1"})
    async with container.db.uow(write=False) as uow:
        rows = list(await uow.conn.execute(select(operation_log).order_by(operation_log.c.id)))
    actions = [(r.action, r.result) for r in rows]
    actions = [a for a in actions if not a[0].startswith("identity.")]
    assert actions == [
        ("account.register", "ok"),
        ("auth.login", "ok"),
        ("auth.logout", "ok"),
        ("auth.login", "refused"),
    ]
    for r in rows:
        assert r.src_ip == "203.0.113.7" and r.src_port == 50123
        assert r.ts.tzinfo is not None and r.ts.microsecond % 1000 == 0
