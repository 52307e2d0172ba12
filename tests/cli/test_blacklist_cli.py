"""`qunzu blacklist list|show` (Art. 11 ¶2–3): the operator reads the entries and one entry's history; identities
masked. Run in-process against the test container on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from typer.testing import CliRunner

from qunzu import cli


@pytest.fixture
async def run_cli(container: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    loop = asyncio.get_running_loop()
    monkeypatch.setattr(
        cli, "_with_container", lambda fn: asyncio.run_coroutine_threadsafe(fn(container), loop).result()
    )

    async def invoke(*args: str) -> Any:
        return await asyncio.to_thread(CliRunner().invoke, cli.app, list(args))

    return invoke


async def test_the_operator_lists_and_shows_entries(api: Any, container: Any, run_cli: Any) -> None:
    from tests.compliance._creation import staff

    officer = await staff(api, container, "compliance_officer")
    person = await api.user()
    r = await api.client.post(
        "/api/v1/staff/blacklist",
        json={"subject_type": "identity", "subject": person["username"], "severity": 2, "reason": "组织诈骗",
              "source": "authority", "authority_ref": "公网安〔2026〕7号"},
        headers=api.h(officer),
    )  # fmt: skip
    entry_id = r.json()["entry_ids"][0]
    listed = await run_cli("blacklist", "list")
    assert listed.exit_code == 0, listed.output
    line = next(x for x in listed.stdout.splitlines() if x.startswith(f"#{entry_id}\t"))
    assert "\tactive\tidentity\t" in line and "severity 2" in line and "公网安〔2026〕7号" in line
    assert person["phone"] not in listed.stdout and person["phone"][-4:] in line, "masked"
    shown = await run_cli("blacklist", "show", str(entry_id), "--json")
    body = json.loads(shown.stdout)
    assert body["accounts"] == [{"id": person["id"], "username": person["username"]}]
    assert [c["change"] for c in body["changes"]] == ["added"] and body["changes"][0]["reason"] == "组织诈骗"
    empty = await run_cli("blacklist", "list", "--status", "ended", "--json")
    assert empty.exit_code == 0 and empty.stdout == ""
    missing = await run_cli("blacklist", "show", "999999")
    assert missing.exit_code == 1 and "blacklist_entry_not_found" in missing.output
    bad = await run_cli("blacklist", "list", "--status", "someday")
    assert bad.exit_code == 1 and "validation_failed" in bad.output
