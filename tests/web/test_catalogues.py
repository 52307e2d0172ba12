"""The message catalogues (src/qunzu/i18n/*.toml): both languages complete, and every text the code asks for exists."""

from __future__ import annotations

import re
import string
import tomllib
from importlib.resources import files
from pathlib import Path

import pytest

from qunzu.config import DEFAULT_CATEGORIES
from qunzu.domain import text as text_rules
from qunzu.domain.identity import REAL_NAME
from qunzu.errors import ErrorCode, QunzuError
from qunzu.i18n import LANGUAGES, catalogue
from qunzu.web.i18n import SCRIPT_KEYS, error_action

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "src" / "qunzu" / "web"
ZH, EN = LANGUAGES

# t("key") / t('key', ...) in a template; a key ending in `~ variable` is a prefix
TEMPLATE_CALL = re.compile(r"""(?<![\w.])t\(\s*(['"])([^'"]*)\1\s*([,)~])""")
SCRIPT_CALL = re.compile(r"""(?<![\w.])t\(\s*(["'])([^"'$]+)\1""")
SCRIPT_PREFIX = re.compile(r"""(?<![\w.])t\(\s*`([^`$]*)\$\{""")
HANDLER_CALL = re.compile(r"""\bw\.t\(\s*(["'])([^"']+)\1""")


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def web_keys() -> set[str]:
    return set(catalogue(EN)["web"])


def missing(keys: set[str], where: str) -> str:
    return f"no text in the catalogues' [web] for {sorted(keys)} (used in {where})"


def test_both_languages_have_the_same_sections_and_keys() -> None:
    zh, en = catalogue(ZH), catalogue(EN)
    assert set(zh) == set(en), f"sections only in zh-CN: {set(zh) - set(en)}; only in en: {set(en) - set(zh)}"
    problems = []
    for name in zh:
        for key in sorted(set(zh[name]) - set(en[name])):
            problems.append(f"[{name}] {key!r} is in zh-CN.toml but not in en.toml")
        for key in sorted(set(en[name]) - set(zh[name])):
            problems.append(f"[{name}] {key!r} is in en.toml but not in zh-CN.toml")
    assert not problems, "\n".join(problems)


def test_a_keys_texts_have_the_same_placeholders() -> None:
    zh, en = catalogue(ZH), catalogue(EN)
    problems = []
    for name in zh:
        for key in zh[name].keys() & en[name].keys():
            try:
                zh_names, en_names = placeholders(zh[name][key]), placeholders(en[name][key])
            except ValueError as exc:  # a lone { or }
                problems.append(f"[{name}] {key!r}: not a format string ({exc})")
                continue
            if zh_names != en_names:
                problems.append(f"[{name}] {key!r}: zh-CN has {sorted(zh_names)}, en has {sorted(en_names)}")
    assert not problems, "\n".join(problems)


def test_no_text_is_empty() -> None:
    empty = [
        f"{language}.toml [{name}] {key!r}"
        for language in LANGUAGES
        for name, texts in catalogue(language).items()
        for key, text in texts.items()
        if not text.strip()
    ]
    assert not empty, f"empty texts: {empty}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_error_code_has_a_text(language: str) -> None:
    errors = catalogue(language)["errors"]
    absent = [code.value for code in ErrorCode if code.value not in errors]
    assert not absent, f"{language}.toml [errors] has no text for {absent}"
    unknown = sorted(set(errors) - {code.value for code in ErrorCode})
    assert not unknown, f"{language}.toml [errors] has texts for codes that do not exist: {unknown}"


def test_every_category_and_text_rule_has_a_text() -> None:
    texts = catalogue(ZH)
    absent = [c for c in DEFAULT_CATEGORIES if c not in texts["categories"]]
    assert not absent, f"no [categories] label for {absent}"
    reasons = [
        text_rules.CONTROL_CHARACTER,
        text_rules.SURROGATE,
        text_rules.NONCHARACTER,
        text_rules.LINE_BREAK,
        text_rules.EMPTY,
        REAL_NAME,
    ]
    absent = [r for r in reasons if r not in texts["text_reasons"]]
    assert not absent, f"no [text_reasons] text for {absent}"


def test_every_key_the_templates_use_exists() -> None:
    keys = web_keys()
    used: set[tuple[str, str]] = set()  # (key, template)
    prefixes: set[tuple[str, str]] = set()
    for path in sorted((WEB / "templates").rglob("*.html")):
        for match in TEMPLATE_CALL.finditer(path.read_text(encoding="utf-8")):
            (prefixes if match.group(3) == "~" else used).add((match.group(2), path.name))
    assert len(used) > 100, "the pattern for t(...) in the templates finds (almost) nothing: has the call changed?"
    absent = {key for key, _ in used if key not in keys}
    assert not absent, missing(absent, "templates: " + ", ".join(sorted({p for k, p in used if k in absent})))
    no_key = {prefix for prefix, _ in prefixes if not any(k.startswith(prefix) for k in keys)}
    assert not no_key, f"no [web] key starts with {sorted(no_key)} (a template builds keys from it)"


def test_every_key_the_handlers_use_exists() -> None:
    used = {m.group(2) for path in WEB.glob("*.py") for m in HANDLER_CALL.finditer(path.read_text(encoding="utf-8"))}
    actions = [error_action(QunzuError(code=code)) for code in ErrorCode]
    used |= {action[1] for action in actions if action is not None}
    absent = used - web_keys()
    assert not absent, missing(absent, "src/qunzu/web/*.py")


def test_every_key_the_browser_scripts_use_is_sent_to_them() -> None:
    scripts = {p.name: p.read_text(encoding="utf-8") for p in sorted((WEB / "static" / "js").glob("*.js"))}
    used = {m.group(2) for s in scripts.values() for m in SCRIPT_CALL.finditer(s)}
    assert used, "the pattern for t(...) in the browser scripts finds nothing: has the call changed?"
    absent = used - set(SCRIPT_KEYS)
    assert not absent, f"{missing(absent - web_keys(), 'static/js')}; not in SCRIPT_KEYS: {sorted(absent)}"
    prefixes = {m.group(1) for s in scripts.values() for m in SCRIPT_PREFIX.finditer(s)}
    no_key = {p for p in prefixes if not any(k.startswith(p) for k in SCRIPT_KEYS)}
    assert not no_key, f"no key in SCRIPT_KEYS starts with {sorted(no_key)} (a script builds keys from it)"


def test_the_catalogues_are_package_data() -> None:
    """pyproject's package-data names the catalogue files, so a built wheel carries them."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["qunzu"]
    package = ROOT / "src" / "qunzu"
    for language in LANGUAGES:
        assert files("qunzu.i18n").joinpath(f"{language}.toml").is_file()
        assert any(package.joinpath(f"i18n/{language}.toml").match(str(package / p)) for p in patterns), (
            f"i18n/{language}.toml is not in [tool.setuptools.package-data] {patterns}"
        )
