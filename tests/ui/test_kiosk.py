"""The self-service kiosk, offscreen, at kiosk size (1080×1920)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.security import kiosk_pin
from tests.ui.conftest import widget_texts
from ui.kiosk_window import CONFIRM, SERVICE, START, TICKET, KioskWindow
from ui.qt import QLabel, QPushButton

pytestmark = pytest.mark.gui


def open_kiosk(qtbot, clinic, camera: str) -> KioskWindow:
    window = KioskWindow(clinic, camera=camera)
    qtbot.addWidget(window)
    window.resize(1080, 1920)
    window.show()
    return window


def test_scan_confirm_choose_ticket_in_three_touches(qtbot, clinic, demo_video: Path, artifacts: Path) -> None:
    window = open_kiosk(qtbot, clinic, str(demo_video))
    window.grab().save(str(artifacts / "kiosk-start-1080x1920.png"))
    qtbot.waitUntil(lambda: window.pages.currentIndex() == CONFIRM, timeout=15000)
    from kiosk import patients

    held = window.patient
    assert held.date_of_birth is None and not held.address and not held.card_number, "the kiosk holds a masked view"
    full_name = patients.get(clinic.store, held.id).full_name
    assert full_name not in widget_texts(window), "only a masked name on a public screen"
    assert "******" in window.confirm_id.text()
    window.grab().save(str(artifacts / "kiosk-confirm-1080x1920.png"))
    touches = 0
    yes = next(b for b in window.findChildren(QPushButton) if b.property("vi") == "Đúng, là tôi")
    yes.click()
    touches += 1
    assert window.pages.currentIndex() == SERVICE
    window.service_buttons[0].click()
    touches += 1
    qtbot.waitUntil(lambda: window.pages.currentIndex() == TICKET, timeout=10000)
    assert window.ticket_number.text() == "001"
    assert touches <= 3
    window.grab().save(str(artifacts / "kiosk-ticket-1080x1920.png"))
    address = patients.get(clinic.store, held.id).address
    assert address
    assert address not in widget_texts(window), "no address on the kiosk"


def test_kiosk_type_is_large_and_targets_are_big(qtbot, clinic) -> None:
    window = open_kiosk(qtbot, clinic, "97")
    for label in window.findChildren(QLabel):
        if label.text():
            assert label.font().pixelSize() >= 24 or label.font().pointSizeF() * 96 / 72 >= 24, label.text()
    for button in window.findChildren(QPushButton):
        if button.isVisible():
            assert button.height() >= 64, button.text()


def test_idle_wipe_leaves_no_patient_text(qtbot, clinic, demo_video: Path) -> None:
    window = open_kiosk(qtbot, clinic, str(demo_video))
    qtbot.waitUntil(lambda: window.pages.currentIndex() == CONFIRM, timeout=15000)
    patient = window.patient
    shown = window.confirm_name.text()
    assert shown
    window.idle.setInterval(50)  # as if 30 s passed without a touch
    window.idle.start()
    qtbot.waitUntil(lambda: window.pages.currentIndex() == START, timeout=2000)
    texts = widget_texts(window)
    for trace in (shown, patient.full_name, patient.id_number[-4:] if patient.id_number else "x" * 20):
        assert trace not in texts
    assert window.patient is None and window.last_checkin is None


def test_english_button_and_keypad(qtbot, clinic) -> None:
    window = open_kiosk(qtbot, clinic, "97")
    window.language_button.click()
    try:
        assert "Please hold the QR code" in window.start_title.text()
        window.show_page(1)
        for key in "12345":
            window.on_key(key)
        window.on_key("✓")
        assert "12 digits" in window.keypad_title.text() and window.keypad_field.text() == ""
    finally:
        window.language_button.click()
    assert "Xin mời" in window.start_title.text()


def test_leaving_kiosk_mode_needs_the_admin_pin(qtbot, clinic, monkeypatch) -> None:
    import datetime as dt

    from kiosk.security import audit, lockout
    from ui import kiosk_window

    clock = [dt.datetime(2026, 12, 1, 9, 0)]
    monkeypatch.setattr(lockout, "_now", lambda: clock[0])
    window = open_kiosk(qtbot, clinic, "97")
    monkeypatch.setattr(kiosk_window.QInputDialog, "getText", lambda *a, **k: ("0000", True))
    window.ask_exit()
    assert window.isVisible() and "Sai mã PIN" in window.last_admin_notice, "a wrong PIN is said, not silent"
    for _ in range(lockout.FREE_ATTEMPTS - 1):
        window.ask_exit()
    monkeypatch.setattr(kiosk_window.QInputDialog, "getText", lambda *a, **k: (kiosk_pin.DEMO_PIN, True))
    window.ask_exit()  # the right PIN right after five wrong ones: refused, and the wait is said
    assert window.isVisible() and "30 giây" in window.last_admin_notice
    assert any(r.action == "security.lockout" and "kiosk exit PIN" in r.detail for r in audit.show(clinic.store))
    clock[0] += dt.timedelta(seconds=31)
    window.ask_exit()
    assert not window.isVisible()
