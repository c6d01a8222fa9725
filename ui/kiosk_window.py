"""The self-service kiosk in the waiting hall: scan (or type the ID on a keypad) → "is this you?" →
choose a service (the BHYT card is checked meanwhile, and the patient told plainly when it cannot be
used) → choose where → ticket printed → back to the start. Large type, big touch targets, Vietnamese
with an English button; no history, no diagnosis, no address; everything wiped after each patient
and after ``kiosk.idle_seconds`` without a touch. Leaving kiosk mode takes the admin PIN, typed on
an on-screen keypad."""

from __future__ import annotations

import logging
import time

from kiosk.checkin import CheckIn
from kiosk.context import PatientContext, StationContext
from kiosk.errors import KioskError, LockedOut
from kiosk.facade import Clinic, UnknownPatient
from kiosk.facade.queue import SelfServiceCard
from kiosk.identify import identity_from_payload, payload_problem
from kiosk.model import Identity, IdentitySource, Patient, Role, number_text
from kiosk.privacy.masking import mask_id, mask_name
from kiosk.texts import vneid_guide
from printing.dispatch import PrintOutcome
from scanner.live import Scan
from scanner.payloads import Payload, parse_payload
from scanner.sources import CaptureSource
from ui import i18n
from ui.background import run_in_background, wait_for_background
from ui.camera import CameraController
from ui.housekeeping import Housekeeping
from ui.i18n import tr
from ui.live import ServerConnection
from ui.qt import (
    QApplication,
    QEvent,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QObject,
    QPixmap,
    QPushButton,
    QSize,
    QStackedWidget,
    Qt,
    QTimer,
    QVBoxLayout,
    QWidget,
)
from ui.pin_pad import PinPad
from ui.serial_input import SerialInput
from ui.voice import Voice
from ui.wedge import WedgeFilter

log = logging.getLogger("ui.kiosk")

STYLE = """
QWidget { background: #0b2545; color: #ffffff; font-size: 26px; }
QPushButton { background: #ffd166; color: #0b2545; border-radius: 12px; min-height: 72px; padding: 8px 24px;
              font-size: 30px; font-weight: bold; }
QPushButton#secondary { background: #8da9c4; }
QLabel#title { font-size: 44px; font-weight: bold; }
QLabel#big { font-size: 120px; font-weight: bold; color: #ffd166; }
QLabel#notice { font-size: 36px; font-weight: bold; color: #ffd166; }
QPushButton#digit { font-size: 52px; min-height: 130px; }
QLabel#cameraState { font-size: 34px; font-weight: bold; background: #b26a00; color: #ffffff; padding: 18px;
                     border-radius: 12px; }
QLabel#serialState { font-size: 22px; color: #ffd166; }
QLabel#cardVerdict { font-size: 32px; font-weight: bold; padding: 16px; border-radius: 12px; }
QPushButton:disabled { background: #41597a; color: #9fb3c8; }
QLineEdit { background: #ffffff; color: #0b2545; font-size: 44px; min-height: 80px; }
"""
START, KEYPAD, CONFIRM, SERVICE, TICKET, GUIDE, DEPARTMENT = range(7)
CONFIRM_GUARD_S = 0.8  # a tap this soon after "is this you?" appears was meant for the page before: ignored
ID_DIGITS = 12
# English words for the default services (a clinic's own service names show as written).
SERVICE_EN = {"Khám BHYT": "BHYT (health insurance) examination", "Khám dịch vụ": "Fee-paying examination",
              "Tái khám theo hẹn": "Follow-up visit (appointment)"}


