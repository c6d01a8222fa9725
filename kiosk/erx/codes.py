"""Prescription codes (TT 26/2025, QĐ 808 §VII): ``xxxxxyyyyyyy-z`` — the clinic's 5-character BHYT facility code,
7 random characters ``[0-9a-z]``, ``-`` and the prescription's type letter. Made by the clinic's software and
unique forever: every code given is kept in ``prescription_codes`` (never purged), and a code is taken there in the
caller's transaction before it is used."""

from __future__ import annotations

import datetime as dt
import re
import secrets
import string

from kiosk.errors import BadInput, KioskError
from kiosk.store.sqlite import Store

ALPHABET = string.digits + string.ascii_lowercase
KINDS = {"c": "Đơn thuốc thông thường", "n": "Đơn thuốc gây nghiện", "h": "Đơn thuốc hướng thần, tiền chất",
         "y": "Đơn thuốc y học cổ truyền"}
KINDS_EN = {"c": "ordinary prescription", "n": "narcotic prescription",
            "h": "psychotropic/precursor prescription", "y": "traditional-medicine prescription"}
CODE = re.compile(r"^[0-9A-Za-z]{5}[0-9a-z]{7}-[cnhy]$")


def make(facility: str, kind: str) -> str:
    """A fresh code (not yet reserved): use :func:`take` to give one."""
    if len(facility) != 5 or not facility.isalnum():
        raise BadInput(f"Mã cơ sở {facility!r} phải có 5 ký tự để làm mã đơn thuốc",
                       f"The facility code {facility!r} must have 5 characters to make prescription codes")
    if kind not in KINDS:
        raise BadInput(f"Loại đơn thuốc {kind!r} không có", f"No prescription type {kind!r}")
    return f"{facility}{''.join(secrets.choice(ALPHABET) for _ in range(7))}-{kind}"


def is_code(text: str) -> bool:
    return bool(CODE.match(text))


def take(store: Store, facility: str, kind: str) -> str:
    """Give a new code, recorded for ever (inside the caller's transaction when there is one)."""
    for _ in range(20):  # 36^7 ≈ 7.8e10 codes: a clash is rare; a few tries are more than enough
        code = make(facility, kind)
        with store.transaction() as db:
            if db.execute("SELECT 1 FROM prescription_codes WHERE code = ?", (code,)).fetchone():
                continue
            db.execute("INSERT INTO prescription_codes(code, created_at) VALUES (?, ?)",
                       (code, dt.datetime.now().isoformat(timespec="seconds")))
        return code
    raise KioskError("Không tạo được mã đơn thuốc mới", "Could not make a new prescription code")
