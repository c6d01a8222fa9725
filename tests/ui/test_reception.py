"""The reception desk, offscreen: camera scan → patient panel → check-in → ticket."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from kiosk.facade import Clinic
from kiosk.sandbox.demo import demo_video_plan
from kiosk.settings import Settings
from tests.ui.conftest import answer_consent, widget_texts
from ui.reception import ReceptionWindow

pytestmark = pytest.mark.gui


def open_window(qtbot, clinic: Clinic, camera: str) -> ReceptionWindow:
    window = ReceptionWindow(clinic, camera=camera)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    return window


def test_camera_scan_fills_the_panel_and_check_in_prints_a_ticket(qtbot, clinic, demo_video: Path,
                                                                    artifacts: Path) -> None:
    window = open_window(qtbot, clinic, str(demo_video))
    qtbot.waitUntil(lambda: window.lookup_result is not None, timeout=15000)
    first_text = demo_video_plan(count=3)[0][2]
    name = first_text.split("|")[2]
    assert window.banner.name.text() == name
    assert "Thẻ còn giá trị sử dụng" in window.banner.card_status.text()
    assert "[000]" not in window.banner.card_status.text() and "000" in window.banner.card_status.toolTip(), \
        "the gateway's code is in the tooltip, not in the line read at a glance"
    assert "0790******69" in window.banner.details.text(), "the ID is masked on screen"
    assert window.lookup_result.patient.patient_code in window.banner.details.text()
    code = window.lookup_result.card_check.card.registered_facility
    assert code and window.panel.facility.full_text() != code and not window.panel.facility.full_text()[:1].isdigit(), \
        "the registered facility by name, not by code"
    assert code in window.panel.facility.toolTip(), "the code in the tooltip"
    assert not window.checkin_button.isEnabled(), "first visit: the consent answer on care comes first"
    answer_consent(window)
    assert window.checkin_button.isEnabled()
    qtbot.mouseClick(window.checkin_button, __import__("PySide6.QtCore", fromlist=["Qt"]).Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.last_print is not None, timeout=10000)
    assert window.ticket_label.text().startswith("001")
    assert window.last_print.pdf_path.exists()
    assert "No printer configured" in window.last_print.message_en
    assert "Chưa cấu hình máy in" in window.print_notice.text(), "the saved PDF is a visible notice"
    window.grab().save(str(artifacts / "reception-1366x768.png"))


def test_usb_wedge_scanner_works_without_clicking_a_field(qtbot, clinic, demo_video: Path) -> None:
    window = open_window(qtbot, clinic, "97")  # no such camera: the wedge still works
    qtbot.waitUntil(lambda: "97" in window.coaching.text() or "camera" in window.coaching.text().lower(),
                    timeout=5000)
    text = demo_video_plan(count=3)[1][2]
    from PySide6.QtCore import Qt

    window.manual_tabs.setCurrentIndex(1)
    window.card_input.setFocus()
    qtbot.keyClicks(window.card_input, text)
    qtbot.keyClick(window.card_input, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.lookup_result is not None, timeout=10000)
    assert window.card_input.text() == "", "the burst is taken back out of the field it landed in"
    assert window.lookup_result.patient.card_number == text.split("|")[0]


def test_second_check_in_the_same_day_reprints_the_same_number(qtbot, clinic, demo_video: Path) -> None:
    window = open_window(qtbot, clinic, str(demo_video))
    qtbot.waitUntil(lambda: window.lookup_result is not None, timeout=15000)
    answer_consent(window)
    window.on_check_in()
    qtbot.waitUntil(lambda: window.last_print is not None, timeout=10000)
    first, first_job = window.last_checkin.ticket, window.last_print.log_id
    window.on_check_in()
    qtbot.waitUntil(lambda: window.last_print.log_id != first_job, timeout=10000)
    assert window.last_checkin.reprint and window.last_checkin.ticket.number == first.number
    assert "same number reprinted" in window.print_notice.text() or "in lại số cũ" in window.print_notice.text()


def test_gateway_down_still_issues_the_ticket(qtbot, kiosk_home, demo_video: Path) -> None:
    from kiosk.sandbox import demo

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    clinic = Clinic.open(Settings(), gateway_url=f"http://127.0.0.1:{port}")
    demo.prepare(clinic.store)
    try:
        window = open_window(qtbot, clinic, str(demo_video))
        qtbot.waitUntil(lambda: window.lookup_result is not None, timeout=15000)
        assert "will be checked again" in window.lookup_result.card_check.message_en
        answer_consent(window)
        window.on_check_in()
        qtbot.waitUntil(lambda: window.last_print is not None, timeout=10000)
        assert window.last_checkin.ticket.number == 1
        pending = clinic.store.conn.execute("SELECT card_pending FROM tickets").fetchone()[0]
        assert pending == 1, "the card check is marked pending and retried later"
        window.close()
    finally:
        clinic.close()


def test_next_patient_clears_every_trace(qtbot, clinic, demo_video: Path) -> None:
    window = open_window(qtbot, clinic, str(demo_video))
    qtbot.waitUntil(lambda: window.lookup_result is not None, timeout=15000)
    name = window.lookup_result.patient.full_name
    window.clear_patient()
    assert window.lookup_result is None
    assert name not in widget_texts(window)


def test_printer_failure_is_shown_with_retry_and_save(qtbot, clinic, demo_video: Path) -> None:
    from ui.qt import QTimer

    clinic.settings.set_user("printing.ticket_printer", "cups:clinicpdf@127.0.0.1:1")  # no CUPS there
    window = open_window(qtbot, clinic, str(demo_video))
    qtbot.waitUntil(lambda: window.lookup_result is not None, timeout=15000)
    seen: list[str] = []

    def answer() -> None:
        box = getattr(window, "print_dialog", None)
        if box is None or not box.isVisible():
            QTimer.singleShot(100, answer)
            return
        seen.append(box.text())
        seen.extend(b.text() for b in box.buttons())
        box.reject()

    QTimer.singleShot(100, answer)
    answer_consent(window)
    window.on_check_in()
    qtbot.waitUntil(lambda: window.last_print is not None and bool(seen), timeout=15000)
    assert not window.last_print.printed
    assert "In lỗi" in seen[0] or "Printing failed" in seen[0]
    assert {"Thử lại", "Lưu PDF…"} <= set(seen) or {"Retry", "Save PDF…"} <= set(seen)
    assert window.last_print.pdf_path.exists(), "the PDF is kept for a retry or a reprint"
    assert window.reprint_button.isEnabled()


def test_first_registration_asks_consent_per_purpose_unticked(qtbot, clinic, demo_video: Path) -> None:
    from kiosk import consent

    window = open_window(qtbot, clinic, str(demo_video))
    qtbot.waitUntil(lambda: window.lookup_result is not None, timeout=15000)
    box = window.consent_box
    assert box.isVisible()
    assert set(box.groups) == {"care", "portal", "reminders"}
    assert not any(b.isChecked() for b in [*box.yes.values(), *box.no.values()]), "nothing chosen beforehand"
    assert not window.checkin_button.isEnabled(), "no answer on care yet"
    answer_consent(window, care=False)
    assert window.checkin_button.isEnabled(), "refusing is an answer: care goes on"
    answer_consent(window, care=True, portal=True, reminders=False)
    patient = window.lookup_result.patient
    qtbot.mouseClick(box.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not box.isVisible(), timeout=5000)
    answers = consent.current(clinic.store, patient)
    assert answers["portal"]["granted"] and not answers["reminders"]["granted"]
    assert answers["care"]["granted"] and answers["care"]["channel"] == "reception"


def test_camera_unplugged_mid_scan_and_back_recovers_without_restart(qtbot, clinic, artifacts: Path) -> None:
    from kiosk.sandbox.people import make_people
    from scanner.synth import empty_scene, render_scene
    from tests.scanner.mjpeg_server import MjpegCamera

    person = make_people(1, 60)[0]
    with MjpegCamera([empty_scene(640, 480)], fps=10, seconds=60) as camera:
        window = open_window(qtbot, clinic, camera.url)
        qtbot.waitUntil(lambda: window.camera._grabber is not None and window.camera._grabber.state == "running",
                        timeout=15000)
        camera.unplug()  # pulled out while the patient holds up the phone
        qtbot.waitUntil(lambda: "Mất camera" in window.coaching.text(), timeout=15000)
        window.grab().save(str(artifacts / "reception-camera-lost.png"))
        assert window.isVisible() and window.manual_tabs.isEnabled(), "typing the ID still works meanwhile"
        camera.plug([render_scene(person.cccd_qr)])  # plugged back in, the code in front of it
        qtbot.waitUntil(lambda: window.lookup_result is not None, timeout=20000)
        assert window.lookup_result.patient.full_name.casefold() == person.full_name.casefold()
        assert "Mất camera" not in window.coaching.text()
