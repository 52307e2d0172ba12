"""`qunzu import FILE [--dry-run] [--json]`: a community exported from an older system (Art. 15, R-15-1).

The format is docs/import.md; the work is services/legacy_import.py. Prints the counts per type and every line not
placed with its reason; exits 1 when any line was not placed, so a script notices, 0 when all were.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

SHOWN = 50  # lines listed in the text report; --json lists them all


def import_command(
    file: Annotated[Path, typer.Argument(help="the JSON Lines export (docs/import.md)", exists=True, dir_okay=False)],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="read, check and screen everything; write nothing")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """Import users, groups, members and messages of an older system: codes, owners, roles and tiers given, every
    message reviewed, users unverified until they verify."""
    from qunzu.cli import _with_container
    from qunzu.context import Ctx
    from qunzu.services import review
    from qunzu.services.legacy_import import import_legacy
    from qunzu.services.policy import ensure_policy
    from qunzu.services.review_runtime import ensure_lexicon

    async def run(c):  # type: ignore[no-untyped-def]
        now = c.clock.now()
        await ensure_policy(c.db, settings=c.settings.groups, now=now)
        await ensure_lexicon(c.db, now=now)
        await c.review.refresh()
        await c.review.refresh_bans()
        policy = (await c.policy.current()).policy
        return await import_legacy(
            c.db, file, policy=policy, screen=lambda text: review.screen(c.review, text),
            ctx=Ctx.system(now, ip="cli"), dry_run=dry_run,
        )  # fmt: skip

    report = _with_container(run)  # type: ignore[no-untyped-call]
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        typer.echo("dry run: nothing was written" if dry_run else f"imported {file}")
        for kind, counts in sorted(report.counts.items()):
            typer.echo(f"  {kind}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        for line, reason, detail in report.skipped[:SHOWN]:
            typer.echo(f"  line {line}: not placed: {reason}" + (f" ({detail})" if detail else ""))
        if len(report.skipped) > SHOWN:
            typer.echo(f"  … and {len(report.skipped) - SHOWN} more lines not placed (--json lists them all)")
        for line, what, detail in report.notes[:SHOWN]:
            typer.echo(f"  line {line}: changed: {what}" + (f" ({detail})" if detail else ""))
    raise typer.Exit(1 if report.skipped else 0)
