"""The reception desk: camera and USB scanner, manual entry, the patient panel, check-in and ticket."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from pathlib import Path

from kiosk import demo
from kiosk.card_codes import Decision
from kiosk.checkin import CheckIn
from kiosk.errors import KioskError
from kiosk.facade import Clinic, Lookup
from kiosk.identify import identity_from_payload
from kiosk.model import DatePrecision, Identity, IdentitySource, Role, number_text
from printing.dispatch import PrintOutcome
from printing.ticket import PRIORITY_LABELS
from scanner.live import Scan
from scanner.payloads import Payload, parse_payload
from ui.background import run_in_background, wait_for_background
from ui.camera import CameraController
from ui.i18n import tr
from ui.patient_panel import PatientPanel
from ui.qt import (
    QCheckBox,
    QComboBox,
    QDate,
    QDateEdit,
    QFileDialog,
    QFont,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QImage,
    QLabel,
    QLineEdit,
    QMediaDevices,
    QMessageBox,
    QPainter,
    QPen,
    QPixmap,
    QPushButton,
    Qt,
    QTabWidget,
    QTimer,
    QVBoxLayout,
    QWidget,
)
from ui.sound import Sounds
from ui.stations import StationWindow
from ui.wedge import WedgeFilter

log = logging.getLogger("ui.reception")

DEMO_CAMERA = "demo"


class Preview(QLabel):
    """The live picture with a target frame; flashes green when a code is accepted."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("preview")
        self.setFixedSize(640, 360)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setStyleSheet("background: #222; color: #ddd;")
        self.setText(tr("Đang mở camera…", "Opening the camera…"))
        self._flash = False

    def show_frame(self, image: QImage) -> None:
        pixmap = QPixmap.fromImage(image).scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        painter = QPainter(pixmap)
        colour = Qt.GlobalColor.green if self._flash else Qt.GlobalColor.yellow
        painter.setPen(QPen(colour, 6 if self._flash else 3))
        w, h = pixmap.width(), pixmap.height()
        side = int(min(w, h) * 0.7)
        painter.drawRect((w - side) // 2, (h - side) // 2, side, side)
        painter.end()
        self.setPixmap(pixmap)

    def flash(self) -> None:
        self._flash = True
        QTimer.singleShot(400, self, self._end_flash)

    def _end_flash(self) -> None:
        self._flash = False


class ReceptionWindow(StationWindow):
    station = "reception"
    title_vi, title_en = "Quầy tiếp đón", "Reception desk"

    def __init__(self, clinic: Clinic, *, demo: bool = False, camera: str | None = None) -> None:
        if clinic.signed_in is None:  # opened without sign-in (tests, benchmarks): the station's role
            clinic.act_as(Role.RECEPTIONIST, "reception")
        super().__init__(clinic, demo=demo)
        s = clinic.settings
        self.lookup_result: Lookup | None = None
        self.last_checkin: CheckIn | None = None
        self.last_print: PrintOutcome | None = None
        self._busy = False
        self.sounds = Sounds(s.paths.data_dir / "sounds", self)

        columns = QHBoxLayout()
        self.body.addLayout(columns, 1)
        left = QVBoxLayout()
        columns.addLayout(left)
        self.preview = Preview()
        left.addWidget(self.preview)
        self.coaching = QLabel()
        self.coaching.setObjectName("coaching")
        self.coaching.setWordWrap(True)  # a lost camera's message is long
        big = QFont(self.font())
        big.setPointSize(13)
        self.coaching.setFont(big)
        left.addWidget(self.coaching)
        controls = QHBoxLayout()
        self.camera_picker = QComboBox()
        self.camera_picker.setObjectName("cameraPicker")
        controls.addWidget(QLabel(tr("Camera:", "Camera:")))
        controls.addWidget(self.camera_picker, 1)
        self.mirror = QCheckBox(tr("Lật ảnh như gương", "Mirror"))
        self.mirror.setChecked(s["camera.mirror"])
        controls.addWidget(self.mirror)
        left.addLayout(controls)
        left.addWidget(self._manual_entry())
        left.addStretch(1)

        right = QVBoxLayout()
        columns.addLayout(right, 1)
        self.panel = PatientPanel()
        right.addWidget(self.panel, 1)
        from ui.consent_box import ConsentBox

        self.consent_box = ConsentBox(self.save_consent)
        right.addWidget(self.consent_box)
        right.addWidget(self._checkin_box())

        self.wedge = WedgeFilter(self)
        self.wedge.scanned.connect(self.on_typed_scan)
        from ui.qt import QApplication

        QApplication.instance().installEventFilter(self.wedge)

        self.camera = CameraController(s["scanner.engines"], s["scanner.confirm_frames"], s["scanner.quiet_seconds"],
                                       mirror=self.mirror.isChecked(), parent=self)
        self.camera.frame_ready.connect(self.preview.show_frame)
        self.camera.advice.connect(lambda vi, en: self.coaching.setText(tr(vi, en)))
        self.camera.scanned.connect(self.on_camera_scan)
        self.camera.state_changed.connect(self._camera_state)
        self.mirror.toggled.connect(lambda on: setattr(self.camera, "mirror", on))
        self._fill_camera_picker(camera)
        self.camera_picker.currentIndexChanged.connect(self._camera_chosen)
        self._camera_chosen()

        QTimer.singleShot(0, self, self._warm_up)
        self.idle_lock = None
        if clinic.signed_in is not None:  # a signed-in user's station locks itself when left alone
            from ui.session import IdleLock

            self.idle_lock = IdleLock(self, clinic, s["security.idle_lock_minutes"], self.clear_patient)
        self._retry_timer = QTimer(self)
        self._retry_timer.timeout.connect(self._retry_pending)
        self._retry_timer.start(60_000)

    def _warm_up(self) -> None:
        """Rasterise the Vietnamese glyphs of every font the panel uses once, at start-up, so the
        first patient's panel does not stall the GUI thread while the glyph cache fills."""
        sample = ("AĂÂBCDĐEÊGHIKLMNOÔƠPQRSTUƯVXY aăâbcdđeêghiklmnoôơpqrstuưvxy 0123456789 "
                  "ÀÁẢÃẠẰẮẲẴẶẦẤẨẪẬÈÉẺẼẸỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌỒỐỔỖỘỜỚỞỠỢÙÚỦŨỤỪỨỬỮỰỲÝỶỸỴ "
                  "àáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ →—·")
        for label in (self.panel.name, self.panel.decision, self.panel.safety, self.ticket_label, self.print_notice):
            probe = QLabel(sample)
            probe.setFont(label.font())
            probe.setStyleSheet("font-weight: bold;")
            probe.grab()
            probe.setStyleSheet("")
            probe.grab()
            probe.deleteLater()
        from printing.fonts import register

        run_in_background(register, lambda _: None, lambda exc: log.warning("fonts: %s", exc), owner=self)

    # -- layout pieces -----------------------------------------------------------------------
    def _manual_entry(self) -> QWidget:
        tabs = QTabWidget()
        tabs.setObjectName("manualEntry")
        self.cccd_input = QLineEdit()
        self.cccd_input.setPlaceholderText(tr("12 chữ số", "12 digits"))
        self.cccd_input.setMaxLength(12)
        self.card_input = QLineEdit()
        self.card_input.setPlaceholderText(tr("Mã thẻ 15 ký tự hoặc mã số BHXH", "15-char card code or BHXH number"))
        self.name_input = QLineEdit()
        self.dob_input = QDateEdit()
        self.dob_input.setDisplayFormat("dd/MM/yyyy")
        self.dob_input.setDate(QDate(1980, 1, 1))
        for key, field in (("cccd", self.cccd_input), ("card", self.card_input)):
            page = QWidget()
            form = QFormLayout(page)
            form.addRow(tr("Số CCCD", "ID number") if key == "cccd" else tr("Mã thẻ BHYT", "Card number"), field)
            button = QPushButton(tr("Tra cứu", "Look up"))
            button.clicked.connect(self.on_manual_lookup)
            field.returnPressed.connect(self.on_manual_lookup)
            form.addRow(button)
            tabs.addTab(page, tr("CCCD", "ID card") if key == "cccd" else tr("Thẻ BHYT", "BHYT card"))
        page = QWidget()
        form = QFormLayout(page)
        form.addRow(tr("Họ tên", "Full name"), self.name_input)
        form.addRow(tr("Ngày sinh", "Date of birth"), self.dob_input)
        button = QPushButton(tr("Tra cứu", "Look up"))
        button.clicked.connect(self.on_manual_lookup)
        form.addRow(button)
        tabs.addTab(page, tr("Họ tên + ngày sinh", "Name + birth date"))
        self.manual_tabs = tabs
        return tabs

    def _checkin_box(self) -> QWidget:
        box = QGroupBox(tr("Tiếp đón", "Check-in"))
        layout = QVBoxLayout(box)
        form = QFormLayout()
        self.department = QComboBox()
        for dep in self.clinic.settings["facility.departments"]:
            self.department.addItem(f"{dep['code']} — {tr(dep['name'], dep.get('name_en', dep['name']))}", dep["code"])
        self.service = QComboBox()
        for service in self.clinic.settings["queue.services"]:
            self.service.addItem(service, service)
        self.priority = QComboBox()
        self.priority.addItem(tr("Không ưu tiên", "No priority"), "")
        for key in self.clinic.settings["queue.priorities"]:
            vi, en = PRIORITY_LABELS.get(key, (key, key))
            self.priority.addItem(tr(vi, en), key)
        form.addRow(tr("Khoa", "Department"), self.department)
        form.addRow(tr("Dịch vụ", "Service"), self.service)
        form.addRow(tr("Ưu tiên", "Priority"), self.priority)
        layout.addLayout(form)
        row = QHBoxLayout()
        self.checkin_button = QPushButton(tr("Lấy số thứ tự", "Issue queue number"))
        self.checkin_button.setObjectName("checkinButton")
        self.checkin_button.setMinimumHeight(44)
        self.checkin_button.setEnabled(False)
        self.checkin_button.clicked.connect(self.on_check_in)
        row.addWidget(self.checkin_button)
        self.reprint_button = QPushButton(tr("In lại phiếu", "Reprint ticket"))
        self.reprint_button.setEnabled(False)
        self.reprint_button.clicked.connect(self.reprint)
        row.addWidget(self.reprint_button)
        self.clear_button = QPushButton(tr("Người tiếp theo", "Next patient"))
        self.clear_button.clicked.connect(self.clear_patient)
        row.addWidget(self.clear_button)
        layout.addLayout(row)
        self.ticket_label = QLabel()
        self.ticket_label.setObjectName("ticketNumber")
        font = QFont(self.font())
        font.setPointSize(28)
        font.setBold(True)
        self.ticket_label.setFont(font)
        self.ticket_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.ticket_label)
        self.print_notice = QLabel()
        self.print_notice.setObjectName("printNotice")
        self.print_notice.setWordWrap(True)
        layout.addWidget(self.print_notice)
        return box

    # -- camera ------------------------------------------------------------------------------
    def _fill_camera_picker(self, chosen: str | None) -> None:
        self.camera_picker.addItem(tr("Camera demo (video)", "Demo camera (video)"), DEMO_CAMERA)
        configured = self.clinic.settings["camera.source"]
        try:
            devices = QMediaDevices.videoInputs()
        except Exception:  # noqa: BLE001 - no multimedia backend: list only what settings say
            devices = []
        for index, device in enumerate(devices):
            self.camera_picker.addItem(device.description(), str(index))
        if self.camera_picker.findData(configured) < 0:
            self.camera_picker.addItem(configured, configured)
        if chosen and self.camera_picker.findData(chosen) < 0:
            self.camera_picker.addItem(chosen, chosen)
        want = chosen or (DEMO_CAMERA if self.demo else configured)
        self.camera_picker.setCurrentIndex(max(0, self.camera_picker.findData(want)))

    def _camera_chosen(self) -> None:
        choice = self.camera_picker.currentData()
        if choice == DEMO_CAMERA:
            path = demo.demo_camera_video(self.clinic.settings.paths.data_dir / demo.DEMO_VIDEO_NAME)
            from scanner.sources import CaptureSource

            self.camera.start(CaptureSource(str(path), live=True, loop=True))
        else:
            self.camera.start(str(choice))

    def _camera_state(self, state: str, vi: str, en: str) -> None:
        if state != "running":
            self.coaching.setText(tr(vi, en))
            self.preview.setText(tr(vi, en))

    # -- identifying -------------------------------------------------------------------------
    def on_camera_scan(self, scan: Scan) -> None:
        self.handle_payload(scan.payload)

    def on_typed_scan(self, text: str) -> None:
        self.handle_payload(parse_payload(text))

    def handle_payload(self, payload: Payload) -> None:
        if self.idle_lock is not None and self.idle_lock.screen.isVisible():
            return  # locked: nobody at the desk to see the patient
        if not payload.ok or payload.kind not in ("cccd", "bhyt"):
            self.show_error(payload.error or tr("Mã QR không phải thẻ của người bệnh", "Not a patient's code"))
            return
        self.sounds.beep.play()
        self.preview.flash()
        self.identify(identity_from_payload(payload))

    def on_manual_lookup(self) -> None:
        tab = self.manual_tabs.currentIndex()
        if tab == 0:
            number = self.cccd_input.text().strip()
            if len(number) != 12 or not number.isdigit():
                self.show_error(tr("Số CCCD phải có 12 chữ số", "The ID number must have 12 digits"))
                return
            identity = Identity(IdentitySource.MANUAL, id_number=number)
        elif tab == 1:
            identity = Identity(IdentitySource.MANUAL, card_number=self.card_input.text().strip().upper())
        else:
            d = self.dob_input.date()
            identity = Identity(IdentitySource.MANUAL, full_name=" ".join(self.name_input.text().split()),
                                date_of_birth=dt.date(d.year(), d.month(), d.day()), dob_precision=DatePrecision.DAY)
        self.identify(identity)

    def identify(self, identity: Identity) -> None:
        if self._busy:
            return
        self._busy = True
        self.checkin_button.setEnabled(False)
        self.ticket_label.clear()
        self.print_notice.clear()
        self.panel.name.setText(tr("Đang tra cứu…", "Looking up…"))
        clinic = self.clinic

        def work() -> tuple[Lookup, list, dict | None]:
            result = clinic.lookup(clinic.identify(identity), clinic.lookup_staff())
            if result.patient.id is None:  # offline (clinic server away): the patient as scanned
                return result, [], None
            return result, clinic.tickets_today(result.patient), clinic.consents(result.patient)

        run_in_background(work, self._identified, self._failed, owner=self)

    def _identified(self, found: tuple[Lookup, list, dict | None]) -> None:
        self._busy = False
        result, tickets, consents = found
        if consents or consents is None:  # None: offline, asked when the server can record it
            self.consent_box.hide()
        else:
            self.consent_box.ask()
        self.lookup_result = result
        self.panel.show_lookup(result, tickets)
        self.checkin_button.setEnabled(True)
        if self.clinic.demo_mode:
            self.statusBar().showMessage(tr("DỮ LIỆU DEMO: cổng BHXH giả lập tích hợp",
                                            "DEMO DATA: built-in sandbox gateway"))

    def _failed(self, exc: Exception) -> None:
        self._busy = False
        self.panel.clear()
        self.show_error(str(exc) if isinstance(exc, KioskError) else
                        tr(f"Lỗi: {type(exc).__name__}", f"Error: {type(exc).__name__}"))
        if not isinstance(exc, KioskError):
            log.error("lookup failed", exc_info=exc)

    def show_error(self, text: str) -> None:
        self.statusBar().showMessage(text, 10_000)
        self.print_notice.setStyleSheet("color: #b00020;")
        self.print_notice.setText(text)

    # -- check-in ----------------------------------------------------------------------------
    def on_check_in(self) -> None:
        if self.lookup_result is None or self._busy:
            return
        self._busy = True
        self.checkin_button.setEnabled(False)
        result = self.lookup_result
        clinic = self.clinic
        department, service, priority = (self.department.currentData(), self.service.currentData(),
                                         self.priority.currentData())

        def work() -> tuple[CheckIn, PrintOutcome]:
            done = clinic.check_in(result.patient, department, service=service, priority=priority,
                                   station="reception", card_check=result.card_check)
            return done, clinic.print_ticket(done.ticket)

        run_in_background(work, self._checked_in, self._failed, owner=self)

    def _checked_in(self, done: tuple[CheckIn, PrintOutcome]) -> None:
        self._busy = False
        checkin, outcome = done
        self.last_checkin, self.last_print = checkin, outcome
        ticket = checkin.ticket
        self.ticket_label.setText(f"{number_text(ticket.number)}  ·  {ticket.department_code}  ·  "
                                  f"{tr('Phòng', 'Room')} {ticket.room or '—'}")
        notes = []
        if checkin.reprint:
            notes.append(tr("Người bệnh đã có số hôm nay: in lại số cũ", "Already checked in today: same number reprinted"))
        if self.lookup_result and self.lookup_result.card_check.decision is Decision.RETRY:
            notes.append(tr("Thẻ chưa kiểm tra được: sẽ tự kiểm tra lại", "Card not checked yet: it will be retried"))
        notes.append(tr(outcome.message_vi, outcome.message_en))
        self.print_notice.setStyleSheet("color: #1b7f3b;" if outcome.printed else "color: #b26a00; font-weight: bold;")
        self.print_notice.setText("\n".join(notes))
        self.reprint_button.setEnabled(True)
        if outcome.printer and not outcome.printed:
            self.print_failed(outcome)

    def print_failed(self, outcome: PrintOutcome) -> None:
        """A configured printer failed: say so, and offer to retry or to save the PDF elsewhere."""
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(tr("In không thành công", "Printing failed"))
        box.setText(tr(outcome.message_vi, outcome.message_en))
        retry = box.addButton(tr("Thử lại", "Retry"), QMessageBox.ButtonRole.AcceptRole)
        save = box.addButton(tr("Lưu PDF…", "Save PDF…"), QMessageBox.ButtonRole.ActionRole)
        box.addButton(tr("Đóng", "Close"), QMessageBox.ButtonRole.RejectRole)
        self.print_dialog = box
        box.exec()
        if box.clickedButton() is retry:
            self.reprint()
        elif box.clickedButton() is save:
            target, _ = QFileDialog.getSaveFileName(self, tr("Lưu PDF", "Save PDF"), outcome.pdf_path.name, "PDF (*.pdf)")
            if target:
                shutil.copyfile(outcome.pdf_path, target)
                self.print_notice.setText(tr(f"Đã lưu PDF: {target}", f"PDF saved: {target}"))

    def reprint(self) -> None:
        if self.last_print is None or not self.last_print.log_id:
            return
        job = self.last_print.log_id
        run_in_background(lambda: self.clinic.reprint(job), self._reprinted, self._failed, owner=self)

    def _reprinted(self, outcome: PrintOutcome) -> None:
        self.last_print = outcome
        self.print_notice.setStyleSheet("color: #1b7f3b;" if outcome.printed else "color: #b26a00; font-weight: bold;")
        self.print_notice.setText(tr(outcome.message_vi, outcome.message_en))

    def save_consent(self, answers: dict[str, bool]) -> None:
        if self.lookup_result is None:
            return
        patient = self.lookup_result.patient
        run_in_background(lambda: self.clinic.record_consent(patient, answers, "reception"),
                          lambda _: self.consent_box.hide(), self._failed, owner=self)

    def clear_patient(self) -> None:
        """Next patient: nothing of the last one stays on screen or in this window's memory."""
        self.consent_box.hide()
        self.lookup_result = None
        self.last_checkin = None
        self.last_print = None
        self.reprint_button.setEnabled(False)
        self.panel.clear()
        self.ticket_label.clear()
        self.print_notice.clear()
        for field in (self.cccd_input, self.card_input, self.name_input):
            field.clear()
        self.checkin_button.setEnabled(False)

    def _retry_pending(self) -> None:
        clinic = self.clinic
        run_in_background(lambda: clinic.retry_pending_card_checks(clinic.lookup_staff()), lambda n: None,
                          lambda exc: log.warning("pending card re-check failed: %s", exc), owner=self)

    def closeEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt API
        if self.idle_lock is not None:
            self.idle_lock.stop()
        self.camera.stop()
        from ui.qt import QApplication

        QApplication.instance().removeEventFilter(self.wedge)
        wait_for_background()
        super().closeEvent(event)


def demo_video_path(clinic: Clinic) -> Path:
    return demo.demo_camera_video(clinic.settings.paths.data_dir / demo.DEMO_VIDEO_NAME)
