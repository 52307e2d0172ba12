"""Hostile text through the JSON API, on SQLite and PostgreSQL: NUL, other controls, unpaired surrogates and
noncharacters are refused with `validation_failed` naming the field and the reason (never a 500 or 503: PostgreSQL
refuses NUL, neither database can store a surrogate); numbers written with non-ASCII digits are refused; real names
are Han characters; and the served OpenAPI schema shows the limits the settings enforce.

The sweep at the end enumerates every string body field and string parameter from the OpenAPI schema, so a new
field is covered as soon as it exists.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry
from tests.conftest import Api, make_settings

from qunzu.domain.identity import id_check_char


def make_id(body17: str = "11010519491231002") -> str:
    return body17 + id_check_char(body17)


async def staff_user(api: Api, role: str) -> dict[str, Any]:
    from tests.compliance.test_art06_identity import staff

    return await staff(api, api.container, role)  # type: ignore[no-any-return]


def raw_json(value: dict[str, Any]) -> bytes:
    """JSON as an attacker writes it: a lone surrogate goes out as the escape "\\ud800" (httpx would refuse it)."""
    return json.dumps(value, ensure_ascii=True).encode()


def escaped(value: str) -> str:
    """A URL part as an attacker writes it: every byte percent-encoded, a lone surrogate as its 3 raw bytes."""
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


async def send(
    api: Api, method: str, path: str, user: dict[str, Any], body: Any = None, **params: str
) -> httpx.Response:
    headers = api.h(user) | ({"Content-Type": "application/json"} if body is not None else {})
    content = raw_json(body) if body is not None else None
    query = "&".join(f"{k}={escaped(v)}" for k, v in params.items())
    return await api.client.request(method, path + ("?" + query if query else ""), content=content, headers=headers)


def refused(r: httpx.Response, field: str, reason: str = "control_character") -> bool:
    error = r.json()["error"]
    return (
        r.status_code == 422
        and error["code"] == "validation_failed"
        and (error["details"].get("field"), error["details"].get("reason")) == (field, reason)
    )


# --- the reproduced failures, one by one -------------------------------------------------------------------------


async def test_a_message_with_nul_is_refused_before_the_database_not_a_503(api: Api) -> None:
    owner = await api.user()
    code = await api.create_group(owner)
    r = await api.post(owner, code, "x\x00")
    assert refused(r, "text"), r.text
    r = await send(api, "POST", f"/api/v1/groups/{code}/messages", owner, {"text": "x\ud800", "client_msg_id": "c1"})
    assert refused(r, "text", "surrogate"), r.text
    r = await api.post(owner, code, "\u200b\u200d ")
    assert r.status_code == 422 and r.json()["error"]["code"] == "message_empty"
    r = await api.post(owner, code, "👨\u200d👩\u200d👧 好\r\n的")
    assert r.status_code == 201 and r.json()["text"] == "👨\u200d👩\u200d👧 好\n的"
    assert [m["text"] for m in (await api.messages(owner, code)).json()["messages"]] == ["👨\u200d👩\u200d👧 好\n的"]


async def test_a_group_description_or_announcement_with_nul_is_refused(api: Api) -> None:
    owner = await api.user()
    r = await send(api, "POST", "/api/v1/groups", owner, {"name": "群", "category": "work", "description": "介绍\x00"})
    assert refused(r, "description"), r.text
    code = await api.create_group(owner)
    for field in ("description", "announcement"):
        r = await send(api, "PATCH", f"/api/v1/groups/{code}", owner, {field: "公告\x00"})
        assert refused(r, field), r.text
        r = await send(api, "PATCH", f"/api/v1/groups/{code}", owner, {field: "公告\udc00"})
        assert refused(r, field, "surrogate"), r.text
    r = await send(api, "PATCH", f"/api/v1/groups/{code}", owner, {"name": "新\u200b群\n"})
    assert refused(r, "name", "line_break"), r.text
    r = await send(api, "PATCH", f"/api/v1/groups/{code}", owner, {"announcement": "第一行\r\n第二行"})
    assert r.status_code == 200 and r.json()["announcement"] == "第一行\n第二行"


async def test_staff_user_search_refuses_nul_and_reads_superscripts_as_text(api: Api) -> None:
    admin = await staff_user(api, "admin")
    r = await api.client.get("/api/v1/staff/users", params={"q": "ab\x00"}, headers=api.h(admin))
    assert refused(r, "q"), r.text
    r = await api.client.get("/api/v1/staff/users", params={"q": "²"}, headers=api.h(admin))
    assert r.status_code == 200 and r.json() == []
    r = await api.client.get("/api/v1/staff/users", params={"q": str(admin["id"])}, headers=api.h(admin))
    assert [u["id"] for u in r.json()] == [admin["id"]]


async def test_a_reveal_purpose_with_nul_is_refused(api: Api) -> None:
    officer = await staff_user(api, "compliance_officer")
    u = await api.user()
    body = {"fields": ["phone"], "purpose": "公安机关调取证据\x00材料", "case_number": "2026-001"}
    r = await send(api, "POST", f"/api/v1/staff/users/{u['id']}/reveal", officer, body)
    assert refused(r, "purpose"), r.text
    r = await send(
        api,
        "POST",
        f"/api/v1/staff/users/{u['id']}/reveal",
        officer,
        body | {"purpose": "x" * 12, "case_number": "\x00"},
    )
    assert refused(r, "case_number"), r.text


async def test_a_lexicon_term_with_nul_is_refused(api: Api) -> None:
    admin = await staff_user(api, "admin")
    r = await send(api, "POST", "/api/v1/staff/lexicon/entries", admin, {"add": [{"term": "坏\x00词"}]})
    assert refused(r, "term"), r.text
    r = await send(api, "POST", "/api/v1/staff/lexicon/entries", admin, {"remove": ["坏\ud800"]})
    assert refused(r, "remove", "surrogate"), r.text
    r = await send(
        api, "PUT", "/api/v1/staff/lexicon", admin, {"content": "好词\tfraud\tblock\n坏\x00词\tfraud\tblock"}
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_failed", r.text


async def test_a_document_version_in_superscript_digits_is_refused(api: Api) -> None:
    r = await api.client.get("/api/v1/documents/agreement", params={"version": "²"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_failed"
    r = await api.client.get("/api/v1/documents/agree%00ment")
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "kind"


@pytest.mark.parametrize("name", ["张\u200b三", "张\u202e三", "<script>", "Zhang San"])
async def test_real_names_with_invisible_or_markup_characters_are_refused(api: Api, name: str) -> None:
    u = await api.user()
    r = await api.client.post(
        "/api/v1/me/verification/id", json={"name": name, "id_number": make_id()}, headers=api.h(u)
    )
    error = r.json()["error"]
    assert r.status_code == 422 and error["code"] == "validation_failed" and error["details"]["field"] == "name"
    assert (await api.client.get("/api/v1/me/identity", headers=api.h(u))).json()["level"] == 1


async def test_a_minority_name_with_a_middle_dot_is_accepted_in_one_spelling(api: Api) -> None:
    u = await api.user()
    r = await api.client.post(
        "/api/v1/me/verification/id", json={"name": "阿依古丽・买买提", "id_number": make_id()}, headers=api.h(u)
    )
    assert r.status_code == 200, r.text
    assert r.json()["level"] == 2 and r.json()["name"] == "阿*******"  # 阿依古丽·买买提: 8 characters


# --- the OpenAPI schema shows the enforced limits ------------------------------------------------------------------


def _max_length(spec: dict[str, Any], schema: str, field: str) -> int:
    prop = spec["components"]["schemas"][schema]["properties"][field]
    return next(v["maxLength"] for v in [prop, *prop.get("anyOf", [])] if v.get("type") == "string")


def _served_limits(spec: dict[str, Any]) -> dict[str, int]:
    return {
        "text": _max_length(spec, "MessageCreate", "text"),
        "name": _max_length(spec, "GroupCreate", "name"),
        "description": _max_length(spec, "GroupCreate", "description"),
        "renamed": _max_length(spec, "GroupProfileUpdate", "name"),
        "announcement": _max_length(spec, "GroupProfileUpdate", "announcement"),
        "nickname": _max_length(spec, "RegisterIn", "nickname"),
        "new_nickname": _max_length(spec, "NicknameIn", "nickname"),
    }


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {
            "messages": {"max_length": 777},
            "groups": {"name_max_length": 12, "description_max_length": 99, "announcement_max_length": 321},
            "identity": {"nickname_max_length": 9},
        },
    ],
    ids=["defaults", "custom"],
)
async def test_the_served_openapi_limits_are_the_settings_limits(tmp_path: Path, overrides: dict[str, Any]) -> None:
    from qunzu.app import create_app
    from qunzu.bootstrap import build_container

    config = make_settings(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", tmp_path, **overrides)
    app = create_app(build_container(config, registry=CollectorRegistry()), with_web=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        spec = (await c.get("/openapi.json")).json()
    g = config.groups
    assert _served_limits(spec) == {
        "text": config.messages.max_length,
        "name": g.name_max_length,
        "description": g.description_max_length,
        "renamed": g.name_max_length,
        "announcement": g.announcement_max_length,
        "nickname": config.identity.nickname_max_length,
        "new_nickname": config.identity.nickname_max_length,
    }


# --- every text field of the API, from the OpenAPI schema ----------------------------------------------------------

SKIPPED = {("post", "/api/v1/auth/logout"), ("post", "/api/v1/me/cancel")}  # would end the session the sweep uses
# every category (Cc, Cs surrogates, Cn, Co, …), with the characters that broke things drawn more often
ANY_TEXT = st.text(
    st.one_of(st.characters(codec=None, categories=None), st.sampled_from("\x00\ud800\udfff\x1b\x7f\x85\ufffe²")),
    min_size=1,
    max_size=12,
)
HOSTILE = ["x\x00", "\x00", "a\ud800b", "\udfff", "a\x1b[31m", "\x7f\x85", "a\ufffe", "\u200b", "²", "١٢", "\r\n"]


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _is_string(spec: dict[str, Any], schema: dict[str, Any]) -> bool:
    schema = _resolve(spec, schema)
    return (schema.get("type") == "string" and "enum" not in schema and "const" not in schema) or any(
        _is_string(spec, v) for v in schema.get("anyOf", [])
    )


def _sample(spec: dict[str, Any], schema: dict[str, Any]) -> Any:
    """A plain valid-looking value for a schema, so the hostile field is the one that matters."""
    schema = _resolve(spec, schema)
    if "anyOf" in schema:
        return _sample(spec, next(v for v in schema["anyOf"] if v.get("type") != "null"))
    if "enum" in schema or "const" in schema:
        return schema.get("const", (schema.get("enum") or [None])[0])
    kind = schema.get("type")
    if kind == "object":
        required = schema.get("required", [])
        return {k: _sample(spec, v) for k, v in schema.get("properties", {}).items() if k in required}
    return {"string": "正常文字ok", "integer": 1, "number": 1, "boolean": True, "array": []}.get(str(kind))


def text_targets(spec: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(method, path, "body" | "query" | "path", field) for every string field and string parameter."""
    targets = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if (method, path) in SKIPPED:
                continue
            for param in op.get("parameters", []):
                if _is_string(spec, param.get("schema", {})):
                    targets.append((method, path, param["in"], param["name"]))
            content = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            body = _resolve(spec, content.get("schema", {}))
            for name, prop in body.get("properties", {}).items():
                prop = _resolve(spec, prop)
                if _is_string(spec, prop) or (prop.get("type") == "array" and _is_string(spec, prop.get("items", {}))):
                    targets.append((method, path, "body", name))
                elif prop.get("type") == "array" and "properties" in _resolve(spec, prop.get("items", {})):
                    for inner, inner_prop in _resolve(spec, prop["items"])["properties"].items():
                        if _is_string(spec, inner_prop):
                            targets.append((method, path, "body", f"{name}.{inner}"))
    return targets


