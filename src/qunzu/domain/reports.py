"""The regulator export package (Art. 11 ¶3, §3.4, D13): its sections, files, manifest and verification.

A package is one zip, `qunzu-report-<from>-<to>-<package id>.zip`, holding for each section a JSON Lines file and a
CSV file with the same rows in the same column order, then `manifest.json` (canonical JSON: sorted keys, no
whitespace, UTF-8, times in UTC ISO 8601 with milliseconds and `Z`), `manifest.sig` (the Ed25519 signature of the
manifest's exact bytes, hex) and `public_key.pem` (the deployment's report-signing public key; its `key_id` is the
SHA-256 of the 32 raw key bytes, hex). The manifest names each data file with its bytes, SHA-256, section and rows.

- **JSON Lines** (`<section>.jsonl`): one JSON object per row, keys in the section's column order, nested values
  (evidence, before/after) in canonical form. This is the exact copy.
- **CSV** (`<section>.csv`): UTF-8 *with* a byte-order mark and CRLF line ends, because the offices that receive it
  open CSV in Excel, which reads UTF-8 without a BOM as the local code page and garbles Chinese. A header row of the
  column names; empty cell for no value; `true`/`false`; nested values as canonical JSON; a text cell that begins
  with `=`, `+`, `-`, `@`, tab or CR gets a leading `'` so Excel shows it rather than running it as a formula (the
  JSON Lines file keeps the text as it was).

**Personal data.** A package carries account ids, nicknames, group codes, the identity HMAC of an identity
blacklist entry (it cannot be reversed) and the texts of evidence messages — never phone numbers, ID numbers or
real names, and not the free text of complainants and appellants. Personal information for a lawful request of an
authority is a separate, approved disclosure (issue #14).

Pure: bytes and rows in, bytes and problems out; the service reads the database, signs and writes the zip.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_public_key

from qunzu.domain.complaint_figures import BEIJING, FIGURE_COLUMNS, beijing_month, median, nearest_rank
from qunzu.errors import ErrorCode, QunzuError

FORMAT = "qunzu-report/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
PUBLIC_KEY = "public_key.pem"
META_FILES = (MANIFEST, SIGNATURE, PUBLIC_KEY)
BOM = "\ufeff"

ENFORCEMENT_COLUMNS = (
    "id", "created_at", "target_type", "target_id", "target_label", "group_id", "group_code", "measure",
    "reason_code", "clause", "legal_basis", "reason", "rectification", "source", "source_ref", "decided_by",
    "starts_at", "ends_at", "status", "lifted_at", "lifted_by", "lift_reason", "owner_response", "responded_at",
    "credit_event_id", "notified_at", "appeal_status", "appeal_decided_at", "evidence_sha256", "evidence",
)  # fmt: skip
BLACKLIST_COLUMNS = (
    "id", "at", "change", "entry_id", "subject_type", "subject_key", "label", "severity", "source", "authority_ref",
    "record_id", "starts_at", "review_at", "ends_at", "removed_at", "actor_id", "reason", "before", "after",
)  # fmt: skip
REVIEW_COLUMNS = (
    "month", "kind", "category", "items", "held", "flagged", "approved", "rejected", "pending", "median_seconds",
    "p95_seconds",
)  # fmt: skip
TICKET_COLUMNS = (
    "number", "received_at", "channel", "reporter_id", "target_type", "target_id", "group_id", "group_code",
    "category", "high_risk", "priority", "status", "claimed_by", "claimed_at", "due_at", "decided_at", "decided_by",
    "decision_reason", "within_sla", "record_id", "feedback_at", "snapshot_sha256",
)  # fmt: skip
APPEAL_COLUMNS = (
    "id", "created_at", "record_id", "credit_event_id", "blacklist_entry_id", "appellant_id", "status", "due_at",
    "decided_at", "decided_by", "decision_reason",
)  # fmt: skip

# The sections in package order, with their columns (taxonomy: the columns of its rows).
SECTIONS: dict[str, tuple[str, ...] | None] = {
    "enforcement_records": ENFORCEMENT_COLUMNS,
    "blacklist_changes": BLACKLIST_COLUMNS,
    "review_statistics": REVIEW_COLUMNS,
    "complaint_statistics": FIGURE_COLUMNS,
    "tickets": TICKET_COLUMNS,
    "appeals": APPEAL_COLUMNS,
    "taxonomy": None,
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class Section:
    name: str
    columns: tuple[str, ...]
    rows: list[dict[str, Any]]


def section(name: str, rows: Sequence[Mapping[str, Any]]) -> Section:
    """A section with its columns; each row must have exactly those keys (a missing or extra key is a bug)."""
    columns = SECTIONS[name]
    if columns is None:
        columns = tuple(rows[0]) if rows else ()
    for row in rows:
        if tuple(sorted(row)) != tuple(sorted(columns)):
            raise ValueError(f"{name}: a row's keys differ from the columns: {sorted(set(row) ^ set(columns))}")
    return Section(name, tuple(columns), [{c: row[c] for c in columns} for row in rows])


# --- values ------------------------------------------------------------------------------------------------------


def iso(when: datetime) -> str:
    """UTC ISO 8601 with milliseconds and Z: 2026-11-03T04:05:06.789Z."""
    when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def plain(value: Any) -> Any:
    """A value as JSON sees it: times as `iso`, tuples as lists, mappings and lists recursively."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8 (not \\u escapes), times as `iso`: equal data, equal bytes."""
    return json.dumps(plain(value), sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, Mapping | list | tuple):
        return canonical_json(value).decode()
    text = str(value)
    return "'" + text if isinstance(value, str) and text.startswith(FORMULA_STARTS) else text


