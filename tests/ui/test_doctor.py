"""The doctor's room: call next → health book → visit form → finalise → sent to the portal."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pdfplumber
import pytest

from kiosk.clinical import labs
from kiosk.identify import identity_from_payload
from kiosk.sandbox.people import make_people
from kiosk.sandbox.server import FACILITY_CATALOGUE
from scanner.payloads import parse_payload
from ui.doctor import DoctorWindow
from ui.prescription_box import COLUMNS

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


def call_first(qtbot, clinic, count: int = 1, doctor: tuple[str, str] | None = None) -> DoctorWindow:
    checked_in(clinic, count)
    if doctor is not None:
        clinic.sign_in(*doctor)  # the doctor who signs the papers
    window = open_room(qtbot, clinic)
    qtbot.waitUntil(lambda: window.queue.count() >= 1, timeout=5000)
    window.call_next()
    qtbot.waitUntil(lambda: window.visit is not None, timeout=15000)
    return window


def finalise_and_send(qtbot, window: DoctorWindow) -> None:
    """«Hoàn tất & gửi», then the review's «Gửi cổng BHXH», as the doctor presses them."""
    from ui.qt import Qt

    qtbot.mouseClick(window.finalise_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.review is not None and window.review.isVisible(), timeout=5000)
    assert window.review.send_button.isEnabled(), window.review.problems.text()
    qtbot.mouseClick(window.review.send_button, Qt.MouseButton.LeftButton)


def add_drug(window: DoctorWindow, typed: str) -> None:
    """A drug from the clinic's catalogue, found by what is typed (the first result), as a line of the prescription."""
    import time

    from ui.qt import QApplication

    before = len(window.rx_box.lines())
    window.rx_box.search_field.setText(typed)
    window.rx_box.add_highlighted()  # Enter at once: taken when the catalogue answers (looked up off the GUI thread)
    deadline = time.monotonic() + 5
    while len(window.rx_box.lines()) == before and time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.01)
    assert len(window.rx_box.lines()) > before, typed


def visible_texts(widget) -> list[str]:  # noqa: ANN001
    from PySide6.QtWidgets import QLabel

    return [label.text() for label in widget.findChildren(QLabel) if label.isVisible()]


def test_vitals_show_labels_units_and_name_what_is_high(qtbot, clinic, artifacts: Path) -> None:
    """The findings of the walk-through: eight bare numbers, and 165/95 without a word."""
    window = call_first(qtbot, clinic)
    window.tabs.setCurrentIndex(1)
    assert "lần/phút" in window.vital_units["pulse"].text() and "(60–100)" in window.vital_units["pulse"].text(), \
        "units and ranges are there before anything is typed"
    for key, value in zip(["pulse", "temperature", "bp_sys", "bp_dia", "resp_rate", "weight", "height", "spo2"],
                          "82 37.2 165 95 18 58 155 97".split(), strict=True):
        qtbot.keyClicks(window.vitals[key], value)
    shown = visible_texts(window.form_page)
    for label in ("Mạch", "Nhiệt độ", "HA tâm thu", "HA tâm trương", "Nhịp thở", "Cân nặng", "Chiều cao", "SpO2"):
        assert label in shown, f"no visible label {label!r}"
    units = " ".join(window.vital_units[k].text() for k in window.vitals)
    for unit in ("lần/phút", "°C", "mmHg", "kg", "cm", "%"):
        assert unit in units
    assert "(60–100)" in window.vital_units["pulse"].text(), "the adult range beside a normal pulse"
    assert "cao" in window.vital_units["bp_sys"].text() and "cao" in window.vital_units["bp_dia"].text()
    assert "cao" not in window.vital_units["pulse"].text()
    findings = window.vitals_findings.text()
    assert "Huyết áp 165/95 mmHg — cao" in findings and "người lớn" in findings
    assert window.vitals["bp_sys"].styleSheet() and not window.vitals["pulse"].styleSheet(), "coloured as well"
    qtbot.wait(100)  # the layout settles before the picture
    window.grab().save(str(artifacts / "doctor-vitals-1366x768.png"))


def test_health_book_names_facilities_and_keeps_whole_diagnoses(qtbot, clinic, artifacts: Path) -> None:
    window = call_first(qtbot, clinic)
    book, table = window.health.book, window.health.timeline
    assert table.rowCount() == len(book.visits) > 0
    for row, visit in enumerate(book.visits):
        cell = table.item(row, 1)
        if visit.facility_code in FACILITY_CATALOGUE:
            assert cell.text() == FACILITY_CATALOGUE[visit.facility_code], "a name, not the code"
        assert not re.fullmatch(r"\d{5}", cell.text())
        assert visit.facility_code in cell.toolTip()
        assert table.item(row, 2).toolTip() == visit.diagnosis_text, "the whole diagnosis, also in the tooltip"
    assert table.wordWrap()
    qtbot.wait(100)  # the layout settles before the picture
    window.grab().save(str(artifacts / "doctor-healthbook-names-1366x768.png"))


