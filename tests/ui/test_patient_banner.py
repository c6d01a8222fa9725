"""The allergy line of the patient banner: known allergies in red, an unloaded book in orange, and an empty record
never said as if it were "no allergies" (a newcomer's book is empty)."""

from __future__ import annotations

import datetime as dt

from kiosk.model import Allergy, HealthBook, Patient, Provenance, Sex, Source
from ui.patient_banner import allergy_html


def _patient() -> Patient:
    return Patient(id=1, patient_code="BN0000001", full_name="LÊ VĂN TÁM", date_of_birth=dt.date(1980, 1, 2),
                   sex=Sex.MALE)


def test_an_empty_record_asks_the_patient_and_is_not_green() -> None:
    line = allergy_html(HealthBook(_patient()))
    assert "hỏi lại người bệnh" in line and "#1b7f3b" not in line, "nothing recorded is not 'no allergies'"


def test_known_allergies_are_red_and_named() -> None:
    line = allergy_html(HealthBook(_patient(), allergies=[Allergy(Provenance(Source.HEALTH_BOOK, dt.datetime(2026, 1, 1)),
                                                                "Aspirin", "Khó thở")]))
    assert "#b00020" in line and "Aspirin (Khó thở)" in line


def test_an_unloaded_book_says_unknown() -> None:
    assert "chưa rõ" in allergy_html(None)
