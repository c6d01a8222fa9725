"""The self-service kiosk, offscreen, at kiosk size (1080×1920)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.security import kiosk_pin
from scanner.payloads import parse_payload
from tests.ui.conftest import widget_texts
from ui.kiosk_window import CONFIRM, CONFIRM_GUARD_S, DEPARTMENT, KEYPAD, SERVICE, START, TICKET, KioskWindow
from ui.qt import QLabel, QPushButton

pytestmark = pytest.mark.gui


def open_kiosk(qtbot, clinic, camera: str) -> KioskWindow:
    window = KioskWindow(clinic, camera=camera)
    qtbot.addWidget(window)
    window.resize(1080, 1920)
    window.show()
    return window


def _verdict(qtbot, window: KioskWindow) -> str:
    """Wait for the card's answer on the service page, as the patient would."""
    qtbot.waitUntil(lambda: window._card is not None, timeout=15000)
    return window.card_verdict.text()


def _ticket_row(clinic, patient_id: int) -> tuple:
    return clinic.store.conn.execute("SELECT service, card_decision, card_pending FROM tickets WHERE patient_id = ?",
                                     (patient_id,)).fetchone()


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
    yes.click()  # a tap landing as the page appears was meant for the page before: ignored
    assert window.pages.currentIndex() == CONFIRM
    qtbot.wait(int(CONFIRM_GUARD_S * 1000) + 100)  # the patient reads the name first
    yes.click()
    touches += 1
    assert window.pages.currentIndex() == SERVICE
    assert "dùng được hôm nay" in _verdict(qtbot, window), "the demo video's first person has a valid card"
    window.grab().save(str(artifacts / "kiosk-service-1080x1920.png"))
    bhyt = window.service_buttons[0]
    assert bhyt.text() == "Khám BHYT" and bhyt.isEnabled()
    bhyt.click()
    touches += 1
    assert window.pages.currentIndex() == DEPARTMENT
    window.department_buttons[0].click()
    touches += 1
    qtbot.waitUntil(lambda: window.pages.currentIndex() == TICKET, timeout=10000)
    assert window.ticket_number.text() == "001"
    assert touches <= 3
    assert _ticket_row(clinic, held.id) == ("Khám BHYT", "usable", 0), "the kiosk's card check stands on the ticket"
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
        assert "12 digits: 7 missing" in window.keypad_hint.text() and window.keypad_field.text() == "123 45", \
            "what was typed stays, in groups of three"
        assert window.keypad_keys["✓"].text() == "Done"
    finally:
        window.language_button.click()
    assert "Xin mời" in window.start_title.text()


def test_leaving_kiosk_mode_needs_the_admin_pin_on_the_on_screen_keypad(qtbot, clinic, monkeypatch) -> None:
    import datetime as dt

    from kiosk.security import audit, lockout
    from ui import kiosk_window

    clock = [dt.datetime(2026, 12, 1, 9, 0)]
    monkeypatch.setattr(lockout, "_now", lambda: clock[0])
    window = open_kiosk(qtbot, clinic, "97")

    def type_pin(pin: str) -> None:
        """Touch the on-screen keypad, as the admin does (the kiosk has no keyboard); it stays open after a miss."""
        window.ask_exit()
        assert len([w for w in window.findChildren(kiosk_window.PinPad) if w.isVisible()]) == 1
        pad = window.pin_pad
        assert pad.isVisible()
        assert {pad.ok_button.text(), pad.cancel_button.text()} == {"Xác nhận", "Huỷ"}, "Vietnamese, not OK/Cancel"
        for button in [pad.ok_button, pad.cancel_button, *pad.keys.values()]:  # big enough to touch, text not cut
            assert button.height() >= 64 and button.width() >= 64
            assert button.fontMetrics().horizontalAdvance(button.text()) <= button.contentsRect().width() - 8
        for key in pin:
            qtbot.mouseClick(pad.keys[key], kiosk_window.Qt.MouseButton.LeftButton)
        assert pad.field.text() == pin and pad.field.echoMode() == pad.field.EchoMode.Password
        qtbot.mouseClick(pad.ok_button, kiosk_window.Qt.MouseButton.LeftButton)

    window.ask_exit()
    window.pin_pad.cancel_button.click()
    assert window.isVisible() and not window.last_admin_notice, "cancel leaves quietly"
    type_pin("0000")
    assert window.isVisible() and "Sai mã PIN" in window.last_admin_notice, "a wrong PIN is said, not silent"
    assert window.pin_pad.isVisible() and "Sai mã PIN" in window.pin_pad.prompt.text(), "said on the pad itself"
    for _ in range(lockout.FREE_ATTEMPTS - 1):
        type_pin("0000")
    type_pin(kiosk_pin.DEMO_PIN)  # the right PIN right after five wrong ones: refused, and the wait is said
    assert window.isVisible() and "30 giây" in window.last_admin_notice
    assert any(r.action == "security.lockout" and "kiosk exit PIN" in r.detail for r in audit.show(clinic.store))
    clock[0] += dt.timedelta(seconds=31)
    type_pin(kiosk_pin.DEMO_PIN)
    assert not window.isVisible()