def test_lab_trend_has_dates_and_names_results_out_of_range(qtbot, clinic, artifacts: Path) -> None:
    window = call_first(qtbot, clinic, 3)
    view = window.health
    view.tabs.setCurrentIndex(2)
    assert view.labs.rowCount() > 0
    assert view.trend.x_labels and all(re.fullmatch(r"\d{2}/\d{2}/\d{4}", t) for t in view.trend.x_labels)
    out = [r for r, result in enumerate(view._labs) if labs.level(result) in (labs.HIGH, labs.LOW)]
    for row, result in enumerate(view._labs):
        words = {labs.HIGH: "cao", labs.LOW: "thấp"}.get(labs.level(result))
        cell = view.labs.item(row, 1).text()
        assert (words in cell) if words else ("cao" not in cell and "thấp" not in cell), cell
    assert out, "the sandbox patient has a result out of range"
    view.labs.selectRow(out[0])
    chosen = view._labs[out[0]]
    assert view.trend.flagged and "Ngoài khoảng tham chiếu" in view.trend_note.text()
    assert f"{chosen.value} {chosen.unit} — " in view.trend_note.text()
    qtbot.wait(100)  # the layout settles before the picture
    window.grab().save(str(artifacts / "doctor-labs-1366x768.png"))


def test_typing_a_re_exam_date(qtbot, clinic) -> None:
    window = call_first(qtbot, clinic)
    window.tabs.setCurrentIndex(1)
    day = dt.date.today() + dt.timedelta(days=10)
    qtbot.keyClicks(window.re_exam_date, day.strftime("%d%m%Y"))
    assert window.re_exam.isChecked(), "a typed date means a re-exam"
    assert day.strftime("%d/%m/%Y") in window.re_exam_seen.text() and "10 ngày nữa" in window.re_exam_seen.text()
    assert window.form_data()["re_exam_on"] == day.isoformat()
    window.re_exam_date.clear()
    qtbot.keyClicks(window.re_exam_date, day.strftime("%d/%m/%Y"))
    assert window.form_data()["re_exam_on"] == day.isoformat()
    window.re_exam_date.clear()
    qtbot.keyClicks(window.re_exam_date, "31/02/2027")
    assert "Chưa hiểu" in window.re_exam_seen.text()
    window.finalise()
    assert "Ngày tái khám chưa hợp lệ" in window.visit_status.text() and window.visit["status"] == "draft"


def test_papers_carry_the_doctor_and_the_print_notice_keeps_the_receipt(qtbot, clinic, artifacts: Path) -> None:
    window = call_first(qtbot, clinic, doctor=("minh", "demo-minh-2026"))
    window.tabs.setCurrentIndex(1)
    window.reason.setText("Sốt, ho 2 ngày")
    window.icd_search.setText("viem hong cap")
    window.add_diagnosis(True)
    add_drug(window, "paracetamol")
    qtbot.keyClicks(window.re_exam_date, (dt.date.today() + dt.timedelta(days=7)).strftime("%d/%m/%Y"))
    finalise_and_send(qtbot, window)
    qtbot.waitUntil(lambda: "mã giao dịch" in window.visit_status.text(), timeout=15000)
    receipt = window.visit_status.text()
    assert "Check-in" not in receipt and "Đăng ký khám: đã gửi" in receipt, "one language"
    for document in ("prescription", "appointment", "visit-summary"):
        before = window.last_print
        window.print_buttons[document].click()
        qtbot.waitUntil(lambda b=before: window.last_print is not b, timeout=10000)
        with pdfplumber.open(window.last_print.pdf_path) as pdf:
            text = "\n".join(page.extract_text() or "" for page in pdf.pages)
        assert "Trần Văn Minh" in text and "Số CCHN: 001234/HN-CCHN" in text, document
        assert window.print_status.text() and window.visit_status.text() == receipt, "the receipt stays"
    qtbot.wait(100)  # the layout settles before the picture
    window.grab().save(str(artifacts / "doctor-printed-1366x768.png"))


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
    add_drug(window, "paracetamol")
    window.rx_box.table.item(0, COLUMNS.index("days")).setText("3")
    assert window.rx_box.table.item(0, COLUMNS.index("quantity")).text() == "06 Viên", \
        "quantity = dose × times a day × days"
    window.grab().save(str(artifacts / "doctor-visit-1366x768.png"))
    finalise_and_send(qtbot, window)
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
    window.tabs.setCurrentIndex(1)
    window.reason.setText("Sốt")
    window.icd_search.setText("B95.0")  # allowed only as a secondary code, chosen as the main one
    window.add_diagnosis(True)
    finalise_and_send(qtbot, window)
    qtbot.waitUntil(lambda: "không được dùng làm bệnh chính" in window.visit_status.text(), timeout=10000)
    assert clinic.outbox_for(window.visit["ma_lk"]) == [] and window.visit["status"] == "draft"


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
