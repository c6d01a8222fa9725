"""Journeys of a busy morning where the wrong patient used to appear (DOMAIN §16): each drives the
real windows the way the receptionist, the doctor or the patient would, and checks what is on
screen and what was printed, saved or sent — and for whom."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pdfplumber
import pytest
from PySide6.QtCore import Qt

from kiosk import checkin
from kiosk.errors import ConsentNeeded, WrongPatient
from kiosk.facade import Clinic
from kiosk.identify import identity_from_payload
from kiosk.model import Role
from kiosk.privacy.masking import mask_id, mask_name
from kiosk.sandbox import demo
from kiosk.sandbox.people import SyntheticPatient, make_people
from kiosk.settings import Settings
from scanner.live import Scan
from scanner.payloads import parse_payload
from tests.ui.conftest import answer_consent, widget_texts
from tests.ui.test_doctor import open_room
from ui.doctor import DoctorWindow
from ui.kiosk_window import KEYPAD, START, KioskWindow
from ui.qt import QTimer
from ui.reception import ReceptionWindow

pytestmark = pytest.mark.gui

PEOPLE = make_people(1, 60)  # the built-in sandbox's patients
USABLE = [p for p in PEOPLE if p.card_state == "000"]
EXPIRED = [p for p in PEOPLE if p.card_state == "010"]
WITH_ALLERGIES = [p for p in USABLE if p.health_book()["diUng"]]


def click(widget) -> None:  # noqa: ANN001
    from pytestqt.qtbot import QtBot

    QtBot.mouseClick(widget, Qt.MouseButton.LeftButton)


def pdf_text(path: Path) -> str:
    with pdfplumber.open(path) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def scan(window, person: SyntheticPatient, bhyt: bool = False) -> None:  # noqa: ANN001
    """The camera accepts a code (what the live scanner emits after confirming it on N frames)."""
    window.camera.scanned.emit(Scan(parse_payload(person.bhyt_qr if bhyt else person.cccd_qr), 0, 0.0, 1.0))


def reception(qtbot, clinic: Clinic) -> ReceptionWindow:
    window = ReceptionWindow(clinic, camera="97")  # no camera there: the cards come from scan()
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    return window


def shown(window, person: SyntheticPatient) -> bool:  # noqa: ANN001
    return window.lookup_result is not None and window.lookup_result.patient.id_number == person.id_number


def check_in(qtbot, window: ReceptionWindow) -> None:  # noqa: ANN001
    answer_consent(window)
    job = window.last_print.log_id if window.last_print else None
    click(window.checkin_button)
    qtbot.waitUntil(lambda: window.last_print is not None and window.last_print.log_id != job, timeout=15000)


def test_wrong_patient_scan_during_work_asks_before_switching(qtbot, clinic, artifacts: Path) -> None:
    a, b = USABLE[0], USABLE[1]
    window = reception(qtbot, clinic)
    scan(window, a)
    qtbot.waitUntil(lambda: shown(window, a), timeout=15000)
    click(window.consent_box.yes["care"])  # consent half answered for A
    scan(window, b)  # the next patient holds up their card meanwhile
    assert window.switch_box.isVisible(), "a new card while A is under work asks first"
    prompt = window.switch_text.text()
    assert a.full_name.upper() in prompt.upper() and b.full_name.upper() in prompt.upper(), prompt
    assert window.banner.name.text() == window.lookup_result.patient.full_name and shown(window, a)
    assert window.consent_box.yes["care"].isChecked(), "A's consent answers are not lost"
    window.grab().save(str(artifacts / "wrong-patient-switch-prompt.png"))
    click(window.switch_no)  # stay with A
    assert not window.switch_box.isVisible() and shown(window, a)
    assert window.consent_box.yes["care"].isChecked()
    scan(window, b)
    assert window.switch_box.isVisible()
    click(window.switch_yes)
    qtbot.waitUntil(lambda: shown(window, b), timeout=15000)
    assert not window.consent_box.yes["care"].isChecked(), "B answers for B"
    assert a.full_name.upper() not in widget_texts(window).upper()
    check_in(qtbot, window)
    ticket = checkin.get_ticket(clinic.store, window.last_checkin.ticket.id)
    patient_b = window.lookup_result.patient
    assert ticket.patient_id == patient_b.id
    text = pdf_text(window.last_print.pdf_path)
    assert patient_b.patient_code in text, "the ticket carries B's patient code"
    assert not clinic.store.conn.execute("SELECT COUNT(*) FROM tickets WHERE patient_id != ?",
                                         (patient_b.id,)).fetchone()[0], "nobody else was checked in"


def test_wrong_patient_switch_prompt_keeps_its_target(qtbot, clinic) -> None:
    a, b, c = USABLE[0], USABLE[1], USABLE[2]
    window = reception(qtbot, clinic)
    scan(window, a)
    qtbot.waitUntil(lambda: shown(window, a), timeout=15000)
    scan(window, b)
    asked = window.switch_text.text()
    assert b.full_name.upper() in asked.upper()
    scan(window, c)  # the camera reads a third card while the receptionist reads the question
    assert window.switch_text.text() == asked, "the question's target does not change under the hand"
    click(window.switch_yes)
    qtbot.waitUntil(lambda: shown(window, b), timeout=15000)


def test_wrong_patient_number_issued_stays_readable_when_the_next_card_comes(qtbot, clinic) -> None:
    a, b = USABLE[0], USABLE[1]
    window = reception(qtbot, clinic)
    scan(window, a)
    qtbot.waitUntil(lambda: shown(window, a), timeout=15000)
    check_in(qtbot, window)
    number, patient_a = window.ticket_label.text().split()[0], window.lookup_result.patient
    scan(window, b)  # the next patient's phone is already in front of the camera
    qtbot.waitUntil(lambda: shown(window, b), timeout=15000)
    assert window.last_checkin is None and window.checkin_button.isEnabled() is False, "B has no number yet"
    assert window.ticket_label.full_text().startswith(number), "A's number stays until the next check-in"
    issued = window.last_issued.full_text()
    assert f"Vừa cấp số {number}" in issued and mask_name(patient_a.full_name) in issued, "and says whose number it is"


def test_wrong_patient_same_card_twice_is_ignored(qtbot, clinic) -> None:
    a = USABLE[0]
    window = reception(qtbot, clinic)
    scan(window, a)
    qtbot.waitUntil(lambda: shown(window, a), timeout=15000)
    views = clinic.store.conn.execute("SELECT COUNT(*) FROM audit_events WHERE action = 'healthbook.view'").fetchone()
    click(window.consent_box.yes["care"])
    scan(window, a)  # the same CCCD again
    scan(window, a, bhyt=True)  # and the same person's BHYT card
    qtbot.wait(300)
    assert not window.switch_box.isVisible(), "the same person is not a switch"
    assert shown(window, a) and window.consent_box.yes["care"].isChecked()
    assert clinic.store.conn.execute("SELECT COUNT(*) FROM audit_events WHERE action = 'healthbook.view'"
                                     ).fetchone() == views, "not looked up again"


def test_wrong_patient_reprint_after_next_patient(qtbot, clinic) -> None:
    a, b = USABLE[0], USABLE[1]
    window = reception(qtbot, clinic)
    scan(window, a)
    qtbot.waitUntil(lambda: shown(window, a), timeout=15000)
    check_in(qtbot, window)
    patient_a, job_a = window.lookup_result.patient, window.last_print.log_id
    assert window.reprint_button.isEnabled()
    scan(window, b)  # A has a ticket: the next card starts the next patient, no question
    assert not window.switch_box.isVisible()
    assert not window.reprint_button.isEnabled(), "reprint belongs to A: gone with A"
    qtbot.waitUntil(lambda: shown(window, b), timeout=15000)
    assert not window.reprint_button.isEnabled(), "B has nothing printed yet"
    window.reprint()  # as if the shortcut were pressed anyway: nothing is printed
    qtbot.wait(300)
    jobs = clinic.store.conn.execute("SELECT COUNT(*) FROM print_jobs").fetchone()[0]
    assert jobs == 1
    check_in(qtbot, window)
    patient_b = window.lookup_result.patient
    first_b = window.last_print.log_id
    click(window.reprint_button)
    qtbot.waitUntil(lambda: window.last_print.log_id != first_b, timeout=10000)
    row = clinic.store.conn.execute("SELECT patient_id, context, ticket_id FROM print_jobs WHERE id = ?",
                                    (window.last_print.log_id,)).fetchone()
    assert row[0] == patient_b.id and row[1].startswith("reception:"), row
    text = pdf_text(window.last_print.pdf_path)
    assert patient_b.patient_code in text and patient_a.patient_code not in text
    with pytest.raises(WrongPatient):  # the core refuses A's job for B whoever asks
        clinic.reprint(job_a, patient_id=patient_b.id)


def test_wrong_patient_failed_lookup_on_each_tab(qtbot, clinic) -> None:
    a, b = USABLE[0], USABLE[1]
    window = reception(qtbot, clinic)
    scan(window, a)
    qtbot.waitUntil(lambda: shown(window, a), timeout=15000)
    check_in(qtbot, window)

    def gone(name: str) -> None:
        assert window.lookup_result is None
        assert not window.checkin_button.isEnabled() and not window.reprint_button.isEnabled()
        assert name.upper() not in widget_texts(window).upper()
        assert "Không tra cứu được" in window.banner.name.text() or "Lookup failed" in window.banner.name.text()

    # tab 1, CCCD: a number nobody here has
    window.manual_tabs.setCurrentIndex(0)
    qtbot.keyClicks(window.cccd_input, "001099999999", delay=60)  # a person types
    qtbot.keyClick(window.cccd_input, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.lookup_result is None and not window._busy, timeout=10000)
    gone(a.full_name)

    # tab 2, card number, while B is under work: asked first, then cleared by the failure. The unknown CCCD is
    # still being typed in (name and birth date asked for): a card shown now is not taken until it is given up
    scan(window, b)
    qtbot.wait(200)
    assert window.lookup_result is None and "Đang nhập tay" in window.statusBar().currentMessage()
    window.cccd_input.clear()  # the receptionist gives the typed one up
    scan(window, b)
    qtbot.waitUntil(lambda: shown(window, b), timeout=15000)
    window.manual_tabs.setCurrentIndex(1)
    qtbot.keyClicks(window.card_input, "DN4019999999999", delay=60)
    qtbot.keyClick(window.card_input, Qt.Key.Key_Return)
    assert window.switch_box.isVisible() and shown(window, b), "B is not dropped for a typed number unasked"
    click(window.switch_yes)
    qtbot.waitUntil(lambda: window.lookup_result is None and not window._busy, timeout=10000)
    gone(b.full_name)

    # tab 3, name + birth date: nothing typed is an error at the field, not someone else's panel
    scan(window, a)
    qtbot.waitUntil(lambda: shown(window, a), timeout=15000)
    window.clear_patient()
    window.manual_tabs.setCurrentIndex(2)
    click(window.manual_tabs.currentWidget().findChildren(type(window.checkin_button))[0])
    assert window.lookup_result is None and not window.checkin_button.isEnabled()
    assert "họ tên" in window.message.text() or "full name" in window.message.text()


def test_wrong_patient_check_in_without_consent_is_not_possible(qtbot, clinic) -> None:
    a = USABLE[0]
    window = reception(qtbot, clinic)
    scan(window, a)
    qtbot.waitUntil(lambda: shown(window, a), timeout=15000)
    assert window.consent_box.isVisible() and not window.checkin_button.isEnabled()
    window.on_check_in()  # Enter pressed on the button anyway
    qtbot.wait(300)
    assert clinic.store.conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == 0
    assert "xử lý dữ liệu" in window.action_message.full_text()
    with pytest.raises(ConsentNeeded):  # and the core refuses the desk whatever window asks
        clinic.check_in(window.lookup_result.patient, "K01")
    click(window.consent_box.no["care"])  # refusing is an answer: care goes on
    assert window.checkin_button.isEnabled()
    click(window.checkin_button)
    qtbot.waitUntil(lambda: window.last_checkin is not None, timeout=15000)
    answers = clinic.consents(window.lookup_result.patient)
    assert answers["care"]["granted"] is False and answers["care"]["channel"] == "reception"


def test_wrong_patient_expired_card_at_check_in(qtbot, clinic, artifacts: Path) -> None:
    first, second = EXPIRED[0], EXPIRED[1]
    window = reception(qtbot, clinic)
    scan(window, first)
    qtbot.waitUntil(lambda: shown(window, first), timeout=15000)
    assert "hết hạn" in window.banner.card_status.text() and "010" in window.banner.card_status.toolTip()
    assert window.service.currentData() == "Khám dịch vụ", "moved to the fee-paying service"
    assert window.card_notice.isVisible() and "[010]" in window.card_notice.text()
    window.grab().save(str(artifacts / "wrong-patient-expired-card.png"))
    check_in(qtbot, window)
    assert window.last_checkin.ticket.service == "Khám dịch vụ"

    scan(window, second)
    qtbot.waitUntil(lambda: shown(window, second), timeout=15000)
    answer_consent(window)
    window.service.setCurrentIndex(window.service.findData("Khám BHYT"))  # the receptionist insists
    assert window.bhyt_reason.isVisible() and not window.checkin_button.isEnabled(), "a reason is needed"
    qtbot.keyClicks(window.bhyt_reason, "The giay da gia han, doi chieu CCCD")  # QTest types ASCII only
    assert window.checkin_button.isEnabled()
    check_in(qtbot, window)
    assert window.last_checkin.ticket.service == "Khám BHYT"
    detail = clinic.store.conn.execute("SELECT detail FROM audit_events WHERE action = 'checkin.bhyt_override'"
                                       ).fetchone()[0]
    assert "010" in detail and "doi chieu CCCD" in detail


def checked_in(clinic: Clinic, people: list[SyntheticPatient]) -> list:
    found = []
    for p in people:
        patient = clinic.identify(identity_from_payload(parse_payload(p.cccd_qr)))
        clinic.check_in(patient, "K01")
        found.append(patient)
    return found


def fill_visit(qtbot, window: DoctorWindow) -> None:  # noqa: ANN001
    window.tabs.setCurrentIndex(1)
    window.reason.setText("Sốt, ho 2 ngày")
    window.icd_search.setText("viem hong cap")
    window.add_diagnosis(True)
    window.rx_box.search_field.setText("paracetamol")
    window.rx_box.add_highlighted()  # Enter at once: the drug is added when the catalogue answers
    qtbot.waitUntil(lambda: bool(window.rx_box.lines()), timeout=5000)


def test_wrong_patient_print_buttons_after_call_next(qtbot, clinic, artifacts: Path) -> None:
    a, b = USABLE[0], WITH_ALLERGIES[0]
    patient_a, _, patient_b = checked_in(clinic, [a, USABLE[2], b])  # rooms take turns: A and B to room 101
    window = open_room(qtbot, clinic)
    qtbot.waitUntil(lambda: window.queue.count() >= 2, timeout=5000)
    click(window.call_button)
    qtbot.waitUntil(lambda: window.visit is not None, timeout=15000)
    assert window.lookup.patient.id == patient_a.id
    fill_visit(qtbot, window)
    window.finalise()
    window.review.send_button.click()  # the doctor reads the summary and sends it
    qtbot.waitUntil(lambda: window.visit["status"] == "final", timeout=15000)
    assert window.print_buttons["prescription"].isEnabled() and window.correct_button.isEnabled()
    window.icd_search.setText("viem")  # the doctor's half-typed search for A

    click(window.call_button)  # the next patient
    assert not window.print_buttons["prescription"].isEnabled(), "A's buttons go with A, at once"
    assert not window.correct_button.isEnabled() and window.icd_search.text() == ""
    qtbot.waitUntil(lambda: window.visit is not None, timeout=15000)
    assert window.lookup.patient.id == patient_b.id
    assert not any(button.isEnabled() for button in window.print_buttons.values())
    window.print_document("prescription")  # not finalised: it says so instead of nothing
    assert "Hoàn tất" in window.visit_status.text() or "Finalise" in window.visit_status.text()

    fill_visit(qtbot, window)  # prescribing: the banner with B's allergies stays in sight
    allergen = b.health_book()["diUng"][0]["tacNhan"]
    assert window.banner.isVisible() and allergen in window.banner.allergies.text()
    assert window.banner.mapTo(window, window.banner.rect().topLeft()).y() >= 0
    assert patient_b.patient_code in window.banner.details.text()
    assert window.banner.name.text() == patient_b.full_name
    window.grab().save(str(artifacts / "wrong-patient-doctor-banner.png"))
    window.finalise()
    window.review.send_button.click()  # the doctor reads the summary and sends it
    qtbot.waitUntil(lambda: window.visit["status"] == "final", timeout=15000)
    click(window.print_buttons["prescription"])
    qtbot.waitUntil(lambda: window.last_print is not None, timeout=10000)
    text = pdf_text(window.last_print.pdf_path)
    assert patient_b.patient_code in text and patient_b.full_name.upper() in text.upper()
    assert patient_a.patient_code not in text
    row = clinic.store.conn.execute("SELECT patient_id, context FROM print_jobs WHERE id = ?",
                                    (window.last_print.log_id,)).fetchone()
    assert row[0] == patient_b.id and row[1].startswith("doctor:")
    payload = clinic.store.conn.execute("SELECT payload FROM outbox WHERE visit_id = ? AND kind != 'checkin'",
                                        (window.visit["id"],)).fetchone()[0]
    xml1 = base64.b64decode(re.search(rb"<NOIDUNGFILE>([^<]+)</NOIDUNGFILE>", bytes(payload)).group(1)).decode()
    assert f"<MA_BN>{patient_b.patient_code}</MA_BN>" in xml1
    assert patient_b.full_name.upper() in xml1.upper()


def test_wrong_patient_recall_after_call_next_acts_on_the_patient_on_screen(qtbot, clinic) -> None:
    a, b = USABLE[0], USABLE[1]
    patient_a, _, patient_b = checked_in(clinic, [a, USABLE[2], b])
    window = open_room(qtbot, clinic)
    qtbot.waitUntil(lambda: window.queue.count() >= 2, timeout=5000)
    click(window.call_button)
    qtbot.waitUntil(lambda: window.visit is not None, timeout=15000)
    select_called(qtbot, window, patient_a.id)  # the doctor had clicked A's row
    click(window.call_button)
    qtbot.waitUntil(lambda: window.lookup is not None and window.lookup.patient.id == patient_b.id, timeout=15000)
    qtbot.waitUntil(lambda: any(i.isSelected() for i in (window.queue.item(r) for r in range(window.queue.count()))),
                    timeout=5000)
    selected = window.queue.selectedItems()[0].data(Qt.ItemDataRole.UserRole)
    assert selected.ticket.patient_id == patient_b.id, "the list points at the patient on screen"
    before = clinic.store.conn.execute("SELECT status FROM tickets WHERE patient_id = ?", (patient_a.id,)).fetchone()
    click(next(b for b in window.findChildren(type(window.call_button)) if b.text() == "Gọi lại"))
    qtbot.waitUntil(lambda: "Đã gọi lại" in window.queue_status.text(), timeout=5000)
    assert patient_b.full_name in window.queue_status.text(), "the message names whom it called"
    assert clinic.store.conn.execute("SELECT status FROM tickets WHERE patient_id = ?",
                                     (patient_a.id,)).fetchone() == before, "A was not called again"


def test_wrong_patient_idle_lock_mid_visit(qtbot, clinic) -> None:
    a = USABLE[0]
    (patient_a,) = checked_in(clinic, [a])
    clinic.sign_in("minh", "demo-minh-2026")
    window = open_room(qtbot, clinic)
    qtbot.waitUntil(lambda: window.queue.count() >= 1, timeout=5000)
    click(window.call_button)
    qtbot.waitUntil(lambda: window.visit is not None, timeout=15000)
    window.tabs.setCurrentIndex(1)
    qtbot.keyClicks(window.reason, "Dau dau")
    visit_id = window.visit["id"]
    window.idle_lock.lock()  # the doctor stepped out
    assert window.idle_lock.screen.isVisible()
    assert window.visit is None and patient_a.full_name.upper() not in widget_texts(window).upper()
    assert not window.finalise_button.isEnabled() and not any(b.isEnabled() for b in window.print_buttons.values())
    qtbot.waitUntil(lambda: "Dau dau" in clinic.store.conn.execute(
        "SELECT data_json FROM visits WHERE id = ?", (visit_id,)).fetchone()[0], timeout=5000)
    window.idle_lock.screen.pin.setText("2222")
    window.idle_lock.screen.try_unlock()
    qtbot.waitUntil(lambda: not window.idle_lock.screen.isVisible(), timeout=5000)
    window.refresh_queue()
    qtbot.waitUntil(lambda: window.queue.count() >= 1, timeout=5000)
    window.queue.item(0).setSelected(True)
    click(window.resume_button)  # back to the patient who is still in the room
    qtbot.waitUntil(lambda: window.visit is not None, timeout=15000)
    assert window.visit["id"] == visit_id and window.reason.text() == "Dau dau"
    assert window.banner.name.text() == patient_a.full_name


def select_called(qtbot, window: DoctorWindow, patient_id: int) -> None:  # noqa: ANN001
    """Click the patient in the room's list once the list shows them as called."""
    def item():  # noqa: ANN202
        for i in range(window.queue.count()):
            entry = window.queue.item(i).data(Qt.ItemDataRole.UserRole)
            if entry.ticket.patient_id == patient_id and entry.ticket.status.value in ("called", "in_room"):
                return window.queue.item(i)
        return None

    window.refresh_queue()
    qtbot.waitUntil(lambda: item() is not None, timeout=5000)
    found = item()
    window.queue.setCurrentItem(found)
    found.setSelected(True)


