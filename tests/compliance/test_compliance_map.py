"""docs/compliance.md is kept honest: every requirement of the catalogue has exactly one row and every row (and every
ID cited in the map) is a catalogue requirement; rows marked done/partial name code and tests that exist; every rule
registered with @rule in the domain has a row.

The catalogue is ../shared/REQUIREMENTS.md, outside this repository; its IDs are committed in requirement_ids.txt next
to this file, and compared with the catalogue whenever it is present, so the copy cannot drift.
"""

import ast
import importlib
import pkgutil
import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

import qunzu.domain
from qunzu.domain.rules import RULES

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "compliance.md").read_text(encoding="utf-8")
CATALOGUE = ROOT.parent / "shared" / "REQUIREMENTS.md"
IDS_FILE = Path(__file__).with_name("requirement_ids.txt")
# One requirement row: ID | status | what Qunzu does | code | tests. No cell may contain "|".
ROW = re.compile(r"^\| (R-[0-9][0-9.]*-[0-9a-z]+) \| (done|partial|planned) \|([^|\n]*)\|([^|\n]*)\|([^|\n]*)\|$", re.M)
ROW_START = re.compile(r"^\|\s*R-", re.M)
# A requirement ID as the catalogue writes them: R-<article>[.<paragraph>]-<n>, and the cross-cutting R-11-x.
WELL_FORMED = re.compile(r"R-\d+(?:\.\d+)?-(?:\d+|x)")
CITED = re.compile(r"\bR-\d+(?:\.\d+)?-[0-9a-z]+")
REF = re.compile(r"`([^`]+)`")


def catalogue_ids(text: str) -> list[str]:
    """IDs the catalogue defines: the first cell of a table row. IDs cited elsewhere in its text are not definitions."""
    return re.findall(r"^\|\s*(R-[^\s|]+)\s*\|", text, re.M)


def committed_ids() -> list[str]:
    lines = IDS_FILE.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def rows() -> list[tuple[str, str, str, str]]:
    """(id, status, code, tests) of every requirement row, in the order of the map."""
    return [(m[1], m[2], m[4], m[5]) for m in ROW.finditer(DOC)]


@cache
def definitions(path: Path) -> dict[str, str]:
    """What a module defines at module and class level: qualified name -> "def", "class" or "assignment"."""

    def targets(node: ast.expr) -> list[str]:
        if isinstance(node, ast.Name):
            return [node.id]
        if isinstance(node, ast.Tuple | ast.List):
            return [name for element in node.elts for name in targets(element)]
        return []

    def visit(body: list[ast.stmt], prefix: str, found: dict[str, str]) -> None:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                found[prefix + node.name] = "def"
            elif isinstance(node, ast.ClassDef):
                found[prefix + node.name] = "class"
                visit(node.body, f"{prefix}{node.name}.", found)
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                    for name in targets(target):
                        found.setdefault(prefix + name, "assignment")
            elif isinstance(node, ast.If | ast.Try | ast.With):
                for block in ("body", "orelse", "finalbody"):
                    visit(getattr(node, block, []), prefix, found)
                for handler in getattr(node, "handlers", []):
                    visit(handler.body, prefix, found)

    found: dict[str, str] = {}
    visit(ast.parse(path.read_text(encoding="utf-8")).body, "", found)
    return found


def references(rid: str, column: str, cell: str, problems: list[str]) -> list[str]:
    """The backticked references of a Code or Tests cell; any other text there would escape the checks."""
    rest = REF.sub("", cell).replace(";", "").strip()
    if rest:
        problems.append(f"{rid}: text outside backticked references in the {column} column: {rest!r}")
    return REF.findall(cell)


def test_committed_ids_are_well_formed_and_unique() -> None:
    ids = committed_ids()
    assert ids, f"{IDS_FILE} lists no IDs"
    malformed = [i for i in ids if not WELL_FORMED.fullmatch(i)]
    repeated = [i for i, n in Counter(ids).items() if n > 1]
    assert not malformed and not repeated, f"malformed: {malformed}; listed twice: {repeated}"


