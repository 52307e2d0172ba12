"""`qunzu logs ...`: the network and operation log's integrity and retention (Art. 13 ¶2, R-13.2-*).

    qunzu logs seal                       seal every record not sealed yet into its day's chain
    qunzu logs verify [--from DAY] [--to DAY] [--json]
    qunzu logs archive [--day DAY]        archive and purge the days past retention (or archive one day now)
    qunzu logs restore FILE               bring an archived day back for logs.restore_days

Days are UTC calendar days (YYYY-MM-DD), the chains' own.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

logs_app = typer.Typer(help="The network and operation log: seal, verify, archive, restore.", no_args_is_help=True)


@logs_app.command("seal")
def seal_command() -> None:
    """Seal every record not sealed yet (the `seal-netlog` job does this every 30 seconds)."""
    from qunzu.cli import _with_container
    from qunzu.netlog import chain

    async def run(c):  # type: ignore[no-untyped-def]
        total = 0
        while (n := await chain.seal(c.db, now=c.clock.now())) > 0:
            total += n
        return total

    typer.echo(f"sealed: {_with_container(run)}")  # type: ignore[no-untyped-call]


@logs_app.command("verify")
def verify_command(
    day_from: Annotated[str | None, typer.Option("--from", help="first UTC day to check, YYYY-MM-DD")] = None,
    day_to: Annotated[str | None, typer.Option("--to", help="last UTC day to check, YYYY-MM-DD")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
) -> None:
    """Check each day's hash chain against the records as they are now. Exit 0 'OK'; else 1, naming the first
    record that changed, went missing or is out of place, and the records never sealed."""
    from qunzu.cli import _with_container
    from qunzu.netlog import chain

    async def run(c):  # type: ignore[no-untyped-def]
        return await chain.verify(c.db, now=c.clock.now(), day_from=day_from, day_to=day_to)

    found = _with_container(run)  # type: ignore[no-untyped-call]
    if as_json:
        typer.echo(json.dumps(found.as_dict(), ensure_ascii=False))
    else:
        typer.echo(f"days checked: {found.days}, records: {found.records}, purged days: {found.purged_days}")
        if found.broken is not None:
            b = found.broken
            typer.echo(f"BROKEN: day {b.day}, seq {b.seq}, record {b.record_id}: {b.problem}")
        if found.unsealed:
            typer.echo(f"UNSEALED: {found.unsealed} record(s) never sealed, the first is {found.first_unsealed}")
        if found.ok:
            typer.echo("OK")
    raise typer.Exit(0 if found.ok else 1)


@logs_app.command("archive")
def archive_command(
    day: Annotated[str | None, typer.Option(help="archive this UTC day now (YYYY-MM-DD), without purging it")] = None,
) -> None:
    """Without --day: seal, then archive and purge every day past retention (what the daily job does)."""
    from qunzu.cli import _with_container
    from qunzu.context import Ctx
    from qunzu.netlog import chain, retention

    async def run(c):  # type: ignore[no-untyped-def]
        while await chain.seal(c.db, now=c.clock.now()) > 0:
            pass
        out = c.settings.netlog_archive_dir
        if day is not None:
            a = await retention.archive_day(c.db, day=day, out_dir=out, now=c.clock.now())
            return [f"archived {a.day}: {a.records} records → {a.file} (sha256 {a.sha256})"]
        lines = []
        for d in await retention.expired_days(c.db, now=c.clock.now(), retention_days=_keep(c),
                                              restore_days=c.settings.logs.restore_days):  # fmt: skip
            p = await retention.retire_day(c.db, day=d, out_dir=out, ctx=Ctx.system(c.clock.now(), ip="cli"))
            lines.append(f"{d}: purged {p.deleted}, kept under legal hold {p.held}")
        return lines or ["nothing past retention"]

    try:
        for line in _with_container(run):  # type: ignore[no-untyped-call]
            typer.echo(line)
    except Exception as exc:  # an unknown day, an unwritable directory
        typer.echo(f"refused: {exc}", err=True)
        raise typer.Exit(1) from None


def _keep(c) -> int:  # type: ignore[no-untyped-def]
    return max(c.settings.logs.network_retention_days, c.settings.logs.operation_retention_days)


@logs_app.command("restore")
def restore_command(file: Annotated[Path, typer.Argument(help="an archive, netlog-YYYY-MM-DD.jsonl.gz")]) -> None:
    """Check the archive against its manifest and its chain, then bring the day back for logs.restore_days."""
    from qunzu.cli import _with_container
    from qunzu.context import Ctx
    from qunzu.netlog import retention

    try:
        retention.read_archive(file)
    except retention.ArchiveInvalid as exc:
        typer.echo(f"refused: {exc}", err=True)
        raise typer.Exit(1) from None

    async def run(c):  # type: ignore[no-untyped-def]
        return await retention.restore_day(c.db, path=file, ctx=Ctx.system(c.clock.now(), ip="cli"))

    typer.echo(f"restored: {_with_container(run)} records")  # type: ignore[no-untyped-call]
