"""Lab results against their reference range, named in words when outside it."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk.clinical import labs
from kiosk.model import LabResult, Provenance, Source

AT = dt.datetime(2026, 3, 7, 8, 0)


def result(value: str, reference: str = "", code: str = "GLU", unit: str = "mmol/L") -> LabResult:
    return LabResult(Provenance(Source.HEALTH_BOOK, AT), code, "Glucose máu lúc đói", value, unit, AT, reference)


@pytest.mark.parametrize(("text", "low", "high"), [("3.9 - 6.4", 3.9, 6.4), ("3,9–6,4", 3.9, 6.4),
                                                    ("62 - 120", 62, 120), ("< 5.2", None, 5.2),
                                                    ("≥ 60", 60, None), ("6.4-3.9", 3.9, 6.4)])
def test_ranges_as_laboratories_write_them(text: str, low: float | None, high: float | None) -> None:
    ref = labs.parse_range(text)
    assert ref is not None and (ref.low, ref.high) == (low, high)


def test_unreadable_range_is_none() -> None:
    assert labs.parse_range("âm tính") is None and labs.parse_range("") is None


def test_out_of_range_is_named() -> None:
    high = result("6.6", "3.9 - 6.4")
    assert labs.level(high) == labs.HIGH
    assert labs.named(high) == ("6.6 mmol/L — cao (tham chiếu 3.9–6.4)", "6.6 mmol/L — high (reference 3.9–6.4)")
    assert labs.level(result("3.8", "3.9 - 6.4")) == labs.LOW
    assert labs.level(result("6.4", "3.9 - 6.4")) == labs.NORMAL and labs.named(result("6.4", "3.9 - 6.4")) is None


def test_bundled_table_only_in_the_same_unit() -> None:
    assert labs.level(result("7.0")) == labs.HIGH  # no range given: the table's 3.9–6.4 mmol/L
    assert labs.reference(result("7.0")).source == "table"
    assert labs.level(result("126", unit="mg/dL")) is None, "another unit: no guess"
    assert labs.level(result("positive", "3.9 - 6.4")) is None
