"""The compliance self-check (Art. 14, R-14-1): is every duty of the catalogue still running?

Each check is a small function `check(env) -> (ok, evidence)` that looks at one duty the way an inspector would,
from what is stored and configured, and says pass or fail with the evidence (a number, a version, the first
offender). `CHECKS` lists them with their article and requirement; a duty built later is one more function and one
more line there. A check that cannot run (its table is missing, the database refuses) fails with the reason instead
of stopping the others, so a broken duty never hides behind a broken check.

`qunzu compliance check` (cli_check.py) prints the findings per article and exits 1 on any failure, for cron; the
monthly `compliance-check` job writes the result as an operation record (`compliance.check`).

Checks only read: the self-check never seals, purges or repairs what it finds (that is the duties' own jobs), so
running it cannot mask a job that stopped.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import and_, exists, func, select

from qunzu import netlog
from qunzu.config import LOG_RETENTION_FLOOR_DAYS, Settings
from qunzu.context import Ctx
from qunzu.domain.documents import DocumentKind
from qunzu.domain.emergency import Action, Kind, Scope, Switch, SwitchBoard, check_may
from qunzu.domain.groupcode import is_valid_mod11_10
from qunzu.domain.roles import GroupRole
from qunzu.errors import QunzuError
from qunzu.netlog import chain
from qunzu.services import capacity, documents, emergency, policy_admin
from qunzu.services.report_keys import load_signing_key
from qunzu.storage.tables import groups, memberships
from qunzu.storage.uow import Database

# groups whose duties have ended or not begun: closed (dissolved or closed by a measure) and refused at creation
_NOT_LIVE = ("closed", "refused")
_SHOWN = 5  # offenders named in the evidence; the count says how many in all


@dataclass(frozen=True, slots=True)
class Finding:
    """One duty checked: under which article and requirement, whether it holds, and what shows it."""

    article: int
    requirement: str
    name: str
    ok: bool
    evidence: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "article": self.article,
            "requirement": self.requirement,
            "name": self.name,
            "ok": self.ok,
            "evidence": self.evidence,
        }


@dataclass(slots=True)
class SelfCheck:
    """Every finding of one run, grouped by article: an article passes when all of its checks do."""

    at: datetime
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.findings)

    def articles(self) -> dict[int, list[Finding]]:
        out: dict[int, list[Finding]] = {}
        for f in sorted(self.findings, key=lambda f: f.article):
            out.setdefault(f.article, []).append(f)
        return out

    def failed_articles(self) -> list[int]:
        return [a for a, fs in self.articles().items() if not all(f.ok for f in fs)]

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "at": self.at.isoformat(),
            "articles": [
                {"article": a, "ok": all(f.ok for f in fs), "checks": [f.as_dict() for f in fs]}
                for a, fs in self.articles().items()
            ],
        }


@dataclass(frozen=True, slots=True)
class CheckEnv:
    """What a check may look at: the database, the settings in force and the time of the run."""

    db: Database
    settings: Settings
    now: datetime


Outcome = tuple[bool, str]  # (holds, evidence)


@dataclass(frozen=True, slots=True)
class Duty:
    """One duty of the catalogue and the function that checks it."""

    article: int
    requirement: str
    name: str
    check: Callable[[CheckEnv], Awaitable[Outcome]]


# --- the checks, by article --------------------------------------------------------------------------------------


async def documents_published(env: CheckEnv) -> Outcome:
    """Art. 5 ¶2: the rules, the convention, the agreement and the privacy policy are published (R-5.2-1, R-5.2-2)."""
    async with env.db.uow(write=False) as uow:
        current = await documents.current_versions(uow.conn)
    missing = [k.value for k in DocumentKind if k.value not in current]
    shown = ", ".join(f"{k} v{v}" for k, v in sorted(current.items()))
    if missing:
        return False, f"not published: {', '.join(missing)} (qunzu serve publishes the defaults as it starts)"
    return True, f"in force: {shown}"


async def switches_work(env: CheckEnv) -> Outcome:
    """Art. 5 ¶1: the emergency switches work (R-5.1-4): a drill board with one platform-wide `stop_send` switch
    refuses a post under the rule every gate applies, and the board every process polls can be read."""
    drill = SwitchBoard((Switch(0, Scope.PLATFORM, "", Kind.STOP_SEND, "self-check drill", env.now),), version=0)
    try:
        check_may(drill, Action.POST, group_id=1, category=None)
    except QunzuError as exc:
        refused = exc.code.value
    else:
        return False, "drill: a platform-wide stop_send switch did not refuse a post"
    async with env.db.uow(write=False) as uow:
        on = await emergency.read_board(uow)
    kinds = ", ".join(f"{s.kind.value} ({s.scope.value})" for s in on.switches) or "none"
    return True, f"drill: a platform-wide stop_send switch refuses a post ({refused}); on now: {kinds}"


async def review_backlog(env: CheckEnv) -> Outcome:
    """Art. 5 ¶1: the review team keeps up (R-5.1-1): the oldest review item within its SLA, no ticket or appeal past
    its deadline, someone on shift while anything waits, the backlog per reviewer within the operator's figure."""
    status = await capacity.capacity_status(env.db, env.now, env.settings, throughput=False)
    f = status.figures
    age = f.review.oldest_age(env.now)
    shown = (
        f"review {f.review.open} waiting (oldest {int(age.total_seconds() // 60) if age else 0} min, SLA "
        f"{int(status.targets.review_sla.total_seconds() // 60)} min), tickets {f.tickets.open} ({f.tickets.overdue} "
        f"overdue), appeals {f.appeals.open} ({f.appeals.overdue} overdue), {f.on_shift} on shift"
    )
    if status.alert:
        return False, f"missed: {', '.join(b.value for b in status.breaches)}; {shown}"
    return True, shown


