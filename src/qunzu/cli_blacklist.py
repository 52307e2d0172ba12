"""`qunzu blacklist list|show`: the blacklist as an operator reads it on the server (Art. 11 ¶2–3). Reading only:
entries are added, changed, reviewed and removed by staff in the console or the API, where each step is recorded.
Identities appear by their masked label, never by number or HMAC."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

import typer

blacklist_app = typer.Typer(help="The blacklist (read only; staff change it in the console).", no_args_is_help=True)


def _operator(now: datetime) -> Any:
    """Who reads: the operator at the server, with a reader's rights."""
    from qunzu.services.views import UserView

    return UserView(id=0, username="operator", nickname="operator", staff_role="admin", created_at=now)


def _iso(at: datetime | None) -> str:
    return at.isoformat(timespec="seconds").replace("+00:00", "Z") if at else "-"


def _fail(exc: Exception) -> typer.Exit:
    code = getattr(getattr(exc, "code", None), "value", "error")
    typer.echo(f"refused ({code}): {getattr(exc, 'message', exc)}", err=True)
    return typer.Exit(1)


@blacklist_app.command("list")
def blacklist_list(
    status: Annotated[str, typer.Option(help="active | due | ended | all")] = "active",
    subject_type: Annotated[str | None, typer.Option("--type", help="group | account | identity")] = None,
    severity: Annotated[int | None, typer.Option(min=1, max=3)] = None,
    q: Annotated[str | None, typer.Option("--q", help="a part of the label")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON Lines")] = False,
) -> None:
    """The entries (active: those due for review first)."""
    from qunzu.cli import _with_container
    from qunzu.errors import QunzuError
    from qunzu.services import blacklist_views

    async def run(c):  # type: ignore[no-untyped-def]
        now = c.clock.now()
        try:
            return await blacklist_views.list_entries(
                c.db, staff=_operator(now), now=now, status=status, subject_type=subject_type, severity=severity, q=q
            )
        except QunzuError as exc:
            raise _fail(exc) from None

    rows = _with_container(run)  # type: ignore[no-untyped-call]
    for e in rows:
        if as_json:
            typer.echo(json.dumps(_entry(e), ensure_ascii=False))
            continue
        state = "due" if e.due else e.status
        ends = _iso(e.ends_at) if e.ends_at else "until removed"
        typer.echo(
            f"#{e.id}\t{state}\t{e.subject_type}\t{e.label}\tseverity {e.severity}\t{e.source}"
            f"{' ' + e.authority_ref if e.authority_ref else ''}\tfrom {_iso(e.starts_at)}\treview {_iso(e.review_at)}"
            f"\tends {ends}"
        )
    if not as_json:
        typer.echo(f"{len(rows)} entr{'y' if len(rows) == 1 else 'ies'} ({status})", err=True)


def _entry(e: Any) -> dict[str, Any]:
    return {
        "id": e.id, "subject_type": e.subject_type, "label": e.label, "group_code": e.group_code,
        "severity": e.severity, "source": e.source, "authority_ref": e.authority_ref, "reason": e.reason,
        "evidence": e.evidence, "record_id": e.record_id, "starts_at": _iso(e.starts_at),
        "review_at": _iso(e.review_at), "ends_at": _iso(e.ends_at), "removed_at": _iso(e.removed_at),
        "status": e.status, "due_for_review": e.due,
    }  # fmt: skip


@blacklist_app.command("show")
def blacklist_show(
    entry_id: Annotated[int, typer.Argument(min=1, help="the entry's number")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """One entry, the accounts it touches, and its full change history (R-11.3-3)."""
    from qunzu.cli import _with_container
    from qunzu.errors import QunzuError
    from qunzu.services import blacklist_views

    async def run(c):  # type: ignore[no-untyped-def]
        now = c.clock.now()
        try:
            return await blacklist_views.entry_detail(c.db, staff=_operator(now), entry_id=entry_id, now=now)
        except QunzuError as exc:
            raise _fail(exc) from None

    e, changes = _with_container(run)  # type: ignore[no-untyped-call]
    history = [
        {"at": _iso(x.at), "change": x.change, "actor": x.actor, "reason": x.reason, "diff": x.diff,
         "reported_at": _iso(x.reported_at)}
        for x in changes
    ]  # fmt: skip
    if as_json:
        body = _entry(e) | {"accounts": [{"id": i, "username": n} for i, n in e.accounts], "changes": history}
        typer.echo(json.dumps(body, ensure_ascii=False, indent=2))
        return
    for key, value in _entry(e).items():
        typer.echo(f"{key}: {json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else value}")
    typer.echo("accounts: " + (", ".join(f"@{n} (#{i})" for i, n in e.accounts) or "-"))
    typer.echo("changes:")
    for h in history:
        typer.echo(f"  {h['at']}  {h['change']}  by {h['actor'] or 'system'}  {h['reason']}")
        for field, pair in h["diff"].items():
            typer.echo(f"      {field}: {pair['before']} -> {pair['after']}")
