"""The doctor's room after the first walk-through: the ICD-10 search finds what is typed and Enter adds it, the
main diagnosis is named in words, nothing is sent to the portal without a review, the gateway's code stays out of
sight, the health book reads newest first and says when it is empty."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kiosk.model import HealthBook
from tests.ui.test_doctor import add_drug, call_first
from ui.qt import Qt

pytestmark = pytest.mark.gui


def type_search(qtbot, window, text: str) -> None:  # noqa: ANN001
    window.icd_search.clear()
    qtbot.keyClicks(window.icd_search, text)


def test_enter_adds_the_diagnosis_typed_main_first_then_secondary(qtbot, clinic, artifacts: Path) -> None:
    window = call_first(qtbot, clinic)
    window.tabs.setCurrentIndex(1)
    type_search(qtbot, window, "viem hong")
    assert window.icd_results.currentItem().text().startswith("J02.9  Viêm họng cấp"), "what was typed, first"
    qtbot.keyClick(window.icd_search, Qt.Key.Key_Return)
    type_search(qtbot, window, "tang huyet ap")
    qtbot.keyClick(window.icd_search, Qt.Key.Key_Return)
    labels = [window.diagnoses.item(i).text() for i in range(window.diagnoses.count())]
    assert len(labels) == 2 and "Bệnh chính: J02.9" in labels[0], labels
    assert "Bệnh kèm theo: I10" in labels[1], labels
    assert window.icd_search.text() == "", "the box is ready for the next diagnosis"
    data = window.form_data()["diagnoses"]
    assert [(d["code"], d["is_main"]) for d in data] == [("J02.9", True), ("I10", False)]
    qtbot.wait(100)
    window.grab().save(str(artifacts / "doctor-diagnoses-enter-1366x768.png"))


def test_nothing_is_sent_without_the_review_and_its_button(qtbot, clinic, artifacts: Path) -> None:
    window = call_first(qtbot, clinic)
    window.tabs.setCurrentIndex(1)
    patient = window.current.patient
    window.reason.setText("Sốt, ho 2 ngày")
    type_search(qtbot, window, "viem hong")
    qtbot.keyClick(window.icd_search, Qt.Key.Key_Return)
    type_search(qtbot, window, "tang huyet ap")
    qtbot.keyClick(window.icd_search, Qt.Key.Key_Return)
    add_drug(window, "paracetamol")
    day = dt.date.today() + dt.timedelta(days=7)
    qtbot.keyClicks(window.re_exam_date, day.strftime("%d/%m/%Y"))
    qtbot.mouseClick(window.finalise_button, Qt.MouseButton.LeftButton)
    review = window.review
    assert review is not None and review.isVisible(), "a review, not a send"
    summary = review.summary.text()
    for shown in (patient.full_name, patient.date_of_birth.strftime("%d/%m/%Y"), "J02.9 Viêm họng cấp",
                  "I10 Bệnh lý tăng huyết áp", "Paracetamol (Panadol) 500mg — 10 Viên", day.strftime("%d/%m/%Y"),
                  "Sốt, ho 2 ngày"):
        assert shown in summary, shown
    assert "Check" not in review.windowTitle() and review.send_button.text() == "Gửi cổng BHXH"
    assert review.send_button.isEnabled()
    qtbot.wait(200)
    assert clinic.outbox_for(window.visit["ma_lk"]) == [] and window.visit["status"] == "draft", "not sent yet"
    review.grab().save(str(artifacts / "doctor-review-ready.png"))
    qtbot.mouseClick(review.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.visit["status"] == "final", timeout=15000)
    qtbot.waitUntil(lambda: "mã giao dịch" in window.visit_status.text(), timeout=10000)
    assert {r["status"] for r in clinic.outbox_for(window.visit["ma_lk"])} == {"sent"}


def test_review_says_what_is_missing_and_cannot_send(qtbot, clinic, artifacts: Path) -> None:
    window = call_first(qtbot, clinic)
    window.tabs.setCurrentIndex(1)
    type_search(qtbot, window, "tang huyet ap")
    window.add_diagnosis(False)  # a secondary diagnosis only, and no reason typed
    window.finalise()
    review = window.review
    assert review.isVisible() and not review.send_button.isEnabled()
    missing = review.problems.text()
    assert "Lý do khám" in missing and "Chẩn đoán chính" in missing and "«Bệnh chính»" in missing, missing
    assert "Chưa có" in review.summary.text()
    review.grab().save(str(artifacts / "doctor-review-missing.png"))
    qtbot.mouseClick(review.back_button, Qt.MouseButton.LeftButton)
    assert not review.isVisible() and window.visit["status"] == "draft"
    window.confirm_finalise()  # even asked directly: nothing goes without a reason and a main diagnosis
    qtbot.wait(300)
    assert window.visit["status"] == "draft" and clinic.outbox_for(window.visit["ma_lk"]) == []
    assert "Lý do khám" in window.visit_status.text()


def test_card_banner_shows_words_not_the_gateway_code(qtbot, clinic) -> None:
    window = call_first(qtbot, clinic)
    status = window.banner.card_status
    assert status.text().startswith("Thẻ BHYT: ") and "[" not in status.text(), status.text()
    assert "000" in status.toolTip(), "the code is kept for IT, in the tooltip"


def test_health_book_labs_newest_first_and_an_empty_book_says_so(qtbot, clinic) -> None:
    window = call_first(qtbot, clinic, 3)
    view = window.health
    results = view._labs
    assert results
    by_indicator: dict[str, list] = {}
    for r in results:
        by_indicator.setdefault(r.indicator_code, []).append(r.taken_at)
    assert any(len(v) > 1 for v in by_indicator.values()), "the sandbox patient has repeated results"
    for times in by_indicator.values():
        assert times == sorted(times, reverse=True), "newest first within an indicator"
    assert view.labs.item(0, 4).text() == max(by_indicator[results[0].indicator_code]).strftime("%d/%m/%Y")
    book = view.book
    empty = HealthBook(patient=book.patient)
    view.show_book(empty, None)
    view.tabs.setCurrentIndex(0)
    assert view.timeline_empty.isVisible()
    assert view.timeline_empty.text() == "Chưa có lượt khám nào trong sổ sức khỏe"
    view.show_book(book, None)
    assert not view.timeline_empty.isVisible() and view.timeline.rowCount() > 0