def test_wrong_patient_second_station_calling_same_patient(qtbot, kiosk_home) -> None:
    first_clinic = Clinic.open(Settings())
    demo.prepare(first_clinic.store)
    second_clinic = Clinic.open(Settings(), gateway_url=first_clinic.gateway().base_url)
    try:
        patient_a, _, patient_b = checked_in(first_clinic, USABLE[:3])  # A and B to room 101
        one, two = open_room(qtbot, first_clinic), open_room(qtbot, second_clinic)
        qtbot.waitUntil(lambda: one.queue.count() >= 2 and two.queue.count() >= 2, timeout=5000)
        click(one.call_button)
        click(two.call_button)  # both rooms press at the same moment
        qtbot.waitUntil(lambda: one.visit is not None and two.visit is not None, timeout=20000)
        assert {one.lookup.patient.id, two.lookup.patient.id} == {patient_a.id, patient_b.id}
        assert one.banner.name.text() != two.banner.name.text()

        # station two selects station one's patient and asks to resume: asked, and refused first
        mine = one.lookup.patient
        answers: list[str] = []

        def answer(take: bool) -> None:
            box = getattr(two, "take_over_dialog", None)
            if box is None or not box.isVisible():
                QTimer.singleShot(50, lambda: answer(take))
                return
            answers.append(box.text())
            for button in box.buttons():
                if button.text() in (("Mở tại đây", "Open here") if take else ("Không mở", "Do not open")):
                    button.click()
                    return

        select_called(qtbot, two, mine.id)
        QTimer.singleShot(50, lambda: answer(False))
        click(two.resume_button)
        qtbot.waitUntil(lambda: bool(answers) and not two._busy, timeout=15000)
        assert "máy khác" in answers[0] or "another station" in answers[0]
        assert two.visit is None, "not opened without the doctor's word"
        assert one.visit is not None and one.lookup.patient.id == mine.id

        QTimer.singleShot(50, lambda: answer(True))
        select_called(qtbot, two, mine.id)
        click(two.resume_button)
        qtbot.waitUntil(lambda: two.visit is not None, timeout=15000)
        assert two.lookup.patient.id == mine.id
        assert first_clinic.store.conn.execute("SELECT COUNT(*) FROM audit_events WHERE action = 'visit.take_over'"
                                               ).fetchone()[0] == 1
        one.tabs.setCurrentIndex(1)
        qtbot.keyClicks(one.reason, "x")  # the first room types on: its autosave is refused, visibly
        one.save_draft()
        qtbot.waitUntil(lambda: "máy khác" in one.visit_status.text() or "another station" in one.visit_status.text(),
                        timeout=5000)
        one.close()
        two.close()
    finally:
        second_clinic.close()
        first_clinic.close()