async def policy_filed(env: CheckEnv) -> Outcome:
    """Art. 7 ¶1: the group policy in force is the version filed with the CAC office (R-7.1-3)."""
    status = await policy_admin.filing_status(env.db)
    running = status.running.version
    if status.filed is None:
        return False, f"version in force v{running}; no version filed"
    filed = status.filed
    if status.differs:
        return (
            False,
            f"version in force v{running} differs from the last filed v{filed.version} (ref {filed.filed_ref})",
        )
    return True, f"version in force v{running} filed (ref {filed.filed_ref})"


async def groups_have_code_and_owner(env: CheckEnv) -> Outcome:
    """Art. 8 ¶2 and Art. 9: every live group has a well-formed unique code and an owner who is its member with the
    owner's role (R-8.2-1, R-8.3-4)."""
    g, m = groups.c, memberships.c
    owner_member = exists().where(and_(m.group_id == g.id, m.user_id == g.owner_id, m.role == GroupRole.CREATOR.value))
    async with env.db.uow(write=False) as uow:
        live = g.status.not_in(_NOT_LIVE)
        total = (await uow.conn.execute(select(func.count()).select_from(groups).where(live))).scalar_one()
        no_owner = (await uow.conn.execute(select(g.id, g.code).where(live, ~owner_member).order_by(g.id))).all()
        codes = (await uow.conn.execute(select(g.id, g.code).where(live))).all()
    bad_codes = [r for r in codes if not _code_ok(r.code)]
    problems = []
    if bad_codes:
        problems.append(f"{len(bad_codes)} with a malformed code (group ids {_ids(bad_codes)})")
    if no_owner:
        problems.append(f"{len(no_owner)} without an owner among their members (codes {_codes(no_owner)})")
    if problems:
        return (False, f"of {total} groups: " + "; ".join(problems))
    return True, f"{total} groups, each with a code and an owner"


def _code_ok(code: str | None) -> bool:
    return bool(code) and len(code or "") == 10 and (code or "").isdigit() and is_valid_mod11_10(code or "")


def _ids(rows: Sequence[Any]) -> str:
    return ", ".join(str(r.id) for r in rows[:_SHOWN]) + (" …" if len(rows) > _SHOWN else "")


