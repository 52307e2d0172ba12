"""The one loader of the message catalogues: each language's TOML file, read once from the package's data."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache
from importlib.resources import files
from types import MappingProxyType

LANGUAGES = ("zh-CN", "en")  # the first is the site's default language
FALLBACK = "en"  # the catalogue for a language we do not have

Section = Mapping[str, str]
Catalogue = Mapping[str, Section]


@cache
def catalogue(language: str) -> Catalogue:
    """All of one language's texts by section (read-only); a language not in LANGUAGES gets English."""
    if language not in LANGUAGES:
        return catalogue(FALLBACK)
    raw = files("qunzu.i18n").joinpath(f"{language}.toml").read_text(encoding="utf-8")
    data = tomllib.loads(raw)
    sections: dict[str, Section] = {}
    for name, table in data.items():
        if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
            raise ValueError(f"{language}.toml: [{name}] must be a table of strings")
        sections[name] = MappingProxyType(table)
    return MappingProxyType(sections)


def section(language: str, name: str) -> Section:
    """One section of a language's catalogue, e.g. section("en", "categories")."""
    return catalogue(language)[name]
