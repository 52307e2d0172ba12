"""domain/reports.py: renderings, the manifest and its verification, without a database."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from qunzu.domain import reports as rp
from qunzu.errors import ErrorCode, QunzuError

AT = datetime(2026, 11, 3, 4, 5, 6, 789123, tzinfo=UTC)


def sample() -> tuple[dict[str, bytes], bytes, bytes, bytes]:
    key = Ed25519PrivateKey.generate()
    rows = [{"month": "2026-11", "kind": "message", "category": "=cmd", "items": 2, "held": 2, "flagged": 0,
             "approved": 1, "rejected": 1, "pending": 0, "median_seconds": 90.0, "p95_seconds": 120}]  # fmt: skip
    files = rp.package_files([rp.section("review_statistics", rows), rp.section("taxonomy", [])])
    head = rp.PackageHead("p1", "enforcement_report", "网信办", None, AT, AT, AT, "qunzu test",
                          rp.key_id(key.public_key()), {"backlog": False})  # fmt: skip
    manifest = rp.build_manifest(head, files, {"review_statistics": 1, "taxonomy": 0})
    return files, manifest, key.sign(manifest).hex().encode(), rp.public_pem(key.public_key())


def test_values_and_renderings() -> None:
    assert rp.iso(AT) == "2026-11-03T04:05:06.789Z"
    assert rp.canonical_json({"b": AT, "a": [1, "中"]}) == '{"a":[1,"中"],"b":"2026-11-03T04:05:06.789Z"}'.encode()
    sec = rp.section("appeals", [dict.fromkeys(rp.APPEAL_COLUMNS, None) | {"id": 1, "decision_reason": "-1 分"}])
    line = json.loads(rp.render_jsonl(sec))
    assert list(line) == list(rp.APPEAL_COLUMNS) and line["decision_reason"] == "-1 分"
    raw = rp.render_csv(sec)
    assert raw.startswith("\ufeff".encode()) and b"\r\n" in raw
    header, row = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert header == list(rp.APPEAL_COLUMNS) and row[0] == "1" and row[-1] == "'-1 分", "no formula for Excel"
    with pytest.raises(ValueError):
        rp.section("appeals", [{"id": 1}])


def test_a_package_verifies_and_each_change_is_named() -> None:
    files, manifest, sig, pem = sample()
    assert rp.verify_manifest(files, manifest, sig, pem) == []
    assert json.loads(manifest)["files"][0]["name"] == "review_statistics.jsonl"
    for name in files:
        changed = dict(files)
        changed[name] = bytes([changed[name][0] ^ 1]) + changed[name][1:] if changed[name] else b"x"
        assert rp.verify_manifest(changed, manifest, sig, pem)[0].startswith(f"{name}: ")
    assert rp.verify_manifest(files, manifest.replace(b"p1", b"p2"), sig, pem)[0].startswith("manifest.sig: ")
    other = rp.public_pem(Ed25519PrivateKey.generate().public_key())
    assert rp.verify_manifest(files, manifest, sig, other)[0].startswith("manifest.sig: ")
    assert rp.verify_manifest(files | {"extra.csv": b""}, manifest, sig, pem) == [
        "extra.csv: not listed in the manifest"
    ]
    missing = {k: v for k, v in files.items() if k != "taxonomy.csv"}
    assert rp.verify_manifest(missing, manifest, sig, pem) == ["taxonomy.csv: listed in the manifest but missing"]
    assert rp.verify_manifest(files, None, sig, pem) == ["manifest.json: missing"]
    assert rp.verify_manifest(files, manifest, b"zz", pem)[0].startswith("manifest.sig: ")
    assert rp.verify_manifest(files, manifest, sig, b"junk") == ["public_key.pem: not a PEM public key"]


def test_periods() -> None:
    lo, hi = rp.parse_period("2026-11-01", "2026-12-01")
    assert lo == datetime(2026, 10, 31, 16, tzinfo=UTC) and hi == datetime(2026, 11, 30, 16, tzinfo=UTC)
    assert rp.package_name(lo, hi, "x1") == "qunzu-report-20261101-20261201-x1.zip"
    for a, b in (("2026-12-01", "2026-11-01"), ("2026-11-01", "2026-11-01"), ("2025-01-01", "2026-12-01"),
                 ("2026-11-1x", "2026-12-01"), ("1999-01-01", "1999-02-01")):  # fmt: skip
        with pytest.raises(QunzuError) as caught:
            rp.parse_period(a, b)
        assert caught.value.code is ErrorCode.PACKAGE_PERIOD_INVALID
