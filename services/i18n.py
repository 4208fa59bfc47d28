"""Message catalogues (Project Fluent): Simplified Chinese by default, English by choice.
Every user-facing text lives in services/locales/<lang>/*.ftl, none inline in code."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from fluent.runtime import FluentBundle, FluentResource
from fluent.runtime.types import fluent_number

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
_LOCALE_TAGS = {"zh": "zh-CN", "en": "en-US"}


def normalize_language(code: str | None) -> str:
    """Telegram gives e.g. 'zh-hans' or 'en-GB'; anything unknown falls back to Chinese."""
    if not code:
        return DEFAULT_LANGUAGE
    base = code.lower().split("-")[0].split("_")[0]
    return base if base in LANGUAGES else DEFAULT_LANGUAGE


class Translator:
    def __init__(self, language: str) -> None:
        self.language = normalize_language(language)
        self._bundles = [_bundle(self.language)]
        if self.language != DEFAULT_LANGUAGE:
            self._bundles.append(_bundle(DEFAULT_LANGUAGE))

    def __call__(self, key: str, **args: Any) -> str:
        for bundle in self._bundles:
            if bundle.has_message(key):
                message = bundle.get_message(key)
                if message.value is None:
                    continue
                text, _errors = bundle.format_pattern(message.value, _plain_numbers(args))
                return str(text)
        return key  # a missing key shows itself, which tests catch

    def has(self, key: str) -> bool:
        return any(b.has_message(key) for b in self._bundles)


def _plain_numbers(args: dict[str, Any]) -> dict[str, Any]:
    # no digit grouping: years and hours read '2024' and '1200', not '2,024'
    return {
        k: fluent_number(v, useGrouping=False)
        if isinstance(v, int) and not isinstance(v, bool)
        else v
        for k, v in args.items()
    }


@cache
def _bundle(language: str) -> FluentBundle:
    # no Unicode isolation marks: they show up as stray characters in terminals and CSV files
    bundle = FluentBundle([_LOCALE_TAGS[language]], use_isolating=False)
    folder = resources.files("services") / "locales" / language
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".ftl"):
            bundle.add_resource(FluentResource(entry.read_text(encoding="utf-8")))
    return bundle


@cache
def translator(language: str) -> Translator:
    return Translator(language)