def _codes(rows: Sequence[Any]) -> str:
    return ", ".join(str(r.code) for r in rows[:_SHOWN]) + (" …" if len(rows) > _SHOWN else "")


async def report_key_present(env: CheckEnv) -> Outcome:
    """Art. 11: the key that signs reports to the authorities is present and readable (R-11.1-2, D13)."""
    path: Path = env.settings.report_key_path
    try:
        load_signing_key(path, create=False)
    except FileNotFoundError:
        return False, f"missing: {path} (qunzu admin bootstrap makes it)"
    except (OSError, ValueError) as exc:
        return False, f"unusable: {path} ({type(exc).__name__})"
    return True, f"present: {path}"


async def retention_floor(env: CheckEnv) -> Outcome:
    """Art. 13 ¶2: logs are kept at least six months (R-13.2-2): the settings in force are at or above the floor."""
    logs = env.settings.logs
    kept = {"network": logs.network_retention_days, "operation": logs.operation_retention_days}
    shown = ", ".join(f"{k} {v} days" for k, v in kept.items())
    low = [k for k, v in kept.items() if v < LOG_RETENTION_FLOOR_DAYS]
    if low:
        return False, f"below {LOG_RETENTION_FLOOR_DAYS} days: {shown}"
    return True, f"{shown} (floor {LOG_RETENTION_FLOOR_DAYS})"


async def log_chain_verifies(env: CheckEnv) -> Outcome:
    """Art. 13 ¶2: the log's daily hash chains are intact and the sealer keeps up (R-13.2-1)."""
    found = await chain.verify(env.db, now=env.now)
    if found.broken is not None:
        b = found.broken
        return False, f"broken at day {b.day}, record {b.record_id}: {b.problem}"
    if found.unsealed:
        return (
            False,
            f"{found.unsealed} record(s) never sealed (the first {found.first_unsealed}): is seal-netlog running?",
        )
    return True, f"{found.days} days, {found.records} records verified"


CHECKS: list[Duty] = [
    Duty(5, "R-5.2-1", "documents_published", documents_published),
    Duty(5, "R-5.1-4", "emergency_switches", switches_work),
    Duty(5, "R-5.1-1", "review_backlog", review_backlog),
    Duty(7, "R-7.1-3", "policy_filed", policy_filed),
    Duty(8, "R-8.2-1", "groups_code_and_owner", groups_have_code_and_owner),
    Duty(11, "R-11.1-2", "report_signing_key", report_key_present),
    Duty(13, "R-13.2-2", "retention_floor", retention_floor),
    Duty(13, "R-13.2-1", "log_chain", log_chain_verifies),
]


async def run_self_check(
    db: Database, *, settings: Settings, now: datetime, duties: list[Duty] | None = None
) -> SelfCheck:
    """Run every duty's check (R-14-1); a check that raises fails with the reason and the others still run."""
    env = CheckEnv(db=db, settings=settings, now=now)
    out = SelfCheck(at=now)
    for duty in CHECKS if duties is None else duties:
        try:
            ok, evidence = await duty.check(env)
        except Exception as exc:  # a check that cannot run is a failure to report, never a crash of the run
            ok, evidence = False, f"the check could not run: {type(exc).__name__}: {exc}"[:300]
        out.findings.append(Finding(duty.article, duty.requirement, duty.name, ok, evidence))
    return out


async def record_self_check(db: Database, *, settings: Settings, now: datetime) -> SelfCheck:
    """The monthly job: run the self-check and write its result as an operation record (`compliance.check`)."""
    result = await run_self_check(db, settings=settings, now=now)
    async with db.uow() as uow:
        await netlog.record(
            uow,
            Ctx.system(now),
            "compliance.check",
            actor=None,
            result="ok" if result.ok else "failed",
            failed_articles=result.failed_articles(),
            failed=[f.name for f in result.findings if not f.ok],
        )
        await uow.commit()
    return result
