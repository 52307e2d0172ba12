"""The one loader of the message catalogues, read once from the package's data.

Each language has its main file (`zh-CN.toml`) and may have more by area in a folder of its name (`zh-CN/joins.toml`):
the sections of all of them are merged, and a key given twice is an error, so areas never overwrite each other."""

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
    root = files("qunzu.i18n")
    sources = [root.joinpath(f"{language}.toml")]
    folder = root.joinpath(language)
    if folder.is_dir():
        sources += sorted((f for f in folder.iterdir() if f.name.endswith(".toml")), key=lambda f: f.name)
    merged: dict[str, dict[str, str]] = {}
    for source in sources:
        where = source.name if source is sources[0] else f"{language}/{source.name}"
        for name, table in tomllib.loads(source.read_text(encoding="utf-8")).items():
            if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
                raise ValueError(f"{where}: [{name}] must be a table of strings")
            into = merged.setdefault(name, {})
            twice = sorted(set(into) & set(table))
            if twice:
                raise ValueError(f"{where}: [{name}] gives {', '.join(twice)} again")
            into.update(table)
    return MappingProxyType({name: MappingProxyType(table) for name, table in merged.items()})


def section(language: str, name: str) -> Section:
    """One section of a language's catalogue, e.g. section("en", "categories")."""
    return catalogue(language)[name]
