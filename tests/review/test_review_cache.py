"""The on-disk cache of compiled lexicons: keyed by content hash, verified, rebuilt when damaged."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from qunzu.review import Action, Category, Lexicon, LexiconEntry, ReviewEngine


def _synthetic(n: int) -> Lexicon:
    rng = random.Random(5)
    chars = [chr(cp) for cp in range(0x4E00, 0x4E00 + 3000)]
    terms: set[str] = set()
    while len(terms) < n:
        terms.add("".join(rng.choices(chars, k=rng.choice([2, 3, 4]))))
    return Lexicon.from_entries(LexiconEntry(t, Category.CUSTOM, Action.FLAG) for t in sorted(terms))


def test_twenty_thousand_terms_load_from_cache_instead_of_being_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second build reads the compiled lexicon from the cache: it never compiles (no timing involved; the
    benchmark measures how long each takes, docs/benchmarks.md)."""
    from qunzu.review import engine as engine_module

    lexicon = _synthetic(20_000)
    probe = lexicon.entries[123].term
    compiles: list[str] = []
    real = engine_module.compile_lexicon

    def counted(lex: Lexicon, *args: object) -> object:
        compiles.append(lex.content_hash)
        return real(lex, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(engine_module, "compile_lexicon", counted)
    cold = ReviewEngine.build(lexicon, tmp_path)
    warm = ReviewEngine.build(lexicon, tmp_path)
    files = sorted(p.name for p in tmp_path.iterdir())
    assert any(name.startswith("lexicon-") for name in files) and any(name.startswith("base-") for name in files)
    assert compiles == [lexicon.content_hash], "built once, then loaded from the cache"
    assert warm.version == cold.version == lexicon.content_hash
    assert warm.term_count == cold.term_count == 20_000
    assert warm.scan(f"有人说{probe}吗").terms == cold.scan(f"有人说{probe}吗").terms == [probe]


def test_a_changed_lexicon_gets_its_own_file(tmp_path: Path) -> None:
    one = Lexicon.from_entries([LexiconEntry("赌博", Category.GAMBLING)])
    two = Lexicon.from_entries([LexiconEntry("赌博", Category.GAMBLING), LexiconEntry("大麻")])
    ReviewEngine.build(one, tmp_path)
    eng = ReviewEngine.build(two, tmp_path)
    assert len(list(tmp_path.glob("lexicon-*.bin"))) == 2
    assert eng.scan("大麻").terms == ["大麻"]


def test_a_damaged_cache_file_is_rebuilt(tmp_path: Path) -> None:
    lexicon = Lexicon.from_entries([LexiconEntry("赌博", Category.GAMBLING)])
    ReviewEngine.build(lexicon, tmp_path)
    (path,) = tmp_path.glob("lexicon-*.bin")
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF
    path.write_bytes(bytes(data))
    assert ReviewEngine.build(lexicon, tmp_path).scan("赌 博").terms == ["赌博"]
    assert path.read_bytes() != bytes(data)


def test_an_unwritable_cache_directory_only_costs_a_rebuild(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    eng = ReviewEngine.build(Lexicon.from_entries([LexiconEntry("赌博")]), blocker / "cache")
    assert eng.scan("赌博").action is Action.BLOCK


def test_a_lexicon_file_seen_before_is_not_parsed_again(tmp_path: Path) -> None:
    path = tmp_path / "lexicon.txt"
    path.write_text("赌博\tgambling\tblock\n大麻\tillegal_goods\thold\n", encoding="utf-8")
    first = ReviewEngine.load_text_file(path, tmp_path / "cache")
    assert list((tmp_path / "cache").glob("file-*"))
    again = ReviewEngine.load_text_file(path, tmp_path / "cache")
    assert again.version == first.version == Lexicon.load_text(path).content_hash
    assert again.scan("大 麻").action is Action.HOLD
    path.write_text("赌博\tgambling\tflag\n", encoding="utf-8")
    assert ReviewEngine.load_text_file(path, tmp_path / "cache").scan("赌博").action is Action.FLAG