def render_jsonl(sec: Section) -> bytes:
    """One JSON object per line, keys in column order, nested values canonical; empty section: empty file."""
    lines = (
        json.dumps({c: _sorted(plain(row[c])) for c in sec.columns}, ensure_ascii=False, separators=(",", ":"))
        for row in sec.rows
    )
    return "".join(line + "\n" for line in lines).encode()


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def render_csv(sec: Section) -> bytes:
    """UTF-8 with BOM, CRLF, a header row, then one row per record in the JSON Lines order."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(sec.columns)
    for row in sec.rows:
        writer.writerow([csv_cell(row[c]) for c in sec.columns])
    return (BOM + out.getvalue()).encode()


def package_files(sections: Iterable[Section]) -> dict[str, bytes]:
    """The data files of a package, in order: `<section>.jsonl` and `<section>.csv` for each section."""
    files: dict[str, bytes] = {}
    for sec in sections:
        files[f"{sec.name}.jsonl"] = render_jsonl(sec)
        files[f"{sec.name}.csv"] = render_csv(sec)
    return files


def package_name(period_from: datetime, period_to: datetime, package_id: str) -> str:
    """qunzu-report-<from>-<to>-<id>.zip, the dates on the Beijing calendar."""
    day = "%Y%m%d"
    return (
        f"qunzu-report-{period_from.astimezone(BEIJING).strftime(day)}-"
        f"{period_to.astimezone(BEIJING).strftime(day)}-{package_id}.zip"
    )


# --- the period ----------------------------------------------------------------------------------------------

PERIOD_MAX = timedelta(days=366)
AUTHORITY_MAX = 200
DOCUMENT_NUMBER_MAX = 100


def period_invalid(message: str, **details: Any) -> QunzuError:
    return QunzuError(message, code=ErrorCode.PACKAGE_PERIOD_INVALID, details=details)


def parse_day(raw: str, *, field: str) -> datetime:
    """A day "2026-11-01" on the Beijing calendar → the instant it begins (00:00 Beijing time)."""
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError:
        raise period_invalid(f"{field} is not a date (YYYY-MM-DD)", field=field) from None
    if day.year < 2000:
        raise period_invalid(f"{field} is too early", field=field)
    return datetime.combine(day, time(0), tzinfo=BEIJING).astimezone(UTC)


def check_period(period_from: datetime, period_to: datetime) -> None:
    """A package covers [from, to): `to` after `from`, and at most 366 days."""
    if period_to <= period_from:
        raise period_invalid("The period must end after it begins", field="to")
    if period_to - period_from > PERIOD_MAX:
        raise period_invalid("A package covers at most 366 days", field="to")


def parse_period(raw_from: str, raw_to: str) -> tuple[datetime, datetime]:
    """[from, to) from two Beijing calendar days, `to` being the first day not covered."""
    period = parse_day(raw_from, field="from"), parse_day(raw_to, field="to")
    check_period(*period)
    return period


def beijing_day(when: datetime) -> str:
    return when.astimezone(BEIJING).strftime("%Y-%m-%d")


# --- the periodic summary ----------------------------------------------------------------------------------------

PERIODIC = ("off", "weekly", "monthly")  # `reports.periodic`


def _period_start(day: date, every: str) -> date:
    """The first day of the calendar week (Monday) or month holding `day`."""
    if every == "weekly":
        return day - timedelta(days=day.weekday())
    if every == "monthly":
        return day.replace(day=1)
    raise ValueError(f"not a summary period: {every!r}")


def _next_start(start: date, every: str) -> date:
    if every == "weekly":
        return start + timedelta(days=7)
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


def _instant(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=BEIJING).astimezone(UTC)


def current_period(now: datetime, every: str) -> tuple[datetime, datetime] | None:
    """The calendar week (Monday 00:00 to Monday 00:00) or month (the 1st 00:00 to the next 1st) on Beijing time
    that holds `now`, as [from, to) in UTC; None when the summary is off. Its end is when the next summary is due."""
    if every == "off":
        return None
    start = _period_start(now.astimezone(BEIJING).date(), every)
    return _instant(start), _instant(_next_start(start, every))


def last_complete_period(now: datetime, every: str) -> tuple[datetime, datetime] | None:
    """The last calendar week or month on Beijing time that ended at or before `now`, as [from, to) in UTC; None
    when the summary is off. At exactly 00:00 on a 1st (Beijing) the month just ended is complete: [from, to) does
    not hold its end. Beijing days, not UTC days: 2026-11-30T16:00Z is already 1 December in Beijing."""
    current = current_period(now, every)
    if current is None:
        return None
    end = current[0]
    start = _period_start(end.astimezone(BEIJING).date() - timedelta(days=1), every)
    return _instant(start), end


# --- statistics --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReviewFacts:
    kind: str  # message | group_name | group_description | nickname
    categories: Sequence[str]
    action: str  # hold | flag
    state: str  # pending | approved | rejected
    created_at: datetime
    decided_at: datetime | None


def review_statistics(items: Iterable[ReviewFacts]) -> list[dict[str, Any]]:
    """Content review by Beijing month, kind and category (an item in two categories counts in each; an item with
    none under ""): items, held, flagged, approved, rejected, pending, median and nearest-rank P95 seconds to a
    decision."""
    groups: dict[tuple[str, str, str], list[ReviewFacts]] = {}
    for item in items:
        for cat in list(item.categories) or [""]:
            groups.setdefault((beijing_month(item.created_at), item.kind, str(cat)), []).append(item)
    rows = []
    for (month, kind, cat), its in sorted(groups.items()):
        secs = [(i.decided_at - i.created_at) // timedelta(seconds=1) for i in its if i.decided_at is not None]
        rows.append(
            {
                "month": month, "kind": kind, "category": cat, "items": len(its),
                "held": sum(i.action == "hold" for i in its), "flagged": sum(i.action == "flag" for i in its),
                "approved": sum(i.state == "approved" for i in its),
                "rejected": sum(i.state == "rejected" for i in its),
                "pending": sum(i.state == "pending" for i in its),
                "median_seconds": median(secs), "p95_seconds": nearest_rank(secs, 95),
            }
        )  # fmt: skip
    return rows


# --- manifest, signature, verification ---------------------------------------------------------------------------


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def key_id(public_key: Ed25519PublicKey) -> str:
    """The SHA-256 (hex) of the 32 raw bytes of an Ed25519 public key."""
    return sha256_hex(public_key.public_bytes(Encoding.Raw, PublicFormat.Raw))


def public_pem(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)


@dataclass(frozen=True, slots=True)
class PackageHead:
    package_id: str
    kind: str  # enforcement_report
    authority: str
    document_number: str | None
    period_from: datetime
    period_to: datetime
    generated_at: datetime
    generator: str  # "qunzu 0.1.0"
    key_id: str
    scope: Mapping[str, Any]


def build_manifest(head: PackageHead, files: Mapping[str, bytes], counts: Mapping[str, int]) -> bytes:
    """The manifest's canonical bytes (what is signed): the head, each file's name, bytes, SHA-256, section and
    rows, and the rows per section."""
    listed = [
        {
            "name": name,
            "bytes": len(data),
            "sha256": sha256_hex(data),
            "section": name.rsplit(".", 1)[0],
            "rows": counts.get(name.rsplit(".", 1)[0], 0),
        }
        for name, data in files.items()
    ]
    body = {
        "format": FORMAT,
        "package_id": head.package_id,
        "kind": head.kind,
        "authority": head.authority,
        "document_number": head.document_number,
        "period": {"from": head.period_from, "to": head.period_to},
        "generated_at": head.generated_at,
        "generator": head.generator,
        "key_id": head.key_id,
        "scope": dict(head.scope),
        "counts": dict(counts),
        "files": listed,
    }
    return canonical_json(body) + b"\n"


def verify_manifest(
    files: Mapping[str, bytes], manifest: bytes | None, signature: bytes | None, public_key: bytes | None
) -> list[str]:
    """Every problem with a package, worst first ([] = it verifies): the key, the signature over the manifest, then
    each data file in manifest order (missing, size, SHA-256), then files the manifest does not list. Each problem
    begins with the name of the file at fault."""
    if manifest is None:
        return [f"{MANIFEST}: missing"]
    if signature is None:
        return [f"{SIGNATURE}: missing"]
    if public_key is None:
        return [f"{PUBLIC_KEY}: missing"]
    try:
        key = load_pem_public_key(public_key)
    except ValueError:
        return [f"{PUBLIC_KEY}: not a PEM public key"]
    if not isinstance(key, Ed25519PublicKey):
        return [f"{PUBLIC_KEY}: not an Ed25519 public key"]
    try:
        key.verify(bytes.fromhex(signature.decode("ascii").strip()), manifest)
    except (InvalidSignature, ValueError, UnicodeDecodeError):
        return [f"{SIGNATURE}: the signature does not match {MANIFEST} (the manifest was changed, or signed by "
                f"another key)"]  # fmt: skip
    try:
        body = json.loads(manifest)
        listed = [(f["name"], int(f["bytes"]), str(f["sha256"])) for f in body["files"]]
    except (ValueError, KeyError, TypeError):
        return [f"{MANIFEST}: not a package manifest"]
    problems = []
    if body.get("key_id") != key_id(key):
        problems.append(f"{MANIFEST}: key_id {body.get('key_id')} is not the key in {PUBLIC_KEY}")
    for name, size, digest in listed:
        data = files.get(name)
        if data is None:
            problems.append(f"{name}: listed in the manifest but missing")
        elif len(data) != size:
            problems.append(f"{name}: {len(data)} bytes, the manifest says {size} (changed)")
        elif sha256_hex(data) != digest:
            problems.append(f"{name}: SHA-256 differs from the manifest (changed)")
    names = {n for n, _, _ in listed}
    problems += [f"{name}: not listed in the manifest" for name in files if name not in names]
    return problems
