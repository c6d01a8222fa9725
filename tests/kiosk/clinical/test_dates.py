"""Dates as a doctor types them."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk.clinical import dates


@pytest.mark.parametrize("text", ["09/12/2026", "9/12/2026", "09-12-2026", "09.12.2026", "09122026", " 09/12/26 ",
                                  "091226"])
def test_typed_forms(text: str) -> None:
    assert dates.parse_day(text) == dt.date(2026, 12, 9)


@pytest.mark.parametrize("text", ["31/02/2026", "12/2026", "2026-12-09", "abc", "", "0912202", "32122026"])
def test_not_dates(text: str) -> None:
    assert dates.parse_day(text) is None


def test_weekday_in_words() -> None:
    assert dates.weekday(dt.date(2026, 12, 9)) == ("Thứ Tư", "Wednesday")
