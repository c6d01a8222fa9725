"""The reception desk: camera and USB scanner, manual entry, the patient panel, check-in and ticket."""

from __future__ import annotations

import logging
import shutil

from kiosk.bhxh.card_codes import Decision, needs_confirmation
from kiosk.checkin import CheckIn
from kiosk.context import PatientContext, StationContext
from kiosk.errors import BadInput, KioskError
from kiosk.facade import Clinic, Lookup, UnknownPatient
from kiosk.identify import (
    TypedDate,
    identity_from_payload,
    parse_birth_date,
    parse_card_number,
    parse_id_number,
    payload_problem,
    typed_identity,
)
from kiosk.model import DatePrecision, Identity, Role, Sex, number_text
from kiosk.privacy.masking import mask_id, mask_name
from kiosk.sandbox import demo
from printing.dispatch import PrintOutcome
from printing.ticket import PRIORITY_LABELS
from scanner.live import Scan
from scanner.payloads import Payload, parse_payload
from ui.background import run_in_background, wait_for_background
from ui.camera import CameraController
from ui.consent_box import ConsentBox
from ui.i18n import language, tr
from ui.patient_banner import PatientBanner, birth_text
from ui.patient_panel import ElidedLabel, PatientPanel
from ui.qt import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFont,
    QFormLayout,
    QFrame,
    QGridLayout,
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
    QRadioButton,
    QScrollArea,
    QSize,
    QSizePolicy,
    Qt,
    QTabWidget,
    QTimer,
    QVBoxLayout,
    QWidget,
    Signal,
)
from ui.serial_input import SerialInput
from ui.sound import Sounds
from ui.stations import StationWindow
from ui.wedge import WedgeFilter

log = logging.getLogger("ui.reception")

DEMO_CAMERA = "demo"
SERVICE_NAMES_EN = {"Khám BHYT": "BHYT visit", "Khám dịch vụ": "Fee-paying visit",
                    "Tái khám theo hẹn": "Follow-up by appointment"}


