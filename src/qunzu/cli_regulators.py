"""`qunzu admin regulator ...`: regulators' inspection access (R-3-1), for an operator at the console.

    qunzu admin regulator create --username NAME --official NAME --organisation ORG [--document NO]
                                 [--group CODE ...] [--category CAT ...] [--region PROVINCE]
                                 --window-from DAY --window-to DAY --expires DAY
    qunzu admin regulator list
    qunzu admin regulator revoke USER_ID

Days are Beijing calendar days (YYYY-MM-DD): a window or expiry "to" a day covers it through 24:00. The initial
password is printed once. Each step is an operation record, as from the console.
"""

from __future__ import annotations

import sys
from datetime import date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

regulator_app = typer.Typer(help="Regulators' scoped, expiring inspection access (R-3-1).", no_args_is_help=True)
CHINA = ZoneInfo("Asia/Shanghai")


def _day(raw: str, option: str, *, end: bool) -> datetime:
    try:
        d = date.fromisoformat(raw)
    except ValueError:
        typer.echo(f"{option}: a day is written YYYY-MM-DD", err=True)
        raise typer.Exit(2) from None
    return datetime.combine(d + timedelta(days=1) if end else d, time(), CHINA).astimezone(ZoneInfo("UTC"))


@regulator_app.command("create")
def create_command(
    username: Annotated[str, typer.Option(help="the sign-in name of the new account")],
    official: Annotated[str, typer.Option(help="the named official it is issued to")],
    organisation: Annotated[str, typer.Option(help="the official's authority")],
    window_from: Annotated[str, typer.Option("--window-from", help="records shown from this Beijing day")],
    window_to: Annotated[str, typer.Option("--window-to", help="records shown through this Beijing day")],
    expires: Annotated[str, typer.Option(help="sign-in refused after this Beijing day")],
    document: Annotated[str | None, typer.Option(help="the document number of the request")] = None,
    group: Annotated[list[str] | None, typer.Option(help="a group code in scope (repeatable)")] = None,
    category: Annotated[list[str] | None, typer.Option(help="a group category in scope (repeatable)")] = None,
    region: Annotated[str | None, typer.Option(help="a province; kept, not enforced yet")] = None,
    password: Annotated[
        str | None, typer.Option(help="omit to generate one (printed once); '-' reads a line from standard input")
    ] = None,
) -> None:
    """Issue an access: a regulator account with its scope and expiry; prints the initial password once."""
    from qunzu.cli import _with_container
    from qunzu.context import Ctx
    from qunzu.errors import QunzuError
    from qunzu.services import regulators
    from qunzu.services.regulators import RegulatorSpec

    typed = sys.stdin.readline().rstrip("\n") if password == "-" else password
    spec = RegulatorSpec(
        username=username, official_name=official, organisation=organisation, document_number=document,
        group_codes=group or [], categories=category or [], region=region,
        window_from=_day(window_from, "--window-from", end=False), window_to=_day(window_to, "--window-to", end=True),
        expires_at=_day(expires, "--expires", end=True),
    )  # fmt: skip

    async def run(c):  # type: ignore[no-untyped-def]
        try:
            return await regulators.create_regulator(
                c.db, c.passwords, staff=None, spec=spec, known_categories=c.settings.groups.categories,
                ctx=Ctx.system(c.clock.now(), ip="cli"), password=typed,
                password_min_length=c.settings.auth.password_min_length,
                password_min_score=c.settings.auth.password_min_score,
            )  # fmt: skip
        except QunzuError as exc:
            return exc

    issued = _with_container(run)  # type: ignore[no-untyped-call]
    if isinstance(issued, QunzuError):
        field = issued.details.get("field")
        typer.echo(f"refused ({issued.code.value}): {issued.message}" + (f" [{field}]" if field else ""), err=True)
        raise typer.Exit(1)
    r = issued.regulator
    typer.echo(f"created regulator account {r.username!r} (id {r.user_id}) for {r.official_name}, {r.organisation}")
    typer.echo(f"expires: {r.expires_at.isoformat()}")
    if typed is None:
        typer.echo(f"password: {issued.password}")


@regulator_app.command("list")
def list_command() -> None:
    """Every access issued: current, expired and revoked."""
    from qunzu.cli import _with_container
    from qunzu.services import regulators

    async def run(c):  # type: ignore[no-untyped-def]
        return c.clock.now(), await regulators.list_regulators(c.db, staff=None)

    now, rows = _with_container(run)  # type: ignore[no-untyped-call]
    for r in rows:
        state = "revoked" if r.revoked_at else "current" if r.current(now) else "expired"
        scope = f"groups={r.group_ids} categories={r.categories}" + (f" region={r.region}" if r.region else "")
        typer.echo(f"{r.user_id}\t{r.username}\t{r.official_name}\t{r.organisation}\t{state}\t"
                   f"expires {r.expires_at.isoformat()}\t{scope}")  # fmt: skip


@regulator_app.command("revoke")
def revoke_command(user_id: Annotated[int, typer.Argument(help="the account number, from `list`")]) -> None:
    """End an access now; its sessions stop at their next request."""
    from qunzu.cli import _with_container
    from qunzu.context import Ctx
    from qunzu.errors import QunzuError
    from qunzu.services import regulators

    async def run(c):  # type: ignore[no-untyped-def]
        try:
            return await regulators.revoke_regulator(c.db, staff=None, user_id=user_id,
                                                     ctx=Ctx.system(c.clock.now(), ip="cli"))  # fmt: skip
        except QunzuError as exc:
            return exc

    done = _with_container(run)  # type: ignore[no-untyped-call]
    if isinstance(done, QunzuError):
        typer.echo(f"refused ({done.code.value}): {done.message}", err=True)
        raise typer.Exit(1)
    typer.echo(f"revoked {done.username!r} at {done.revoked_at.isoformat() if done.revoked_at else ''}")