def test_a_card_that_cannot_be_used_is_said_plainly_and_only_a_fee_paying_visit_is_offered(qtbot, clinic) -> None:
    world = clinic.gateway() and clinic._sandbox.world
    person = next(p for p in world.people if p.card_state == "010")  # the card has expired
    window = open_kiosk(qtbot, clinic, "97")
    window.handle_payload(parse_payload(person.cccd_qr))
    qtbot.waitUntil(lambda: window.pages.currentIndex() == CONFIRM, timeout=10000)
    qtbot.wait(int(CONFIRM_GUARD_S * 1000) + 100)
    next(b for b in window.findChildren(QPushButton) if b.property("vi") == "Đúng, là tôi").click()
    verdict = _verdict(qtbot, window)
    assert "không dùng được hôm nay" in verdict and "quầy tiếp đón" in verdict
    assert "cannot" not in verdict, "one language at a time"
    by_name = {b.text(): b for b in window.service_buttons}
    assert not by_name["Khám BHYT"].isEnabled() and not by_name["Tái khám theo hẹn"].isEnabled()
    assert by_name["Khám dịch vụ"].isEnabled()
    assert window.card_verdict.font().pixelSize() >= 32 or "font-size: 32px" in window.styleSheet()
    by_name["Khám dịch vụ"].click()
    window.department_buttons[0].click()
    qtbot.waitUntil(lambda: window.pages.currentIndex() == TICKET, timeout=10000)
    patient_id = window.patient.id
    assert _ticket_row(clinic, patient_id) == ("Khám dịch vụ", "not_usable", 0)
    # the kiosk's own check is what the facade holds it to: an insurance check-in is refused, plainly
    from kiosk.errors import CardNotUsable

    with pytest.raises(CardNotUsable, match="không dùng được"):
        clinic.check_in(window.patient, clinic.settings["facility.departments"][1]["code"], service="Khám BHYT",
                        station="kiosk")


def test_no_camera_is_said_in_large_type_and_the_keypad_offered(qtbot, clinic) -> None:
    window = open_kiosk(qtbot, clinic, "97")  # no such camera
    qtbot.waitUntil(window.camera_state.isVisible, timeout=10000)
    assert "Camera chưa sẵn sàng" in window.camera_state.text()
    assert "Nhập số căn cước" in window.start_title.text(), "the start page no longer asks for a QR to nobody"
    assert not window.preview.isVisible()
    assert "not working" not in window.camera_state.text() and "reconnecting" not in window.camera_state.text()


def test_unknown_id_gets_a_large_message_in_one_language(qtbot, clinic) -> None:
    window = open_kiosk(qtbot, clinic, "97")
    window.show_page(1)
    for key in "079999999999":
        window.on_key(key)
    window.on_key("✓")
    qtbot.waitUntil(lambda: bool(window.start_notice.text()), timeout=10000)
    text = window.start_notice.text()
    assert window.pages.currentIndex() == START
    assert "Chưa có hồ sơ" in text and "quầy tiếp đón" in text and "record" not in text
    assert window.start_notice.objectName() == "notice" and "QLabel#notice { font-size: 36px" in window.styleSheet()


def test_no_scan_takes_over_while_a_patient_types_or_confirms(qtbot, clinic) -> None:
    """The next person in the line holding up a phone must not take the screen of the one at the kiosk."""
    world = clinic.gateway() and clinic._sandbox.world
    first, second = [p for p in world.people if p.card_state == "000"][:2]
    window = open_kiosk(qtbot, clinic, "97")
    window.show_page(KEYPAD)
    for key in "0791":
        window.on_key(key)
    window.handle_payload(parse_payload(second.cccd_qr))  # a code in view of the camera, or a wedge scan
    qtbot.wait(300)
    assert window.pages.currentIndex() == KEYPAD and window.typed_id == "0791" and window.patient is None
    window.wipe()
    window.handle_payload(parse_payload(first.cccd_qr))
    qtbot.waitUntil(lambda: window.pages.currentIndex() == CONFIRM, timeout=10000)
    shown = window.confirm_name.text()
    window.handle_payload(parse_payload(second.cccd_qr))
    qtbot.wait(300)
    assert window.confirm_name.text() == shown and window.pages.currentIndex() == CONFIRM, "the first person stays"


def test_a_ticket_that_did_not_print_gives_one_instruction(qtbot, clinic) -> None:
    world = clinic.gateway() and clinic._sandbox.world
    person = next(p for p in world.people if p.card_state == "000")
    window = open_kiosk(qtbot, clinic, "97")
    window.handle_payload(parse_payload(person.cccd_qr))
    qtbot.waitUntil(lambda: window.pages.currentIndex() == CONFIRM, timeout=10000)
    window.choose_service()
    qtbot.waitUntil(lambda: window._card is not None, timeout=10000)
    window.service_buttons[1].click()  # fee-paying
    window.department_buttons[1].click()
    qtbot.waitUntil(lambda: window.pages.currentIndex() == TICKET, timeout=10000)
    assert not window.last_print.printed  # no printer in the test clinic
    note = window.ticket_note.text()
    assert window.ticket_note.objectName() == "ticketWarning" and "hãy nhớ số 001" in note and "vẫn được gọi" in note
    department = clinic.settings["facility.departments"][1]["name"]
    assert department in window.ticket_room.text(), "where to go, by name"