class Preview(QLabel):
    """The live picture with a target frame; flashes green when a code is accepted."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("preview")
        self.setMinimumSize(480, 270)  # a short screen takes a smaller picture, not cut controls
        self.setMaximumSize(640, 360)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.setWordWrap(True)  # a lost camera's message is long
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setStyleSheet("background: #222; color: #ddd;")
        self.setText(tr("Đang mở camera…", "Opening the camera…"))
        self._flash = False

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(640, 360)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt API (the picture's size, not its wrapped text's)
        return False

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


class IdentityForm(QWidget):
    """Typed identity: an optional CCCD, the name, the date of birth as people type it — with the date
    understood shown beside the box before it is used — and the sex; below, what a lookup will look
    for and, if nobody has that record yet, what it will save."""

    submitted = Signal()

    def __init__(self, with_id: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.with_id = with_id
        # No length limits on the fields: a USB scanner's burst landing in one is taken back out whole
        # (a limit would leave its first characters behind); what was typed is checked when used.
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setVerticalSpacing(4)
        self.id_input = QLineEdit()
        self.id_input.setPlaceholderText(tr("12 chữ số", "12 digits"))
        if with_id:
            form.addRow(tr("Số CCCD", "ID number"), self.id_input)
        self.name_input = QLineEdit()
        self.name_input.setPlaceholderText(tr("Họ và tên như trên giấy tờ", "Full name as on the papers")
                                           + (tr(" (khi chưa có hồ sơ)", " (when there is no record yet)")
                                              if with_id else ""))
        form.addRow(tr("Họ tên", "Full name"), self.name_input)
        row = QHBoxLayout()
        self.dob_input = QLineEdit()
        self.dob_input.setObjectName("dobInput")
        self.dob_input.setPlaceholderText(tr("23/07/1984", "23/07/1984"))
        self.dob_input.setToolTip(tr("Ngày/tháng/năm (23/07/1984, 23071984, 23-7-1984) hoặc chỉ năm (1984)",
                                     "Day/month/year (23/07/1984, 23071984, 23-7-1984) or the year alone (1984)"))
        self.dob_input.setFixedWidth(self.dob_input.fontMetrics().horizontalAdvance("23/07/1984 00") + 16)
        row.addWidget(self.dob_input)
        self.dob_shown = ElidedLabel()
        self.dob_shown.setObjectName("dobUnderstood")
        row.addWidget(self.dob_shown, 1)
        self.male = QRadioButton(tr("Nam", "Male"))
        self.female = QRadioButton(tr("Nữ", "Female"))
        self.sex_group = QButtonGroup(self)
        for button in (self.male, self.female):
            self.sex_group.addButton(button)
            row.addWidget(button)
        form.addRow(tr("Ngày sinh", "Born"), row)
        self.preview = ElidedLabel()
        self.preview.setObjectName("willSave")
        self.preview.setStyleSheet("color: #0b5394;")
        form.addRow(self.preview)
        self.button = QPushButton(tr("Tra cứu", "Look up"))
        self.button.clicked.connect(self.submitted)
        form.addRow(self.button)
        self.understood: TypedDate | None = None
        for field in (self.id_input, self.name_input, self.dob_input):
            field.textChanged.connect(self._changed)
            field.returnPressed.connect(self.submitted)
        self.sex_group.buttonToggled.connect(lambda *_: self._changed())
        self._changed()

    def sex(self) -> Sex | None:
        return Sex.MALE if self.male.isChecked() else Sex.FEMALE if self.female.isChecked() else None

    def _changed(self) -> None:
        """Say at once what the typed date is understood as (or what is wrong with it), and what a
        lookup will do: the date used is always the one shown here."""
        self.understood, problem = None, ""
        text = self.dob_input.text()
        if text.strip():
            try:
                self.understood = parse_birth_date(text)
            except BadInput as exc:
                problem = exc.message(language())
        if self.understood is not None:
            self.dob_shown.setStyleSheet("color: #1b7f3b; font-weight: bold;")
            self.dob_shown.setText("→ " + tr(*self.understood.shown()))
        else:
            self.dob_shown.setStyleSheet("color: #b00020; font-weight: bold;")
            self.dob_shown.setText(tr("✗ ngày sai", "✗ wrong date") if problem else "")
        self.preview.setStyleSheet("color: #b00020;" if problem else "color: #0b5394;")
        self.preview.setText(problem or self.plan())  # what is wrong with the date, in full, on the wide line
        self.button.setText(tr("Tra cứu / đăng ký", "Look up / register") if self.name_input.text().strip()
                            else tr("Tra cứu", "Look up"))

    def plan(self) -> str:
        """What pressing the button will do, in words."""
        number = "".join(self.id_input.text().split()) if self.with_id else ""
        name = " ".join(self.name_input.text().split())
        if not name:
            if number:
                return tr(f"Tìm hồ sơ có số CCCD {mask_id(number)}", f"Find the record with ID {mask_id(number)}")
            return tr("Nhập họ tên, ngày sinh và giới tính", "Type the name, date of birth and sex") if not \
                self.with_id else tr("Nhập số CCCD (và họ tên, ngày sinh, giới tính nếu chưa có hồ sơ)",
                                     "Type the ID number (and name, birth date, sex when there is no record)")
        born = tr(*self.understood.shown()) if self.understood else tr("(ngày sinh?)", "(date of birth?)")
        sex = {Sex.MALE: tr("Nam", "male"), Sex.FEMALE: tr("Nữ", "female")}.get(self.sex(), tr("(giới tính?)", "(sex?)"))
        ident = f" · CCCD {mask_id(number)}" if number else ""
        return tr(f"Tìm, nếu chưa có thì lưu: {name.upper()} · sinh {born} · {sex}{ident}",
                  f"Find, or save if new: {name.upper()} · born {born} · {sex}{ident}")

    def identity(self) -> Identity:
        """The typed identity, exactly as shown; BadInput saying what is missing or wrong."""
        number = parse_id_number(self.id_input.text()) if self.with_id else ""
        name = " ".join(self.name_input.text().split())
        if not name:
            if number:
                return typed_identity(id_number=number)
            raise BadInput("Hãy nhập họ tên", "Enter the full name")
        birth = parse_birth_date(self.dob_input.text())  # BadInput when empty or impossible
        if birth != self.understood:  # what is used is what is shown beside the box
            raise BadInput("Ngày sinh vừa đổi: xem lại ngày hiển thị rồi bấm lại",
                           "The date just changed: check the date shown and press again")
        if self.sex() is None:
            raise BadInput("Chọn giới tính (Nam/Nữ): nếu chưa có hồ sơ, người bệnh được đăng ký mới",
                           "Choose the sex (male/female): without a record the patient is registered")
        return typed_identity(id_number=number, full_name=name, birth=birth, sex=self.sex())

    def clear(self) -> None:
        for field in (self.id_input, self.name_input, self.dob_input):
            field.clear()
        self.sex_group.setExclusive(False)
        for button in (self.male, self.female):
            button.setChecked(False)
        self.sex_group.setExclusive(True)
        self._changed()


class ReceptionWindow(StationWindow):
    station = "reception"
    title_vi, title_en = "Quầy tiếp đón", "Reception desk"

    def __init__(self, clinic: Clinic, *, demo: bool = False, camera: str | None = None) -> None:
        if clinic.signed_in is None:  # opened without sign-in (tests, benchmarks): the station's role
            clinic.act_as(Role.RECEPTIONIST, "reception")
        super().__init__(clinic, demo=demo)
        s = clinic.settings
        self.context = StationContext("reception")
        self._busy = False
        self._lookup_serial = 0  # a lookup's answer is shown only if no newer lookup or clear came since
        self.pending_switch: Identity | None = None  # a scan waiting for the receptionist's word
        self._deferred: Identity | None = None  # a scan that arrived while a job ran
        self.sounds = Sounds(s.paths.data_dir / "sounds", self)

        columns = QHBoxLayout()
        self.body.addLayout(columns, 1)
        left = QVBoxLayout()
        columns.addLayout(left, 0)
        self.preview = Preview()
        left.addWidget(self.preview)
        self.coaching = ElidedLabel()  # one line that never pushes the controls: the whole text in its tooltip
        self.coaching.setObjectName("coaching")
        big = QFont(self.font())
        big.setPointSize(13)
        self.coaching.setFont(big)
        left.addWidget(self.coaching)
        controls = QHBoxLayout()
        self.camera_picker = QComboBox()
        self.camera_picker.setObjectName("cameraPicker")
        self.camera_picker.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.camera_picker.setMinimumContentsLength(16)
        controls.addWidget(QLabel(tr("Camera:", "Camera:")))
        controls.addWidget(self.camera_picker, 1)
        self.mirror = QCheckBox(tr("Lật ảnh như gương", "Mirror"))
        self.mirror.setChecked(s["camera.mirror"])
        controls.addWidget(self.mirror)
        left.addLayout(controls)
        self.serial_state = QLabel()  # the USB-COM scanner's state, when one is set (scanner.serial)
        self.serial_state.setObjectName("serialState")
        self.serial_state.setWordWrap(True)
        self.serial_state.hide()
        left.addWidget(self.serial_state)
        left.addWidget(self._manual_entry())
        self.message = QLabel()  # what went wrong with a scan or what was typed: one place, one language
        self.message.setObjectName("entryMessage")
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.message.setMinimumHeight(3 * self.message.fontMetrics().lineSpacing())
        left.addWidget(self.message)
        left.addStretch(1)

        right = QVBoxLayout()
        columns.addLayout(right, 1)
        right.addWidget(self._switch_prompt())
        self.banner = PatientBanner()
        right.addWidget(self.banner)  # outside the scroll area: never scrolls away
        work = QWidget()
        work_layout = QVBoxLayout(work)
        work_layout.setContentsMargins(0, 0, 0, 0)
        self.panel = PatientPanel()
        work_layout.addWidget(self.panel)
        self.consent_box = ConsentBox(self.save_consent)
        self.consent_box.changed.connect(self._update_actions)
        work_layout.addWidget(self.consent_box)
        work_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setObjectName("receptionWork")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(work)
        right.addWidget(scroll, 1)
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
        self.serial_input = self._start_serial_scanner()

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
        for label in (self.banner.name, self.banner.card_status, self.panel.safety, self.ticket_label,
                      self.print_notice):
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
        self.cccd_form = IdentityForm(with_id=True)
        self.cccd_form.setObjectName("cccdForm")
        self.cccd_input = self.cccd_form.id_input
        self.cccd_form.submitted.connect(self.on_manual_lookup)
        tabs.addTab(self.cccd_form, tr("CCCD", "ID card"))
        page = QWidget()
        form = QFormLayout(page)
        self.card_input = QLineEdit()
        self.card_input.setPlaceholderText(tr("Mã thẻ 15 ký tự hoặc mã số BHXH", "15-char card code or BHYT number"))
        form.addRow(tr("Mã thẻ BHYT", "Card number"), self.card_input)
        button = QPushButton(tr("Tra cứu", "Look up"))
        button.clicked.connect(self.on_manual_lookup)
        self.card_input.returnPressed.connect(self.on_manual_lookup)
        form.addRow(button)
        tabs.addTab(page, tr("Thẻ BHYT", "BHYT card"))
        self.name_form = IdentityForm(with_id=False)
        self.name_form.setObjectName("nameForm")
        self.name_input, self.dob_input, self.dob_shown = (self.name_form.name_input, self.name_form.dob_input,
                                                           self.name_form.dob_shown)
        self.name_form.submitted.connect(self.on_manual_lookup)
        tabs.addTab(self.name_form, tr("Họ tên + ngày sinh", "Name + birth date"))
        tabs.currentChanged.connect(lambda _: self.message.clear())
        self.manual_tabs = tabs
        self._typing = False  # something typed by hand and not yet looked up
        for field in tabs.findChildren(QLineEdit):
            field.textEdited.connect(self._typed)
        return tabs

    def _checkin_box(self) -> QWidget:
        """Department, service and priority in one row that keeps its size; the buttons; and the
        ticket result in a place of its own, kept for it whether a number is shown or not."""
        box = QGroupBox(tr("Tiếp đón", "Check-in"))
        box.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)  # the room goes to consent
        layout = QVBoxLayout(box)
        layout.setSpacing(4)
        grid = QGridLayout()
        self.department = QComboBox()
        for dep in self.clinic.settings["facility.departments"]:
            self.department.addItem(f"{dep['code']} — {tr(dep['name'], dep.get('name_en', dep['name']))}", dep["code"])
        self.service = QComboBox()
        for service in self.clinic.settings["queue.services"]:
            self.service.addItem(tr(service, SERVICE_NAMES_EN.get(service, service)), service)
        self.priority = QComboBox()
        self.priority.addItem(tr("Không ưu tiên", "No priority"), "")
        for key in self.clinic.settings["queue.priorities"]:
            vi, en = PRIORITY_LABELS.get(key, (key, key))
            self.priority.addItem(tr(vi, en), key)
        for column, (text, combo) in enumerate(((tr("Khoa", "Department"), self.department),
                                                (tr("Dịch vụ", "Service"), self.service),
                                                (tr("Ưu tiên", "Priority"), self.priority))):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(10)
            combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            grid.addWidget(QLabel(text), 0, 2 * column)
            grid.addWidget(combo, 0, 2 * column + 1)
            grid.setColumnStretch(2 * column + 1, 1)
        layout.addLayout(grid)
        self.card_notice = QLabel()
        self.card_notice.setObjectName("cardNotice")
        self.card_notice.setWordWrap(True)
        self.card_notice.setStyleSheet("color: #b00020; font-weight: bold;")
        self.card_notice.hide()
        layout.addWidget(self.card_notice)
        self.bhyt_reason = QLineEdit()
        self.bhyt_reason.setObjectName("bhytReason")
        self.bhyt_reason.setMaxLength(200)
        self.bhyt_reason.setPlaceholderText(tr("Lý do vẫn khám BHYT (bắt buộc, được ghi nhật ký)",
                                               "Why BHYT anyway (required, audited)"))
        self.bhyt_reason.textChanged.connect(self._update_actions)
        self.bhyt_reason.hide()
        layout.addWidget(self.bhyt_reason)
        self.service.currentIndexChanged.connect(self._service_chosen)
        self.action_message = ElidedLabel()  # why the number cannot be issued yet, or what went wrong
        self.action_message.setObjectName("actionMessage")
        layout.addWidget(self.action_message)
        row = QHBoxLayout()
        self.checkin_button = QPushButton(tr("Lấy số thứ tự", "Issue queue number"))
        self.checkin_button.setObjectName("checkinButton")
        self.checkin_button.setMinimumHeight(44)
        self.checkin_button.setEnabled(False)
        self.checkin_button.clicked.connect(self.on_check_in)
        row.addWidget(self.checkin_button, 2)
        self.reprint_button = QPushButton(tr("In lại phiếu", "Reprint ticket"))
        self.reprint_button.setObjectName("reprintButton")
        self.reprint_button.setEnabled(False)
        self.reprint_button.clicked.connect(self.reprint)
        row.addWidget(self.reprint_button, 1)
        self.clear_button = QPushButton(tr("Người tiếp theo", "Next patient"))
        self.clear_button.setObjectName("nextPatientButton")
        self.clear_button.clicked.connect(self.clear_patient)
        row.addWidget(self.clear_button, 1)
        layout.addLayout(row)
        result = QFrame()
        result.setObjectName("ticketResult")
        result.setStyleSheet("#ticketResult { border-top: 1px solid #c5d0de; }")
        result_layout = QVBoxLayout(result)
        result_layout.setContentsMargins(0, 4, 0, 0)
        result_layout.setSpacing(2)
        self.ticket_label = ElidedLabel()
        self.ticket_label.setObjectName("ticketNumber")
        font = QFont(self.font())
        font.setPointSize(26)
        font.setBold(True)
        self.ticket_label.setFont(font)
        self.ticket_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        result_layout.addWidget(self.ticket_label)
        self.last_issued = ElidedLabel()  # whose number it is: it stays readable while the next patient starts
        self.last_issued.setObjectName("lastIssued")
        self.last_issued.setAlignment(Qt.AlignmentFlag.AlignCenter)
        result_layout.addWidget(self.last_issued)
        self.print_notice = ElidedLabel()
        self.print_notice.setObjectName("printNotice")
        result_layout.addWidget(self.print_notice)
        result.setFixedHeight(result.sizeHint().height())  # the place is kept: nothing moves when a number comes
        layout.addWidget(result)
        self.ticket_result = result
        self._ticket_owner: PatientContext | None = None
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
            self.camera_picker.addItem(device.description() or _source_name(str(index)), str(index))
        for source in (configured, chosen):  # what the settings or the command line name, in words
            if source and self.camera_picker.findData(source) < 0:
                self.camera_picker.addItem(_source_name(source), source)
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
        if state != "running":  # the whole message on the picture; the line under it keeps its one line
            self.coaching.setText(tr(vi, en))
            self.preview.setText(tr(vi, en))

    def _start_serial_scanner(self) -> SerialInput | None:
        """A USB-COM scanner (scanner.serial): its codes go where the wedge's go, so the desk's rules are the same."""
        s = self.clinic.settings
        if not s["scanner.serial"].strip():
            return None
        serial_input = SerialInput(s["scanner.serial"], s["scanner.serial_baud"], parent=self)
        serial_input.scanned.connect(self.on_typed_scan)
        serial_input.refused.connect(lambda vi, en: self.show_error(tr(vi, en)))
        serial_input.state_changed.connect(self._serial_state)
        self._serial_state(serial_input.state, *serial_input.words)
        self.serial_state.show()
        serial_input.start()
        return serial_input

    def _serial_state(self, state: str, vi: str, en: str) -> None:
        self.serial_state.setText(tr(vi, en))
        self.serial_state.setStyleSheet("color: #1e6b1e;" if state == "connected" else "color: #b00020;")

    def _switch_prompt(self) -> QWidget:
        """The question asked when a card is read while another patient is still being received."""
        box = QFrame()
        box.setObjectName("switchPrompt")
        box.setStyleSheet("#switchPrompt { background: #fff3cd; border: 2px solid #b26a00; border-radius: 6px; }"
                          "#switchPrompt QLabel { color: #5a3a00; font-weight: bold; }")
        layout = QVBoxLayout(box)
        self.switch_text = QLabel()
        self.switch_text.setObjectName("switchText")
        self.switch_text.setWordWrap(True)
        layout.addWidget(self.switch_text)
        row = QHBoxLayout()
        self.switch_yes = QPushButton()
        self.switch_yes.setObjectName("switchYes")
        self.switch_yes.clicked.connect(self.accept_switch)
        self.switch_no = QPushButton()
        self.switch_no.setObjectName("switchNo")
        self.switch_no.clicked.connect(self.refuse_switch)
        row.addWidget(self.switch_yes)
        row.addWidget(self.switch_no)
        layout.addLayout(row)
        policy = box.sizePolicy()
        policy.setRetainSizeWhenHidden(True)  # its place is kept: nothing jumps under the mouse when it shows
        box.setSizePolicy(policy)
        box.hide()
        self.switch_box = box
        return box

    # -- the patient in context ----------------------------------------------------------------
    @property
    def current(self) -> PatientContext | None:
        return self.context.current

    @property
    def lookup_result(self) -> Lookup | None:
        return self.current.lookup if self.current else None

    @property
    def last_checkin(self) -> CheckIn | None:
        return self.current.checkin if self.current else None

    @property
    def last_print(self) -> PrintOutcome | None:
        return self.current.last_outcome if self.current else None

    def _close_context(self, because: str) -> None:
        """Everything of the patient in context leaves the screen and this window, visibly, at once."""
        self.context.close(because)
        self._lookup_serial += 1  # an answer still on its way belongs to nobody now
        self._hide_switch()
        self.consent_box.close_for_patient()
        self.banner.clear()
        self.panel.clear()
        self._ticket_result_belongs_to(None)  # the number just issued stays, marked as the last patient's
        self.card_notice.hide()
        self.bhyt_reason.clear()
        self.bhyt_reason.hide()
        self.service.setCurrentIndex(0)
        self.priority.setCurrentIndex(0)
        self._update_actions()

    def _update_actions(self) -> None:
        """Enable what applies to the patient in context, and nothing else; say why the number cannot
        be issued yet."""
        ctx = self.current
        self.reprint_button.setEnabled(bool(ctx and ctx.last_print and not self._busy))
        problem = self._check_in_problem()
        self.checkin_button.setEnabled(problem is None)
        waiting = problem is not None and ctx is not None and ctx.lookup is not None and not self._busy
        self.action_message.setStyleSheet("color: #5a5a5a;")
        self.action_message.setText(tr(*problem) if waiting else "")

    def _check_in_problem(self) -> tuple[str, str] | None:
        """Why "Lấy số thứ tự" cannot be pressed now (None: it can)."""
        ctx = self.current
        if ctx is None or ctx.lookup is None or self._busy:
            return ("Chưa có người bệnh", "No patient")
        if ctx.consents is not None and "care" not in ctx.consents and not self.consent_box.care_answered():
            return ("Cần câu trả lời của người bệnh về xử lý dữ liệu để khám bệnh (đồng ý hoặc không)",
                    "The patient's answer on processing data for care is needed (agree or not)")
        if self._card_needs_reason() and not self.bhyt_reason.text().strip():
            return ("Thẻ BHYT không dùng được: ghi lý do vẫn khám BHYT hoặc chọn Khám dịch vụ",
                    "The BHYT card cannot be used: give the reason or choose the fee-paying service")
        return None

    def _card_needs_reason(self) -> bool:
        ctx = self.current
        return bool(ctx and ctx.lookup and needs_confirmation(ctx.lookup.card_check.decision)
                    and self.service.currentData() in self.clinic.settings["queue.insurance_services"])

    def _service_chosen(self) -> None:
        needs = self._card_needs_reason()
        self.bhyt_reason.setVisible(needs)
        if not needs:
            self.bhyt_reason.clear()
        self._update_actions()

    # -- identifying -------------------------------------------------------------------------
    def _typed(self, _text: str) -> None:
        self._typing = True

    def typing_in_progress(self) -> bool:
        """The receptionist is typing someone in by hand: text typed in the open tab and not yet looked up."""
        tab = self.manual_tabs.currentWidget()
        return self._typing and any(field.text().strip() for field in tab.findChildren(QLineEdit))

    def on_camera_scan(self, scan: Scan) -> None:
        """A code the camera saw. While the receptionist types someone in, it is not taken: whoever walks past the
        camera with a code in view must not replace (or wipe) what is being typed."""
        if self.typing_in_progress():
            self.statusBar().showMessage(tr("Đang nhập tay: mã camera vừa thấy chưa được xem",
                                            "Typing in progress: the code the camera saw is not taken"), 4000)
            return
        self.handle_payload(scan.payload)

    def on_typed_scan(self, text: str) -> None:
        field = self.focusWidget()
        if isinstance(field, QLineEdit) and text and field.text().endswith(text):  # the burst landed in a field
            field.setText(field.text()[: -len(text)])
        payload = parse_payload(text)
        bare = "".join(text.split())
        if payload.kind is None and "|" not in text and bare.isalnum() and len(bare) <= 15:
            # a number typed fast (or read from a barcode), not a QR text: the ID or card number it is
            try:
                identity = typed_identity(id_number=parse_id_number(bare)) if bare.isdigit() and len(bare) == 12 \
                    else typed_identity(card_number=parse_card_number(bare))
            except BadInput as exc:
                self.show_error(exc.message(language()))
                return
            self.message.clear()
            self.request_patient(identity)
            return
        self.handle_payload(payload)

    def handle_payload(self, payload: Payload) -> None:
        if self.idle_lock is not None and self.idle_lock.screen.isVisible():
            return  # locked: nobody at the desk to see the patient
        if not payload.ok or payload.kind not in ("cccd", "bhyt"):
            self.show_error(tr(*payload_problem(payload)))
            return
        if payload.notices:  # the name came garbled from the reader and was repaired: check it against the card
            self.show_error("\n".join(tr(vi, en) for vi, en in payload.notices), colour="#8a5a00")
        else:
            self.message.clear()
        self.sounds.beep.play()
        self.preview.flash()
        self.request_patient(identity_from_payload(payload))

    def on_manual_lookup(self) -> None:
        """Typed at the desk: refused at the field, saying what is wrong, before anyone is looked up."""
        tab = self.manual_tabs.currentIndex()
        try:
            if tab == 1:
                identity = typed_identity(card_number=parse_card_number(self.card_input.text()))
            else:
                identity = (self.cccd_form if tab == 0 else self.name_form).identity()
        except BadInput as exc:
            self.show_error(exc.message(language()))
            return
        self.message.clear()
        self._typing = False
        if self.pending_switch is not None:  # a camera's question was open: what was typed is what is wanted
            self._hide_switch()
        self.request_patient(identity)

    def request_patient(self, identity: Identity) -> None:
        """A card was read or an identity typed: the rule of the desk (DOMAIN §16). The same person
        again is ignored; another person while one is still being received waits for the
        receptionist's word; otherwise the next patient starts."""
        ctx = self.current
        if ctx is not None and ctx.is_same_person(identity):
            self.statusBar().showMessage(tr("Đã đọc thẻ của người bệnh đang tiếp đón", "That card is the patient "
                                            "already on screen"), 5000)
            return
        if self._busy:  # a lookup or check-in is running: this card is taken up when it ends
            self._deferred = identity
            self.statusBar().showMessage(tr("Đang xử lý — thẻ vừa quét sẽ được xem sau", "Busy — the card just read "
                                            "comes next"), 5000)
            return
        if self.pending_switch is not None:  # a question is open: its target does not change under the hand
            if not _same_identity(self.pending_switch, identity):
                self.statusBar().showMessage(tr("Đang chờ quyết định chuyển người bệnh: thẻ vừa quét chưa được xem",
                                                "A switch is waiting for your answer: the card just read is not "
                                                "taken"), 5000)
            return
        if self.context.under_work():
            self.ask_switch(identity)
            return
        self.identify(identity)

    def ask_switch(self, identity: Identity) -> None:
        ctx = self.current
        assert ctx is not None
        self.pending_switch = identity
        now = f"{ctx.patient.full_name.upper()} ({birth_text(ctx.patient)})"
        new = describe_identity(identity)
        self.switch_text.setText(tr(f"Đang tiếp đón {now} — chuyển sang {new}?",
                                    f"Now receiving {now} — switch to {new}?"))
        self.switch_yes.setText(tr(f"Chuyển sang {new}", f"Switch to {new}"))
        self.switch_no.setText(tr(f"Ở lại với {ctx.patient.full_name}", f"Stay with {ctx.patient.full_name}"))
        self.switch_box.show()
        self.sounds.beep.play()

    def _hide_switch(self) -> None:
        """The question goes, and the names in it with it."""
        self.pending_switch = None
        self.switch_box.hide()
        for widget in (self.switch_text, self.switch_yes, self.switch_no):
            widget.clear() if isinstance(widget, QLabel) else widget.setText("")

    def accept_switch(self) -> None:
        identity = self.pending_switch
        self._hide_switch()
        self._clear_ticket_result()  # a new patient is confirmed: the older number goes
        if identity is not None:
            self.identify(identity)

    def refuse_switch(self) -> None:
        self._hide_switch()
        self.camera.reset()  # the other card may be shown again when it is their turn

    def identify(self, identity: Identity) -> None:
        """Close the patient in context, then look the new one up."""
        self._close_context("new lookup")
        self._busy = True
        self._update_actions()
        self.banner.busy("Đang tra cứu…", "Looking up…")
        serial = self._lookup_serial
        clinic = self.clinic

        def work() -> tuple[Lookup, list, dict | None]:
            result = clinic.lookup(clinic.identify(identity), clinic.lookup_staff())
            if result.patient.id is None:  # offline (clinic server away): the patient as scanned
                return result, [], None
            return result, clinic.tickets_today(result.patient), clinic.consents(result.patient)

        run_in_background(work, lambda found: self._identified(serial, found),
                          lambda exc: self._lookup_failed(serial, exc), owner=self)

    def _identified(self, serial: int, found: tuple[Lookup, list, dict | None]) -> None:
        self._busy = False
        if serial != self._lookup_serial:  # cleared (next patient, lock) while it ran
            self._next_deferred()
            return
        result, tickets, consents = found
        opened_by = self.clinic.signed_in.username if self.clinic.signed_in else self.clinic.actor
        ctx = self.context.open(result.patient, opened_by, lookup=result, consents=consents)
        self.banner.show_patient(result.patient, result.card_check, result.health_book)
        self.panel.show_lookup(result, tickets)
        self._clear_entry()
        if consents is None or "care" in consents:  # None: offline, asked when the server can record it
            self.consent_box.close_for_patient()
        else:
            self.consent_box.ask()
        if needs_confirmation(result.card_check.decision):
            self._move_to_fee_service(ctx)
        self._update_actions()
        if self.clinic.demo_mode:
            self.statusBar().showMessage(tr("DỮ LIỆU DEMO: cổng BHXH giả lập tích hợp",
                                            "DEMO DATA: built-in sandbox gateway"))
        self._next_deferred()

    def _move_to_fee_service(self, ctx: PatientContext) -> None:
        """The gateway answered "not usable": the fee-paying service, and why, unless the receptionist
        chooses BHYT again with a reason."""
        check = ctx.lookup.card_check
        fee = self.service.findData(self.clinic.settings["queue.fee_service"])
        if fee >= 0:
            self.service.setCurrentIndex(fee)
        self.card_notice.setText(tr(f"Thẻ BHYT không dùng được ([{check.code}] {check.message_vi}): đã chuyển sang "
                                    f"Khám dịch vụ. Muốn vẫn khám BHYT: chọn lại dịch vụ và ghi lý do.",
                                    f"The BHYT card cannot be used ([{check.code}] {check.message_en}): moved to "
                                    f"the fee-paying service. To bill BHYT anyway, choose it again and give a reason."))
        self.card_notice.show()

    def _lookup_failed(self, serial: int, exc: Exception) -> None:
        self._busy = False
        if serial == self._lookup_serial:
            self._close_context("failed lookup")
            message = exc.message(language()) if isinstance(exc, KioskError) else tr(
                f"Lỗi: {type(exc).__name__}", f"Error: {type(exc).__name__}")
            self.banner.error(tr("Không tra cứu được: ", "Lookup failed: ") + message)  # said once, in the banner
            if isinstance(exc, UnknownPatient) and self.manual_tabs.currentIndex() == 0 and \
                    self.cccd_input.text().strip() and not self.cccd_form.name_input.text().strip():
                self.show_error(tr("Chưa có hồ sơ với số CCCD này. Nếu người bệnh đã đến bằng thẻ BHYT hoặc đến "
                                   "lần đầu: nhập họ tên, ngày sinh, giới tính rồi bấm Tra cứu / đăng ký",
                                   "No record with this ID number. If the patient came with a BHYT card before or "
                                   "comes for the first time: type name, birth date, sex and press Look up / register"),
                                colour="#0b5394")
                self.cccd_form.name_input.setFocus()
                self._typing = True  # the receptionist goes on typing this person in: no card read takes over
        if not isinstance(exc, KioskError):
            log.error("lookup failed", exc_info=exc)
        self._next_deferred()

    def _next_deferred(self) -> None:
        identity, self._deferred = self._deferred, None
        if identity is None:
            return
        if self.typing_in_progress():  # the job ended with someone being typed in: a card read then is not taken
            self.statusBar().showMessage(tr("Đang nhập tay: thẻ vừa quét chưa được xem — quét lại khi xong",
                                            "Typing in progress: the card just read is not taken — scan it again "
                                            "when done"), 6000)
            self.camera.reset()  # the same card shown again is seen again
            return
        self.request_patient(identity)

    def _failed(self, exc: Exception) -> None:
        """A check-in, print or consent job failed: the patient stays in context, the message shows."""
        self._busy = False
        if not isinstance(exc, KioskError):
            log.error("reception action failed", exc_info=exc)
        self._update_actions()
        self.show_action_error(exc.message(language()) if isinstance(exc, KioskError) else
                               tr(f"Lỗi: {type(exc).__name__}", f"Error: {type(exc).__name__}"))
        self._next_deferred()

    def show_error(self, text: str, colour: str = "#b00020") -> None:
        """What is wrong with a scan or with what was typed: once, in one language, under the fields."""
        self.message.setStyleSheet(f"color: {colour};")
        self.message.setText(text)

    def show_action_error(self, text: str) -> None:
        """What stopped a check-in, print or consent: once, in one language, above the buttons."""
        self.action_message.setStyleSheet("color: #b00020; font-weight: bold;")
        self.action_message.setText(text)

    # -- check-in ----------------------------------------------------------------------------
    def on_check_in(self) -> None:
        ctx = self.current
        problem = self._check_in_problem()
        if problem is not None:
            if not self._busy:
                self.show_action_error(tr(*problem))
            return
        assert ctx is not None and ctx.lookup is not None
        self._busy = True
        self._update_actions()
        result = ctx.lookup
        answers = self.consent_box.answers() if self.consent_box.isVisible() else {}
        clinic = self.clinic
        department, service, priority = (self.department.currentData(), self.service.currentData(),
                                         self.priority.currentData())
        reason = self.bhyt_reason.text().strip() if self._card_needs_reason() else ""

        def work() -> tuple[CheckIn, PrintOutcome]:
            if answers and result.patient.id is not None:
                clinic.record_consent(result.patient, answers, "reception")
            done = clinic.check_in(result.patient, department, service=service, priority=priority,
                                   station="reception", card_check=result.card_check, bhyt_reason=reason)
            return done, clinic.print_ticket(done.ticket, context=ctx.tag)

        run_in_background(work, lambda done: self._checked_in(ctx, answers, done), self._failed, owner=self)

    def _checked_in(self, ctx: PatientContext, answers: dict[str, bool], done: tuple[CheckIn, PrintOutcome]) -> None:
        self._busy = False
        checkin, outcome = done
        if not self.context.is_current(ctx):  # locked or cleared meanwhile: nothing to show it on
            self._update_actions()
            self._next_deferred()
            return
        ctx.checkin, ctx.ticket = checkin, checkin.ticket
        ctx.printed(outcome)
        if answers and ctx.consents is not None:
            ctx.consents.update({k: {"granted": v} for k, v in answers.items()})
        self.consent_box.close_for_patient()
        self._ticket_owner = ctx
        ticket = checkin.ticket
        self.ticket_label.setText(f"{number_text(ticket.number)}  ·  {ticket.department_code}  ·  "
                                  f"{tr('Phòng', 'Room')} {ticket.room or '—'}")
        self.last_issued.setText(tr(f"Vừa cấp số {number_text(ticket.number)} ({ticket.department_code}) cho "
                                    f"{mask_name(ctx.patient.full_name)}",
                                    f"Number {number_text(ticket.number)} ({ticket.department_code}) issued to "
                                    f"{mask_name(ctx.patient.full_name)}"))
        notes = []
        if checkin.reprint:
            notes.append(tr("Người bệnh đã có số hôm nay: in lại số cũ", "Already checked in today: same number reprinted"))
        if ctx.lookup.card_check.decision is Decision.RETRY:
            notes.append(tr("Thẻ chưa kiểm tra được: sẽ tự kiểm tra lại", "Card not checked yet: it will be retried"))
        notes.append(tr(outcome.message_vi, outcome.message_en))
        self.print_notice.setStyleSheet("color: #1b7f3b;" if outcome.printed else "color: #b26a00; font-weight: bold;")
        self.print_notice.setText(" · ".join(notes))
        self._ticket_result_belongs_to(ctx)
        self._update_actions()
        if outcome.printer and not outcome.printed:
            self.print_failed(ctx, outcome)
        self._next_deferred()

    def print_failed(self, ctx: PatientContext, outcome: PrintOutcome) -> None:
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
            self.reprint(ctx)
        elif box.clickedButton() is save:
            target, _ = QFileDialog.getSaveFileName(self, tr("Lưu PDF", "Save PDF"), outcome.pdf_path.name, "PDF (*.pdf)")
            if target:
                shutil.copyfile(outcome.pdf_path, target)
                self.print_notice.setText(tr(f"Đã lưu PDF: {target}", f"PDF saved: {target}"))

    def reprint(self, ctx: PatientContext | None = None) -> None:
        """Print the ticket of the patient in context again — theirs, never the last one printed."""
        ctx = ctx or self.current
        if not self.context.is_current(ctx) or ctx.last_print is None or self._busy:
            return
        job, patient_id = ctx.last_print, ctx.patient.id
        run_in_background(lambda: self.clinic.reprint(job, patient_id=patient_id, context=ctx.tag),
                          lambda outcome: self._reprinted(ctx, outcome), self._failed, owner=self)

    def _reprinted(self, ctx: PatientContext, outcome: PrintOutcome) -> None:
        if not self.context.is_current(ctx):
            return
        ctx.printed(outcome)
        label = ctx.ticket.label if ctx.ticket else ""
        self._ticket_owner = ctx
        self.print_notice.setStyleSheet("color: #1b7f3b;" if outcome.printed else "color: #b26a00; font-weight: bold;")
        self.print_notice.setText(tr(f"In lại phiếu {label}: {outcome.message_vi}",
                                     f"Ticket {label} reprinted: {outcome.message_en}"))
        self._update_actions()

    def save_consent(self, answers: dict[str, bool]) -> None:
        ctx = self.current
        if ctx is None or ctx.patient.id is None or not answers:
            return
        patient = ctx.patient
        run_in_background(lambda: self.clinic.record_consent(patient, answers, "reception"),
                          lambda _: self._consent_saved(ctx, answers), self._failed, owner=self)

    def _consent_saved(self, ctx: PatientContext, answers: dict[str, bool]) -> None:
        if not self.context.is_current(ctx):
            return
        if ctx.consents is not None:
            ctx.consents.update({k: {"granted": v} for k, v in answers.items()})
        if len(answers) == len(self.consent_box.groups):
            self.consent_box.close_for_patient()
        self.statusBar().showMessage(tr("Đã lưu lựa chọn của người bệnh", "The patient's choices are saved"), 5000)
        self._update_actions()

    def clear_patient(self) -> None:
        """Next patient (and idle lock): nothing of the last one stays on screen or in this window."""
        self._close_context("next patient")
        self._deferred = None
        self._clear_ticket_result()
        self._clear_entry()
        self._typing = False
        self.message.clear()

    def _clear_entry(self) -> None:
        self.cccd_form.clear()
        self.name_form.clear()
        self.card_input.clear()

    def _clear_ticket_result(self) -> None:
        self._ticket_owner = None
        for label in (self.ticket_label, self.last_issued, self.print_notice):
            label.clear()

    def _ticket_result_belongs_to(self, ctx: PatientContext | None) -> None:
        """The ticket result stays until the next check-in, "Người tiếp theo" or a confirmed switch;
        while someone else is on screen it is greyed, and says whose number it is."""
        if self._ticket_owner is None:
            return
        own = ctx is not None and ctx is self._ticket_owner
        self.ticket_label.setStyleSheet("color: #0b2545;" if own else "color: #8a94a6;")
        self.last_issued.setStyleSheet("color: #0b5394; font-weight: bold;" if own else "color: #5a5a5a;")

    def _retry_pending(self) -> None:
        clinic = self.clinic
        run_in_background(lambda: clinic.retry_pending_card_checks(clinic.lookup_staff()), lambda n: None,
                          lambda exc: log.warning("pending card re-check failed: %s", exc), owner=self)

    def closeEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt API
        if self.idle_lock is not None:
            self.idle_lock.stop()
        self.camera.stop()
        if self.serial_input is not None:
            self.serial_input.stop()
        from ui.qt import QApplication

        QApplication.instance().removeEventFilter(self.wedge)
        wait_for_background()
        super().closeEvent(event)


