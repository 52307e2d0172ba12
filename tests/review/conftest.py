"""Fixtures for the review engine tests: the test lexicon and one engine built from it per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from qunzu.review import Lexicon, ReviewEngine

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def lexicon() -> Lexicon:
    return Lexicon.load_text(DATA / "lexicon.txt")


@pytest.fixture(scope="session")
def engine(lexicon: Lexicon) -> ReviewEngine:
    return ReviewEngine.build(lexicon)
