"""Text that reaches the stations the way real readers send it (DOMAIN §15): a name zbar read through the wrong code
page is repaired and the desk is told to check it against the card; a card typed through a Vietnamese input method
is refused at the kiosk with the reason a patient (or the staff) can act on."""

from __future__ import annotations

import pytest

from kiosk.sandbox.people import make_people
from scanner.payloads import parse_payload
from tests.scanner.test_textfix import ime_type, zbar_reads
from tests.ui.test_kiosk import open_kiosk
from tests.ui.test_reception import open_window

pytestmark = pytest.mark.gui


def test_a_garbled_name_is_repaired_and_the_desk_asked_to_check_it(qtbot, clinic) -> None:
    text = "079304000111||Bùi Xuân Thuận|02022004|Nam|Thôn Tân Lập, Xã An Thái|10072024"
    garbled = zbar_reads(text)  # what zbar itself gives for this QR (Big5 mojibake, DOMAIN §15)
    assert garbled != text and "Bùi Xuân Thuận" not in garbled
    window = open_window(qtbot, clinic, camera="")
    window.handle_payload(parse_payload(garbled))
    qtbot.waitUntil(lambda: window.current is not None and window.current.patient is not None, timeout=10000)
    assert window.current.patient.full_name == "Bùi Xuân Thuận"  # the exact Vietnamese name, not the mojibake
    notice = window.message.text()
    assert "đối chiếu với thẻ" in notice and window.message.isVisible(), "the desk is told to check the repaired name"


def test_a_card_typed_through_a_vietnamese_input_method_is_refused_saying_to_switch_it_off(qtbot, clinic) -> None:
    person = next(p for p in make_people(1, 60) if p.bhyt_qr)
    typed = ime_type(person.bhyt_qr, "vni")  # VNI: "e1" in the hex becomes "é"
    assert typed != person.bhyt_qr
    window = open_kiosk(qtbot, clinic, camera="")
    window.handle_payload(parse_payload(typed))
    assert "bộ gõ" in window.start_notice.text()
    assert window.context.current is None or window.context.current.patient is None  # nobody taken
