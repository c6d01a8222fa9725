"""Vietnamese first, English available: every text on screen is a pair chosen at run time."""

from __future__ import annotations

_language = "vi"


def set_language(language: str) -> None:
    global _language
    _language = "en" if language == "en" else "vi"


def language() -> str:
    return _language


def tr(vi: str, en: str) -> str:
    return en if _language == "en" else vi
