"""`qunzu emergency ...`: the emergency switches from a shell (Art. 5, R-5.1-4), for an operator in an incident who
may have no browser at hand. The same service as the staff console: an administrator's name is required (`--by`),
each change is recorded as `emergency.on` / `emergency.off` with its reason, and every server process follows within
about a second (they poll the switches; no restart).

    qunzu emergency list [--all] [--json]
    qunzu emergency on --kind stop_send --scope group --key 1234567890 --reason "..." --by admin
    qunzu emergency off ID --reason "..." --by admin
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

emergency_app = typer.Typer(help="Emergency switches: stop creation, joins, sending, links; read-only; hold all.",
                            no_args_is_help=True)  # fmt: skip

By = Annotated[str, typer.Option("--by", help="the administrator's username (recorded as who turned it)")]
Reason = Annotated[str, typer.Option("--reason", help="the reason (turning on: shown to users)")]


def _staff(c, by: str):  # type: ignore[no-untyped-def]
    from qunzu.domain.accounts import normalise_username
    from qunzu.services import emergency

    return emergency.staff_by_username(c.db, normalise_username(by.removeprefix("@")))


def _line(v) -> str:  # type: ignore[no-untyped-def]
    where = v.scope + (f" {v.label}" if v.label else "")
    state = "ON " if v.active else "off"
    since = f"on {v.turned_on_at:%Y-%m-%d %H:%M}Z by {v.turned_on_by_name or '-'}"
    return f"{state} #{v.id}  {v.kind:<11} {where:<24} {v.reason}  ({since})"


@emergency_app.command("list")
def list_command(
    show_all: Annotated[bool, typer.Option("--all", help="the switches turned off too")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
) -> None:
    """The switches on (with --all, those turned off too)."""
    from qunzu.cli_policy import _run
    from qunzu.services import emergency

    async def run(c):  # type: ignore[no-untyped-def]
        # Reading needs no name: whoever has the server's shell may read the database anyway.
        return await emergency.read_switches(c.db, active_only=not show_all)

    views = _run(run)  # type: ignore[no-untyped-call]
    if as_json:
        rows = [
            {"id": v.id, "active": v.active, "scope": v.scope, "scope_key": v.scope_key, "label": v.label,
             "kind": v.kind, "reason": v.reason, "turned_on_by": v.turned_on_by_name,
             "turned_on_at": v.turned_on_at.isoformat(), "turned_off_at": v.turned_off_at.isoformat()
             if v.turned_off_at else None, "off_reason": v.off_reason}
            for v in views
        ]  # fmt: skip
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    if not views:
        typer.echo("no emergency switch is on" if not show_all else "no emergency switch yet")
    for v in views:
        typer.echo(_line(v))


@emergency_app.command("on")
def on_command(
    kind: Annotated[str, typer.Option("--kind", help="stop_create|stop_join|stop_send|stop_links|read_only|hold_all")],
    scope: Annotated[str, typer.Option("--scope", help="platform|category|group")],
    reason: Reason,
    by: By,
    key: Annotated[str, typer.Option("--key", help="the category id or the group code (not for platform)")] = "",
) -> None:
    """Turn a switch on. Exit 0 with its id; 1 refused (with the error code)."""
    from qunzu.context import Ctx
    from qunzu.errors import QunzuError
    from qunzu.services import emergency

    async def run(c):  # type: ignore[no-untyped-def]
        try:
            staff = await _staff(c, by)
            if staff is None:
                typer.echo(f"refused: {by!r} is not a staff account", err=True)
                return 1
            view = await emergency.turn_on(
                c.db, staff=staff, scope=scope, scope_key=key, kind=kind, reason=reason,
                categories=(await c.policy.policy()).category_ids(), ctx=Ctx.system(c.clock.now(), ip="cli"),
            )  # fmt: skip
        except QunzuError as exc:
            typer.echo(f"refused ({exc.code.value}): {exc.message}", err=True)
            return 1
        typer.echo(_line(view))
        return 0

    from qunzu.cli_policy import _run

    raise typer.Exit(_run(run))  # type: ignore[no-untyped-call]


@emergency_app.command("off")
def off_command(
    switch_id: Annotated[int, typer.Argument(help="the switch's id (qunzu emergency list)")],
    reason: Reason,
    by: By,
) -> None:
    """Turn a switch off. Exit 0; 1 refused (with the error code)."""
    from qunzu.context import Ctx
    from qunzu.errors import QunzuError
    from qunzu.services import emergency

    async def run(c):  # type: ignore[no-untyped-def]
        try:
            staff = await _staff(c, by)
            if staff is None:
                typer.echo(f"refused: {by!r} is not a staff account", err=True)
                return 1
            view = await emergency.turn_off(
                c.db, staff=staff, switch_id=switch_id, reason=reason, ctx=Ctx.system(c.clock.now(), ip="cli")
            )
        except QunzuError as exc:
            typer.echo(f"refused ({exc.code.value}): {exc.message}", err=True)
            return 1
        typer.echo(_line(view))
        return 0

    from qunzu.cli_policy import _run

    raise typer.Exit(_run(run))  # type: ignore[no-untyped-call]
