"""Art. 4 and R-4-1, as an inspector checks them: the content taxonomy covers both families of 《网络信息内容生态治理规定》
(Art. 6, eleven kinds of illegal information; Art. 7, nine kinds of undesirable information), each category has a
handling policy, undesirable content gets graded handling rather than deletion alone, and the published platform
convention lists the same categories.

第四条：……坚持正确导向，弘扬社会主义核心价值观，培育积极健康的网络文化，维护良好网络生态。
"""

import json
import re
from importlib import resources
from pathlib import Path

from tests.cli.test_cli import qunzu

from qunzu.domain import taxonomy
from qunzu.domain.content import REASON_CODES
from qunzu.domain.taxonomy import Family, Handling, illegal_entry, of_reason, taxonomy_rows
from qunzu.review.model import Category


def _convention_items(article: str) -> list[str]:
    text = resources.files("qunzu.data").joinpath("documents", "convention.zh-CN.md").read_text("utf-8")
    body = text.split(f"**{article}**", 1)[1].split("**第", 1)[0]
    return [item.removesuffix("的") for item in re.findall(r"^\d+\. (.+?)[；。]$", body, flags=re.M)]


def test_r_4_1_export_shows_both_families_each_with_its_handling() -> None:
    rows = taxonomy_rows()
    by_family = {f: [r for r in rows if r["family"] == f] for f in ("illegal", "undesirable")}
    assert [len(by_family["illegal"]), len(by_family["undesirable"])] == [11, 9]
    assert [r["item"] for r in by_family["illegal"]] == list(range(1, 12))
    assert [r["item"] for r in by_family["undesirable"]] == list(range(1, 10))
    assert len({r["code"] for r in rows}) == 20 and all(len(r["code"]) <= 32 for r in rows)  # fits the records
    for r in rows:
        assert r["handling"] and r["repeated"] and r["name_zh"] and r["name_en"], r["code"]
        assert r["legal_basis"].startswith(
            "《网络信息内容生态治理规定》第" + ("6" if r["family"] == "illegal" else "7")
        )
    for r in by_family["illegal"]:  # 公约第十五条: stop, delete, keep from spreading, record, report
        assert {"stop_transmission", "remove", "hash_ban", "keep_record", "report"} <= set(r["handling"])
        assert r["grade"] in ("serious", "grave")


def test_r_4_1_undesirable_content_is_graded_not_only_removed() -> None:
    mild = {Handling.NOTICE, Handling.REDUCED_REACH, Handling.WARNING}
    for c in taxonomy.TAXONOMY:
        if c.family is Family.UNDESIRABLE:
            assert set(c.handling) & mild, c.code  # something other than deletion on the first finding
            assert Handling.HASH_BAN not in c.handling + c.repeated and Handling.REPORT not in c.handling
            assert set(c.repeated) - set(c.handling), c.code  # a repetition costs more
            assert c.grade == "minor"
    undesirable_first = {h for c in taxonomy.TAXONOMY if c.family is Family.UNDESIRABLE for h in c.handling}
    assert Handling.REDUCED_REACH in undesirable_first and Handling.REMOVE in undesirable_first


def test_r_4_1_the_published_convention_lists_the_same_categories() -> None:
    illegal, undesirable = _convention_items("第九条"), _convention_items("第十条")
    assert (len(illegal), len(undesirable)) == (11, 9)
    for family, items in ((Family.ILLEGAL, illegal), (Family.UNDESIRABLE, undesirable)):
        entries = [c for c in taxonomy.TAXONOMY if c.family is family]
        for c, published in zip(entries, items, strict=True):
            assert c.name_zh[:4] == published[:4], (c.code, published)


def test_r_4_1_every_reason_code_and_lexicon_category_has_an_entry() -> None:
    for code in (*REASON_CODES, *(c.value for c in Category)):
        assert of_reason(code).code in taxonomy.BY_CODE
    assert of_reason("pornography").code == "ill_obscenity_gambling_violence"
    assert of_reason("advertising").family is Family.UNDESIRABLE
    # content confirmed illegal always files under an illegal category
    assert {illegal_entry(code).family for code in (*REASON_CODES, *taxonomy.BY_CODE)} == {Family.ILLEGAL}
    assert illegal_entry("ill_rumours").code == "ill_rumours"
    assert illegal_entry("advertising").code == "ill_other_prohibited"


def test_r_4_1_cli_prints_the_taxonomy_as_json_and_as_a_table(tmp_path: Path) -> None:
    r = qunzu(tmp_path, "compliance", "taxonomy", "--format", "json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert rows == taxonomy_rows()
    table = qunzu(tmp_path, "compliance", "taxonomy").stdout.splitlines()
    assert len(table) == 21 and table[0].split("\t")[:3] == ["代码", "类别", "名称"]
    assert "违法信息" in table[1] and "停止传输" in table[1]
    assert any(line.startswith("und_clickbait\t不良信息") and "不在搜索和推荐中展示" in line for line in table)
    en = qunzu(tmp_path, "compliance", "taxonomy", "--lang", "en").stdout
    assert "Undesirable information" in en and "Exclude from search and recommendations" in en
    assert qunzu(tmp_path, "compliance", "taxonomy", "--format", "xml").returncode == 2
