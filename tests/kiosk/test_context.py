"""The station's patient context, without windows: one patient at a time, actions bound to it."""

from __future__ import annotations

import datetime as dt

from kiosk.context import StationContext
from kiosk.model import Identity, IdentitySource, Patient


def patient(pid: int, name: str, cccd: str, card: str = "") -> Patient:
    return Patient(pid, f"BN{pid:07d}", name, dt.date(1980, 1, 2), id_number=cccd, card_number=card)


def test_an_action_is_refused_once_its_patient_left_the_station() -> None:
    station = StationContext("reception")
    first = station.open(patient(1, "NGUYỄN VĂN AN", "001080000001"), "lan")
    assert station.is_current(first) and station.under_work()
    second = station.open(patient(2, "TRẦN THỊ BÌNH", "001080000002"), "lan")
    assert station.is_current(second) and not station.is_current(first)  # a reprint enabled for the first
    station.close("next patient")
    assert station.current is None and station.closed_because == "next patient"
    assert not station.is_current(second)


def test_the_same_person_by_id_card_or_name_and_birth_date() -> None:
    ctx = StationContext("reception").open(patient(1, "Nguyễn Văn An", "001080000001", "DN4010123456789"), "lan")
    assert ctx.is_same_person(Identity(IdentitySource.CCCD_QR, id_number="001080000001"))
    assert not ctx.is_same_person(Identity(IdentitySource.CCCD_QR, id_number="001080000002"))
    # a new card of the same person: another prefix, the same 10-digit BHXH number
    assert ctx.is_same_person(Identity(IdentitySource.BHYT_QR, card_number="GD4790123456789"))
    assert ctx.is_same_person(Identity(IdentitySource.MANUAL, full_name="NGUYỄN  VĂN AN",
                                       date_of_birth=dt.date(1980, 1, 2)))
    assert not ctx.is_same_person(Identity(IdentitySource.MANUAL, full_name="NGUYỄN VĂN AN",
                                           date_of_birth=dt.date(1981, 1, 2)))


def test_prints_are_kept_per_patient_and_tagged_with_the_context() -> None:
    class Outcome:
        log_id = 7

    station = StationContext("doctor")
    ctx = station.open(patient(1, "A", "001080000001"), "minh")
    assert ctx.last_print is None
    ctx.printed(Outcome())
    assert ctx.last_print == 7 and ctx.tag == f"doctor:minh:{ctx.serial}"
    assert station.open(patient(2, "B", "001080000002"), "minh").last_print is None