def test_wrong_patient_kiosk_keypad_after_failure(qtbot, clinic) -> None:
    from ui import i18n

    clinic.identify(identity_from_payload(parse_payload(USABLE[0].cccd_qr)))  # came here before
    window = KioskWindow(clinic, camera="97")
    qtbot.addWidget(window)
    window.resize(1080, 1920)
    window.show()
    i18n.set_language("vi")
    keypad = next(b for b in window.findChildren(type(window.exit_button)) if b.property("vi") == "Nhập số căn cước (CCCD)")
    click(keypad)
    assert window.pages.currentIndex() == KEYPAD
    for key in "001099999999":  # a person the clinic has never seen
        window.on_key(key)
    window.on_key("✓")
    qtbot.waitUntil(lambda: window.pages.currentIndex() == START and bool(window.start_notice.text()), timeout=10000)
    assert "quầy tiếp đón" in window.start_notice.text(), "says what to do"
    assert window.keypad_field.text() == "" and window.patient is None, "nothing of that person stays"
    window.show_page(KEYPAD)  # the next person starts on a clean keypad and every tap counts
    for key in USABLE[0].id_number:
        window.on_key(key)
    assert window.typed_id == USABLE[0].id_number
    window.on_key("✓")
    qtbot.waitUntil(lambda: window.patient is not None, timeout=10000)
    assert window.patient.id_number == mask_id(USABLE[0].id_number), "the kiosk holds a masked view"
    from kiosk import patients

    assert patients.get(clinic.store, window.patient.id).id_number == USABLE[0].id_number


def test_wrong_patient_role_of_the_desk_is_checked_by_the_core(clinic) -> None:
    """Outside any window: the desk role cannot check a patient in before the consent answer."""
    patient = clinic.identify(identity_from_payload(parse_payload(USABLE[0].cccd_qr)))
    clinic.act_as(Role.RECEPTIONIST, "reception")
    with pytest.raises(ConsentNeeded):
        clinic.check_in(patient, "K01")
    clinic.record_consent(patient, {"care": True}, "reception")
    assert clinic.check_in(patient, "K01").ticket.number == 1
