"""Operator commands: serve, migrate, admin create, config show."""

from __future__ import annotations

import asyncio
import getpass
import json
import secrets
import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from qunzu.cli_blacklist import blacklist_app
from qunzu.cli_check import check_command
from qunzu.cli_emergency import emergency_app
from qunzu.cli_import import import_command
from qunzu.cli_logs import logs_app
from qunzu.cli_policy import compliance_app
from qunzu.cli_regulators import regulator_app
from qunzu.cli_report import report_app
from qunzu.cli_taxonomy import taxonomy_command
from qunzu.config import Settings, load_settings

app = typer.Typer(help="Qunzu (群组) operator commands.", no_args_is_help=True, add_completion=False)
admin_app = typer.Typer(help="Platform staff accounts.", no_args_is_help=True)
config_app = typer.Typer(help="Configuration.", no_args_is_help=True)
app.add_typer(admin_app, name="admin")
admin_app.add_typer(regulator_app, name="regulator")  # qunzu admin regulator create|list|revoke (R-3-1)
keys_app = typer.Typer(help="Encryption keys for personal data.", no_args_is_help=True)
audit_app = typer.Typer(help="Integrity checks of the records.", no_args_is_help=True)
app.add_typer(config_app, name="config")
app.add_typer(keys_app, name="keys")
app.add_typer(audit_app, name="audit")
lexicon_app = typer.Typer(help="The content review lexicon.", no_args_is_help=True)
review_app = typer.Typer(help="Content review tools.", no_args_is_help=True)
app.add_typer(lexicon_app, name="lexicon")
app.add_typer(review_app, name="review")
jobs_app = typer.Typer(help="Scheduled jobs (every server process runs them).", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")
app.add_typer(compliance_app, name="compliance")  # qunzu compliance policy export|show|file (cli_policy.py)
compliance_app.command("taxonomy")(taxonomy_command)  # qunzu compliance taxonomy (cli_taxonomy.py)
compliance_app.command("check")(check_command)  # qunzu compliance check [--json] (cli_check.py)
app.command("import")(import_command)  # qunzu import FILE [--dry-run] [--json] (cli_import.py)
app.add_typer(logs_app, name="logs")  # qunzu logs seal|verify|archive|restore (cli_logs.py)
app.add_typer(report_app, name="report")  # qunzu report enforcement|verify|public-key|figures (cli_report.py)
app.add_typer(blacklist_app, name="blacklist")  # qunzu blacklist list|show (cli_blacklist.py)
app.add_typer(emergency_app, name="emergency")  # qunzu emergency list|on|off (cli_emergency.py)


def _settings() -> Settings:
    try:
        return load_settings()
    except ValidationError as exc:
        typer.echo("Configuration error — Qunzu will not start:", err=True)
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"])
            typer.echo(f"  {loc}: {err['msg']}", err=True)
        raise typer.Exit(2) from None


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema to the newest migration."""
    from qunzu.storage.migrate import upgrade

    settings = _settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    asyncio.run(upgrade(settings.effective_database_url))
    typer.echo(f"database is at the newest schema ({_safe_url(settings)})")


def _safe_url(settings: Settings) -> str:
    return str(settings.public_dict()["database_url"])


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="bind address (default from settings)")] = None,
    port: Annotated[int | None, typer.Option(help="port (default from settings)")] = None,
    migrate_first: Annotated[bool, typer.Option("--migrate/--no-migrate", help="apply migrations first")] = True,
) -> None:
    """Serve the web UI, the API and the WebSocket."""
    import os

    import uvicorn

    from qunzu.logging import configure_logging, uvicorn_log_config

    # The app is built in uvicorn's factory from the environment: options given here are passed on to it, so the
    # settings it sees (server.public_url follows host and port unless set) match where it listens.
    if host is not None:
        os.environ["QUNZU_SERVER__HOST"] = host
    if port is not None:
        os.environ["QUNZU_SERVER__PORT"] = str(port)
    settings = _settings()
    configure_logging(settings)
    if migrate_first:
        from qunzu.storage.migrate import upgrade

        settings.data_dir.mkdir(parents=True, exist_ok=True)
        asyncio.run(upgrade(settings.effective_database_url))
    url = settings.server.public_url.rstrip("/")
    typer.echo(f"Qunzu 群组 serves {url} (API documentation: {url}/api/docs)")
    uvicorn.run(
        "qunzu.asgi:create",
        factory=True,
        host=settings.server.host,
        port=settings.server.port,
        log_level=settings.logs.level.lower(),
        log_config=uvicorn_log_config(),  # uvicorn's own, with credentials redacted from every line
        proxy_headers=False,
        ws="websockets-sansio",
        ws_max_size=1 << 20,
        lifespan="on",
    )


@admin_app.command("create")
def admin_create(
    username: Annotated[str, typer.Option(help="login name")],
    role: Annotated[
        str, typer.Option(help="admin | reviewer | compliance_officer (regulators: `admin regulator`)")
    ] = "admin",
    nickname: Annotated[str | None, typer.Option(help="shown name (default: the username)")] = None,
    password: Annotated[
        str | None, typer.Option(help="omit to be prompted; '-' reads a line from standard input")
    ] = None,
    generate: Annotated[bool, typer.Option("--generate-password", help="make a strong password and print it")] = False,
    if_missing: Annotated[bool, typer.Option("--if-missing", help="do nothing when the username exists")] = False,
) -> None:
    """Create a platform staff account (staff roles are separate from group roles)."""
    from qunzu.bootstrap import build_container
    from qunzu.context import Ctx
    from qunzu.domain.accounts import StaffRole
    from qunzu.errors import ErrorCode, QunzuError
    from qunzu.services import accounts

    try:
        staff_role = StaffRole(role)
    except ValueError:
        typer.echo(f"unknown role {role!r}; choose one of: {', '.join(r.value for r in StaffRole)}", err=True)
        raise typer.Exit(2) from None
    if staff_role is StaffRole.REGULATOR:  # R-3-1: issued per named official, with a scope and an expiry
        typer.echo("a regulator account has a scope and an expiry: use `qunzu admin regulator create`", err=True)
        raise typer.Exit(2)
    if generate:
        password = secrets.token_urlsafe(12)
    elif password == "-":
        password = sys.stdin.readline().rstrip("\n")
    elif password is None:
        password = getpass.getpass("password: ")
    settings = _settings()

    async def run() -> int:
        container = build_container(settings)
        try:
            await accounts.register_user(
                container.db,
                container.passwords,
                username=username,
                password=password or "",
                nickname=nickname or username,
                ctx=Ctx.system(container.clock.now(), ip="cli"),
                password_min_length=settings.auth.password_min_length,
                password_min_score=settings.auth.password_min_score,
                staff_role=staff_role,
            )
        except QunzuError as exc:
            if exc.code is ErrorCode.USERNAME_TAKEN and if_missing:
                typer.echo(f"{username} exists already; nothing changed")
                return 0
            hint = f" ({exc.details['hint']})" if exc.details.get("hint") else ""
            typer.echo(f"refused ({exc.code.value}): {exc.message}{hint}", err=True)
            return 1
        finally:
            await container.db.dispose()
        typer.echo(f"created {staff_role.value} account {username!r}")
        if generate:
            typer.echo(f"password: {password}")
        return 0

    raise typer.Exit(asyncio.run(run()))


@admin_app.command("bootstrap")
def admin_bootstrap() -> None:
    """Create the first administrator if there is none, and say how to sign in (used by `make run`)."""
    import os

    from qunzu.bootstrap import build_container
    from qunzu.context import Ctx
    from qunzu.services.staff import bootstrap_admin

    settings = _settings()
    pw_file = settings.data_dir / "initial-admin-password"

    async def run() -> tuple[str, str | None]:
        container = build_container(settings)
        try:
            return await bootstrap_admin(
                container.db,
                container.passwords,
                ctx=Ctx.system(container.clock.now()),
                min_length=settings.auth.password_min_length,
            )
        finally:
            await container.db.dispose()

    username, password = asyncio.run(run())
    from qunzu.services.report_keys import load_signing_key

    load_signing_key(settings.report_key_path)  # the report-signing key (D13), made here on a fresh deployment
    url = settings.server.public_url.rstrip("/")
    typer.echo("")
    typer.echo("  Qunzu 群组 is starting at " + url)
    if password is not None:
        fd = os.open(pw_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(password + "\n")
        typer.echo("  First platform administrator created:")
        typer.echo(f"    username: {username}")
        typer.echo(f"    password: {password}   (also saved in {pw_file})")
    else:
        typer.echo(f"  Platform administrator: {username}")
        if pw_file.exists():
            typer.echo(f"    first password: in {pw_file} (if not changed since)")
    typer.echo(f"  Sign in at {url}/login ; create more staff with: qunzu admin create --username NAME --role admin")
    typer.echo("")


@config_app.command("show")
def config_show() -> None:
    """Print the effective settings (secrets masked) as JSON."""
    typer.echo(json.dumps(_settings().public_dict(), ensure_ascii=False, indent=2))


def _with_container(fn):  # type: ignore[no-untyped-def]
    from qunzu.bootstrap import build_container

    settings = _settings()

    async def run():  # type: ignore[no-untyped-def]
        container = build_container(settings)
        try:
            return await fn(container)
        finally:
            await container.db.dispose()

    return asyncio.run(run())


@keys_app.command("status")
def keys_status() -> None:
    """The key ids, the active one, and how many encrypted fields each protects."""
    from qunzu.services.keys import key_usage

    async def run(c):  # type: ignore[no-untyped-def]
        usage = await key_usage(c.db, c.keys)
        typer.echo(f"active key: {c.keys.active}")
        for key_id in sorted(set(c.keys.keys) | set(usage)):
            mark = "*" if key_id == c.keys.active else " "
            known = "" if key_id in c.keys.keys else "  (MISSING from the key file!)"
            typer.echo(f" {mark} {key_id}: {usage.get(key_id, 0)} fields{known}")

    _with_container(run)


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Add a new key, make it active, and re-encrypt every personal-data field under it (no downtime)."""
    from qunzu.services.keys import reencrypt

    async def run(c):  # type: ignore[no-untyped-def]
        old = c.keys.active
        new = c.keys.add_key()
        moved = await reencrypt(c.db, c.keys)
        typer.echo(f"new active key {new} (was {old}); re-encrypted {moved} fields")
        typer.echo("Running servers pick up the new key by themselves. After restarting them, run")
        typer.echo(f"'qunzu keys reencrypt' once more, then 'qunzu keys retire {old}'.")

    _with_container(run)


@keys_app.command("reencrypt")
def keys_reencrypt() -> None:
    """Re-encrypt every field still under an older key."""
    from qunzu.services.keys import reencrypt

    async def run(c):  # type: ignore[no-untyped-def]
        typer.echo(f"re-encrypted {await reencrypt(c.db, c.keys)} fields under {c.keys.active}")

    _with_container(run)


@keys_app.command("retire")
def keys_retire(key_id: str) -> None:
    """Remove an old key from the key file once no field uses it."""
    from qunzu.services.keys import key_usage, reencrypt

    async def run(c):  # type: ignore[no-untyped-def]
        await reencrypt(c.db, c.keys)
        usage = await key_usage(c.db, c.keys)
        if usage.get(key_id):
            typer.echo(f"{key_id} still protects {usage[key_id]} fields; not retired", err=True)
            return 1
        try:
            c.keys.retire(key_id)
        except ValueError as exc:
            typer.echo(str(exc), err=True)
            return 1
        typer.echo(f"retired {key_id}")
        return 0

    raise typer.Exit(_with_container(run) or 0)


@audit_app.command("pii-access")
def audit_pii_access() -> None:
    """Check the hash chain of the personal-data access record; exit 1 if a row was altered or removed."""
    from qunzu.services.pii_access import verify_chain

    async def run(c):  # type: ignore[no-untyped-def]
        ok, bad = await verify_chain(c.db)
        typer.echo("personal-data access record: intact" if ok else f"TAMPERED: the chain breaks at row {bad}")
        return 0 if ok else 1

    raise typer.Exit(_with_container(run))


@lexicon_app.command("import")
def lexicon_import(
    path: Annotated[Path, typer.Argument(help="plain (term<TAB>category<TAB>action…) or .csv", exists=True)],
    note: Annotated[str, typer.Option(help="what changed")] = "",
    merge: Annotated[bool, typer.Option("--merge", help="add to the current lexicon instead of replacing it")] = False,
) -> None:
    """Load a lexicon file as the new version (every server process uses it within 5 seconds)."""
    from qunzu.context import Ctx
    from qunzu.errors import QunzuError
    from qunzu.review import Lexicon
    from qunzu.services import review

    try:
        lexicon = Lexicon.load_csv(path) if path.suffix.lower() == ".csv" else Lexicon.load_text(path)
    except QunzuError as exc:
        typer.echo(f"refused ({exc.code.value}): {exc.message} {exc.details or ''}", err=True)
        raise typer.Exit(1) from None

    async def run(c):  # type: ignore[no-untyped-def]
        ctx = Ctx.system(c.clock.now())
        if merge:
            info = await review.edit_lexicon(
                c.db, c.review, staff=None, add=list(lexicon), note=note or path.name, ctx=ctx
            )
        else:
            info = await review.save_lexicon(c.db, staff=None, lexicon=lexicon, note=note or path.name, ctx=ctx)
        typer.echo(f"lexicon version {info.version}: {info.term_count} terms (sha256 {info.content_hash[:12]}…)")

    _with_container(run)


@lexicon_app.command("export")
def lexicon_export(
    output: Annotated[Path | None, typer.Option("-o", "--output", help="file (default: standard output)")] = None,
    csv: Annotated[bool, typer.Option("--csv", help="CSV instead of the plain format")] = False,
) -> None:
    """Write the current lexicon (plain text or CSV)."""
    from qunzu.review import Lexicon
    from qunzu.services import review

    async def run(c):  # type: ignore[no-untyped-def]
        return await review.current_lexicon(c.db, staff=None)

    version, content = _with_container(run)
    if csv:
        content = Lexicon.load_text(content.splitlines(), strict=False).dump_csv()
    if output is None:
        sys.stdout.write(content)
    else:
        output.write_text(content, encoding="utf-8")
        typer.echo(f"wrote lexicon version {version} to {output}", err=True)


@review_app.command(
    "scan", context_settings={"allow_extra_args": True, "ignore_unknown_options": True}, add_help_option=False
)
def review_scan(ctx: typer.Context) -> None:
    """JSON lines {"text": ...} on stdin → {"hits": [...], "action": ...} per line: --lexicon FILE [--cache-dir DIR |
    --no-cache]. (`qunzu review scan` normally takes a fast path before this CLI loads; see qunzu/entry.py.)"""
    from qunzu.review.scan_cli import main as scan_main

    raise typer.Exit(scan_main(list(ctx.args)))


def main() -> None:
    app()


if __name__ == "__main__":
    main()


@jobs_app.command("list")
def jobs_list() -> None:
    """The scheduled jobs, how often each runs, and what it does."""
    from qunzu.bootstrap import build_container

    container = build_container(_settings())
    assert container.scheduler is not None
    for job in container.scheduler.jobs.values():
        typer.echo(f"{job.name}\tevery {job.every}\t{job.description}")


@jobs_app.command("run")
def jobs_run(name: Annotated[str, typer.Argument(help="a name from `qunzu jobs list`")]) -> None:
    """Run one job now, to the end of its backlog, and print how many rows it handled."""
    from qunzu.jobs import run_job

    async def run(c):  # type: ignore[no-untyped-def]
        job = c.scheduler.jobs.get(name)
        if job is None:
            typer.echo(f"unknown job {name!r}; see `qunzu jobs list`", err=True)
            raise typer.Exit(2)
        rows = await run_job(job, c.clock.now())
        typer.echo(f"{name}: {rows} rows")

    _with_container(run)
