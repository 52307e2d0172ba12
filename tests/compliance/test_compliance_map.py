"""docs/compliance.md is kept honest: every article has a row, rows marked done/partial name real code and tests,
and every rule registered with @rule in the domain has a row."""

import importlib
import pkgutil
import re
from pathlib import Path

import qunzu.domain
from qunzu.domain.rules import RULES

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "compliance.md").read_text(encoding="utf-8")
ROW = re.compile(r"^\| (R-[0-9.]+-\d+) \| (done|partial|planned) \|(.*?)\|(.*?)\|(.*?)\|$", re.M)


def rows() -> list[tuple[str, str, str, str]]:
    return [(m[1], m[2], m[4], m[5]) for m in ROW.finditer(DOC)]


def test_every_article_has_a_row() -> None:
    for article in range(1, 16):
        assert re.search(rf"^\| Art\. {article} \(", DOC, re.M), f"Art. {article} missing"
    ids = {r[0] for r in rows()}
    for article in range(1, 16):
        assert any(i.startswith(f"R-{article}.") or i.startswith(f"R-{article}-") for i in ids), article


def test_rows_name_real_code_and_tests() -> None:
    for rid, status, code, tests in rows():
        if status == "planned":
            continue
        assert tests.strip(), f"{rid} is {status} but names no test"
        for ref in re.findall(r"`([^`]+)`", code):
            path, _, symbol = ref.partition("::")
            assert (ROOT / path).exists(), f"{rid}: {path} does not exist"
            if symbol:
                assert re.search(rf"def {symbol}\b", (ROOT / path).read_text()), f"{rid}: {ref}"
        for ref in re.findall(r"`([^`]+)`", tests):
            path, _, fn = ref.partition("::")
            assert (ROOT / path).exists(), f"{rid}: {path} does not exist"
            assert re.search(rf"def {fn}\b", (ROOT / path).read_text()), f"{rid}: {ref} not found"


def test_every_registered_rule_is_mapped() -> None:
    for mod in pkgutil.iter_modules(qunzu.domain.__path__):
        importlib.import_module(f"qunzu.domain.{mod.name}")
    documented = {r[0]: r[1] for r in rows()}
    for requirement in RULES:
        assert requirement in documented, f"{requirement} has a @rule but no row in docs/compliance.md"
        assert documented[requirement] != "planned", f"{requirement} has code but is marked planned"