class Sweep:
    """Sends one hostile value in one field of one operation, everything else filled in plausibly."""

    def __init__(self, api: Api, spec: dict[str, Any], people: dict[str, dict[str, Any]], code: str) -> None:
        self.api, self.spec, self.people, self.code = api, spec, people, code

    def _who(self, path: str) -> dict[str, Any]:
        if path.endswith("/reveal"):
            return self.people["officer"]
        return self.people["admin"] if "/staff/" in path else self.people["member"]

    async def send(self, method: str, path: str, where: str, field: str, value: str) -> httpx.Response:
        op = self.spec["paths"][path][method]
        values = {"code": self.code, "kind": "agreement", "user_id": str(self.people["member"]["id"])}
        params: dict[str, str] = {}
        for p in op.get("parameters", []):
            if p["in"] == "path":
                values.setdefault(p["name"], "1")
        content = op.get("requestBody", {}).get("content", {}).get("application/json")
        body = _sample(self.spec, content["schema"]) if content else None
        if where == "path":
            values[field] = value
        elif where == "query":
            params[field] = value
        elif "." in field:
            outer, inner = field.split(".")
            item = _sample(self.spec, self.spec_items(content["schema"], outer))
            body[outer] = [item | {inner: value}]
        else:
            prop = _resolve(self.spec, _resolve(self.spec, content["schema"])["properties"][field])
            body[field] = [value] if prop.get("type") == "array" else value
        url = path.format(**{k: escaped(v) for k, v in values.items()})
        return await send(self.api, method.upper(), url, self._who(path), body, **params)

    def spec_items(self, schema: dict[str, Any], outer: str) -> dict[str, Any]:
        return dict(_resolve(self.spec, _resolve(self.spec, schema)["properties"][outer]["items"]))


