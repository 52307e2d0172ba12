"""`qunzu compliance policy export|show|file` (R-7.1-3, D15), run as an operator runs them."""

from pathlib import Path

from tests.cli.test_cli import qunzu


def test_export_show_and_file_the_management_rules(tmp_path: Path) -> None:
    assert qunzu(tmp_path, "migrate").returncode == 0
    shown = qunzu(tmp_path, "compliance", "policy", "show")
    assert shown.returncode == 0, shown.stderr
    assert "version in force: v1" in shown.stdout and "filed: none" in shown.stdout
    assert "运行版本与备案版本不一致" in shown.stdout

    md = tmp_path / "policy.md"
    r = qunzu(tmp_path, "compliance", "policy", "export", "--output", str(md))
    assert r.returncode == 0, r.stderr
    text = md.read_text(encoding="utf-8")
    for expected in ("# 互联网群组信息服务管理制度", "| 版本 | v1 |", "| 备案状态 | 未备案 |",
                     "| S | 40 | L1 | C2 | 0 | 否 |", "| L | 500 | L2 | C3 | 7 | 否 |", "| 金融理财 | finance | 是 |",
                     "| C5 | 100 | 5 | 20 |", "| 邀请链接有效期（天） | 7 |", "| 活跃 | 700 | 50 |"):  # fmt: skip
        assert expected in text, expected
    r = qunzu(tmp_path, "compliance", "policy", "export", "--format", "html", "--lang", "en", "--version", "1")
    assert r.returncode == 0 and r.stdout.startswith("<!doctype html>")
    assert "<td>M</td><td>100</td>" in r.stdout and "Invite link validity (days)" in r.stdout
    r = qunzu(tmp_path, "compliance", "policy", "export", "--format", "pdf")
    assert r.returncode == 1 and "validation_failed" in r.stderr

    r = qunzu(tmp_path, "compliance", "policy", "file", "1", "--ref", "京网信备-001", "--by", "nobody")
    assert r.returncode == 1 and "not a staff account" in r.stderr
    r = qunzu(tmp_path, "admin", "create", "--username", "officer1", "--role", "compliance_officer", "--password", "-",
              stdin="long-password-1\n")  # fmt: skip
    assert r.returncode == 0, r.stderr
    r = qunzu(tmp_path, "compliance", "policy", "file", "9", "--ref", "京网信备-001", "--by", "officer1")
    assert r.returncode == 1 and "not_found" in r.stderr
    r = qunzu(tmp_path, "compliance", "policy", "file", "1", "--ref", "京网信备-001", "--by", "officer1")
    assert r.returncode == 0, r.stderr
    shown = qunzu(tmp_path, "compliance", "policy", "show").stdout
    assert "last filed: v1 (ref 京网信备-001" in shown and "不一致" not in shown
    assert "备案编号 京网信备-001" in qunzu(tmp_path, "compliance", "policy", "export").stdout
