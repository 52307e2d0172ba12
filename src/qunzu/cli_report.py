"""`qunzu report ...`: reports to the authorities (Art. 11 ¶3, D13) and the complaint supervision figures (Art. 12 ¶1).

    qunzu report enforcement --from 2026-11-01 --to 2026-12-01 [--authority ...] [--out DIR]
    qunzu report lawful --request ID [--by USERNAME] [--out DIR]
    qunzu report verify PACKAGE [--public-key FILE]
    qunzu report public-key
    qunzu report figures --month 2026-11 [--months 3]

Periods are Beijing calendar days, `--to` being the first day not covered.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated

import typer

report_app = typer.Typer(help="Reports to the authorities and supervision figures.", no_args_is_help=True)


def _refused(exc: Exception) -> typer.Exit:
    from qunzu.errors import QunzuError

    if isinstance(exc, QunzuError):
        typer.echo(f"refused ({exc.code.value}): {exc.message}", err=True)
    else:
        typer.echo(f"refused: {exc}", err=True)
    return typer.Exit(1)


async def _staff(c, by: str | None):  # type: ignore[no-untyped-def]
    """The staff account a package is made by (`--by`), or None; exit 1 for a name that is not staff."""
    from qunzu.services import policy_admin

    if by is None:
        return None
    staff = await policy_admin.staff_by_username(c.db, by)
    if staff is None:
        typer.echo(f"refused: {by!r} is not a staff account", err=True)
        raise typer.Exit(1)
    return staff


def _print_package(info, path: Path, *, key_id: bool) -> None:  # type: ignore[no-untyped-def]
    """What an operator checks of a package just built: its file, hashes, register entry and section counts."""
    typer.echo(f"package: {path}")
    typer.echo(f"sha256:  {hashlib.sha256(path.read_bytes()).hexdigest()}")
    typer.echo(f"manifest sha256: {info.manifest_sha256}")
    if key_id:
        typer.echo(f"key id:  {info.key_id}")
    typer.echo(f"register entry: {info.id}")
    for name, count in info.counts.items():
        typer.echo(f"  {name}: {count}")


@report_app.command("enforcement")
def enforcement(
    period_from: Annotated[str, typer.Option("--from", help="first day covered, YYYY-MM-DD (Beijing)")],
    period_to: Annotated[str, typer.Option("--to", help="first day NOT covered, YYYY-MM-DD (Beijing)")],
    authority: Annotated[str, typer.Option(help="the authority the package is for")] = "有关主管部门",
    document_number: Annotated[str | None, typer.Option(help="the authority's document or request number")] = None,
    out: Annotated[Path | None, typer.Option(help="directory (default: reports.out_dir)")] = None,
    backlog: Annotated[bool, typer.Option("--backlog", help="also carry unreported items from before --from")] = False,
    include_reported: Annotated[
        bool, typer.Option("--include-reported", help="carry the period's items again, even if already reported")
    ] = False,
    by: Annotated[
        str | None, typer.Option(help="the staff account (admin or compliance officer) it is made by")
    ] = None,
) -> None:
    """Build, sign and register the package of a period; mark the records it carries reported."""
    from qunzu.cli import _with_container
    from qunzu.context import Ctx
    from qunzu.domain.reports import parse_period
    from qunzu.errors import QunzuError
    from qunzu.services import report_package
    from qunzu.services.report_keys import signing_key

    try:
        lo, hi = parse_period(period_from, period_to)
    except QunzuError as exc:
        raise _refused(exc) from None

    async def run(c):  # type: ignore[no-untyped-def]
        staff = await _staff(c, by)
        out_dir = out or c.settings.report_dir
        try:
            info = await report_package.build_enforcement_package(
                c.db, staff=staff, period_from=lo, period_to=hi, authority=authority, document_number=document_number,
                backlog=backlog, include_reported=include_reported, key=signing_key(c.settings.report_key_path),
                out_dir=out_dir, ctx=Ctx.system(c.clock.now(), ip="cli"),
            )  # fmt: skip
        except QunzuError as exc:
            raise _refused(exc) from None
        return info, out_dir / info.file_name

    info, path = _with_container(run)  # type: ignore[no-untyped-call]
    _print_package(info, path, key_id=True)


@report_app.command("lawful")
def lawful(
    request: Annotated[int, typer.Option("--request", min=1, help="the approved lawful request to answer")],
    out: Annotated[Path | None, typer.Option(help="directory (default: reports.out_dir)")] = None,
    by: Annotated[
        str | None,
        typer.Option(help="the staff account (admin or compliance officer) it is built by; default: the approver"),
    ] = None,
) -> None:
    """Build, sign and register the answer to an approved lawful request (R-13.1-1), and mark it answered."""
    from qunzu.cli import _with_container
    from qunzu.context import Ctx
    from qunzu.errors import QunzuError
    from qunzu.services import lawful_answer
    from qunzu.services.report_keys import signing_key

    async def run(c):  # type: ignore[no-untyped-def]
        staff = await _staff(c, by)
        out_dir = out or c.settings.report_dir
        try:
            info = await lawful_answer.answer_request(
                c.db, c.keys, staff=staff, request_id=request, key=signing_key(c.settings.report_key_path),
                out_dir=out_dir, ctx=Ctx.system(c.clock.now(), ip="cli"),
            )  # fmt: skip
        except QunzuError as exc:
            raise _refused(exc) from None
        return info, out_dir / info.file_name

    info, path = _with_container(run)  # type: ignore[no-untyped-call]
    _print_package(info, path, key_id=False)


@report_app.command("verify")
def verify(
    package: Annotated[Path, typer.Argument(help="a qunzu-report-*.zip")],
    public_key: Annotated[
        Path | None, typer.Option(help="PEM public key the package must be signed with (default: this deployment's)")
    ] = None,
) -> None:
    """Check a package: the signature over the manifest, and every file against it. Exit 0 'OK', else 1."""
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    from qunzu.cli import _settings
    from qunzu.domain.reports import key_id
    from qunzu.services.report_keys import load_signing_key
    from qunzu.services.report_package import verify_package

    trusted: list[str] = []
    if public_key is not None:
        try:
            trusted.append(key_id(load_pem_public_key(public_key.read_bytes())))  # type: ignore[arg-type]
        except (OSError, ValueError, TypeError) as exc:
            typer.echo(f"FAILED: {public_key}: not a usable public key ({exc.__class__.__name__})")
            raise typer.Exit(1) from None
    else:
        path = _settings().report_key_path
        if path.exists():
            try:
                trusted.append(load_signing_key(path, create=False).key_id)
            except (OSError, ValueError):
                typer.echo(f"warning: {path} is not a usable signing key; checking the package alone", err=True)
    problems = verify_package(package, trusted_key_ids=trusted)
    if problems:
        typer.echo(f"FAILED: {problems[0]}")
        for more in problems[1:]:
            typer.echo(f"  also: {more}")
        raise typer.Exit(1)
    typer.echo("OK" + ("" if trusted else " (signature valid; no trusted key given to compare the key id with)"))


@report_app.command("public-key")
def public_key() -> None:
    """Print the report-signing public key (PEM) and its key id, the SHA-256 of the raw key (created if missing)."""
    from qunzu.cli import _settings
    from qunzu.errors import QunzuError
    from qunzu.services.report_keys import signing_key

    try:
        key = signing_key(_settings().report_key_path)
    except QunzuError as exc:
        raise _refused(exc) from None
    typer.echo(key.public_pem.decode().rstrip())
    typer.echo(f"key id: {key.key_id}")


@report_app.command("figures")
def figures(
    month: Annotated[str, typer.Option(help="the last month shown, YYYY-MM (Beijing calendar)")],
    months: Annotated[int, typer.Option(min=1, max=12, help="how many months up to --month")] = 1,
) -> None:
    """The complaint supervision figures by category and month: received, handled, within SLA, median, P95."""
    from qunzu.cli import _with_container
    from qunzu.domain.complaint_figures import months_period
    from qunzu.services import report_package

    try:
        lo, hi = months_period(month, months)
    except ValueError as exc:
        raise _refused(exc) from None

    async def run(c):  # type: ignore[no-untyped-def]
        return await report_package.figures(c.db, staff=None, period_from=lo, period_to=hi, now=c.clock.now())

    rows = _with_container(run)  # type: ignore[no-untyped-call]
    typer.echo(
        "month\tcategory\treceived\thandled\twithin_sla\tshare\toverdue_open\tmedian_s\tp95_s\tupheld\trejected\topen"
    )
    for r in rows:
        share = "-" if r.within_sla_share is None else f"{r.within_sla_share:.1%}"
        med = "-" if r.median_seconds is None else f"{r.median_seconds:g}"
        p95 = "-" if r.p95_seconds is None else str(r.p95_seconds)
        typer.echo(f"{r.month}\t{r.category}\t{r.received}\t{r.handled}\t{r.within_sla}\t{share}\t{r.overdue_open}\t"
                   f"{med}\t{p95}\t{r.upheld}\t{r.rejected}\t{r.open}")  # fmt: skip
