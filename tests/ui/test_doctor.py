"""The doctor's room: call next → health book → visit form → finalise → sent to the portal."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.identify import identity_from_payload
from kiosk.sandbox.people import make_people
from scanner.payloads import parse_payload
from ui.doctor import DoctorWindow

pytestmark = pytest.mark.gui


def checked_in(clinic, count: int = 2):
    people = [p for p in make_people(1, 60) if p.card_state == "000" and p.history_length >= 3][:count]
    for p in people:
        patient = clinic.identify(identity_from_payload(parse_payload(p.cccd_qr)))
        clinic.check_in(patient, "K01")
    return people


def open_room(qtbot, clinic) -> DoctorWindow:
    window = DoctorWindow(clinic)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    window.department.setCurrentIndex(0)  # K01 room 101
    return window


def test_call_next_form_finalise_sent(qtbot, clinic, artifacts: Path) -> None:
    people = checked_in(clinic)
    window = open_room(qtbot, clinic)
    qtbot.waitUntil(lambda: window.queue.count() >= 1, timeout=5000)
    window.call_next()
    qtbot.waitUntil(lambda: window.visit is not None, timeout=15000)
    assert window.health.book is not None
    assert window.health.timeline.rowCount() == people[0].history_length
    assert people[0].full_name.upper() in window.health.banner.text().upper()
    window.grab().save(str(artifacts / "doctor-healthbook-1366x768.png"))
    window.tabs.setCurrentIndex(1)
    window.reason.setText("Sốt, ho 2 ngày")
    window.vitals["temperature"].setText("38,2")
    window.icd_search.setText("viem hong cap")
    assert window.icd_results.count() > 0
    window.add_diagnosis(True)
    window.add_drug()
    window.rx.item(0, 0).setText("Paracetamol")
    window.rx.item(0, 4).setText("3")
    assert window.rx.item(0, 6).text() == "6", "quantity = dose × times a day × days"
    window.grab().save(str(artifacts / "doctor-visit-1366x768.png"))
    window.finalise()
    qtbot.waitUntil(lambda: window.visit["status"] == "final", timeout=15000)
    qtbot.waitUntil(lambda: "transaction" in window.visit_status.text() or "mã giao dịch" in window.visit_status.text(),
                    timeout=10000)
    rows = clinic.outbox_for(window.visit["ma_lk"])
    assert {r["status"] for r in rows} == {"sent"}
    assert not window.form_page.isEnabled(), "a finalised visit is locked"
    assert window.print_buttons["prescription"].isEnabled() and not window.print_buttons["referral"].isEnabled()
    window.print_buttons["prescription"].click()
    qtbot.waitUntil(lambda: window.last_print is not None, timeout=10000)
    assert window.last_print.pdf_path.exists() and "No printer configured" in window.last_print.message_en
    window.correct()
    qtbot.waitUntil(lambda: window.visit["version"] == 2, timeout=10000)
    assert window.form_page.isEnabled() and window.visit["ma_lk"] == rows[0]["ma_lk"]


def test_finalise_problems_are_shown_not_sent(qtbot, clinic) -> None:
    checked_in(clinic, 1)
    window = open_room(qtbot, clinic)
    qtbot.waitUntil(lambda: window.queue.count() >= 1, timeout=5000)
    window.call_next()
    qtbot.waitUntil(lambda: window.visit is not None, timeout=15000)
    window.finalise()  # no diagnosis
    qtbot.waitUntil(lambda: "main diagnosis" in window.visit_status.text()
                    or "chẩn đoán chính" in window.visit_status.text(), timeout=10000)
    assert clinic.outbox_for(window.visit["ma_lk"]) == []


def test_draft_autosaves_and_comes_back(qtbot, clinic) -> None:
    checked_in(clinic, 1)
    window = open_room(qtbot, clinic)
    qtbot.waitUntil(lambda: window.queue.count() >= 1, timeout=5000)
    window.call_next()
    qtbot.waitUntil(lambda: window.visit is not None, timeout=15000)
    window.notes.setPlainText("Họng đỏ, amidan sưng")
    qtbot.waitUntil(lambda: "Draft saved" in window.visit_status.text() or "Đã lưu nháp" in window.visit_status.text(),
                    timeout=5000)
    ticket = window.entry.ticket
    window.close()
    again = clinic.start_visit(ticket, None)
    assert again["data"]["exam_notes"] == "Họng đỏ, amidan sưng"


def test_rejected_submission_is_shown_with_its_reason(qtbot, clinic) -> None:
    from ui.doctor import outbox_summary

    text = outbox_summary([{"kind": "claim", "status": "rejected", "last_error": "400: Hồ sơ không hợp lệ: thiếu XML1",
                            "transaction_id": ""}])
    assert "thiếu XML1" in text and ("REJECTED" in text or "TỪ CHỐI" in text)