def test_committed_ids_match_the_catalogue() -> None:
    if not CATALOGUE.exists():
        pytest.skip(f"{CATALOGUE} is not here (a clone on its own): only the committed copy is checked")
    defined = catalogue_ids(CATALOGUE.read_text(encoding="utf-8"))
    committed = committed_ids()
    assert committed == defined, (
        f"{IDS_FILE.name} differs from the IDs defined in {CATALOGUE} (regenerate it): "
        f"only in the catalogue {[i for i in defined if i not in committed]}, "
        f"only in the copy {[i for i in committed if i not in defined]}, or in another order"
    )


def test_the_row_pattern_parses_every_row() -> None:
    lines = [line for line in DOC.splitlines() if ROW_START.match(line)]
    unparsed = "\n".join(line[:100] for line in lines if not ROW.fullmatch(line))
    assert not unparsed, f"rows that are not `| R-… | done/partial/planned | what | code | tests |`:\n{unparsed}"
    assert len(rows()) == len(lines)


def test_every_catalogue_requirement_has_exactly_one_row() -> None:
    counts = Counter(rid for rid, *_ in rows())
    missing = [i for i in committed_ids() if i not in counts]
    repeated = [i for i, n in counts.items() if n > 1]
    assert not missing and not repeated, f"catalogue requirements with no row: {missing}; with several: {repeated}"


def test_rows_use_only_catalogue_ids_in_catalogue_order() -> None:
    catalogue = committed_ids()
    ids = [rid for rid, *_ in rows()]
    unknown = [i for i in ids if i not in catalogue]
    assert not unknown, f"rows whose ID is not in the catalogue: {unknown}"
    misplaced = [a for a, b in zip(ids, sorted(ids, key=catalogue.index), strict=True) if a != b]
    assert not misplaced, f"rows out of catalogue order: {misplaced}"


def test_every_id_cited_in_the_map_is_a_catalogue_id() -> None:
    catalogue = set(committed_ids())
    unknown = sorted(set(CITED.findall(DOC)) - catalogue)
    assert not unknown, f"IDs cited in docs/compliance.md that the catalogue does not define: {unknown}"


def test_every_article_has_a_row() -> None:
    for article in range(1, 16):
        assert re.search(rf"^\| Art\. {article} \(", DOC, re.M), f"Art. {article} missing"
    ids = {r[0] for r in rows()}
    for article in range(1, 16):
        assert any(i.startswith((f"R-{article}.", f"R-{article}-")) for i in ids), (
            f"Art. {article} has no requirement row"
        )


def test_rows_name_real_code_and_tests() -> None:
    problems: list[str] = []
    for rid, status, code, tests in rows():
        if status == "planned":
            continue
        code_refs = references(rid, "Code", code, problems)
        test_refs = references(rid, "Tests", tests, problems)
        if not code_refs:
            problems.append(f"{rid} is {status} but names no code")
        if not test_refs:
            problems.append(f"{rid} is {status} but names no test")
        for ref in code_refs:
            path, _, symbol = ref.partition("::")
            if not (ROOT / path).exists():
                problems.append(f"{rid}: {path} does not exist")
            elif symbol and not path.endswith(".py"):
                problems.append(f"{rid}: {ref} names a symbol in a file that is not Python")
            elif symbol and symbol not in definitions(ROOT / path):
                problems.append(f"{rid}: {ref}: no def, class or assignment of {symbol} in {path}")
        for ref in test_refs:
            path, _, fn = ref.partition("::")
            if not (path.startswith("tests/") and (ROOT / path).is_file()):
                problems.append(f"{rid}: {path} is not a test file")
            elif fn:
                qualname = fn.replace("::", ".")
                named_test = qualname.rpartition(".")[2].startswith("test")
                if definitions(ROOT / path).get(qualname) != "def" or not named_test:
                    problems.append(f"{rid}: {ref} is not a test function in {path}")
    assert not problems, "\n".join(problems)


def test_every_registered_rule_is_mapped() -> None:
    for mod in pkgutil.iter_modules(qunzu.domain.__path__):
        importlib.import_module(f"qunzu.domain.{mod.name}")
    documented = {r[0]: r[1] for r in rows()}
    for requirement in RULES:
        assert requirement in documented, f"{requirement} has a @rule but no row in docs/compliance.md"
        assert documented[requirement] != "planned", f"{requirement} has code but is marked planned"
