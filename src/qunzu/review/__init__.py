"""The content review engine (R-5.1-3, R-10-2, D17): normalise -> match -> decide. Pure and fast.

lexicon = Lexicon.load_text(path)
engine = ReviewEngine.build(lexicon, cache_dir=Path("var/review-cache"))
result = engine.scan("六 合 彩，稳赚不赔")   # result.action == Action.BLOCK
"""

from qunzu.review.engine import ReviewEngine
from qunzu.review.lexicon import Lexicon
from qunzu.review.model import Action, Category, Hit, LexiconEntry, ScanResult

__all__ = ["Action", "Category", "Hit", "Lexicon", "LexiconEntry", "ReviewEngine", "ScanResult", "run_scan"]


def __getattr__(name: str) -> object:
    # run_scan lives in scan_cli, which is also runnable as `python -m qunzu.review.scan_cli`: importing it
    # here eagerly would make runpy warn, so it is loaded on first access.
    if name == "run_scan":
        from qunzu.review.scan_cli import run_scan

        return run_scan
    raise AttributeError(name)
