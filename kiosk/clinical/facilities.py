"""Facility names for facility codes (mã CSKCB, 5 characters: 2-digit province + 3): from the gateway's
answers where they carry a name, else the sandbox's catalogue (demo data), else the list bundled in
resources/facilities.toml (the facilities an admin adds, and the province of any code). A code nobody names
is shown as "a facility in <province>" with its code, never as a bare code."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

BUNDLED = Path(__file__).resolve().parent.parent.parent / "resources" / "facilities.toml"
SOURCE_WORDS = {"gateway": ("cổng BHXH", "BHXH gateway"), "clinic": ("cài đặt của phòng khám", "this clinic's settings"),
                "sandbox": ("danh mục của sandbox (dữ liệu demo)", "the sandbox's catalogue (demo data)"),
                "bundled": ("danh sách kèm chương trình", "the bundled list")}


@dataclass(frozen=True)
class Bundled:
    facilities: dict[str, str]
    provinces: dict[str, str]


@cache
def bundled(path: Path = BUNDLED) -> Bundled:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return Bundled({str(k): str(v) for k, v in (data.get("facilities") or {}).items()},
                   {str(k): str(v) for k, v in (data.get("provinces") or {}).items()})


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def from_gateway(*answers: Mapping[str, Any] | None) -> dict[str, str]:
    """Code → name pairs a gateway answer carries: the registered facility (maDKBD/tenDKBD, and the new card's
    maDKBDMoi/tenDKBDMoi) and visit-history entries that name their facility (maCSKCB/tenCSKCB)."""
    names: dict[str, str] = {}
    for answer in answers:
        if not isinstance(answer, Mapping):
            continue
        for code_key, name_key in (("maDKBD", "tenDKBD"), ("maDKBDMoi", "tenDKBDMoi")):
            code, name = _text(answer.get(code_key)), _text(answer.get(name_key))
            if code and name:
                names[code] = name
        for key in ("dsLichSuKCB2025", "dsLichSuKCB2018"):
            entries = answer.get(key)
            for entry in entries if isinstance(entries, list) else []:
                if isinstance(entry, Mapping) and _text(entry.get("maCSKCB")) and _text(entry.get("tenCSKCB")):
                    names[_text(entry.get("maCSKCB"))] = _text(entry.get("tenCSKCB"))
    return names


@dataclass(frozen=True)
class FacilityLabel:
    code: str
    vi: str  # what the screen shows
    en: str
    source: str  # gateway, clinic, sandbox, bundled; "province" when only the province is known; "" unknown

    @property
    def named(self) -> bool:
        return self.source not in ("province", "")

    def tooltip(self) -> tuple[str, str]:
        if not self.code:
            return "Không rõ cơ sở", "Facility unknown"
        if self.named:
            vi, en = SOURCE_WORDS[self.source]
            return f"Mã cơ sở KBCB: {self.code} (tên theo {vi})", f"Facility code: {self.code} (name from {en})"
        return (f"Mã cơ sở KBCB: {self.code} — chưa có tên trong danh mục",
                f"Facility code: {self.code} — not in the catalogue")


class FacilityNames:
    """Names by code, asked in order: the first layer that names a code wins."""

    def __init__(self, layers: Iterable[tuple[str, Mapping[str, str]]], provinces: Mapping[str, str] | None = None):
        self.layers = [(source, dict(names)) for source, names in layers if names]
        self.provinces = dict(bundled().provinces if provinces is None else provinces)

    @classmethod
    def standard(cls, *, gateway: Mapping[str, str] | None = None, own: tuple[str, str] | None = None,
                 sandbox: Mapping[str, str] | None = None) -> FacilityNames:
        """The usual order: the gateway's names, this clinic's own (code, name), the sandbox's catalogue
        (demo mode only), the bundled list."""
        layers: list[tuple[str, Mapping[str, str]]] = [("gateway", gateway or {})]
        if own and own[0] and own[1]:
            layers.append(("clinic", {own[0]: own[1]}))
        layers += [("sandbox", sandbox or {}), ("bundled", bundled().facilities)]
        return cls(layers)

    def label(self, code: str) -> FacilityLabel:
        code = code.strip()
        if not code:
            return FacilityLabel("", "—", "—", "")
        for source, names in self.layers:
            if code in names:
                return FacilityLabel(code, names[code], names[code], source)
        province = self.provinces.get(code[:2])
        if province:
            return FacilityLabel(code, f"Cơ sở KBCB tại {province} ({code})", f"A facility in {province} ({code})",
                                 "province")
        return FacilityLabel(code, f"Cơ sở mã {code}", f"Facility {code}", "")
