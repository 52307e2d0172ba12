"""`qunzu report enforcement|verify|public-key|figures` (Art. 11 ¶3, D13; Art. 12 ¶1), run as an operator runs them."""

from __future__ import annotations

import asyncio
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from tests.cli.test_cli import qunzu
from tests.compliance._reports import Seed

IN_NOV = datetime(2026, 11, 12, 2, 0, tzinfo=UTC)


def seed(tmp_path: Path) -> None:
    from tests.conftest import make_settings

    from qunzu.bootstrap import build_container

    async def run() -> None:
        c = build_container(make_settings(f"sqlite+aiosqlite:///{tmp_path / 'qunzu.db'}", tmp_path))
        try:
            s = Seed(c)
            owner = await s.user("群主乙", at=IN_NOV - timedelta(days=9))
            gid, _ = await s.group(owner, at=IN_NOV - timedelta(days=8))
            await s.record(at=IN_NOV, target_type="group", target_id=gid, group_id=gid)
            await s.ticket(
                received_at=IN_NOV, category="fraud", status="upheld", decided_at=IN_NOV + timedelta(hours=5)
            )
            await s.ticket(
                received_at=IN_NOV, category="spam", status="rejected", decided_at=IN_NOV + timedelta(hours=1)
            )
        finally:
            await c.db.dispose()

    asyncio.run(run())


def tamper(src: Path, dst: Path, name: str) -> None:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == name:
                data = data[:-2] + bytes([data[-2] ^ 0x01]) + data[-1:]
            zout.writestr(info, data)


def test_package_verify_tamper_key_and_figures(tmp_path: Path) -> None:
    assert qunzu(tmp_path, "migrate").returncode == 0
    seed(tmp_path)
    r = qunzu(tmp_path, "report", "enforcement", "--from", "2026-11-01", "--to", "2026-12-01",
              "--authority", "上海市互联网信息办公室", "--document-number", "沪网信〔2026〕3号")  # fmt: skip
    assert r.returncode == 0, r.stderr
    lines = dict(line.split(":", 1) for line in r.stdout.splitlines() if ":" in line)
    package = Path(lines["package"].strip())
    assert package.parent == tmp_path / "reports" and package.name.startswith("qunzu-report-20261101-20261201-")
    assert "  enforcement_records: 1" in r.stdout and "  tickets: 2" in r.stdout
    assert len(lines["sha256"].strip()) == 64 and (tmp_path / "report-signing.key").stat().st_mode & 0o077 == 0

    ok = qunzu(tmp_path, "report", "verify", str(package))
    assert ok.returncode == 0 and ok.stdout.strip() == "OK", ok.stdout + ok.stderr
    bad = tmp_path / "bad.zip"
    tamper(package, bad, "blacklist_changes.csv")
    failed = qunzu(tmp_path, "report", "verify", str(bad))
    assert failed.returncode == 1 and failed.stdout.startswith("FAILED: blacklist_changes.csv:"), failed.stdout
    tamper(package, bad, "manifest.json")
    failed = qunzu(tmp_path, "report", "verify", str(bad))
    assert failed.returncode == 1 and failed.stdout.startswith("FAILED: manifest.sig:"), failed.stdout

    shown = qunzu(tmp_path, "report", "public-key")
    assert shown.returncode == 0 and shown.stdout.startswith("-----BEGIN PUBLIC KEY-----")
    assert f"key id: {lines['key id'].strip()}" in shown.stdout
    pem = tmp_path / "public.pem"
    pem.write_text(shown.stdout.split("key id:")[0])
    assert qunzu(tmp_path / "elsewhere", "report", "verify", str(package), "--public-key", str(pem)).returncode == 0
    other = tmp_path / "other.pem"
    other.write_bytes(
        Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    failed = qunzu(tmp_path, "report", "verify", str(package), "--public-key", str(other))
    assert failed.returncode == 1 and "is not this deployment's report-signing key" in failed.stdout

    again = qunzu(tmp_path, "report", "enforcement", "--from", "2026-11-01", "--to", "2026-12-01")
    assert again.returncode == 0 and "  enforcement_records: 0" in again.stdout, "carried once only"
    refused = qunzu(tmp_path, "report", "enforcement", "--from", "2026-12-01", "--to", "2026-11-01")
    assert refused.returncode == 1 and "package_period_invalid" in refused.stderr

    figures = qunzu(tmp_path, "report", "figures", "--month", "2026-11")
    assert figures.returncode == 0, figures.stderr
    rows = [line.split("\t") for line in figures.stdout.splitlines()[1:]]
    assert rows[0][:5] == ["2026-11", "fraud", "1", "1", "1"] and rows[1][:2] == ["2026-11", "spam"]
    assert rows[2][:4] == ["2026-11", "*", "2", "2"] and rows[2][7:9] == ["10800", "18000"]  # median 3 h, P95 5 h
    assert qunzu(tmp_path, "report", "figures", "--month", "2026-13").returncode == 1


def test_bootstrap_makes_the_signing_key_and_keeps_it(tmp_path: Path) -> None:
    assert qunzu(tmp_path, "migrate").returncode == 0
    key = tmp_path / "report-signing.key"
    assert not key.exists(), "no key is made before it is needed"
    assert qunzu(tmp_path, "admin", "bootstrap").returncode == 0
    assert key.exists() and key.stat().st_mode & 0o777 == 0o600
    before = key.read_bytes()
    first = qunzu(tmp_path, "report", "public-key").stdout
    assert qunzu(tmp_path, "admin", "bootstrap").returncode == 0 and key.read_bytes() == before
    assert qunzu(tmp_path, "report", "public-key").stdout == first
    other = tmp_path / "elsewhere" / "signing.pem"
    moved = qunzu(tmp_path, "report", "public-key", env={"QUNZU_REPORTS__SIGNING_KEY_FILE": str(other)})
    assert moved.returncode == 0 and other.exists() and moved.stdout != first
