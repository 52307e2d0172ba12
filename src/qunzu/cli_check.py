"""`qunzu compliance check`: the self-check of every duty (Art. 14, R-14-1), per article, for an operator or cron.

    qunzu compliance check [--json]     exit 0 when every article passes, 1 when any fails

The checks are services/compliance_check.py's; this prints them.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer


def check_command(
    as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
) -> None:
    """Check that every duty is running: pass or fail per article with the evidence; exit 1 on any failure."""
    from qunzu.cli import _with_container
    from qunzu.services.compliance_check import run_self_check
    from qunzu.services.policy import ensure_policy

    async def run(c):  # type: ignore[no-untyped-def]
        await ensure_policy(c.db, settings=c.settings.groups, now=c.clock.now())
        return await run_self_check(c.db, settings=c.settings, now=c.clock.now())

    result = _with_container(run)  # type: ignore[no-untyped-call]
    if as_json:
        typer.echo(json.dumps(result.as_dict(), ensure_ascii=False))
    else:
        for article, findings in result.articles().items():
            verdict = "PASS" if all(f.ok for f in findings) else "FAIL"
            typer.echo(f"Art. {article}: {verdict}")
            for f in findings:
                typer.echo(f"  [{'ok' if f.ok else 'FAIL'}] {f.requirement} {f.name}: {f.evidence}")
        failed = result.failed_articles()
        typer.echo("OK" if result.ok else "FAILED: Art. " + ", ".join(str(a) for a in failed))
    raise typer.Exit(0 if result.ok else 1)
