"""Dates as a doctor types them: "09/12/2026", "9/12/2026", "09-12-2026", "09.12.2026" or "09122026"; a
two-digit year ("09/12/26", "091226") is in this century. Anything else is not a date (None), never a guess."""

from __future__ import annotations

import datetime as dt
import re

_SEPARATED = re.compile(r"^\s*(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{2}|\d{4})\s*$")
_DIGITS = re.compile(r"^\s*(\d{2})(\d{2})(\d{2}|\d{4})\s*$")
WEEKDAYS = (("Thứ Hai", "Monday"), ("Thứ Ba", "Tuesday"), ("Thứ Tư", "Wednesday"), ("Thứ Năm", "Thursday"),
            ("Thứ Sáu", "Friday"), ("Thứ Bảy", "Saturday"), ("Chủ nhật", "Sunday"))


def parse_day(text: str) -> dt.date | None:
    match = _SEPARATED.match(text) or _DIGITS.match(text)
    if match is None:
        return None
    day, month, year = (int(g) for g in match.groups())
    if len(match.group(3)) == 2:
        year += 2000
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def day_text(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def weekday(day: dt.date) -> tuple[str, str]:
    return WEEKDAYS[day.weekday()]