def _source_name(source: str) -> str:
    """A camera source in words for the picker: never a bare number."""
    if source.isdigit():
        return tr(f"Camera số {source}", f"Camera {source}")
    if "://" in source:
        scheme, _, rest = source.partition("://")
        return tr(f"Camera mạng {rest.rpartition('@')[2]}", f"Network camera {rest.rpartition('@')[2]}")
    return tr(f"Tệp hình {source}", f"Video file {source}")


def _same_identity(a: Identity, b: Identity) -> bool:
    return (a.id_number, a.card_number, a.full_name, a.date_of_birth) == (b.id_number, b.card_number, b.full_name,
                                                                            b.date_of_birth)


def describe_identity(identity: Identity) -> str:
    """Who a scan names, for the switch prompt: the name and birth date when the code carries them,
    else the masked number."""
    if identity.full_name:
        d = identity.date_of_birth
        born = "—" if d is None else {DatePrecision.MONTH: d.strftime("%m/%Y"), DatePrecision.YEAR: str(d.year)}.get(
            identity.dob_precision, d.strftime("%d/%m/%Y"))  # a year alone is never shown as 01/01
        return f"{identity.full_name.upper()} ({born})"
    if identity.id_number:
        return tr(f"người có số CCCD {mask_id(identity.id_number)}", f"the person with ID {mask_id(identity.id_number)}")
    return tr(f"người có thẻ BHYT {mask_id(identity.card_number)}", f"the holder of card {mask_id(identity.card_number)}")
