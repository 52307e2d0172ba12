"""`qunzu compliance policy ...`: the group policy as the 管理制度 document for filing with the CAC office (Art. 7 ¶1,
R-7.1-3, D15): export it, show the version in force and its filing status, record a filing."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

compliance_app = typer.Typer(help="Compliance records and documents.", no_args_is_help=True)
policy_app = typer.Typer(help="The group policy (管理制度) and its filing.", no_args_is_help=True)
compliance_app.add_typer(policy_app, name="policy")


def _run(fn):  # type: ignore[no-untyped-def]
    """Run `fn(container)` with a container whose policy exists (version 1 is written on a fresh database)."""
    from qunzu.cli import _with_container
    from qunzu.services.policy import ensure_policy

    async def run(c):  # type: ignore[no-untyped-def]
        await ensure_policy(c.db, settings=c.settings.groups, now=c.clock.now())
        return await fn(c)

    return _with_container(run)


@policy_app.command("export")
def policy_export(
    fmt: Annotated[str, typer.Option("--format", help="md | html")] = "md",
    lang: Annotated[str, typer.Option("--lang", help="zh-CN | en")] = "zh-CN",
    version: Annotated[
        int | None, typer.Option("--version", help="a version number (default: the one in force)")
    ] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="file (default: standard output)")] = None,
) -> None:
    """Write the 管理制度 document of a policy version, with every threshold, for filing."""
    from qunzu.errors import QunzuError
    from qunzu.services import policy_export as export

    async def run(c):  # type: ignore[no-untyped-def]
        try:
            return await export.export_document(c.db, version=version, fmt=fmt, lang=lang)
        except QunzuError as exc:
            typer.echo(f"refused ({exc.code.value}): {exc.message}", err=True)
            raise typer.Exit(1) from None

    view, text = _run(run)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote policy version {view.version} ({fmt}, {lang}) to {output}", err=True)


@policy_app.command("show")
def policy_show() -> None:
    """The version in force and its filing status."""
    from qunzu.services import policy_admin

    async def run(c):  # type: ignore[no-untyped-def]
        return await policy_admin.filing_status(c.db)

    status = _run(run)
    v = status.running
    typer.echo(f"version in force: v{v.version} (written {v.created_at.isoformat()} by {v.author or 'Qunzu defaults'})")
    if status.filed is None:
        typer.echo("filed: none")
    else:
        f = status.filed
        typer.echo(
            f"last filed: v{f.version} (ref {f.filed_ref}, filed {f.filed_at.isoformat() if f.filed_at else '?'})"
        )
    if status.differs:
        typer.echo("WARNING: the version in force differs from the last filed version (运行版本与备案版本不一致)")


@policy_app.command("file")
def policy_file(
    version: Annotated[int, typer.Argument(help="the version filed")],
    ref: Annotated[str, typer.Option("--ref", help="the CAC office's filing reference")],
    by: Annotated[str, typer.Option("--by", help="the staff member's username (admin or compliance officer)")],
) -> None:
    """Record that a policy version was filed with the CAC office."""
    from qunzu.context import Ctx
    from qunzu.domain.accounts import normalise_username
    from qunzu.errors import QunzuError
    from qunzu.services import policy_admin

    async def run(c):  # type: ignore[no-untyped-def]
        try:
            staff = await policy_admin.staff_by_username(c.db, normalise_username(by))
            if staff is None:
                typer.echo(f"refused: {by!r} is not a staff account", err=True)
                return 1
            view = await policy_admin.mark_filed(
                c.db, staff=staff, version=version, ref=ref, ctx=Ctx.system(c.clock.now(), ip="cli")
            )
        except QunzuError as exc:
            typer.echo(f"refused ({exc.code.value}): {exc.message}", err=True)
            return 1
        typer.echo(f"policy version {view.version} marked filed (ref {view.filed_ref}) by {by}")
        return 0

    raise typer.Exit(_run(run))
