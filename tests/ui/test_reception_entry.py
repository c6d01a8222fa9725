"""Typing at the reception desk, as a receptionist does: dates of birth written every way, impossible
ones, malformed card numbers, a patient first seen by card found by the CCCD, a new patient registered
at the CCCD tab — checking what the screen says and what was saved, for whom."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from kiosk.facade import Clinic
from kiosk.identify import identity_from_payload
from kiosk.sandbox.people import make_people
from scanner.live import Scan
from scanner.payloads import parse_payload
from tests.ui.conftest import answer_consent
from ui.reception import ReceptionWindow

pytestmark = pytest.mark.gui

PEOPLE = make_people(1, 60)  # the built-in sandbox's patients
WITH_CARD = [p for p in PEOPLE if p.card_state == "000"]


def open_window(qtbot, clinic: Clinic) -> ReceptionWindow:
    window = ReceptionWindow(clinic, camera="97")
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    return window


def click(qtbot, widget) -> None:  # noqa: ANN001
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def type_slowly(qtbot, field, text: str) -> None:  # noqa: ANN001
    """A person types (a fast burst ended by Enter would be taken for the USB scanner)."""
    field.setFocus()
    qtbot.keyClicks(field, text, delay=45)


def patients_count(clinic: Clinic) -> int:
    return clinic.store.conn.execute("SELECT COUNT(*) FROM patients").fetchone()[0]


def saved(clinic: Clinic, patient_id: int) -> tuple:
    return clinic.store.conn.execute("SELECT full_name, date_of_birth, dob_precision, sex, id_number, card_number "
                                     "FROM patients WHERE id = ?", (patient_id,)).fetchone()


@pytest.mark.parametrize(("typed", "shown", "iso", "precision"), [
    ("23071984", "23/07/1984", "1984-07-23", "day"),
    ("23/07/1984", "23/07/1984", "1984-07-23", "day"),
    ("23-7-1984", "23/07/1984", "1984-07-23", "day"),
    ("23.07.1984", "23/07/1984", "1984-07-23", "day"),
    ("1984", "năm 1984", "1984-01-01", "year"),
])
def test_a_date_typed_each_way_is_shown_as_understood_and_saved_so(qtbot, clinic, typed: str, shown: str,
                                                                    iso: str, precision: str) -> None:
    window = open_window(qtbot, clinic)
    window.manual_tabs.setCurrentIndex(2)
    form = window.name_form
    type_slowly(qtbot, form.name_input, "Tran Thi Mai")
    type_slowly(qtbot, form.dob_input, typed)
    assert form.dob_shown.full_text() == f"→ {shown}", "the date understood is shown before it is used"
    click(qtbot, form.female)
    assert f"TRAN THI MAI · sinh {shown} · Nữ" in form.preview.full_text(), "what will be saved, before it is"
    before = patients_count(clinic)
    click(qtbot, form.button)
    qtbot.waitUntil(lambda: window.lookup_result is not None, timeout=15000)
    patient = window.lookup_result.patient
    assert patients_count(clinic) == before + 1
    assert saved(clinic, patient.id) == ("Tran Thi Mai", iso, precision, "female", None, "")
    assert f"({shown.removeprefix('năm ')})" in window.banner.details.text()
    assert form.dob_input.text() == "" and form.dob_shown.full_text() == "", "the fields are emptied for the next one"


@pytest.mark.parametrize(("typed", "says"), [
    ("31/02/1984", "Ngày 31/02/1984 không có thật: tháng 2 năm 1984 có 29 ngày"),
    ("23076195", "Năm sinh 6195 ở tương lai"),
    ("2307198", "Không hiểu ngày sinh"),
])
def test_an_impossible_date_says_what_is_wrong_and_saves_nobody(qtbot, clinic, typed: str, says: str) -> None:
    window = open_window(qtbot, clinic)
    window.manual_tabs.setCurrentIndex(2)
    form = window.name_form
    type_slowly(qtbot, form.name_input, "Tran Thi Mai")
    type_slowly(qtbot, form.dob_input, typed)
    click(qtbot, form.female)
    assert form.dob_shown.full_text() == "✗ ngày sai", "marked beside the box while typing"
    assert says in form.preview.full_text(), "and said in full under it"
    before = patients_count(clinic)
    click(qtbot, form.button)
    qtbot.wait(200)
    assert says in window.message.text() and " / " not in window.message.text()
    assert window.lookup_result is None and patients_count(clinic) == before, "nobody looked up, nobody saved"
    assert "QR" not in window.message.text()


def test_the_date_used_is_the_date_shown_while_it_is_still_being_typed(qtbot, clinic) -> None:
    window = open_window(qtbot, clinic)
    window.manual_tabs.setCurrentIndex(2)
    form = window.name_form
    type_slowly(qtbot, form.name_input, "Pham Van Long")
    click(qtbot, form.male)
    type_slowly(qtbot, form.dob_input, "0503197")  # one digit short: no date yet
    assert "→" not in form.dob_shown.full_text() and "Không hiểu ngày sinh" in form.preview.full_text()
    click(qtbot, form.button)
    qtbot.wait(200)
    assert window.lookup_result is None and patients_count(clinic) == 0
    type_slowly(qtbot, form.dob_input, "9")
    assert form.dob_shown.full_text() == "→ 05/03/1979"
    click(qtbot, form.button)
    qtbot.waitUntil(lambda: window.lookup_result is not None, timeout=15000)
    assert saved(clinic, window.lookup_result.patient.id)[1:3] == ("1979-03-05", "day")


def test_a_malformed_card_number_says_so_not_no_record(qtbot, clinic) -> None:
    window = open_window(qtbot, clinic)
    window.manual_tabs.setCurrentIndex(1)
    type_slowly(qtbot, window.card_input, "HC40101234")
    qtbot.keyClick(window.card_input, Qt.Key.Key_Return)
    qtbot.wait(200)
    text = window.message.text()
    assert "Mã thẻ BHYT sai dạng" in text and "15" in text and "2 chữ cái + 13 chữ số" in text
    assert "Chưa có hồ sơ" not in text and "Not" not in text and window.lookup_result is None
    assert "Không tra cứu được" not in window.banner.name.text(), "nothing was looked up"


def test_a_code_with_an_impossible_date_says_the_date_in_one_language(qtbot, clinic) -> None:
    from ui import i18n

    person = WITH_CARD[0]
    qr = person.cccd_qr.split("|")
    qr[3] = "3102" + qr[3][4:]
    for lang, says, other in (("vi", "ngày sinh", "date of birth"), ("en", "date of birth", "ngày sinh")):
        i18n.set_language(lang)
        try:
            window = open_window(qtbot, clinic)
            window.on_typed_scan("|".join(qr))
            text = window.message.text()
            assert says in text and other not in text, text
            assert "Không phải mã QR" not in text and "Not an ID-card" not in text, "the date is named, not the code"
        finally:
            i18n.set_language("vi")


def test_first_seen_by_card_then_found_by_cccd_name_and_birth_date(qtbot, clinic, artifacts: Path) -> None:
    person = WITH_CARD[3]
    window = open_window(qtbot, clinic)
    window.camera.scanned.emit(Scan(parse_payload(person.bhyt_qr), 0, 0.0, 1.0))  # the BHYT card, no CCCD on it
    qtbot.waitUntil(lambda: window.lookup_result is not None, timeout=15000)
    by_card = window.lookup_result.patient
    assert not by_card.id_number
    window.clear_patient()

    window.manual_tabs.setCurrentIndex(0)
    form = window.cccd_form
    type_slowly(qtbot, form.id_input, person.id_number)
    click(qtbot, form.button)
    qtbot.waitUntil(lambda: not window._busy and window.lookup_result is None and bool(window.message.text()),
                    timeout=10000)
    assert "Chưa có hồ sơ với số CCCD này" in window.message.text(), "says how to go on"
    form.name_input.setText(person.full_name)  # Vietnamese letters come from the input method
    type_slowly(qtbot, form.dob_input, person.date_of_birth.strftime("%d%m%Y"))
    click(qtbot, form.male if person.sex == "male" else form.female)
    assert f"CCCD {person.id_number[:4]}" in form.preview.full_text()
    window.grab().save(str(artifacts / "reception-cccd-link.png"))
    click(qtbot, form.button)
    qtbot.waitUntil(lambda: window.lookup_result is not None, timeout=15000)
    found = window.lookup_result.patient
    assert found.id == by_card.id, "the record first made from the card, not a new one"
    assert saved(clinic, found.id)[4:] == (person.id_number, person.card_number)
    window.clear_patient()

    type_slowly(qtbot, form.id_input, person.id_number)  # from now on the CCCD alone finds them
    click(qtbot, form.button)
    qtbot.waitUntil(lambda: window.lookup_result is not None, timeout=15000)
    assert window.lookup_result.patient.id == by_card.id and patients_count(clinic) == 1


def test_the_cccd_tab_registers_a_new_patient_showing_what_is_saved(qtbot, clinic, artifacts: Path) -> None:
    window = open_window(qtbot, clinic)
    form = window.cccd_form
    type_slowly(qtbot, form.id_input, "001084012345")
    type_slowly(qtbot, form.name_input, "Le Van Binh")
    type_slowly(qtbot, form.dob_input, "23.07.1984")
    assert "Chọn giới tính" not in window.message.text()
    click(qtbot, form.button)  # no sex chosen yet
    qtbot.wait(100)
    assert "giới tính" in window.message.text() and window.lookup_result is None and patients_count(clinic) == 0
    click(qtbot, form.male)
    assert form.preview.full_text() == "Tìm, nếu chưa có thì lưu: LE VAN BINH · sinh 23/07/1984 · Nam · CCCD 0010******45"
    window.grab().save(str(artifacts / "reception-cccd-register.png"))
    click(qtbot, form.button)
    qtbot.waitUntil(lambda: window.lookup_result is not None, timeout=15000)
    patient = window.lookup_result.patient
    assert saved(clinic, patient.id) == ("Le Van Binh", "1984-07-23", "day", "male", "001084012345", "")
    assert window.banner.name.text() == "Le Van Binh" and "(23/07/1984)" in window.banner.details.text()


def test_the_ticket_result_stays_until_the_next_check_in(qtbot, clinic) -> None:
    a, b = WITH_CARD[0], WITH_CARD[1]
    window = open_window(qtbot, clinic)
    window.camera.scanned.emit(Scan(parse_payload(a.cccd_qr), 0, 0.0, 1.0))
    qtbot.waitUntil(lambda: window.lookup_result is not None, timeout=15000)
    answer_consent(window)
    department_height = window.department.height()
    click(qtbot, window.checkin_button)
    qtbot.waitUntil(lambda: window.last_checkin is not None, timeout=15000)
    first = window.ticket_label.full_text()
    assert first.startswith("001") and window.department.height() == department_height, "the boxes keep their size"
    window.camera.scanned.emit(Scan(parse_payload(b.cccd_qr), 0, 0.0, 1.0))  # the next patient, at once
    qtbot.waitUntil(lambda: window.lookup_result is not None and window.lookup_result.patient.id_number == b.id_number,
                    timeout=15000)
    assert window.ticket_label.full_text() == first, "A's number is still there to read out"
    answer_consent(window)
    click(qtbot, window.checkin_button)
    qtbot.waitUntil(lambda: window.last_checkin is not None, timeout=15000)
    assert window.ticket_label.full_text().startswith("002"), "replaced by B's at B's check-in"
    click(qtbot, window.clear_button)
    assert window.ticket_label.full_text() == "" and window.last_issued.full_text() == ""


def test_the_camera_picker_never_offers_a_bare_number(qtbot, clinic) -> None:
    window = open_window(qtbot, clinic)
    texts = [window.camera_picker.itemText(i) for i in range(window.camera_picker.count())]
    assert "Camera số 97" in texts and "Camera số 0" in texts
    assert not any(t.strip().isdigit() for t in texts), texts


def test_the_camera_lost_line_does_not_move_the_controls(qtbot, clinic) -> None:
    window = open_window(qtbot, clinic)
    window.coaching.setText("Đưa mã QR vào giữa khung hình")
    qtbot.wait(50)
    top = window.manual_tabs.mapTo(window, window.manual_tabs.rect().topLeft()).y()
    window._camera_state("reconnecting", "Mất camera — đang kết nối lại… (Không mở được camera/nguồn hình "
                         "rtsp://camera-o-quay-tiep-don.local:554/stream1 sau nhiều lần thử)", "Camera lost")
    qtbot.wait(50)
    assert window.manual_tabs.mapTo(window, window.manual_tabs.rect().topLeft()).y() == top
    assert window.coaching.toolTip().startswith("Mất camera"), "the whole message is in the tooltip"
    assert "sau nhiều lần thử" in window.preview.text(), "and on the picture"


def test_born_today_is_fine_born_tomorrow_is_not(qtbot, clinic) -> None:
    window = open_window(qtbot, clinic)
    form = window.name_form
    window.manual_tabs.setCurrentIndex(2)
    form.dob_input.setText(dt.date.today().strftime("%d/%m/%Y"))
    assert form.dob_shown.full_text().startswith("→")
    form.dob_input.setText((dt.date.today() + dt.timedelta(days=1)).strftime("%d/%m/%Y"))
    assert "ở tương lai" in form.preview.full_text()


def test_a_number_typed_fast_is_taken_as_the_number_it_is(qtbot, clinic) -> None:
    """A quick typist (or a barcode reader) ends 12 digits with Enter: looked up as the CCCD, not
    refused as 'not an ID-card QR'."""
    person = WITH_CARD[2]
    clinic.identify(identity_from_payload(parse_payload(person.cccd_qr)))  # came here before
    window = open_window(qtbot, clinic)
    window.cccd_input.setFocus()
    qtbot.keyClicks(window.cccd_input, person.id_number)  # no delay: a burst, as the wedge sees it
    qtbot.keyClick(window.cccd_input, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.lookup_result is not None, timeout=15000)
    assert window.lookup_result.patient.id_number == person.id_number
    window.clear_patient()
    window.manual_tabs.setCurrentIndex(1)
    window.card_input.setFocus()
    qtbot.keyClicks(window.card_input, "HC40101234567")  # 13 characters: no card number
    qtbot.keyClick(window.card_input, Qt.Key.Key_Return)
    qtbot.wait(100)
    assert "Mã thẻ BHYT sai dạng: có 13 ký tự" in window.message.text() and window.lookup_result is None


def test_a_usb_scan_landing_in_a_typing_field_leaves_nothing_behind(qtbot, clinic) -> None:
    person = WITH_CARD[4]
    window = open_window(qtbot, clinic)
    for field in (window.cccd_input, window.cccd_form.name_input, window.cccd_form.dob_input):
        window.clear_patient()
        field.setFocus()
        qtbot.keyClicks(field, person.bhyt_qr)  # the scanner "types" the whole QR text, fast
        qtbot.keyClick(field, Qt.Key.Key_Return)
        assert field.text() == "", "the burst is taken back out of the field whole"
        qtbot.waitUntil(lambda: window.lookup_result is not None, timeout=15000)
        assert window.lookup_result.patient.card_number == person.card_number


def test_a_code_seen_by_the_camera_never_replaces_what_is_being_typed(qtbot, clinic) -> None:
    """A new user's walk-through: typing a newcomer's CCCD, the camera loaded someone else and emptied the field."""
    window = open_window(qtbot, clinic)
    window.manual_tabs.setCurrentWidget(window.cccd_form)
    type_slowly(qtbot, window.cccd_input, "001099012345")
    window.camera.scanned.emit(Scan(parse_payload(WITH_CARD[0].cccd_qr), 0, 0.0, 1.0))  # walks past the camera
    qtbot.wait(300)
    assert window.cccd_input.text() == "001099012345", "what was typed stays"
    assert window.current is None and window.lookup_result is None, "nobody was loaded"
    assert "Đang nhập tay" in window.statusBar().currentMessage()
    window.cccd_input.clear()
    window.camera.scanned.emit(Scan(parse_payload(WITH_CARD[0].cccd_qr), 0, 0.0, 1.0))  # nothing typed: taken
    qtbot.waitUntil(lambda: window.lookup_result is not None, timeout=15000)


def test_a_card_read_while_a_typed_lookup_runs_does_not_take_over_when_the_typing_goes_on(qtbot, clinic) -> None:
    """A new user's walk-through: a typed CCCD not yet on record (name and birth date still to type) — the card the
    camera read meanwhile opened another patient and emptied what was typed."""
    window = open_window(qtbot, clinic)
    window.manual_tabs.setCurrentWidget(window.cccd_form)
    type_slowly(qtbot, window.cccd_input, "001099012399")
    click(qtbot, window.cccd_form.button)  # the lookup runs…
    window.request_patient(identity_from_payload(parse_payload(WITH_CARD[0].cccd_qr)))  # …and a card is read
    qtbot.waitUntil(lambda: not window._busy and "Chưa có hồ sơ" in window.message.text(), timeout=15000)
    qtbot.wait(300)
    assert window.current is None and window.lookup_result is None, "the card read meanwhile did not take over"
    assert window.cccd_input.text() == "001099012399", "what was typed stays, to be completed"
    assert "Đang nhập tay" in window.statusBar().currentMessage()


def test_a_typed_lookup_is_not_lost_behind_a_cameras_open_question(qtbot, clinic) -> None:
    window = open_window(qtbot, clinic)
    first, second, third = WITH_CARD[:3]
    window.camera.scanned.emit(Scan(parse_payload(first.cccd_qr), 0, 0.0, 1.0))
    qtbot.waitUntil(lambda: window.lookup_result is not None, timeout=15000)
    window.camera.scanned.emit(Scan(parse_payload(second.cccd_qr), 0, 0.0, 1.0))
    qtbot.waitUntil(lambda: window.pending_switch is not None, timeout=5000)
    window.manual_tabs.setCurrentWidget(window.cccd_form)
    type_slowly(qtbot, window.cccd_input, third.id_number)
    click(qtbot, window.cccd_form.button)
    assert window.pending_switch is None or window.pending_switch.id_number == third.id_number, \
        "the camera's question gave way to what was typed"


def test_the_switch_question_never_invents_a_day_for_a_year_of_birth() -> None:
    from kiosk.model import DatePrecision, Identity, IdentitySource
    from ui.reception import describe_identity

    known_by_year = Identity(IdentitySource.MANUAL, full_name="Trần Văn Bảy", date_of_birth=dt.date(1984, 1, 1),
                             dob_precision=DatePrecision.YEAR)
    assert describe_identity(known_by_year) == "TRẦN VĂN BẢY (1984)"
