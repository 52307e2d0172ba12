"""`qunzu compliance taxonomy`: the content taxonomy (R-4-1) with each category's handling, as JSON or a table."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer


def taxonomy_command(
    fmt: Annotated[str, typer.Option("--format", help="json | table")] = "table",
    lang: Annotated[str, typer.Option("--lang", help="zh-CN | en")] = "zh-CN",
) -> None:
    """Both families of the ecology governance rules (11 illegal, 9 undesirable), each with its handling."""
    from qunzu.domain.taxonomy import taxonomy_rows
    from qunzu.i18n.loader import LANGUAGES, section

    rows = taxonomy_rows()
    if fmt == "json":
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return
    if fmt != "table" or lang not in LANGUAGES:
        typer.echo("--format is json or table; --lang is zh-CN or en", err=True)
        raise typer.Exit(2)
    t = section(lang, "taxonomy")
    head = [t["h.code"], t["h.family"], t["h.name"], t["h.basis"], t["h.grade"], t["h.handling"], t["h.repeated"]]
    typer.echo("\t".join(head))
    sep = "、" if lang == "zh-CN" else ", "
    for r in rows:
        steps = sep.join(t[f"handling.{h}"] for h in r["handling"])
        again = sep.join(t[f"handling.{h}"] for h in r["repeated"])
        name = r["name_zh"] if lang == "zh-CN" else r["name_en"]
        cells = [r["code"], t[f"family.{r['family']}"], name, r["legal_basis"], t[f"grade.{r['grade']}"], steps, again]
        typer.echo("\t".join(cells))
