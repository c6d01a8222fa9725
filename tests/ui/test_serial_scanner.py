"""A USB-COM (CDC) scanner at the stations, played by a pseudo-terminal the test writes to byte by byte: the code
goes where the wedge's goes, so the desk's wrong-patient rules hold, and a patient is checked in from it."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt

from kiosk.sandbox.people import make_people
from tests.ui.conftest import answer_consent
from ui.kiosk_window import CONFIRM, START, KioskWindow
from ui.reception import ReceptionWindow

pytestmark = [pytest.mark.gui, pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")]


class Pty:
    def __init__(self) -> None:
        self.master, slave = os.openpty()
        self.path = os.ttyname(slave)
        os.close(slave)  # the station opens it by its path, as a real port

    def scan(self, text: str) -> None:
        """The scanner sends the code's UTF-8 bytes one at a time, then CR."""
        data = text.encode("utf-8") + b"\r"
        for i in range(len(data)):
            os.write(self.master, data[i:i + 1])

    def close(self) -> None:
        if self.master >= 0:
            os.close(self.master)
            self.master = -1


@pytest.fixture
def pty(clinic) -> Iterator[Pty]:  # noqa: ARG001 - the clinic's settings take the port
    port = Pty()
    clinic.settings.set_user("scanner.serial", port.path)
    yield port
    port.close()


def _shown_name(window: ReceptionWindow) -> str:
    return window.banner.name.text()


def test_a_serial_scanner_checks_a_patient_in_at_the_reception(qtbot, clinic, pty: Pty) -> None:
    first, second = make_people(1, 60)[:2]
    window = ReceptionWindow(clinic, camera="97")  # no camera: the serial scanner alone
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitUntil(lambda: "đã kết nối" in window.serial_state.text(), timeout=5000)
    assert window.serial_state.isVisible() and "Máy quét (cổng COM)" in window.serial_state.text()

    pty.scan(first.cccd_qr)
    qtbot.waitUntil(lambda: window.lookup_result is not None, timeout=10000)
    assert _shown_name(window) == first.full_name.upper(), "the Vietnamese name exactly, diacritics and all"
    patient = window.lookup_result.patient
    assert patient.id_number == first.id_number

    pty.scan(second.cccd_qr)  # the next person's card while the first is being received: asked, not switched
    qtbot.waitUntil(lambda: window.switch_box.isVisible(), timeout=5000)
    assert _shown_name(window) == first.full_name.upper()
    window.refuse_switch()

    answer_consent(window)
    qtbot.mouseClick(window.checkin_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.last_print is not None, timeout=10000)
    assert window.last_checkin.ticket.patient_id == patient.id, "the ticket is the scanned patient's"
    assert window.ticket_label.text().startswith("001")

    assert window.message.text() == ""
    pty.scan("not a card code")  # refused with the desk's words, nothing replaced
    qtbot.waitUntil(lambda: window.message.text() != "", timeout=5000)
    assert _shown_name(window) == first.full_name.upper()
    reader = window.serial_input._reader
    window.close()
    assert not reader.alive, "closing the window stops the reader"


def test_serial_scanner_at_the_kiosk_and_its_lost_state_shown(qtbot, clinic, pty: Pty) -> None:
    person = make_people(1, 60)[0]
    window = KioskWindow(clinic, camera="97")
    qtbot.addWidget(window)
    window.resize(1080, 1920)
    window.show()
    qtbot.waitUntil(lambda: window.serial_input.state == "connected", timeout=5000)
    assert not window.serial_state.isVisible(), "a working scanner needs no words on the patient's screen"
    qtbot.waitUntil(lambda: window._camera[0] in ("error", "reconnecting", "ended"), timeout=10000)  # no camera 97
    assert "máy quét" in window.start_title.text() and not window.camera_state.isVisible(), \
        "no camera, but the scanner reads: the patient is sent to the scanner, not told nothing can be scanned"
    os.write(pty.master, b"\xff\xfebad\r")  # not UTF-8: refused plainly, never mojibake on screen
    qtbot.waitUntil(lambda: "UTF-8" in window.start_notice.text(), timeout=5000)
    pty.scan(person.cccd_qr)
    qtbot.waitUntil(lambda: window.pages.currentIndex() == CONFIRM, timeout=10000)
    held = window.patient.id
    pty.scan(make_people(1, 60)[1].cccd_qr)  # the next in line while "is this you?" is asked: not taken
    qtbot.wait(300)
    assert window.pages.currentIndex() == CONFIRM and window.patient.id == held
    window.wipe()
    assert window.pages.currentIndex() == START
    pty.close()  # unplugged
    qtbot.waitUntil(lambda: window.serial_state.isVisible(), timeout=5000)
    assert "chưa thấy máy quét" in window.serial_state.text()
    assert "Nhập số căn cước" in window.start_title.text(), "neither camera nor scanner: the keypad"
    window.close()
