"""Lab results against their reference range: the range the result carries ("3.9 - 6.4", "< 5.2"), else a
bundled table of common outpatient tests (adult limits, used only when the units match), and the words that
name a value outside it ("6.6 — cao")."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from kiosk.model import LabResult

HIGH, LOW, NORMAL = "high", "low", "normal"
WORDS = {HIGH: ("cao", "high"), LOW: ("thấp", "low"), NORMAL: ("bình thường", "normal")}


@dataclass(frozen=True)
class Reference:
    low: float | None  # None: no lower limit ("< 5.2")
    high: float | None  # None: no upper limit ("> 1.0")
    source: str = "result"  # "result": the laboratory's own range; "table": the bundled table below

    @property
    def text(self) -> str:
        fmt = lambda v: f"{v:g}"  # noqa: E731
        if self.low is not None and self.high is not None:
            return f"{fmt(self.low)}–{fmt(self.high)}"
        return f"< {fmt(self.high)}" if self.high is not None else f"> {fmt(self.low)}"


# Adult reference limits of common outpatient tests, by indicator code (as the health book's maChiSo): used
# only when a result comes without its own range and in the same unit.
TABLE: dict[str, tuple[float | None, float | None, str]] = {
    "GLU": (3.9, 6.4, "mmol/L"),  # fasting plasma glucose
    "HBA1C": (4.0, 6.0, "%"),
    "CHOL": (3.9, 5.2, "mmol/L"),
    "TG": (0.46, 1.88, "mmol/L"),
    "HDL": (0.9, None, "mmol/L"),
    "LDL": (None, 3.4, "mmol/L"),
    "CREA": (62.0, 120.0, "µmol/L"),
    "URE": (2.5, 7.5, "mmol/L"),
    "AST": (None, 37.0, "U/L"),
    "ALT": (None, 40.0, "U/L"),
    "UA": (180.0, 420.0, "µmol/L"),
}

_NUMBER = r"[-+]?\d+(?:[.,]\d+)?"
_BETWEEN = re.compile(rf"^\s*({_NUMBER})\s*(?:-|–|—|~|đến|to)\s*({_NUMBER})\s*$")
_BELOW = re.compile(rf"^\s*(?:<|≤|<=)\s*({_NUMBER})\s*$")
_ABOVE = re.compile(rf"^\s*(?:>|≥|>=)\s*({_NUMBER})\s*$")


def _float(text: str) -> float:
    return float(text.replace(",", "."))


def parse_range(text: str) -> Reference | None:
    """A reference range as laboratories write it: "3.9 - 6.4", "3,9–6,4", "< 5.2", "≥ 60"."""
    if not text:
        return None
    if m := _BETWEEN.match(text):
        low, high = sorted((_float(m.group(1)), _float(m.group(2))))
        return Reference(low, high)
    if m := _BELOW.match(text):
        return Reference(None, _float(m.group(1)))
    if m := _ABOVE.match(text):
        return Reference(_float(m.group(1)), None)
    return None


def _unit(text: str) -> str:
    return text.replace("μ", "µ").replace(" ", "").casefold()


def reference(result: LabResult) -> Reference | None:
    """The result's own range, else the bundled table's when the unit is the same; None when neither."""
    own = parse_range(result.reference_range)
    if own is not None:
        return own
    row = TABLE.get(result.indicator_code.upper())
    if row is None or _unit(row[2]) != _unit(result.unit):
        return None
    return Reference(row[0], row[1], "table")


def value(result: LabResult) -> float | None:
    try:
        number = _float(result.value.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def level(result: LabResult) -> str | None:
    """HIGH, LOW or NORMAL against the reference; None when the value is not a number or there is no range."""
    number, ref = value(result), reference(result)
    if number is None or ref is None:
        return None
    if ref.high is not None and number > ref.high:
        return HIGH
    if ref.low is not None and number < ref.low:
        return LOW
    return NORMAL


def named(result: LabResult) -> tuple[str, str] | None:
    """An out-of-range result in words ("6.6 mmol/L — cao (tham chiếu 3.9–6.4)"); None when within range or
    unknown."""
    found = level(result)
    if found not in (HIGH, LOW):
        return None
    ref = reference(result)
    assert ref is not None
    unit = f" {result.unit}" if result.unit else ""
    vi, en = WORDS[found]
    return (f"{result.value}{unit} — {vi} (tham chiếu {ref.text})", f"{result.value}{unit} — {en} (reference {ref.text})")
