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


def test_a_patient_known_by_card_only_shows_the_card_under_its_own_name() -> None:
    import datetime as dt

    from kiosk.model import DatePrecision, Patient, Sex
    from ui.patient_banner import identity_line

    by_card = Patient(1, "BN0000009", "HUỲNH QUỐC SƠN", dt.date(1980, 5, 1), DatePrecision.DAY, Sex.MALE,
                      card_number="HS4010123456751")
    line = identity_line(by_card, dt.date(2026, 12, 2))
    assert "Thẻ BHYT HS40" in line and "Số định danh" not in line  # a card number is not a personal ID
    assert "Số định danh 0010" in identity_line(Patient(2, "BN2", "A", id_number="001099012345"))