@pytest.fixture
async def sweep(api: Api) -> Sweep:
    spec = (await api.client.get("/openapi.json")).json()
    member = await api.user()
    code = await api.create_group(member)
    people = {
        "member": member,
        "admin": await staff_user(api, "admin"),
        "officer": await staff_user(api, "compliance_officer"),
    }
    return Sweep(api, spec, people, code)


def _acceptable(r: httpx.Response) -> str | None:
    """None when the answer is fine: no 500 or 503, and an error is in the one envelope."""
    if r.status_code in (500, 503):
        return f"{r.status_code}: {r.text[:300]}"
    if r.status_code >= 400:
        error = r.json().get("error", {})
        if not {"code", "message", "details"} <= set(error):
            return f"{r.status_code} outside the envelope: {r.text[:300]}"
    return None


async def test_every_text_field_takes_arbitrary_unicode_without_a_server_error(sweep: Sweep) -> None:
    """Each string body field and parameter gets the known-hostile values, then random text of every category:
    no answer is a 500 or 503, every error is in the envelope, and no text with a NUL is accepted."""
    targets = text_targets(sweep.spec)
    assert len(targets) >= 40 and ("post", "/api/v1/groups/{code}/messages", "body", "text") in targets
    rounds: list[dict[tuple[str, str, str, str], str]] = []

    @settings(max_examples=5, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(st.fixed_dictionaries({target: ANY_TEXT for target in targets}))
    def collect(values: dict[tuple[str, str, str, str], str]) -> None:
        rounds.append(values)

    for value in HOSTILE:
        collect = example({target: value for target in targets})(collect)
    collect()  # draws the values; they are sent below, on this test's event loop
    assert len(rounds) >= len(HOSTILE) + 5
    failures = []
    for values in rounds:
        for target, value in values.items():
            try:
                r = await sweep.send(*target, value)
            except Exception as exc:  # the in-process transport raises what the app did not handle: a 500
                failures.append(f"{target} {value!r}: raised {exc!r}")
                continue
            if (problem := _acceptable(r)) is not None:
                failures.append(f"{target} {value!r}: {problem}")
            elif "\x00" in value and r.status_code < 400:
                failures.append(f"{target} {value!r}: accepted a NUL ({r.status_code})")
    assert not failures, "\n".join(failures[:40])
