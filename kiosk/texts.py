"""Texts shipped in resources/texts (no code there): read and checked here."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

TEXTS = Path(__file__).resolve().parent.parent / "resources" / "texts"


@dataclass(frozen=True)
class Guide:
    title_vi: str
    title_en: str
    steps: tuple[tuple[str, str], ...]  # (vi, en)


@cache
def vneid_guide() -> Guide:
    data = tomllib.loads((TEXTS / "vneid_guide.toml").read_text(encoding="utf-8"))
    return Guide(data["title_vi"], data["title_en"], tuple((s["vi"], s["en"]) for s in data["steps"]))