class KioskWindow(QMainWindow):
    station = "kiosk"

    def __init__(self, clinic: Clinic, *, demo: bool = False, camera: str | None = None) -> None:
        super().__init__()
        clinic.act_as(Role.KIOSK, "kiosk")
        self.clinic = clinic
        self.demo = demo
        self.setObjectName("kioskWindow")
        self.setWindowTitle("Ki-ốt tự phục vụ / Self-service kiosk")
        self.setStyleSheet(STYLE)
        self.voice = Voice(clinic.settings["kiosk.voice"], self)
        self.context = StationContext("kiosk")  # the person at the kiosk now, and their ticket
        self._serial = 0  # an answer is shown only to the person who asked for it
        self._busy = False
        self._page_shown_at = 0.0
        self._card: SelfServiceCard | None = None  # the card's answer for the person here now
        self._service = ""  # the kind of examination they chose
        self._camera = ("starting", "", "")
        self.pages = QStackedWidget()
        root = QWidget()
        column = QVBoxLayout(root)
        column.setContentsMargins(0, 0, 0, 0)
        self.server_warning = QLabel()
        self.server_warning.setObjectName("serverWarning")
        self.server_warning.setWordWrap(True)
        self.server_warning.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.server_warning.setStyleSheet("#serverWarning { background: #b26a00; color: white; font-size: 22px; "
                                          "padding: 10px; }")
        self.server_warning.hide()
        column.addWidget(self.server_warning)
        column.addWidget(self.pages, 1)
        self.setCentralWidget(root)
        self._build()
        self.connection = ServerConnection(clinic, self)
        self.connection.state.connect(self._connection)
        self.last_admin_notice = ""
        self.idle = QTimer(self)
        self.idle.setSingleShot(True)
        self.idle.timeout.connect(self.wipe)
        QApplication.instance().installEventFilter(self)
        self.wedge = WedgeFilter(self)
        self.wedge.scanned.connect(self.on_typed_scan)
        QApplication.instance().installEventFilter(self.wedge)
        s = clinic.settings
        self.camera = CameraController(s["scanner.engines"], s["scanner.confirm_frames"], s["scanner.quiet_seconds"],
                                       mirror=s["camera.mirror"], parent=self)
        self.camera.frame_ready.connect(lambda image: self.preview.setPixmap(QPixmap.fromImage(image)))
        self.camera.advice.connect(lambda vi, en: self.coaching.setText(tr(vi, en)))
        self.camera.scanned.connect(self.on_scan)
        self.camera.state_changed.connect(self._camera_state)
        self.camera_ok = False
        if demo or camera == "demo":
            from kiosk.sandbox import demo as demo_data

            video = demo_data.demo_camera_video(clinic.settings.paths.data_dir / demo_data.DEMO_VIDEO_NAME)
            self.camera.start(CaptureSource(str(video), live=True, loop=True))
        else:
            self.camera.start(camera or s["camera.source"])
        self.serial_input = self._start_serial_scanner()
        self.wipe()
        self.housekeeping = Housekeeping(clinic, self, lambda verdict: None)  # backups; the clock is logged

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(1080, 1920)

    def _connection(self, online: bool) -> None:
        """The hall sees it plainly: numbers still come, marked offline."""
        self.server_warning.setText(tr("Đang mất kết nối máy chủ: vẫn lấy số được (số ngoại tuyến)",
                                       "No connection to the server: tickets still work (offline numbers)"))
        self.server_warning.setVisible(not online)

    # -- pages -------------------------------------------------------------------------------
    def _page(self) -> tuple[QWidget, QVBoxLayout]:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(48, 48, 48, 48)
        layout.setSpacing(28)
        self.pages.addWidget(page)
        return page, layout

    def _label(self, layout: QVBoxLayout, name: str = "") -> QLabel:
        label = QLabel()
        label.setWordWrap(True)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        if name:
            label.setObjectName(name)
        layout.addWidget(label)
        return label

    def _button(self, layout, text_vi: str, text_en: str, slot, secondary: bool = False) -> QPushButton:  # noqa: ANN001
        button = QPushButton()
        button.setProperty("vi", text_vi)
        button.setProperty("en", text_en)
        button.setText(tr(text_vi, text_en))
        if secondary:
            button.setObjectName("secondary")
        button.clicked.connect(slot)
        layout.addWidget(button)
        return button

    def _build(self) -> None:
        _, start = self._page()
        top = QHBoxLayout()
        top.addStretch(1)
        self.language_button = QPushButton("English")
        self.language_button.setObjectName("secondary")
        self.language_button.clicked.connect(self.toggle_language)
        top.addWidget(self.language_button)
        self.exit_button = QPushButton("⚙")
        self.exit_button.setObjectName("secondary")
        self.exit_button.setFixedWidth(90)
        self.exit_button.clicked.connect(self.ask_exit)
        top.addWidget(self.exit_button)
        start.addLayout(top)
        self.start_title = self._label(start, "title")
        self.camera_state = self._label(start, "cameraState")
        self.camera_state.hide()
        self.serial_state = self._label(start, "serialState")  # a USB-COM scanner that is not working (staff)
        self.serial_state.hide()
        self.preview = QLabel()
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumHeight(380)
        start.addWidget(self.preview, 1)
        self.coaching = self._label(start)
        self.start_notice = self._label(start, "notice")  # what happened to the last try: large, one language
        self._button(start, "Nhập số căn cước (CCCD)", "Type your ID number", lambda: self.show_page(KEYPAD))
        self._button(start, "Hướng dẫn Sổ sức khỏe điện tử", "How to use the electronic health book",
                     lambda: self.show_page(GUIDE), secondary=True)

        _, keypad = self._page()
        keypad.addStretch(1)
        self.keypad_title = self._label(keypad, "title")
        self.keypad_field = QLineEdit()
        self.keypad_field.setObjectName("idField")
        self.keypad_field.setReadOnly(True)
        self.keypad_field.setAlignment(Qt.AlignmentFlag.AlignCenter)
        keypad.addWidget(self.keypad_field)
        self.keypad_hint = self._label(keypad, "notice")
        grid = QGridLayout()
        grid.setSpacing(16)
        self.keypad_keys: dict[str, QPushButton] = {}
        for i, key in enumerate("123456789⌫0✓"):
            button = QPushButton(key)
            button.setObjectName("digit")
            button.setMinimumSize(200, 130)
            button.clicked.connect(lambda _=False, k=key: self.on_key(k))
            grid.addWidget(button, i // 3, i % 3)
            self.keypad_keys[key] = button
        keypad.addLayout(grid)
        keypad.addStretch(1)
        self._button(keypad, "Quay lại", "Back", self.wipe, secondary=True)

        _, confirm = self._page()
        self.confirm_title = self._label(confirm, "title")
        self.confirm_name = self._label(confirm, "big")
        self.confirm_name.setStyleSheet("font-size: 56px;")
        self.confirm_id = self._label(confirm)
        confirm.addStretch(1)
        self._button(confirm, "Đúng, là tôi", "Yes, that is me", self._guarded(self.choose_service))
        self._button(confirm, "Không phải tôi", "No, not me", self._guarded(self.wipe), secondary=True)

        _, service = self._page()
        self.service_title = self._label(service, "title")
        self.card_verdict = self._label(service, "cardVerdict")
        self.service_buttons: list[QPushButton] = []
        insurance = set(self.clinic.settings["queue.insurance_services"])
        for name in self.clinic.settings["queue.services"]:
            button = self._button(service, name, SERVICE_EN.get(name, name),
                                  lambda _=False, chosen=name: self.choose_department(chosen))
            button.setProperty("insurance", name in insurance)
            self.service_buttons.append(button)
        service.addStretch(1)
        self._button(service, "Huỷ", "Cancel", self.wipe, secondary=True)

        _, ticket = self._page()
        self.ticket_title = self._label(ticket, "title")
        self.ticket_number = self._label(ticket, "big")
        self.ticket_room = self._label(ticket, "title")
        self.ticket_note = self._label(ticket)
        ticket.addStretch(1)
        self._button(ticket, "Xong", "Done", self.wipe)

        _, guide = self._page()
        g = vneid_guide()
        self.guide_title = self._label(guide, "title")
        self.guide_steps = self._label(guide)
        self.guide_steps.setAlignment(Qt.AlignmentFlag.AlignLeft)
        self._guide = g
        guide.addStretch(1)
        self._button(guide, "Quay lại", "Back", self.wipe, secondary=True)

        _, department = self._page()
        self.department_title = self._label(department, "title")
        self.department_buttons: list[QPushButton] = []
        for dep in self.clinic.settings["facility.departments"]:
            button = self._button(department, dep["name"], dep.get("name_en", dep["name"]),
                                  lambda _=False, code=dep["code"]: self.check_in(code))
            self.department_buttons.append(button)
        department.addStretch(1)
        self._button(department, "Huỷ", "Cancel", self.wipe, secondary=True)
        self.retranslate()

    def retranslate(self) -> None:
        self.language_button.setText("Tiếng Việt" if i18n.language() == "en" else "English")
        self._start_words()
        if getattr(self, "serial_input", None) is not None:
            self.serial_state.setText(tr(*self.serial_input.words))
        self.keypad_title.setText(tr("Nhập 12 số căn cước", "Enter your 12-digit ID number"))
        self.keypad_keys["✓"].setText(tr("Xong", "Done"))
        self.confirm_title.setText(tr("Có phải bạn không?", "Is this you?"))
        self.service_title.setText(tr("Bạn khám theo hình thức nào?", "Which kind of examination?"))
        self.department_title.setText(tr("Chọn nơi khám", "Choose where to be seen"))
        if self._card is not None:
            self.card_verdict.setText(tr(self._card.message_vi, self._card.message_en))
        self.ticket_title.setText(tr("Số thứ tự của bạn", "Your number"))
        self.guide_title.setText(tr(self._guide.title_vi, self._guide.title_en))
        self.guide_steps.setText("\n\n".join(f"{i}. {tr(vi, en)}" for i, (vi, en) in enumerate(self._guide.steps, 1)))
        for button in self.findChildren(QPushButton):
            if button.property("vi"):
                button.setText(tr(button.property("vi"), button.property("en")))

    def _start_words(self) -> None:
        """The start page says what works now: with no camera, the keypad (in large type, not a QR to nobody)."""
        state, vi, en = self._camera
        reader = getattr(self, "serial_input", None)
        if state in ("error", "reconnecting", "ended") and reader is not None and reader.state == "connected":
            # no camera, but the USB-COM scanner reads cards: point to it, not to the keypad
            self.start_title.setText(tr("Xin mời đưa mã QR trên thẻ căn cước, VNeID hoặc thẻ BHYT vào máy quét",
                                        "Please hold the QR code of your ID card, VNeID or BHYT card to the scanner"))
            self.camera_state.hide()
            self.preview.hide()
        elif state in ("error", "reconnecting", "ended"):
            self.start_title.setText(tr("Mời bấm \"Nhập số căn cước\" bên dưới, hoặc đến quầy tiếp đón",
                                        "Please press \"Type your ID number\" below, or go to the reception desk"))
            self.camera_state.setText(tr("Camera chưa sẵn sàng: chưa quét mã QR được",
                                         "The camera is not working: QR codes cannot be scanned"))
            self.camera_state.show()
            self.preview.hide()
        else:
            self.start_title.setText(tr("Xin mời đưa mã QR trên thẻ căn cước, VNeID hoặc thẻ BHYT vào trước camera",
                                        "Please hold the QR code of your ID card, VNeID or BHYT card up to the camera"))
            self.camera_state.hide()
            self.preview.show()

    def _camera_state(self, state: str, vi: str, en: str) -> None:
        self._camera = (state, vi, en)
        self.camera_ok = state == "running"
        if state in ("error", "reconnecting", "ended"):
            log.warning("kiosk camera: %s", state)
        self._start_words()

    def _start_serial_scanner(self) -> SerialInput | None:
        """A USB-COM scanner (scanner.serial) beside the camera: its codes go where the wedge's go."""
        s = self.clinic.settings
        if not s["scanner.serial"].strip():
            return None
        serial_input = SerialInput(s["scanner.serial"], s["scanner.serial_baud"], parent=self)
        serial_input.scanned.connect(self.on_typed_scan)
        serial_input.refused.connect(self._serial_refused)
        serial_input.state_changed.connect(self._serial_state)
        serial_input.start()
        return serial_input

    def _serial_state(self, state: str, vi: str, en: str) -> None:
        if state != "connected":
            log.warning("kiosk serial scanner: %s", state)
        self.serial_state.setText(tr(vi, en))
        self.serial_state.setVisible(state != "connected")
        self._start_words()  # without a camera, the start page points to the scanner while it is connected

    def _serial_refused(self, vi: str, en: str) -> None:
        if self.accepts_scans():
            self.start_notice.setText(tr(vi, en))

    def toggle_language(self) -> None:
        i18n.set_language("vi" if i18n.language() == "en" else "en")
        self.retranslate()

    def _guarded(self, action):  # noqa: ANN001, ANN202
        """A confirm-page button that ignores a tap landing just as the page appeared (meant for the page before)."""
        def guarded() -> None:
            if time.monotonic() - self._page_shown_at >= CONFIRM_GUARD_S:
                action()
        return guarded

    def show_page(self, index: int) -> None:
        self._page_shown_at = time.monotonic()
        self.pages.setCurrentIndex(index)
        self.idle.start(self.clinic.settings["kiosk.idle_seconds"] * 1000)
        prompts = {CONFIRM: ("Có phải bạn không?", "Is this you?"),
                   SERVICE: ("Mời chọn hình thức khám", "Choose the kind of examination"),
                   DEPARTMENT: ("Mời chọn nơi khám", "Choose where to be seen")}
        if index in prompts:
            self.voice.say(tr(*prompts[index]))

    # -- flow --------------------------------------------------------------------------------
    @property
    def typed_id(self) -> str:
        return self.keypad_field.text().replace(" ", "")

    def on_key(self, key: str) -> None:
        """The ID keypad: digits shown in groups of three to check at a glance; a short number keeps what was typed
        and says how many digits are missing."""
        digits = self.typed_id
        self.keypad_hint.clear()
        if key == "⌫":
            digits = digits[:-1]
        elif key == "✓":
            if len(digits) == ID_DIGITS:
                self.identify(Identity(IdentitySource.MANUAL, id_number=digits))
            else:
                missing = ID_DIGITS - len(digits)
                self.keypad_hint.setText(tr(f"Số căn cước có 12 chữ số: còn thiếu {missing} số",
                                            f"The ID number has 12 digits: {missing} missing"))
        elif len(digits) < ID_DIGITS:
            digits += key
        self.keypad_field.setText(" ".join(digits[i:i + 3] for i in range(0, len(digits), 3)))
        self.idle.start(self.clinic.settings["kiosk.idle_seconds"] * 1000)

    def accepts_scans(self) -> bool:
        """A code is read only on the start page, with nobody mid-way: never while someone types their ID, answers
        "is this you?" or chooses, and never while the admin is at the exit keypad (the next person in the line
        holding up a phone must not take over the screen)."""
        pad = getattr(self, "pin_pad", None)
        return self.pages.currentIndex() == START and not self._busy and not (pad is not None and pad.isVisible())

    def on_typed_scan(self, text: str) -> None:
        """A code from a scanner that sends text: the keyboard wedge or the USB-COM scanner."""
        self.handle_payload(parse_payload(text))

    def on_scan(self, scan: Scan) -> None:
        self.handle_payload(scan.payload)

    def handle_payload(self, payload: Payload) -> None:
        if not self.accepts_scans():
            return
        if not payload.ok or payload.kind not in ("cccd", "bhyt"):
            if payload.kind in ("cccd", "bhyt"):  # a card's code that is broken: the reason in words (an input
                self.start_notice.setText(tr(*payload_problem(payload)))  # method left on, a damaged text…)
            else:
                self.start_notice.setText(tr("Mã này không phải mã QR của thẻ căn cước, VNeID hay thẻ BHYT",
                                             "This is not the QR code of an ID card, VNeID or a BHYT card"))
            return
        self.identify(identity_from_payload(payload))

    @property
    def patient(self) -> Patient | None:
        return self.context.current.patient if self.context.current else None

    @property
    def last_checkin(self) -> CheckIn | None:
        return self.context.current.checkin if self.context.current else None

    @property
    def last_print(self) -> PrintOutcome | None:
        return self.context.current.last_outcome if self.context.current else None

    def identify(self, identity: Identity) -> None:
        if self._busy:
            return
        self._busy = True
        serial = self._serial
        clinic = self.clinic
        run_in_background(lambda: clinic.identify(identity), lambda patient: self._identified(serial, patient),
                          lambda exc: self._failed(serial, exc), owner=self)

    def _identified(self, serial: int, patient: Patient) -> None:
        self._busy = False
        if serial != self._serial:  # wiped (idle, "back") while it ran: not for whoever stands here now
            return
        self.context.open(patient, "kiosk")
        self.confirm_name.setText(mask_name(patient.full_name))
        if patient.id_number:
            self.confirm_id.setText(tr("Số định danh: ", "ID number: ") + mask_id(patient.id_number))
        else:  # known by the BHYT card alone
            self.confirm_id.setText(tr("Số thẻ BHYT: ", "BHYT card number: ") + mask_id(patient.card_number))
        self.show_page(CONFIRM)

    def _failed(self, serial: int, exc: Exception) -> None:
        """Any failure: everything of this person is wiped at once, and the start page says what to do."""
        self._busy = False
        if serial != self._serial:
            return
        if isinstance(exc, UnknownPatient) and not self.camera_ok:  # nothing to scan with: the desk, plainly
            exc = KioskError("Chưa có hồ sơ của bạn ở phòng khám. Mời đến quầy tiếp đón.",
                             "We have no record of you yet. Please go to the reception desk.")
        elif isinstance(exc, UnknownPatient):  # nobody to type a name here: the desk registers newcomers
            exc = KioskError("Chưa có hồ sơ của bạn ở phòng khám. Mời quét mã QR trên thẻ căn cước hoặc VNeID "
                             "(có họ tên), hoặc đến quầy tiếp đón.",
                             "We have no record of you yet. Please scan the QR code of your ID card or VNeID (it "
                             "carries your name), or go to the reception desk.")
        if not isinstance(exc, KioskError):
            log.error("kiosk step failed", exc_info=exc)
        self.wipe()
        self.start_notice.setText(tr(exc.vi, exc.en) if isinstance(exc, KioskError) else
                                  tr("Có lỗi — mời đến quầy tiếp đón", "Something went wrong — please go to the desk"))

    def choose_service(self) -> None:
        """"Yes, that is me": the kinds of examination, while the card is checked in the background (a fee-paying
        examination can be chosen at once; an insurance one once the card's answer allows it)."""
        ctx = self.context.current
        if ctx is None:
            return
        self._card = None
        self._service = ""
        self.card_verdict.setText(tr("Đang kiểm tra thẻ BHYT…", "Checking your BHYT card…"))
        self.card_verdict.setStyleSheet("background: #13315c;")
        for button in self.service_buttons:
            button.setEnabled(not button.property("insurance"))
        self.show_page(SERVICE)
        serial, clinic, patient = self._serial, self.clinic, ctx.patient
        run_in_background(lambda: clinic.self_service_card(patient), lambda card: self._card_checked(serial, card),
                          lambda exc: self._card_checked(serial, None, exc), owner=self)

    def _card_checked(self, serial: int, card: SelfServiceCard | None, exc: Exception | None = None) -> None:
        if serial != self._serial:  # wiped while the gateway answered: not for whoever stands here now
            return
        if card is None:  # the server itself failed: the desk checks the card later, as when the gateway is down
            log.warning("kiosk card check failed: %s", type(exc).__name__)
            card = SelfServiceCard("", True, "Chưa kiểm tra được thẻ BHYT lúc này: bạn vẫn lấy số được, quầy tiếp đón "
                                             "sẽ kiểm tra lại.",
                                   "The BHYT card could not be checked just now: you can still take a number, the "
                                   "desk will check it again.")
        self._card = card
        self.card_verdict.setText(tr(card.message_vi, card.message_en))
        self.card_verdict.setStyleSheet("background: #1b7f3b;" if card.insurance else "background: #b3261e;")
        for button in self.service_buttons:
            button.setEnabled(card.insurance or not button.property("insurance"))
        if not card.insurance:
            self.voice.say(tr("Thẻ bảo hiểm y tế của bạn chưa dùng được hôm nay",
                              "Your health insurance card cannot be used today"))

    def choose_department(self, service: str) -> None:
        self._service = service
        departments = self.clinic.settings["facility.departments"]
        if len(departments) == 1:  # one place to go: no question to ask
            self.check_in(departments[0]["code"])
        else:
            self.show_page(DEPARTMENT)

    def check_in(self, department_code: str) -> None:
        ctx = self.context.current
        if ctx is None or self._busy:
            return
        self._busy = True
        serial, clinic, patient, service = self._serial, self.clinic, ctx.patient, self._service

        def work() -> tuple[CheckIn, PrintOutcome]:
            done = clinic.check_in(patient, department_code, service=service, station="kiosk")
            return done, clinic.print_ticket(done.ticket, context=ctx.tag)

        run_in_background(work, lambda done: self._checked_in(ctx, done), lambda exc: self._failed(serial, exc),
                          owner=self)

    def _checked_in(self, ctx: PatientContext, done: tuple[CheckIn, PrintOutcome]) -> None:
        self._busy = False
        if not self.context.is_current(ctx):
            return
        checkin, outcome = done
        ctx.checkin, ctx.ticket = checkin, checkin.ticket
        ctx.printed(outcome)
        number = number_text(checkin.ticket.number)
        self.ticket_number.setText(number)
        room = checkin.ticket.room
        dep = self.clinic.settings.department(checkin.ticket.department_code) or {}
        where_vi = f"{dep.get('name', '')} — phòng {room}" if room else dep.get("name", "")
        where_en = f"{dep.get('name_en', dep.get('name', ''))} — room {room}" if room else dep.get("name_en", "")
        self.ticket_room.setText(tr(f"Mời đến {where_vi}", f"Please go to {where_en}") if where_vi else
                                 tr("Mời ngồi chờ gọi số", "Please wait for your number to be called"))
        already = tr("Bạn đã lấy số này hôm nay. ", "You already took this number today. ") if checkin.reprint else ""
        if outcome.printed:
            self.ticket_note.setObjectName("ticketNote")
            self.ticket_note.setStyleSheet("")
            self.ticket_note.setText(already + tr("Mời nhận phiếu bên dưới.", "Please take your ticket below."))
        else:  # one instruction: the number is valid without the paper
            self.ticket_note.setObjectName("ticketWarning")
            self.ticket_note.setStyleSheet("font-size: 34px; font-weight: bold; background: #b26a00; color: #ffffff; "
                                           "padding: 16px; border-radius: 12px;")
            self.ticket_note.setText(already + tr(f"Máy in phiếu đang lỗi: hãy nhớ số {number}, số vẫn được gọi. Cần "
                                                  "phiếu giấy thì hỏi quầy tiếp đón.",
                                                  f"The ticket printer is not working: remember number {number}, it "
                                                  "will still be called. Ask the desk for a paper ticket if needed."))
        self.voice.say(tr(f"Số của bạn là {checkin.ticket.number}", f"Your number is {checkin.ticket.number}"))
        self.show_page(TICKET)
        self.idle.start(10_000)

    def wipe(self) -> None:
        """Back to the start with no trace of the last patient on screen or in memory."""
        self.context.close("wiped")
        self._serial += 1  # an answer still on its way is for nobody now
        for label in (self.confirm_name, self.confirm_id, self.ticket_number, self.ticket_room, self.ticket_note,
                      self.coaching, self.start_notice, self.card_verdict):
            label.clear()
        self._card: SelfServiceCard | None = None
        self._service = ""
        self.ticket_note.setStyleSheet("")
        self.keypad_field.clear()
        self.keypad_title.setText(tr("Nhập 12 số căn cước", "Enter your 12-digit ID number"))
        self.camera.reset()
        self.pages.setCurrentIndex(START)
        self.idle.stop()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() in (QEvent.Type.MouseButtonPress, QEvent.Type.KeyPress, QEvent.Type.TouchBegin) and \
                self.pages.currentIndex() != START:
            self.idle.start(self.clinic.settings["kiosk.idle_seconds"] * 1000)
        return False

    def ask_exit(self) -> None:
        """The admin's way out: an on-screen keypad (a kiosk has no keyboard)."""
        pad = getattr(self, "pin_pad", None)
        if pad is not None and pad.isVisible():
            pad.raise_()
            return
        if pad is not None:  # the last exit attempt's pad: one at a time, not one more per attempt
            pad.deleteLater()
        self.pin_pad = PinPad(tr("Thoát chế độ ki-ốt", "Leave kiosk mode"),
                              tr("Nhập mã PIN quản trị", "Enter the admin PIN"), self)
        self.pin_pad.entered.connect(self.exit_with_pin)
        self.pin_pad.open()

    def exit_with_pin(self, pin: str) -> None:
        try:
            right = self.clinic.check_kiosk_pin(pin)
        except LockedOut as exc:  # repeated wrong PINs: wait, the delay doubles each time
            self.admin_notice(tr(exc.vi, exc.en))
            return
        if right:
            self.pin_pad.accept()
            self.close()
        else:
            self.admin_notice(tr("Sai mã PIN quản trị", "Wrong admin PIN"))

    def admin_notice(self, text: str) -> None:
        """Tell the admin at the exit what happened, on the keypad itself (it stays open for another try, and
        nothing of it is left floating over a patient's screen when it closes)."""
        self.last_admin_notice = text
        self.pin_pad.show_message(text)

    def closeEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt API
        self.camera.stop()
        if self.serial_input is not None:
            self.serial_input.stop()
        app = QApplication.instance()
        app.removeEventFilter(self.wedge)
        app.removeEventFilter(self)
        wait_for_background()
        super().closeEvent(event)
