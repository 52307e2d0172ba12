"""A lexicon line holding a NUL (or another control, a surrogate, a noncharacter) is refused with its line number when
importing strictly (the CLI's `qunzu lexicon import`, the API, the web import) and dropped when reading leniently."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from qunzu.errors import ValidationFailed
from qunzu.review.lexicon import Lexicon

GOOD = "好词\tfraud\tblock"


@pytest.mark.parametrize(
    ("bad", "reason"),
    [("坏\x00词\tfraud\tblock", "control_character"), ("坏词\tfraud\tblock\t例\x1b外", "control_character"),
     ("坏\ud800词", "surrogate"), ("坏\U0010ffff词", "noncharacter")],
)  # fmt: skip
def test_a_line_with_a_control_character_is_refused_with_its_number(tmp_path: Path, bad: str, reason: str) -> None:
    path = tmp_path / "lexicon.txt"
    path.write_text(f"{GOOD}\n{bad}\n", encoding="utf-8", errors="surrogatepass")
    for source in ([GOOD, bad], io.StringIO(f"{GOOD}\n{bad}\n", newline="")) + (
        (path,) if reason != "surrogate" else ()
    ):
        with pytest.raises(ValidationFailed) as refused:
            Lexicon.load_text(source)
        assert refused.value.details["line"] == 2 and refused.value.details["reason"] == reason
        assert refused.value.message.startswith("Line 2:")


def test_a_lenient_read_drops_the_line_and_keeps_the_rest() -> None:
    lexicon = Lexicon.load_text([GOOD, "坏\x00词\tfraud\tblock", "另一个"], strict=False)
    assert sorted(e.term for e in lexicon) == ["另一个", "好词"]


def test_a_csv_row_with_a_control_character_is_refused_or_dropped() -> None:
    content = "term,category\n好词,fraud\n坏\x00词,fraud\n"
    with pytest.raises(ValidationFailed) as refused:
        Lexicon.load_csv(io.StringIO(content, newline=""))
    assert refused.value.details["line"] == 3
    assert [e.term for e in Lexicon.load_csv(io.StringIO(content, newline=""), strict=False)] == ["好词"]
