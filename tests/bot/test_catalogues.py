"""Every bot text exists in both languages, including the keys built at run time."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

from fluent.syntax import parse
from fluent.syntax.ast import Message

from bot.flows.keyboards import _LAYOUT
from bot.flows.router import all_commands
from core.idnumber import IdNumberReason
from services.i18n import LANGUAGES, translator
from services.onboarding import ROLES

LOCALES = Path(__file__).resolve().parents[2] / "services" / "locales"
BOT_SOURCES = Path(__file__).resolve().parents[2] / "bot"


def keys(language: str) -> set[str]:
    found: set[str] = set()
    for path in (LOCALES / language).glob("*.ftl"):
        resource = parse(path.read_text(encoding="utf-8"))
        found |= {entry.id.name for entry in resource.body if isinstance(entry, Message)}
    return found


def test_both_catalogues_have_the_same_keys() -> None:
    assert keys("zh") == keys("en")


def test_keys_used_in_code_exist() -> None:
    literal = re.compile(r"""\b(?:say|t)\(\s*"([a-z][a-z0-9_-]+)\"""")
    used = {
        match
        for path in BOT_SOURCES.rglob("*.py")
        for match in literal.findall(path.read_text(encoding="utf-8"))
    }
    dynamic = (
        {f"onb-id-invalid-{r}" for r in get_args(IdNumberReason)}
        | {f"invite-{r}" for r in ("unknown", "used", "expired")}
        | {f"onb-refused-{r}" for r in ("person_taken", "account_bound")}
        | {f"role-{r}" for r in (*ROLES, "auditor")}
        | {f"lang-name-{c}" for c in LANGUAGES}
        | {f"cmd-desc-{c}" for c in all_commands()}
        | {label for row in _LAYOUT for _action, label, _roles in row}
        | {f"prog-{k}-deadline-passed" for k in ("public", "registration")}
    )
    assert used, "the scan found no keys"
    for language in LANGUAGES:
        missing = (used | dynamic) - keys(language)
        assert not missing, (language, missing)


def test_translator_formats_arguments() -> None:
    assert translator("en")("prog-total", total="55", min="90") == "· Total: 55 of 90 hours"


def test_no_key_defined_in_two_catalogue_files() -> None:
    # all .ftl files of a language share one bundle: a repeated key would shadow another
    for language in LANGUAGES:
        seen: dict[str, str] = {}
        for path in sorted((LOCALES / language).glob("*.ftl")):
            for entry in parse(path.read_text(encoding="utf-8")).body:
                if isinstance(entry, Message):
                    assert entry.id.name not in seen, (language, entry.id.name, path.name)
                    seen[entry.id.name] = path.name
