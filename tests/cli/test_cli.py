"""Operator commands, run as an operator would: as processes with QUNZU_* environment variables."""

import json
import os
import stat
import subprocess
from pathlib import Path

from tests.conftest import PYTHON, ROOT


def qunzu(tmp_path: Path, *args: str, env: dict[str, str] | None = None, stdin: str | None = None):  # type: ignore[no-untyped-def]
    full = {**os.environ, "QUNZU_DATA_DIR": str(tmp_path), "QUNZU_PROFILE": "test", **(env or {})}
    return subprocess.run(
        [PYTHON, "-m", "qunzu", *args], env=full, cwd=ROOT, capture_output=True, text=True, input=stdin, timeout=120
    )


def test_config_show_masks_secrets(tmp_path: Path) -> None:
    r = qunzu(
        tmp_path,
        "config",
        "show",
        env={
            "QUNZU_DATABASE_URL": "postgresql+asyncpg://qunzu:s3cret@db.internal:5432/qunzu",
            "QUNZU_SECRET_KEY": "super-secret-value",
            "QUNZU_GROUPS__MAX_MEMBERS_HARD": "3000",
        },
    )
    assert r.returncode == 0, r.stderr
    shown = json.loads(r.stdout)
    assert "s3cret" not in r.stdout and "super-secret-value" not in r.stdout
    assert shown["database_url"] == "postgresql+asyncpg://qunzu:****@db.internal:5432/qunzu"
    assert shown["groups"]["max_members_hard"] == 3000
    assert shown["logs"]["network_retention_days"] == 365


def test_settings_from_qunzu_toml(tmp_path: Path) -> None:
    cfg = tmp_path / "qunzu.toml"
    cfg.write_text("[groups]\nmax_members_hard = 1200\n[messages]\nmax_length = 2000\n")
    r = qunzu(tmp_path, "config", "show", env={"QUNZU_CONFIG_FILE": str(cfg)})
    shown = json.loads(r.stdout)
    assert shown["groups"]["max_members_hard"] == 1200 and shown["messages"]["max_length"] == 2000


def test_log_retention_below_six_months_refuses_to_start(tmp_path: Path) -> None:
    r = qunzu(tmp_path, "config", "show", env={"QUNZU_LOGS__NETWORK_RETENTION_DAYS": "100"})
    assert r.returncode == 2
    assert "at least 184 days" in r.stderr
    r = qunzu(tmp_path, "serve", env={"QUNZU_LOGS__OPERATION_RETENTION_DAYS": "30"})
    assert r.returncode == 2 and "at least 184 days" in r.stderr


def test_migrate_bootstrap_and_admin_create(tmp_path: Path) -> None:
    assert qunzu(tmp_path, "migrate").returncode == 0
    assert qunzu(tmp_path, "migrate").returncode == 0, "migrating twice is harmless"
    r = qunzu(tmp_path, "admin", "bootstrap")
    assert r.returncode == 0 and "username: admin" in r.stdout
    pw_file = tmp_path / "initial-admin-password"
    password = pw_file.read_text().strip()
    assert password in r.stdout and stat.S_IMODE(pw_file.stat().st_mode) == 0o600
    again = qunzu(tmp_path, "admin", "bootstrap")
    assert "username: admin" not in again.stdout and password not in again.stdout
    r = qunzu(
        tmp_path,
        "admin",
        "create",
        "--username",
        "rev1",
        "--role",
        "reviewer",
        "--password",
        "-",
        stdin="long-password-1\n",
    )
    assert r.returncode == 0, r.stderr
    r = qunzu(
        tmp_path,
        "admin",
        "create",
        "--username",
        "rev1",
        "--role",
        "reviewer",
        "--password",
        "-",
        stdin="long-password-1\n",
    )
    assert r.returncode == 1 and "username_taken" in r.stderr
    r = qunzu(tmp_path, "admin", "create", "--username", "x1", "--role", "emperor", "--generate-password")
    assert r.returncode == 2 and "unknown role" in r.stderr
    secret = tmp_path / "secret_key"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
