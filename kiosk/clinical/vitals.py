"""Vital signs: labels, units, normal ranges for adults and children, and the check that names an
out-of-range value in words ("Huyết áp 165/95 mmHg — cao"), never by colour alone.

Ranges (awake, at rest) follow the paediatric tables of the AHA PALS provider manual (2020) by age group,
adult limits the usual ones: blood pressure < 140/90 mmHg (the hypertension threshold of the Vietnamese
Ministry of Health's guideline, QĐ 3192/QĐ-BYT 2010), pulse 60–100/min, respiration 12–20/min,
temperature 36.0–37.4 °C (fever from 37.5 °C), SpO2 ≥ 95 %. BMI for adults uses the WHO Asia-Pacific cut-offs
(18.5 / 23 / 25). Age is in whole years at the visit date; an unknown age gets the adult ranges and says so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ADULT_AGE = 18


@dataclass(frozen=True)
class Vital:
    key: str  # the key in the visit's "vitals" (the XML builder and the paper read the same keys)
    vi: str
    en: str
    unit: str  # as printed: "lần/phút", "°C", "mmHg" …
    unit_en: str
    lowest: float  # outside [lowest, highest] the value cannot be a measurement: "check again"
    highest: float


VITALS: tuple[Vital, ...] = (
    Vital("pulse", "Mạch", "Pulse", "lần/phút", "/min", 20, 300),
    Vital("temperature", "Nhiệt độ", "Temperature", "°C", "°C", 30, 45),
    Vital("bp_sys", "HA tâm thu", "BP systolic", "mmHg", "mmHg", 40, 300),
    Vital("bp_dia", "HA tâm trương", "BP diastolic", "mmHg", "mmHg", 20, 200),
    Vital("resp_rate", "Nhịp thở", "Respiration", "lần/phút", "/min", 4, 120),
    Vital("weight", "Cân nặng", "Weight", "kg", "kg", 0.3, 400),
    Vital("height", "Chiều cao", "Height", "cm", "cm", 20, 250),
    Vital("spo2", "SpO2", "SpO2", "%", "%", 50, 100),
)
BY_KEY = {v.key: v for v in VITALS}


@dataclass(frozen=True)
class Band:
    """Normal limits (inclusive) for ages below ``below_age`` years (and at or above the previous band's)."""

    below_age: float
    low: float
    high: float


# Age groups: infant (< 1), toddler (1–2), preschool (3–5), school age (6–9 / 6–12), adolescent (13–17), adult.
_GROUPS = {1: ("trẻ dưới 1 tuổi", "infant"), 3: ("trẻ 1–2 tuổi", "toddler, 1–2"), 6: ("trẻ 3–5 tuổi", "child, 3–5"),
           10: ("trẻ 6–9 tuổi", "child, 6–9"), 13: ("trẻ 6–12 tuổi", "child, 6–12"),
           18: ("trẻ 13–17 tuổi", "adolescent, 13–17"), math.inf: ("người lớn", "adult")}
INF = math.inf
RANGES: dict[str, tuple[Band, ...]] = {
    "pulse": (Band(1, 100, 160), Band(3, 98, 140), Band(6, 80, 120), Band(13, 75, 118), Band(18, 60, 100),
              Band(INF, 60, 100)),
    "resp_rate": (Band(1, 30, 53), Band(3, 22, 37), Band(6, 20, 28), Band(13, 18, 25), Band(18, 12, 20),
                  Band(INF, 12, 20)),
    "bp_sys": (Band(1, 72, 104), Band(3, 86, 106), Band(6, 89, 112), Band(10, 97, 115), Band(13, 102, 120),
               Band(18, 110, 131), Band(INF, 90, 139)),
    "bp_dia": (Band(1, 37, 56), Band(3, 42, 63), Band(6, 46, 72), Band(10, 57, 76), Band(13, 61, 80),
               Band(18, 64, 83), Band(INF, 60, 89)),
    "temperature": (Band(INF, 36.0, 37.4),),
    "spo2": (Band(INF, 95, 100),),
}
# Weight and height have no normal range of their own: for adults they give the BMI (below).
BMI_BANDS = ((18.5, "gầy", "underweight"), (23.0, "", ""), (25.0, "thừa cân", "overweight"),
             (INF, "béo phì", "obese"))

HIGH, LOW, NORMAL, WRONG = "high", "low", "normal", "wrong"
WORDS = {
    HIGH: ("cao", "high"), LOW: ("thấp", "low"),
    WRONG: ("không hợp lý — kiểm tra lại", "not plausible — check again"),
}
SPECIAL_WORDS = {("temperature", HIGH): ("sốt", "fever"), ("temperature", LOW): ("thấp (hạ thân nhiệt)", "low"),
                 ("spo2", LOW): ("thấp (thiếu oxy)", "low (hypoxaemia)")}


def band(key: str, age: int | None) -> Band | None:
    """The normal limits of ``key`` at ``age`` (whole years; None: adult)."""
    bands = RANGES.get(key)
    if not bands:
        return None
    years = ADULT_AGE if age is None else age
    return next(b for b in bands if years < b.below_age)


def group_name(key: str, age: int | None) -> tuple[str, str]:
    """Whose limits apply, in words: ("người lớn", "adult"), ("trẻ 3–5 tuổi", "child, 3–5") …"""
    found = band(key, age)
    if found is None or len(RANGES[key]) == 1:
        return _GROUPS[INF] if (age is None or age >= ADULT_AGE) else ("mọi lứa tuổi", "all ages")
    return _GROUPS[found.below_age]


def number(value: Any) -> float | None:
    """A typed or stored value as a number ("37,2" → 37.2); None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        text = value.strip().replace(",", ".")
        try:
            result = float(text)
        except ValueError:
            return None
        return result if math.isfinite(result) else None
    return None


def shown(value: float) -> str:
    """A number as Vietnamese write it: 37,2 — 165 (no trailing ,0)."""
    return (f"{value:.1f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))).replace(".", ",")


def range_text(key: str, age: int | None) -> str:
    found = band(key, age)
    if found is None:
        return ""
    return f"{shown(found.low)}–{shown(found.high)}"


@dataclass(frozen=True)
class FieldCheck:
    """One field: its level (normal, high, low, wrong — or "" when empty) and its normal range."""

    key: str
    level: str
    range_text: str


@dataclass(frozen=True)
class Finding:
    """An abnormal value named in words, in both languages."""

    keys: tuple[str, ...]
    level: str
    vi: str
    en: str


@dataclass(frozen=True)
class Assessment:
    age: int | None
    fields: dict[str, FieldCheck]
    findings: tuple[Finding, ...]
    bmi: float | None = None

    @property
    def abnormal(self) -> bool:
        return bool(self.findings)


def _level(key: str, value: float, age: int | None) -> str:
    vital = BY_KEY[key]
    if not vital.lowest <= value <= vital.highest:
        return WRONG
    found = band(key, age)
    if found is None:
        return NORMAL
    return HIGH if value > found.high else LOW if value < found.low else NORMAL


def level_words(key: str, level: str) -> tuple[str, str]:
    return SPECIAL_WORDS.get((key, level)) or WORDS[level]


def assess(values: Mapping[str, Any], age: int | None) -> Assessment:
    """Check every filled vital against the limits for ``age``; name each abnormal one in words."""
    fields: dict[str, FieldCheck] = {}
    numbers: dict[str, float] = {}
    for vital in VITALS:
        raw = values.get(vital.key)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            fields[vital.key] = FieldCheck(vital.key, "", range_text(vital.key, age))
            continue
        value = number(raw)
        level = WRONG if value is None else _level(vital.key, value, age)
        if value is not None:
            numbers[vital.key] = value
        fields[vital.key] = FieldCheck(vital.key, level, range_text(vital.key, age))

    findings: list[Finding] = []
    sys_, dia = fields["bp_sys"], fields["bp_dia"]
    if "bp_sys" in numbers and "bp_dia" in numbers and WRONG not in (sys_.level, dia.level) \
            and numbers["bp_sys"] <= numbers["bp_dia"]:
        fields["bp_sys"] = FieldCheck("bp_sys", WRONG, sys_.range_text)
        fields["bp_dia"] = FieldCheck("bp_dia", WRONG, dia.range_text)
        findings.append(Finding(("bp_sys", "bp_dia"), WRONG,
                                f"Huyết áp {shown(numbers['bp_sys'])}/{shown(numbers['bp_dia'])} mmHg — tâm thu phải "
                                f"lớn hơn tâm trương, kiểm tra lại",
                                f"Blood pressure {shown(numbers['bp_sys'])}/{shown(numbers['bp_dia'])} mmHg — "
                                f"systolic must exceed diastolic, check again"))
    elif "bp_sys" in numbers and "bp_dia" in numbers and {sys_.level, dia.level} != {NORMAL}:
        findings.append(_bp_finding(numbers["bp_sys"], numbers["bp_dia"], sys_.level, dia.level, age))
    for vital in VITALS:
        check = fields[vital.key]
        if check.level in ("", NORMAL) or any(vital.key in f.keys for f in findings):
            continue
        raw = values.get(vital.key)
        value = numbers.get(vital.key)
        value_text = shown(value) if value is not None else str(raw).strip()
        vi_word, en_word = level_words(vital.key, check.level)
        limits = "" if check.level == WRONG or not check.range_text else f" (bình thường {check.range_text})"
        limits_en = "" if check.level == WRONG or not check.range_text else f" (normal {check.range_text})"
        findings.append(Finding((vital.key,), check.level, f"{vital.vi} {value_text} {vital.unit} — {vi_word}{limits}",
                                f"{vital.en} {value_text} {vital.unit_en} — {en_word}{limits_en}"))

    bmi = None
    if "weight" in numbers and "height" in numbers and fields["weight"].level == NORMAL \
            and fields["height"].level == NORMAL:
        bmi = numbers["weight"] / (numbers["height"] / 100) ** 2
        if age is not None and age >= ADULT_AGE:
            vi_word, en_word = next((vi, en) for limit, vi, en in BMI_BANDS if bmi < limit)
            if vi_word:
                findings.append(Finding(("weight", "height"), HIGH if bmi >= 23 else LOW,
                                        f"BMI {shown(round(bmi, 1))} — {vi_word} (ngưỡng châu Á 18,5–22,9)",
                                        f"BMI {shown(round(bmi, 1))} — {en_word} (Asian cut-offs 18.5–22.9)"))
    return Assessment(age, fields, tuple(findings), bmi)


def _bp_finding(sys_value: float, dia_value: float, sys_level: str, dia_level: str, age: int | None) -> Finding:
    pair = f"{shown(sys_value)}/{shown(dia_value)} mmHg"
    limits = f"{range_text('bp_sys', age)}/{range_text('bp_dia', age)}"
    levels = {sys_level, dia_level} - {NORMAL}
    if len(levels) == 1:
        level = levels.pop()
        vi_word, en_word = WORDS[level]
    else:  # one high, the other low: say which
        level = HIGH
        vi_word = f"tâm thu {WORDS[sys_level][0]}, tâm trương {WORDS[dia_level][0]}"
        en_word = f"systolic {WORDS[sys_level][1]}, diastolic {WORDS[dia_level][1]}"
    return Finding(("bp_sys", "bp_dia"), level, f"Huyết áp {pair} — {vi_word} (bình thường {limits})",
                   f"Blood pressure {pair} — {en_word} (normal {limits})")

