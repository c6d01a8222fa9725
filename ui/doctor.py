"""The doctor's room: the room's queue (call next, recall, skip, no-show, transfer), the health book
of the called patient, and the visit form (reason, vitals with their units and the normal ranges for the
patient's age — an abnormal value named in words —, notes, ICD-10 diagnoses, prescription, advice, a typed
re-exam date, referral, how the patient came) with autosaved drafts, what BHYT pays and what the patient pays (as the
claim will say it), finalise, the portal outbox status, each e-prescription's code with the national prescription
system's answer, and the print notice on a line of its own. The prescription itself
(catalogue search, TT 26 lines, a child's guardian) is ui/prescription_box.py."""

from __future__ import annotations

import datetime as dt
import html
import logging
import uuid
from collections.abc import Callable
from typing import Any

from kiosk.checkin import QueueEntry
from kiosk.clinical import dates
from kiosk.clinical import vitals as vital_signs
from kiosk.clinical.facilities import FacilityNames, from_gateway
from kiosk.context import PatientContext, StationContext
from kiosk.errors import KioskError, VisitOpenElsewhere
from kiosk.erx import rules
from kiosk.erx.body import age_months
from kiosk.erx.prescriptions import Prescription
from kiosk.facade import Clinic, Lookup
from kiosk.model import HealthBook, Patient, Role, Ticket, TicketStatus, number_text
from kiosk.visits import VisitMoney, VisitNotFinalisable
from printing.dispatch import PrintOutcome
from printing.documents import vnd
from ui.background import run_in_background, wait_for_background
from ui.healthbook_view import HealthBookView
from ui.i18n import tr
from ui.live import LiveUpdates
from ui.patient_banner import PatientBanner, birth_text
from ui.prescription_box import PrescriptionBox, PrescriptionStatus, kind_words, prescription_checks, quantity_cell
from ui.qt import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    Qt,
    QTabWidget,
    QTextEdit,
    QTimer,
    QVBoxLayout,
    QWidget,
)
from ui.stations import StationWindow

log = logging.getLogger("ui.doctor")

MARKS = {vital_signs.HIGH: "▲", vital_signs.LOW: "▼", vital_signs.WRONG: "⚠"}
RED, GREEN, GREY = "#b00020", "#1b7f3b", "#5a5a5a"
NOBODY = ("Chưa có người bệnh — bấm «Gọi người tiếp theo»", "No patient — press «Call next»")
RX_REFRESH_MS = 30_000  # a prescription still waiting to be sent: its status read again this often
# How the patient came (the visit's ``arrival``, MA_DOITUONG_KCB from settings billing.arrival_codes).
ARRIVAL_CHOICES = (("registered", "Đúng nơi đăng ký", "Registered here"),
                   ("referred", "Chuyển tuyến", "Referred"),
                   ("emergency", "Cấp cứu", "Emergency"),
                   ("self_referred", "Tự đến khám", "Came by themselves"))


class DoctorWindow(StationWindow):
    station = "doctor"
    title_vi, title_en = "Phòng khám", "Exam room"

    def __init__(self, clinic: Clinic, *, demo: bool = False) -> None:
        if clinic.signed_in is None:  # opened without sign-in (tests, benchmarks): the station's role
            clinic.act_as(Role.DOCTOR, "doctor")
        super().__init__(clinic, demo=demo)
        self.context = StationContext("doctor")
        self.station_id = f"doctor-{uuid.uuid4().hex[:6]}"  # this window, in a visit's "open at" claim
        self._dirty = False
        self._busy = False
        self.review: FinaliseReview | None = None  # the review before sending, while it is open
        split = QSplitter()
        self.body.addWidget(split, 1)
        split.addWidget(self._queue_panel())
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        self.banner = PatientBanner()
        self.banner.clear(*NOBODY)
        right_layout.addWidget(self.banner)  # above both tabs: seen while prescribing
        self.tabs = QTabWidget()
        self.health = HealthBookView()
        self.tabs.addTab(self.health, tr("Sổ sức khỏe", "Health book"))
        self.tabs.addTab(self._visit_form(), tr("Khám bệnh", "Visit"))
        right_layout.addWidget(self.tabs, 1)
        split.addWidget(right)
        split.setSizes([300, 1066])
        self.live = LiveUpdates(clinic, self, 1000)
        self.live.changed.connect(self.refresh_queue)
        self._autosave = QTimer(self)
        self._autosave.setInterval(1500)
        self._autosave.setSingleShot(True)
        self._autosave.timeout.connect(self.save_draft)
        self._rx_refresh = QTimer(self)  # a finalised visit with a prescription still waiting: read again
        self._rx_refresh.setInterval(RX_REFRESH_MS)
        self._rx_refresh.timeout.connect(self.refresh_prescriptions)
        self.idle_lock = None
        if clinic.signed_in is not None:
            from ui.session import IdleLock

            self.idle_lock = IdleLock(self, clinic, clinic.settings["security.idle_lock_minutes"], self.wipe_patient)
        self.refresh_queue()

    # -- layout ------------------------------------------------------------------------------
    def _queue_panel(self) -> QWidget:
        panel = QWidget()
        layout = QVBoxLayout(panel)
        self.department = QComboBox()
        for dep in self.clinic.settings["facility.departments"]:
            for room in dep.get("rooms") or [""]:
                self.department.addItem(f"{dep['code']} · {tr('Phòng', 'Room')} {room}", (dep["code"], room))
        layout.addWidget(self.department)
        self.queue = QListWidget()
        self.queue.setObjectName("roomQueue")
        layout.addWidget(self.queue, 1)
        for text_vi, text_en, slot in (("Gọi người tiếp theo", "Call next", self.call_next),
                                       ("Gọi lại", "Recall", lambda: self._status("called")),
                                       ("Bỏ qua (gọi sau)", "Skip", lambda: self._status("skipped")),
                                       ("Vắng mặt", "No-show", lambda: self._status("no_show"))):
            button = QPushButton(tr(text_vi, text_en))
            button.clicked.connect(slot)
            layout.addWidget(button)
            if text_en == "Call next":
                self.call_button = button
        self.resume_button = QPushButton(tr("Tiếp tục khám người đã gọi", "Resume the called patient"))
        self.resume_button.setObjectName("resumeButton")
        self.resume_button.clicked.connect(self.resume)
        layout.addWidget(self.resume_button)
        row = QHBoxLayout()
        self.transfer_to = QComboBox()
        for i in range(self.department.count()):
            self.transfer_to.addItem(self.department.itemText(i), self.department.itemData(i))
        transfer = QPushButton(tr("Chuyển phòng", "Transfer"))
        transfer.clicked.connect(self.transfer)
        row.addWidget(self.transfer_to, 1)
        row.addWidget(transfer)
        layout.addLayout(row)
        self.waiting_label = QLabel()
        self.waiting_label.setObjectName("waitingCount")
        layout.addWidget(self.waiting_label)
        self.queue_status = QLabel()  # what the last action did, or why it did not
        self.queue_status.setObjectName("queueStatus")
        self.queue_status.setWordWrap(True)
        layout.addWidget(self.queue_status)
        return panel

    def _visit_form(self) -> QWidget:
        outer = QWidget()
        outer_layout = QVBoxLayout(outer)
        outer_layout.setContentsMargins(0, 0, 0, 0)
        page = QWidget()  # the form: locked when the visit is final; the action row below stays usable
        layout = QVBoxLayout(page)
        scroll = QScrollArea()  # the form scrolls on a small screen; the actions below and the banner do not
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(page)
        outer_layout.addWidget(scroll, 1)
        self.form_scroll = scroll
        form = QFormLayout()
        self.reason = QLineEdit()
        form.addRow(_form_label(tr("Lý do khám", "Reason for visit")), self.reason)
        arrival_row = QHBoxLayout()
        self.arrival = QComboBox()  # how the patient came: the claim's MA_DOITUONG_KCB, and what BHYT pays
        self.arrival.setObjectName("arrival")
        for key, vi, en in ARRIVAL_CHOICES:
            self.arrival.addItem(tr(vi, en), key)
        self.referred_from = QLineEdit()  # a referral: the referring facility (MA_NOI_DI) and the slip's number
        self.referred_from.setObjectName("referredFrom")
        self.referred_from.setPlaceholderText(tr("Nơi chuyển đi (mã 5 ký tự)", "From facility (5-character code)"))
        self.referred_from.setMaxLength(5)
        self.referral_slip = QLineEdit()
        self.referral_slip.setObjectName("referralSlip")
        self.referral_slip.setPlaceholderText(tr("Số giấy chuyển tuyến", "Referral slip number"))
        self.referral_slip.setMaxLength(50)
        for w in (self.arrival, self.referred_from, self.referral_slip):
            arrival_row.addWidget(w)
        self.referred_from.setVisible(False)  # shown for a referral only
        self.referral_slip.setVisible(False)
        arrival_row.addStretch(1)
        form.addRow(_form_label(tr("Đối tượng đến khám", "How the patient came")), arrival_row)
        self.arrival.currentIndexChanged.connect(self._arrival_changed)
        layout.addLayout(form)
        layout.addWidget(self._vitals_box())  # the whole width: eight labelled fields with units and ranges
        form = QFormLayout()
        self.notes = QTextEdit()
        self.notes.setMaximumHeight(60)
        form.addRow(_form_label(tr("Khám lâm sàng", "Examination")), self.notes)
        layout.addLayout(form)

        diag = QGroupBox(tr("Chẩn đoán (ICD-10)", "Diagnoses (ICD-10)"))
        diag_layout = QHBoxLayout(diag)
        left = QVBoxLayout()
        self.icd_search = QLineEdit()
        self.icd_search.setPlaceholderText(tr("Mã hoặc tên bệnh, có dấu hoặc không — Enter để thêm",
                                              "Code or name, with or without accents — Enter adds it"))
        self.icd_results = QListWidget()
        self.icd_results.setMaximumHeight(90)
        left.addWidget(self.icd_search)
        left.addWidget(self.icd_results)
        buttons = QHBoxLayout()
        add_main = QPushButton(tr("Bệnh chính", "Main"))
        add_main.clicked.connect(lambda: self.add_diagnosis(True))
        add_secondary = QPushButton(tr("Bệnh kèm theo", "Secondary"))
        add_secondary.clicked.connect(lambda: self.add_diagnosis(False))
        remove = QPushButton(tr("Xoá", "Remove"))
        remove.clicked.connect(self.remove_diagnosis)
        for b in (add_main, add_secondary, remove):
            buttons.addWidget(b)
        left.addLayout(buttons)
        diag_layout.addLayout(left, 1)
        self.diagnoses = QListWidget()
        self.diagnoses.setMaximumHeight(130)
        diag_layout.addWidget(self.diagnoses, 1)
        layout.addWidget(diag)
        self.icd_search.textChanged.connect(self.search_icd)
        self.icd_search.returnPressed.connect(self.add_from_search)  # Enter: the highlighted result

        self.rx_box = PrescriptionBox(self.clinic.search_drugs)  # the catalogue: local query, or one short call
        self.rx_box.changed.connect(self._prescription_edited)
        self.rx_box.wants_sight.connect(lambda: QTimer.singleShot(0, self._show_prescription_box))
        layout.addWidget(self.rx_box)

        end = QFormLayout()
        self.advice = QLineEdit()
        end.addRow(tr("Lời dặn", "Advice"), self.advice)
        re_row = QHBoxLayout()
        self.re_exam = QCheckBox(tr("Hẹn tái khám", "Re-exam"))
        self.re_exam_date = QLineEdit()  # typed: dd/mm/yyyy or ddmmyyyy; the date understood is shown beside it
        self.re_exam_date.setObjectName("reExamDate")
        self.re_exam_date.setPlaceholderText(tr("dd/mm/yyyy", "dd/mm/yyyy"))
        self.re_exam_date.setMaximumWidth(130)
        self.re_exam_seen = QLabel()
        self.re_exam_seen.setObjectName("reExamSeen")
        re_row.addWidget(self.re_exam)
        re_row.addWidget(self.re_exam_date)
        re_row.addWidget(self.re_exam_seen, 1)
        self.re_exam.toggled.connect(self._re_exam_toggled)
        self.re_exam_date.textChanged.connect(self._re_exam_typed)
        end.addRow(tr("Tái khám", "Re-exam"), re_row)
        ref_row = QHBoxLayout()
        self.refer = QCheckBox(tr("Chuyển cơ sở", "Refer"))
        self.refer_to = QLineEdit()
        self.refer_to.setPlaceholderText(tr("Mã cơ sở (5 ký tự)", "Facility code (5)"))
        self.refer_reason = QComboBox()
        for code, vi, en in (("1", "Đủ điều kiện chuyển", "Meets transfer rules"),
                             ("2", "Vượt khả năng chuyên môn", "Beyond capacity"),
                             ("3", "Theo yêu cầu người bệnh", "Patient's request")):
            self.refer_reason.addItem(tr(vi, en), code)
        self.refer_transport = QLineEdit()
        self.refer_transport.setPlaceholderText(tr("Phương tiện", "Transport"))
        for w in (self.refer, self.refer_to, self.refer_reason, self.refer_transport):
            ref_row.addWidget(w)
        end.addRow(tr("Chuyển tuyến", "Referral"), ref_row)
        layout.addLayout(end)
        row = QHBoxLayout()
        self.finalise_button = QPushButton(tr("Hoàn tất && gửi cổng BHXH", "Finalise && send to the portal"))
        self.finalise_button.setObjectName("finaliseButton")
        self.finalise_button.clicked.connect(self.finalise)
        row.addWidget(self.finalise_button)
        self.correct_button = QPushButton(tr("Sửa (bản mới)", "Correct (new version)"))
        self.correct_button.setEnabled(False)
        self.correct_button.clicked.connect(self.correct)
        row.addWidget(self.correct_button)
        self.print_buttons: dict[str, QPushButton] = {}
        for document, vi, en in (("prescription", "In đơn thuốc", "Print prescription"),
                                 ("appointment", "In giấy hẹn", "Print appointment"),
                                 ("referral", "In giấy chuyển", "Print referral"),
                                 ("visit-summary", "In tóm tắt", "Print summary")):
            button = QPushButton(tr(vi, en))
            button.setEnabled(False)
            button.clicked.connect(lambda _=False, d=document: self.print_document(d))
            self.print_buttons[document] = button
            row.addWidget(button)
        row.addStretch(1)
        outer_layout.addLayout(row)
        lines = QHBoxLayout()  # the visit, the portal's receipt and the prescriptions on the left, the print right
        status = QVBoxLayout()
        self.money_line = QLabel()  # what BHYT pays and what the patient pays, as the claim will say it
        self.money_line.setObjectName("visitMoney")
        self.money_line.setWordWrap(True)
        self.money_line.setTextFormat(Qt.TextFormat.RichText)
        status.addWidget(self.money_line)
        self.money: VisitMoney | None = None  # the last one shown, for the patient in context
        self.visit_status = QLabel()
        self.visit_status.setObjectName("visitStatus")
        self.visit_status.setWordWrap(True)
        status.addWidget(self.visit_status)
        self.rx_status = PrescriptionStatus()  # each prescription's code and the national system's answer
        self.rx_status.clear()
        status.addWidget(self.rx_status)
        lines.addLayout(status, 3)
        self.print_status = QLabel()
        self.print_status.setObjectName("printStatus")
        self.print_status.setWordWrap(True)
        lines.addWidget(self.print_status, 2)
        outer_layout.addLayout(lines)
        for field in [self.reason, self.advice, self.refer_to, self.refer_transport, self.referred_from,
                      self.referral_slip, *self.vitals.values()]:
            field.textChanged.connect(self.mark_dirty)
        self.notes.textChanged.connect(self.mark_dirty)
        self.vitals["weight"].textChanged.connect(self.recheck_prescription)  # a young child's prescription needs it
        self.form_page = page
        page.setEnabled(False)
        self.finalise_button.setEnabled(False)
        page.setMinimumHeight(640)  # below that the form scrolls rather than squeezing its lists
        return outer

    def _vitals_box(self) -> QWidget:
        """Eight labelled fields in two rows, each with its unit and the normal range for the patient's age; an
        abnormal value is marked beside its field and named in words on the line below."""
        box = QGroupBox(tr("Sinh hiệu", "Vital signs"))
        grid = QGridLayout(box)
        grid.setContentsMargins(8, 4, 8, 4)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(4)
        self.vitals: dict[str, QLineEdit] = {}
        self.vital_units: dict[str, QLabel] = {}
        self.vital_names: dict[str, QLabel] = {}
        for i, vital in enumerate(vital_signs.VITALS):
            row, column = divmod(i, 4)
            name = QLabel(tr(vital.vi, vital.en))
            name.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            field = QLineEdit()
            field.setObjectName(f"vital_{vital.key}")
            field.setAccessibleName(tr(vital.vi, vital.en))
            field.setFixedWidth(56)
            unit = QLabel()
            unit.setObjectName(f"vitalUnit_{vital.key}")
            unit.setTextFormat(Qt.TextFormat.RichText)
            name.setBuddy(field)
            grid.addWidget(name, row, column * 3)
            grid.addWidget(field, row, column * 3 + 1)
            grid.addWidget(unit, row, column * 3 + 2)
            self.vitals[vital.key] = field
            self.vital_units[vital.key] = unit
            self.vital_names[vital.key] = name
            field.textChanged.connect(self.check_vitals)
        self.vitals_findings = QLabel()
        self.vitals_findings.setObjectName("vitalsFindings")
        self.vitals_findings.setWordWrap(True)
        self.vitals_findings.setTextFormat(Qt.TextFormat.RichText)
        grid.addWidget(self.vitals_findings, 2, 0, 1, 13)
        grid.setColumnStretch(12, 1)
        return box

    def _age(self) -> int | None:
        """The patient's age in whole years on the day of the visit."""
        ctx = self.current
        if ctx is None:
            return None
        day = dt.date.today()
        if ctx.visit and ctx.visit.get("started_at"):
            day = dt.datetime.fromisoformat(ctx.visit["started_at"]).date()
        return ctx.patient.age_on(day)

    def check_vitals(self) -> None:
        """Each field against the normal range for the patient's age: coloured, marked and named in words."""
        age = self._age()
        result = vital_signs.assess({k: f.text() for k, f in self.vitals.items()}, age)
        for vital in vital_signs.VITALS:
            check, field, unit = result.fields[vital.key], self.vitals[vital.key], self.vital_units[vital.key]
            unit_text = tr(vital.unit, vital.unit_en)
            if check.level in MARKS:
                word = (tr("kiểm tra lại", "check again") if check.level == vital_signs.WRONG
                        else tr(*vital_signs.level_words(vital.key, check.level)))
                unit.setText(html.escape(f"{unit_text}  {MARKS[check.level]} {word}"))
                unit.setStyleSheet(f"color: {RED}; font-weight: bold;")
                field.setStyleSheet(f"QLineEdit {{ border: 2px solid {RED}; background: #fdecee; font-weight: bold; }}")
                field.setToolTip(tr(f"Bình thường: {check.range_text} {vital.unit}", f"Normal: {check.range_text} "
                                    f"{vital.unit_en}") if check.range_text else "")
            else:
                unit.setText(html.escape(unit_text) + (f" <span style='color:{GREY}; font-size:8pt'>"
                                                       f"({check.range_text})</span>" if check.range_text else ""))
                unit.setStyleSheet(f"color: {GREY};")
                field.setStyleSheet("")
                field.setToolTip(tr(f"Bình thường: {check.range_text} {vital.unit}", f"Normal: {check.range_text} "
                                    f"{vital.unit_en}") if check.range_text else "")
        who = vital_signs.group_name("pulse", age)
        limits = (tr(f"Ngưỡng bình thường: {who[0]}", f"Normal limits: {who[1]}") if age is not None
                  else tr("Chưa rõ tuổi: ngưỡng của người lớn", "Age unknown: adult limits"))
        if result.findings:
            self.vitals_findings.setText(
                f"<span style='color:{RED}; font-weight:bold'>"
                + "<br>".join(html.escape(f"{MARKS[f.level]} {tr(f.vi, f.en)}") for f in result.findings)
                + f"</span><br><span style='color:{GREY}'>{html.escape(limits)}</span>")
        elif any(check.level for check in result.fields.values()):
            self.vitals_findings.setText(f"<span style='color:{GREEN}'>"
                                         + html.escape(tr("Sinh hiệu trong giới hạn bình thường",
                                                          "Vital signs within normal limits"))
                                         + f"</span> <span style='color:{GREY}'>· {html.escape(limits)}</span>")
        else:
            self.vitals_findings.setText(f"<span style='color:{GREY}'>{html.escape(limits)}</span>"
                                         if self.current else "")
        self._mark_weight_required()

    def _months(self) -> int | None:
        """The patient's age in whole months today (the prescription's date), for TT 26's under-72-months rules."""
        ctx = self.current
        return age_months(ctx.patient.date_of_birth, dt.date.today()) if ctx is not None else None

    def _mark_weight_required(self) -> None:
        """A child under 72 months: the weight goes on the prescription, so its field is marked required."""
        weight, name = self.vitals["weight"], self.vital_names["weight"]
        vital = next(v for v in vital_signs.VITALS if v.key == "weight")
        child = self.rx_box.is_child if hasattr(self, "rx_box") else False
        name.setText(tr(vital.vi, vital.en) + (" *" if child else ""))
        name.setStyleSheet(f"color: {RED}; font-weight: bold;" if child else "")
        name.setToolTip(tr("Trẻ dưới 72 tháng: bắt buộc có cân nặng trên đơn thuốc",
                           "A child under 72 months: the weight is required on the prescription") if child else "")
        if child and not weight.text().strip():
            weight.setStyleSheet(f"QLineEdit {{ border: 2px solid {RED}; background: #fff6e0; }}")
            weight.setToolTip(tr("Bắt buộc: trẻ dưới 72 tháng cần cân nặng trên đơn thuốc",
                                 "Required: a child under 72 months needs the weight on the prescription"))

    def _re_exam_toggled(self, on: bool) -> None:
        if on and not self.re_exam_date.text().strip() and not getattr(self, "_loading", False):
            self.re_exam_date.setText(dates.day_text(dt.date.today() + dt.timedelta(days=7)))
        self._re_exam_typed(self.re_exam_date.text())

    def re_exam_on(self) -> dt.date | None:
        """The re-exam date as understood from what was typed (None: empty or not a date)."""
        return dates.parse_day(self.re_exam_date.text())

    def _re_exam_typed(self, text: str) -> None:
        """Show the date understood (or why none), and tick «Hẹn tái khám» when a date is typed."""
        day = dates.parse_day(text)
        if day is not None and not self.re_exam.isChecked() and not getattr(self, "_loading", False):
            blocked = self.re_exam.blockSignals(True)
            self.re_exam.setChecked(True)
            self.re_exam.blockSignals(blocked)
        if not text.strip():
            self.re_exam_seen.setStyleSheet(f"color: {GREY};")
            self.re_exam_seen.setText(tr("Gõ ngày: dd/mm/yyyy hoặc ddmmyyyy", "Type the date: dd/mm/yyyy or ddmmyyyy")
                                      if self.re_exam.isChecked() else "")
        elif day is None:
            self.re_exam_seen.setStyleSheet(f"color: {RED}; font-weight: bold;")
            self.re_exam_seen.setText(tr("⚠ Chưa hiểu ngày này — gõ dd/mm/yyyy hoặc ddmmyyyy",
                                         "⚠ Not a date — type dd/mm/yyyy or ddmmyyyy"))
        else:
            days = (day - dt.date.today()).days
            weekday = dates.weekday(day)
            when = (tr(f"{days} ngày nữa", f"in {days} days") if days > 0 else
                    tr("hôm nay", "today") if days == 0 else tr(f"⚠ đã qua {-days} ngày", f"⚠ {-days} days ago"))
            self.re_exam_seen.setStyleSheet(f"color: {RED}; font-weight: bold;" if days < 0 else "color: #0b2545;")
            self.re_exam_seen.setText(f"→ {tr(weekday[0], weekday[1])}, {dates.day_text(day)} ({when})")
        self.mark_dirty()

    def _set_form_enabled(self, enabled: bool) -> None:
        self.form_page.setEnabled(enabled)
        self.finalise_button.setEnabled(enabled)

    # -- queue -------------------------------------------------------------------------------
    def room(self) -> tuple[str, str]:
        return self.department.currentData()

    def refresh_queue(self) -> None:
        if self._busy or (self.idle_lock is not None and self.idle_lock.screen.isVisible()):
            return
        dep, room = self.room()
        run_in_background(lambda: self.clinic.room_queue(dep, room), self._show_queue,
                          lambda exc: self.queue_status.setText(tr(exc.vi, exc.en) if isinstance(exc, KioskError)
                                                                else type(exc).__name__), owner=self)

    def _show_queue(self, entries: list[QueueEntry]) -> None:
        """The room's list, keeping the doctor's selection across live updates (else the patient in
        context is selected)."""
        chosen = [item.data(Qt.ItemDataRole.UserRole).ticket.id for item in self.queue.selectedItems()]
        current = chosen[0] if chosen else (self.current.ticket.id if self.current and self.current.ticket else None)
        self.queue.clear()
        for e in entries:
            mark = {"called": "◉ ", "in_room": "▶ ", "skipped": "↷ "}.get(e.ticket.status.value, "")
            priority = " ★" if e.ticket.priority else ""
            item = QListWidgetItem(f"{mark}{number_text(e.ticket.number)}  {e.patient_name}{priority}")
            item.setData(Qt.ItemDataRole.UserRole, e)
            self.queue.addItem(item)
            if e.ticket.id == current:
                item.setSelected(True)
        waiting = sum(1 for e in entries if e.ticket.status.value == "waiting")
        self.waiting_label.setText(tr(f"{waiting} người đang chờ", f"{waiting} waiting") if entries else
                                   tr("Chưa có ai trong hàng chờ của phòng này", "Nobody in this room's queue yet"))

    # -- the patient in context ----------------------------------------------------------------
    @property
    def current(self) -> PatientContext | None:
        return self.context.current

    @property
    def entry(self) -> QueueEntry | None:
        ctx = self.current
        return QueueEntry(ctx.ticket, ctx.patient.full_name) if ctx and ctx.ticket else None

    @property
    def lookup(self) -> Lookup | None:
        return self.current.lookup if self.current else None

    @property
    def visit(self) -> dict[str, Any] | None:
        return self.current.visit if self.current else None

    @property
    def last_print(self) -> PrintOutcome | None:
        return self.current.last_outcome if self.current else None

    @property
    def claim(self) -> str:
        """Who has a visit open here: the user at this window."""
        user = self.clinic.signed_in.username if self.clinic.signed_in else self.clinic.actor
        return f"{user}@{self.station_id}"

    def _close_context(self, because: str) -> None:
        """Save the draft of the patient in context, free their visit, and clear every trace of them
        from the screen — before anything of another patient can appear."""
        ctx = self.current
        if ctx is not None:
            self._autosave.stop()
            self.save_draft()
            if ctx.visit is not None and ctx.visit["status"] == "draft":
                visit_id, claim = ctx.visit["id"], self.claim
                run_in_background(lambda: self.clinic.release_visit(visit_id, claim), lambda _: None,
                                  lambda exc: log.warning("release visit: %s", exc), owner=self)
        if self.review is not None:  # a review of this patient's visit does not outlive them on screen
            self.review.close()
            self.review = None
        self.context.close(because)
        self.banner.clear(*NOBODY)
        self.health.clear()
        self.rx_box.set_child(None)
        self.load_form({})
        self.form_scroll.verticalScrollBar().setValue(0)  # the next patient's form opens at its top
        self._rx_refresh.stop()
        self.rx_status.clear()
        self.icd_search.clear()
        self.icd_results.clear()
        self.visit_status.setStyleSheet("")
        self.visit_status.clear()
        self.money = None
        self.money_line.clear()
        self.print_status.setStyleSheet("")
        self.print_status.clear()
        self._set_form_enabled(False)
        self.correct_button.setEnabled(False)
        for button in self.print_buttons.values():
            button.setEnabled(False)

    def call_next(self) -> None:
        if self._busy:
            return
        dep, room = self.room()
        self._open(lambda clinic: clinic.call_next(dep, room), ("Đang gọi người tiếp theo…", "Calling the next "
                                                                "patient…"))

    def resume(self) -> None:
        """Open again the selected patient already called to this room (after a lock, a restart)."""
        if self._busy:
            return
        items = self.queue.selectedItems()
        entry: QueueEntry | None = items[0].data(Qt.ItemDataRole.UserRole) if items else None
        if entry is None or entry.ticket.status not in (TicketStatus.CALLED, TicketStatus.IN_ROOM):
            self.queue_status.setText(tr("Chọn một người đã được gọi (◉ hoặc ▶) trong danh sách",
                                         "Choose a called patient (◉ or ▶) in the list"))
            return
        if self.current and self.current.ticket and self.current.ticket.id == entry.ticket.id:
            self.queue_status.setText(tr("Người bệnh này đang mở trên màn hình", "This patient is already open"))
            return
        ticket = entry.ticket
        self._open(lambda clinic: ticket, ("Đang mở lại người bệnh…", "Opening the patient again…"))

    def _open(self, get_ticket: Callable[[Clinic], Ticket], busy: tuple[str, str], take_over: bool = False) -> None:
        self._busy = True
        self._close_context("call")
        self.banner.busy(*busy)
        clinic, claim, licence = self.clinic, self.claim, self.clinic.settings["doctor.licence"]

        def work() -> tuple[Ticket, Patient, Lookup | None, HealthBook, dict]:
            ticket = get_ticket(clinic)
            patient = clinic.patient(ticket.patient_id)
            try:
                found = clinic.lookup(patient, clinic.lookup_staff())
            except KioskError:
                found = None
            book = found.health_book if found else clinic.cached_health_book(patient)
            card = found.card_check.card_for_visit if found else None
            visit = clinic.start_visit(ticket, card, licence, claim, take_over)
            return ticket, patient, found, book, visit

        run_in_background(work, self._called, lambda exc: self._open_failed(exc, get_ticket, busy), owner=self)

    def _called(self, result: tuple[Ticket, Patient, Lookup | None, HealthBook, dict]) -> None:
        self._busy = False
        ticket, patient, found, book, visit = result
        opened_by = self.clinic.signed_in.username if self.clinic.signed_in else self.clinic.actor
        ctx = self.context.open(patient, opened_by, ticket=ticket, lookup=found, visit=visit)
        self.banner.show_patient(patient, found.card_check if found else None, book)
        self.banner.card_status.setToolTip("")
        if found is not None and found.card_check.code:  # the gateway's code is for IT: in the tooltip only
            check = found.card_check
            self.banner.card_status.setText(tr("Thẻ BHYT: ", "BHYT card: ") + tr(check.message_vi, check.message_en))
            self.banner.card_status.setToolTip(tr(f"Mã kết quả của cổng BHXH: {check.code}",
                                                  f"BHXH gateway result code: {check.code}"))
        self._show_book(book, found)
        self.rx_box.set_child(self._months())
        self.load_form(visit["data"])
        if visit["status"] == "draft":
            self._set_form_enabled(True)
            self.visit_status.setText(tr(f"Đang khám số {number_text(ticket.number)} — bản nháp tự lưu",
                                         f"Seeing number {number_text(ticket.number)} — draft autosaves"))
            if visit["version"] > 1:  # a correction: what the national system said of the version before
                self.refresh_prescriptions()
        else:
            self._show_final(ctx)
            self.refresh_prescriptions()
        self.refresh_money()
        self.queue.clearSelection()  # the list now points at the patient in context, not an older choice
        self.refresh_queue()

    def _show_book(self, book: HealthBook, found: Lookup | None) -> None:
        settings = self.clinic.settings
        names = FacilityNames.standard(gateway=from_gateway(found.card_check.response if found else None),
                                       own=(settings["facility.code"], settings["facility.name"]),
                                       sandbox=self._sandbox_catalogue())
        self.health.show_book(book, found.card_check if found else None, names, own_code=settings["facility.code"])

    def _sandbox_catalogue(self) -> dict[str, str]:
        """The sandbox's facility names, when this station shows the sandbox's demo data."""
        if not getattr(self.clinic, "demo_mode", False):
            return {}
        from kiosk.sandbox.server import FACILITY_CATALOGUE

        return FACILITY_CATALOGUE

    def _open_failed(self, exc: Exception, get_ticket: Callable[[Clinic], Ticket], busy: tuple[str, str]) -> None:
        self._busy = False
        if isinstance(exc, VisitOpenElsewhere):
            self.banner.clear(*NOBODY)
            box = QMessageBox(self)
            box.setIcon(QMessageBox.Icon.Warning)
            box.setWindowTitle(tr("Đang khám ở máy khác", "Open at another station"))
            box.setText(tr(f"{exc.vi}.\nMở tại đây? Máy kia sẽ không lưu được bản nháp nữa.",
                           f"{exc.en}.\nOpen it here? The other station can no longer save the draft."))
            take = box.addButton(tr("Mở tại đây", "Open here"), QMessageBox.ButtonRole.AcceptRole)
            box.addButton(tr("Không mở", "Do not open"), QMessageBox.ButtonRole.RejectRole)
            self.take_over_dialog = box
            box.exec()
            if box.clickedButton() is take:
                self._open(get_ticket, busy, take_over=True)
            return
        self.banner.clear(*NOBODY)
        self._failed(exc)
        self.refresh_queue()

    def _failed(self, exc: Exception) -> None:
        self._busy = False
        message = tr(exc.vi, exc.en) if isinstance(exc, KioskError) else type(exc).__name__
        self.queue_status.setText(message)
        if self.current is not None:
            self.visit_status.setStyleSheet("color: #b00020;")
            self.visit_status.setText(message)
        if not isinstance(exc, KioskError):
            log.error("doctor action failed", exc_info=exc)

    def _selected(self) -> QueueEntry | None:
        items = self.queue.selectedItems()
        return items[0].data(Qt.ItemDataRole.UserRole) if items else self.entry

    def _left_room(self, ticket_id: int | None) -> None:
        """The patient in context was skipped, marked absent or transferred: they leave this screen."""
        if self.current and self.current.ticket and self.current.ticket.id == ticket_id:
            self._close_context("left the room")
        self.refresh_queue()

    def _status(self, status: str) -> None:
        entry = self._selected()
        if entry is None:
            return
        ticket_id = entry.ticket.id
        leaves = status in ("skipped", "no_show")
        vi, en = {"called": ("Đã gọi lại", "Called again"), "skipped": ("Đã bỏ qua (gọi sau)", "Skipped"),
                  "no_show": ("Đã ghi vắng mặt", "Marked absent")}[status]
        who = f"{number_text(entry.ticket.number)} {entry.patient_name}"

        def done(_: object) -> None:
            self.queue_status.setText(tr(f"{vi}: {who}", f"{en}: {who}"))  # whom it acted on, in words
            self._left_room(ticket_id) if leaves else self.refresh_queue()

        run_in_background(lambda: self.clinic.set_ticket_status(ticket_id, status), done, self._failed, owner=self)

    def transfer(self) -> None:
        entry = self._selected()
        if entry is None:
            return
        ticket_id = entry.ticket.id
        dep, room = self.transfer_to.currentData()
        run_in_background(lambda: self.clinic.transfer(ticket_id, dep, room), lambda _: self._left_room(ticket_id),
                          self._failed, owner=self)

    # -- visit form --------------------------------------------------------------------------
    def load_form(self, data: dict[str, Any]) -> None:
        self._loading = True
        self.reason.setText(data.get("reason", ""))
        self.notes.setPlainText(data.get("exam_notes", ""))
        for key, field in self.vitals.items():
            value = (data.get("vitals") or {}).get(key)
            field.setText("" if value in (None, "") else str(value))
        self.diagnoses.clear()
        for d in data.get("diagnoses", []):
            self._add_diagnosis_item(d)
        self.rx_box.load(data.get("prescription", []), data.get("guardian") or {})
        self.advice.setText(data.get("advice", ""))
        self.re_exam.setChecked(bool(data.get("re_exam_on")))
        self.re_exam_date.setText(dates.day_text(dt.date.fromisoformat(data["re_exam_on"]))
                                  if data.get("re_exam_on") else "")
        arrival = self.arrival.findData(data.get("arrival") or "registered")
        self.arrival.setCurrentIndex(max(arrival, 0))
        self.referred_from.setText(data.get("referred_from", ""))
        self.referral_slip.setText(data.get("referral_slip", ""))
        self._arrival_changed()
        referral = data.get("referral") or {}
        self.refer.setChecked(bool(referral))
        self.refer_to.setText(referral.get("to_facility", ""))
        self.refer_transport.setText(referral.get("transport", ""))
        self._loading = False
        self._dirty = False
        self.check_vitals()  # units and ranges beside the fields even before anything is typed
        self.recheck_prescription()

    def form_data(self) -> dict[str, Any]:
        data = dict(self.visit["data"]) if self.visit else {}
        vitals = {}
        for key, field in self.vitals.items():
            text = field.text().strip().replace(",", ".")
            if text:
                try:
                    vitals[key] = float(text)
                except ValueError:
                    vitals[key] = text
        re_exam = self.re_exam_on()
        referred = self.arrival.currentData() == "referred"
        if self.rx_box.is_child:  # TT 26: the guardian of a child under 72 months (kept as it was otherwise)
            data["guardian"] = self.rx_box.guardian()
        if self.clinic.signed_in is not None:  # who signs the visit's papers: the doctor signed in here
            data["doctor_username"] = self.clinic.signed_in.username
            data["doctor_name"] = self.clinic.signed_in.full_name
        data.update({
            "reason": self.reason.text().strip(), "exam_notes": self.notes.toPlainText().strip(), "vitals": vitals,
            "diagnoses": [self.diagnoses.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.diagnoses.count())],
            "prescription": self.rx_box.lines(), "advice": self.advice.text().strip(),
            "re_exam_on": re_exam.isoformat() if self.re_exam.isChecked() and re_exam else "",
            "referral": {"to_facility": self.refer_to.text().strip().upper(), "reason_code": self.refer_reason.currentData(),
                         "transport": self.refer_transport.text().strip()} if self.refer.isChecked() else None,
            "arrival": self.arrival.currentData(),
            "referred_from": self.referred_from.text().strip().upper() if referred else "",
            "referral_slip": self.referral_slip.text().strip() if referred else "",
        })
        return data

    def mark_dirty(self) -> None:
        if getattr(self, "_loading", False) or self.visit is None:
            return
        self._dirty = True
        self._autosave.start()

    def save_draft(self) -> None:
        """Autosave the form into the visit it was opened for (and only while this station has it)."""
        ctx = self.current
        if not self._dirty or ctx is None or ctx.visit is None or ctx.visit["status"] != "draft":
            return
        self._dirty = False
        data, visit_id, claim = self.form_data(), ctx.visit["id"], self.claim
        ctx.visit["data"] = data

        def saved(_: object) -> None:
            if self.context.is_current(ctx):
                self.visit_status.setText(tr("Đã lưu nháp", "Draft saved"))
                self.refresh_money()  # what the saved form costs and who pays it

        run_in_background(lambda: self.clinic.save_visit_draft(visit_id, data, claim), saved, self._failed,
                          owner=self)

    def _arrival_changed(self, _: int = 0) -> None:
        """A referral names where the patient was referred from and the slip's number; the other ways need neither."""
        referred = self.arrival.currentData() == "referred"
        self.referred_from.setVisible(referred)
        self.referral_slip.setVisible(referred)
        self.mark_dirty()

    def refresh_money(self) -> None:
        """What the visit in context costs and who pays it (the form as it stands while it is a draft)."""
        ctx = self.current
        if ctx is None or ctx.visit is None:
            return
        visit_id, clinic = ctx.visit["id"], self.clinic
        data = self.form_data() if ctx.visit["status"] == "draft" else None
        run_in_background(lambda: clinic.visit_money(visit_id, data), lambda found: self._show_money(ctx, found),
                          lambda exc: log.warning("money not reckoned: %s", type(exc).__name__), owner=self)

    def _show_money(self, ctx: PatientContext, found: VisitMoney) -> None:
        if not self.context.is_current(ctx):
            return
        self.money = found
        self.money_line.setText(money_html(found))
        if self.review is not None:
            self.review.show_money(found)

    def search_icd(self, text: str) -> None:
        if self.current is None:
            self.icd_results.clear()
            return
        if len(text.strip()) < 2:
            self.icd_results.clear()
            return
        results = self.clinic.search_icd10(text)  # a local indexed query: well under a frame
        self.icd_results.clear()
        for r in results:
            item = QListWidgetItem(f"{r.code}  {r.name}" + (tr(" (không là bệnh chính)", " (not main)") if r.not_main
                                                            else ""))
            item.setData(Qt.ItemDataRole.UserRole, r)
            self.icd_results.addItem(item)
        if self.icd_results.count():
            self.icd_results.setCurrentRow(0)

    def _add_diagnosis_item(self, d: dict[str, Any]) -> None:
        item = QListWidgetItem(diagnosis_label(d))
        item.setData(Qt.ItemDataRole.UserRole, d)
        self.diagnoses.addItem(item)

    def add_diagnosis(self, main: bool) -> None:
        item = self.icd_results.currentItem()
        if item is None:
            return
        entry = item.data(Qt.ItemDataRole.UserRole)
        if main:
            for i in range(self.diagnoses.count()):
                d = dict(self.diagnoses.item(i).data(Qt.ItemDataRole.UserRole))
                if d.get("is_main"):
                    d["is_main"] = False
                    self.diagnoses.item(i).setData(Qt.ItemDataRole.UserRole, d)
                    self.diagnoses.item(i).setText(diagnosis_label(d))
        self._add_diagnosis_item({"code": entry.code, "name": entry.name, "is_main": main})
        self.mark_dirty()
        self.recheck_prescription()  # a chronic disease allows 90 days

    def has_main_diagnosis(self) -> bool:
        return any(self.diagnoses.item(i).data(Qt.ItemDataRole.UserRole).get("is_main")
                   for i in range(self.diagnoses.count()))

    def add_from_search(self) -> None:
        """Enter in the search box: the highlighted result is added — as the main diagnosis while there is none,
        else as a secondary one — and the box is emptied for the next."""
        if self.icd_results.currentItem() is None or not self.form_page.isEnabled():
            return
        self.add_diagnosis(not self.has_main_diagnosis())
        self.icd_search.clear()

    def remove_diagnosis(self) -> None:
        row = self.diagnoses.currentRow()
        if row >= 0:
            self.diagnoses.takeItem(row)
            self.mark_dirty()
            self.recheck_prescription()

    def _show_prescription_box(self) -> None:
        """The prescription box in sight while the doctor prescribes (the form scrolls on a 768-pixel screen)."""
        box = self.rx_box
        bottom = box.notice.geometry().bottom() + 4  # the search, its results, the lines and what was done
        self.form_scroll.ensureVisible(box.x(), box.y() + bottom, 0, 0)
        self.form_scroll.ensureVisible(box.x(), box.y(), 0, 4)

    def _prescription_edited(self) -> None:
        self.mark_dirty()
        self.recheck_prescription()

    def recheck_prescription(self) -> None:
        """What keeps the prescription from being sent, under its table while the doctor prescribes (the lines, the
        days against the diagnoses, a young child's weight and guardian)."""
        if self.current is None or getattr(self, "_loading", False):
            self.rx_box.problems.clear()
            return
        self.rx_box.show_problems(*prescription_checks(self.form_data(), self._months(),
                                                       self.clinic.settings["erx.chronic_icd10"], self._allergies()))

    def _allergies(self) -> list[str]:
        """The substances the called patient's health book records an allergy to (any source)."""
        book = self.health.book
        if book is None or self.current is None or book.patient.id != self.current.patient.id:
            return []
        return [a.substance for a in book.allergies]

    def finalise(self) -> None:
        """«Hoàn tất & gửi»: first a review of what will be sent (``self.review``); its «Gửi cổng BHXH» sends."""
        ctx = self.current
        if ctx is None or ctx.visit is None or ctx.visit["status"] != "draft" or self._busy:
            return
        if self.re_exam.isChecked() and self.re_exam_on() is None:
            self.visit_status.setStyleSheet(f"color: {RED};")
            self.visit_status.setText(tr("Ngày tái khám chưa hợp lệ: gõ dd/mm/yyyy hoặc bỏ chọn «Hẹn tái khám»",
                                         "The re-exam date is not valid: type dd/mm/yyyy or untick «Re-exam»"))
            return
        if self.review is not None:
            self.review.close()
        data, months = self.form_data(), self._months()
        blocking, warnings = prescription_checks(data, months, self.clinic.settings["erx.chronic_icd10"],
                                                 self._allergies())
        self.review = FinaliseReview(self, ctx.patient, data, blocking=blocking, warnings=warnings, months=months)
        self.review.accepted.connect(lambda c=ctx: self.confirm_finalise(c))
        self.review.open()  # window-modal, without blocking: the doctor reads, then sends or goes back
        self.refresh_money()  # the review's cost line, for the form as it is sent

    def confirm_finalise(self, ctx: PatientContext | None = None) -> None:
        """Send the visit after its review (only for the patient the review was opened for)."""
        if ctx is not None and not self.context.is_current(ctx):
            return
        ctx = self.current
        if ctx is None or ctx.visit is None or ctx.visit["status"] != "draft" or self._busy:
            return
        missing = FinaliseReview.missing_of(self.form_data())
        if missing:  # called without the review's button: said, not sent
            self.visit_status.setStyleSheet(f"color: {RED};")
            self.visit_status.setText("\n".join(tr(vi, en) for vi, en in missing))
            return
        self._autosave.stop()
        self._busy = True
        data, visit_id, patient_id, claim = self.form_data(), ctx.visit["id"], ctx.patient.id, self.claim
        clinic = self.clinic

        patient = ctx.patient

        def work() -> tuple[dict, dict[str, int], list[dict], PrescriptionsRead, HealthBook | None]:
            clinic.save_visit_draft(visit_id, data, claim)
            final = clinic.finalise_visit(visit_id, patient_id)
            try:
                sent = clinic.send_outbox()  # the claim to the portal, the prescriptions to the national system
            except KioskError:
                sent = {}
            try:  # the health book with this visit and its prescriptions in the timeline
                book = clinic.cached_health_book(patient)
            except KioskError:
                book = None
            return final, sent, clinic.outbox_for(final["ma_lk"]), read_prescriptions(clinic, final["id"]), book

        run_in_background(work, lambda result: self._finalised(ctx, result), self._finalise_failed, owner=self)

    def _finalised(self, ctx: PatientContext,
                   result: tuple[dict, dict[str, int], list[dict], PrescriptionsRead, HealthBook | None]) -> None:
        self._busy = False
        final, _, rows, found, book = result
        ctx.visit = final
        if not self.context.is_current(ctx):
            return
        if book is not None and book.patient.id == ctx.patient.id:
            self._show_book(book, self.lookup)
        self._show_final(ctx)
        self.visit_status.setText(outbox_summary(rows))
        self._show_prescriptions(ctx, found)
        self.refresh_money()
        self.refresh_queue()

    def refresh_prescriptions(self) -> None:
        """Read the visit's prescriptions and the national system's answers again (a finalised visit opened, a
        correction of one, or one still waiting to be sent)."""
        ctx = self.current
        if ctx is None or ctx.visit is None:
            return
        visit_id, clinic = ctx.visit["id"], self.clinic
        run_in_background(lambda: read_prescriptions(clinic, visit_id),
                          lambda found: self._show_prescriptions(ctx, found),
                          lambda exc: log.warning("prescriptions not read: %s", type(exc).__name__), owner=self)

    def _show_prescriptions(self, ctx: PatientContext, found: PrescriptionsRead) -> None:
        if not self.context.is_current(ctx):
            return
        prescriptions, waiting = found
        self.rx_status.show_prescriptions(prescriptions, waiting)
        if ctx.visit is not None and ctx.visit["status"] == "draft":  # correcting: what was refused, marked
            self.rx_box.mark_refused({p.kind: list(p.errors) for p in prescriptions if p.status == "refused"})
        if self.rx_status.waiting and ctx.visit is not None and ctx.visit["status"] == "final":
            self._rx_refresh.start()
        else:
            self._rx_refresh.stop()

    def _show_final(self, ctx: PatientContext) -> None:
        """A finalised visit: the form locked, its documents printable, a correction possible."""
        self._set_form_enabled(False)
        self.rx_box.notice.clear()
        self.correct_button.setEnabled(True)
        data = ctx.visit["data"]
        available = {"prescription": bool(data.get("prescription")), "appointment": bool(data.get("re_exam_on")),
                     "referral": bool(data.get("referral")), "visit-summary": True}
        for document, button in self.print_buttons.items():
            button.setEnabled(available[document])
        self.visit_status.setStyleSheet("")
        self.visit_status.setText(tr("Lượt khám đã hoàn tất", "The visit is finalised"))

    def _finalise_failed(self, exc: Exception) -> None:
        self._busy = False
        self.visit_status.setStyleSheet("color: #b00020;")
        if isinstance(exc, VisitNotFinalisable):
            self.visit_status.setText("\n".join(tr(p.vi, p.en) for p in exc.problems))
        else:
            self._failed(exc)
            self.visit_status.setText(tr(exc.vi, exc.en) if isinstance(exc, KioskError) else type(exc).__name__)

    def print_document(self, document: str) -> None:
        """Print a document of the visit in context — its own, for its own patient — or say why not."""
        ctx = self.current
        if ctx is None or ctx.visit is None:
            self.print_status.setStyleSheet(f"color: {RED};")
            self.print_status.setText(tr("Chưa có người bệnh: không có gì để in", "No patient: nothing to print"))
            return
        if ctx.visit["status"] != "final":
            self.visit_status.setStyleSheet("color: #b00020;")
            self.visit_status.setText(tr("Hoàn tất lượt khám trước khi in", "Finalise the visit before printing"))
            return
        visit_id, patient_id = ctx.visit["id"], ctx.patient.id
        run_in_background(lambda: self.clinic.print_visit_document(document, visit_id, patient_id=patient_id,
                                                                   context=ctx.tag),
                          lambda outcome: self._printed(ctx, outcome), lambda exc: self._print_failed(ctx, exc),
                          owner=self)

    def _printed(self, ctx: PatientContext, outcome: PrintOutcome) -> None:
        if not self.context.is_current(ctx):
            return
        ctx.printed(outcome)
        message = tr(outcome.message_vi, outcome.message_en)
        self.print_status.setStyleSheet("" if outcome.printed else "color: #b26a00; font-weight: bold;")
        path = str(outcome.pdf_path) if outcome.pdf_path else ""
        self.print_status.setText(message.replace(path, outcome.pdf_path.name) if path else message)  # short
        self.print_status.setToolTip(message)  # the whole path

    def _print_failed(self, ctx: PatientContext, exc: Exception) -> None:
        """A print refused or failed: said on the print line, the portal's receipt stays where it is."""
        if not self.context.is_current(ctx):
            return
        self.print_status.setStyleSheet(f"color: {RED};")
        self.print_status.setText(tr(exc.vi, exc.en) if isinstance(exc, KioskError) else type(exc).__name__)
        if not isinstance(exc, KioskError):
            log.error("print failed", exc_info=exc)

    def correct(self) -> None:
        """A correction: a new draft version of the finalised visit, same MA_LK, sent again on finalise."""
        ctx = self.current
        if ctx is None or ctx.visit is None or ctx.visit["status"] != "final":
            return
        visit_id = ctx.visit["id"]
        run_in_background(lambda: self.clinic.correct_visit(visit_id), lambda draft: self._correcting(ctx, draft),
                          self._failed, owner=self)

    def _correcting(self, ctx: PatientContext, draft: dict) -> None:
        if not self.context.is_current(ctx):
            return
        ctx.visit = draft
        self.load_form(draft["data"])
        self._set_form_enabled(True)
        self.correct_button.setEnabled(False)
        for button in self.print_buttons.values():
            button.setEnabled(False)
        self.print_status.clear()
        self.visit_status.setStyleSheet("")
        self.visit_status.setText(tr(f"Bản sửa số {draft['version']} — hoàn tất để gửi lại",
                                     f"Correction version {draft['version']} — finalise to send again"))
        self.refresh_prescriptions()  # what the national system refused, marked on the form

    def wipe_patient(self) -> None:
        """Lock or switch user: the draft is saved, then nothing of the patient stays on screen or here.
        After unlocking, «Tiếp tục khám» opens the called patient again."""
        self._close_context("lock")
        self.queue.clear()

    def closeEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt API
        if self.idle_lock is not None:
            self.idle_lock.stop()
        self.live.stop()
        self.save_draft()
        wait_for_background()
        super().closeEvent(event)


PrescriptionsRead = tuple[list[Prescription], dict[str, str]]


def read_prescriptions(clinic: Clinic, visit_id: int) -> PrescriptionsRead:
    """(the visit's prescriptions, why each one still waiting waits — the outbox's last error), on a worker thread;
    nothing when they cannot be read (the visit's own status line says what failed)."""
    try:
        found = clinic.prescriptions_of(visit_id)
        waiting = {}
        for p in found:
            if p.status == "pending":
                rows = clinic.outbox_for(p.code)
                waiting[p.code] = rows[-1]["last_error"] or "" if rows else ""
        return found, {code: why for code, why in waiting.items() if why}
    except KioskError as exc:
        log.warning("prescriptions not read: %s", exc.en)
        return [], {}


def _form_label(text: str) -> QLabel:
    """A form's row label, one width for every form of the visit page so their fields line up."""
    label = QLabel(text)
    label.setMinimumWidth(96)
    return label


def outbox_summary(rows: list[dict]) -> str:
    parts = []
    for r in rows:
        if r["kind"] == "erx":  # a prescription: said by the prescription lines, with the national system's words
            continue
        kind = tr("Đăng ký khám", "Check-in") if r["kind"] == "checkin" else tr("Hồ sơ XML", "Claim XML")
        if r["kind"] == "claim" and (r.get("version") or 1) > 1:  # a correction sends its own version
            kind += tr(f" (bản {r['version']})", f" (version {r['version']})")
        error = one_language(r["last_error"] or "")
        if r["status"] == "sent":
            parts.append(tr(f"{kind}: đã gửi, mã giao dịch {r['transaction_id']}",
                            f"{kind}: sent, transaction {r['transaction_id']}"))
        elif r["status"] == "rejected":
            parts.append(tr(f"{kind}: BỊ TỪ CHỐI — {error}", f"{kind}: REJECTED — {error}"))
        else:
            parts.append(tr(f"{kind}: đang chờ gửi ({error or 'chưa gửi'})",
                            f"{kind}: waiting to send ({error or 'not sent yet'})"))
    return "\n".join(parts)


def one_language(error: str) -> str:
    """An outbox error kept as a typed error's text, «Vietnamese / English», in the screen's language only."""
    vi, sep, en = error.partition(" / ")
    return tr(vi, en) if sep and vi.strip() and en.strip() else error


def diagnosis_label(d: dict[str, Any]) -> str:
    """A diagnosis in the list, saying in words which one is the main one."""
    kind = tr("Bệnh chính: ", "Main: ") if d.get("is_main") else tr("Bệnh kèm theo: ", "Secondary: ")
    return ("★ " if d.get("is_main") else "• ") + kind + f"{d['code']}  {d['name']}"


def money_text(m: VisitMoney) -> str:
    """«BHYT trả: 430.960 đ · Người bệnh trả: 107.740 đ (cùng chi trả 20%)» in the screen's language."""
    share = tr(f" (cùng chi trả {m.copay_percent}%)", f" (co-payment {m.copay_percent}%)") if m.copay_percent else ""
    return tr(f"BHYT trả: {vnd(m.bhyt_pays)} · Người bệnh trả: {vnd(m.patient_pays)}",
              f"BHYT pays: {vnd(m.bhyt_pays)} · The patient pays: {vnd(m.patient_pays)}") + share


def money_reason(m: VisitMoney) -> str:
    """Why the level is not simply the card's: the low-cost rule, the five-year waiver, self-referred, no card."""
    reasons = list(zip(m.reasons_vi, m.reasons_en, strict=False))
    special = reasons[1:] if m.ma_doituong_kcb != "9" else reasons  # the first one names the card's level
    return " · ".join(tr(vi, en) for vi, en in special)


def money_html(m: VisitMoney) -> str:
    """The money line under the form: who pays what, why, and the services that cannot be claimed yet."""
    text = f"<b>{html.escape(money_text(m))}</b>"
    reason = money_reason(m)
    if reason:
        text += f"<br><span style='color:{GREY}'>{html.escape(reason)}</span>"
    problems = [tr(vi, en) for vi, en in zip(m.problems_vi, m.problems_en, strict=False)]
    if problems:
        text += f"<br><span style='color:{RED}'>{'<br>'.join(html.escape('⚠ ' + p) for p in problems)}</span>"
    return text


class FinaliseReview(QDialog):
    """What will be sent to the BHXH portal and the national prescription system, read before sending: the patient,
    the diagnoses, the drugs as TT 26 names them with their quantities, a young child's weight and guardian, the
    re-exam date; what is missing is said with what to fill in, and then nothing can be sent; what the national system
    may refuse though the clinic's checks let it through is said as a warning."""

    def __init__(self, parent: QWidget, patient: Patient, data: dict[str, Any], *,
                 blocking: list[tuple[str, str]] | None = None, warnings: list[tuple[str, str]] | None = None,
                 months: int | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("finaliseReview")
        self.setWindowTitle(tr("Xem lại trước khi gửi cổng BHXH", "Review before sending to the portal"))
        self.setModal(True)
        self.setMinimumWidth(620)
        layout = QVBoxLayout(self)
        heading = QLabel(tr("Kiểm tra lại lượt khám trước khi gửi cổng BHXH", "Check the visit before sending it"))
        heading.setStyleSheet("font-size: 13pt; font-weight: bold; color: #0b2545;")
        layout.addWidget(heading)
        self.summary = QLabel()
        self.summary.setObjectName("reviewSummary")
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setWordWrap(True)
        self.summary.setText(self._summary(patient, data, months))
        layout.addWidget(self.summary)
        self.money = QLabel(html.escape(tr("Chi phí: đang tính…", "Costs: reckoning…")))  # filled by show_money
        self.money.setObjectName("reviewMoney")
        self.money.setWordWrap(True)
        self.money.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.money)
        self.missing = self.missing_of(data) + list(blocking or [])
        self.problems = QLabel()
        self.problems.setObjectName("reviewMissing")
        self.problems.setWordWrap(True)
        if self.missing:
            self.problems.setStyleSheet(f"color: {RED}; font-weight: bold; border: 2px solid {RED}; padding: 6px;")
            self.problems.setText(tr("Chưa gửi được — còn thiếu:", "Cannot send yet — missing:") + "\n"
                                  + "\n".join(f"• {tr(vi, en)}" for vi, en in self.missing)
                                  + "\n" + tr("Bấm «Quay lại sửa», điền rồi bấm «Hoàn tất & gửi» lại.",
                                               "Press «Back to edit», fill them in, then «Finalise & send» again."))
        else:
            self.problems.setStyleSheet(f"color: {GREEN};")
            self.problems.setText(tr("Đủ thông tin để gửi. Sau khi gửi, muốn sửa phải tạo bản sửa mới.",
                                     "Ready to send. After sending, a change needs a new correction version.")
                                  + (tr(" Đơn thuốc được gửi Hệ thống đơn thuốc quốc gia.",
                                        " The prescription goes to the national prescription system.")
                                     if data.get("prescription") else ""))
        layout.addWidget(self.problems)
        self.warnings = QLabel()  # what the national prescription system may still refuse
        self.warnings.setObjectName("reviewWarnings")
        self.warnings.setWordWrap(True)
        self.warnings.setStyleSheet("color: #8a5a00; border: 1px solid #8a5a00; padding: 6px;")
        self.warnings.setText("\n".join(f"⚠ {tr(vi, en)}" for vi, en in warnings or []))
        self.warnings.setVisible(bool(warnings))
        layout.addWidget(self.warnings)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.back_button = QPushButton(tr("Quay lại sửa", "Back to edit"))
        self.back_button.setObjectName("reviewBack")
        self.back_button.clicked.connect(self.reject)
        self.send_button = QPushButton(tr("Gửi cổng BHXH", "Send to the portal"))
        self.send_button.setObjectName("reviewSend")
        self.send_button.setEnabled(not self.missing)
        self.send_button.clicked.connect(self.accept)
        self.send_button.setDefault(not self.missing)
        self.back_button.setDefault(bool(self.missing))
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.send_button)
        layout.addLayout(buttons)

    def show_money(self, found: VisitMoney) -> None:
        """What the visit costs and who pays it, as the claim will say it."""
        self.money.setText(html.escape(tr(f"Tổng chi phí: {vnd(found.total)}", f"Total cost: {vnd(found.total)}"))
                           + "<br>" + money_html(found))
        self.fit()

    def fit(self) -> None:
        """Grow to show every line: the costs arrive after the dialog opened, and a label of wrapped text would
        otherwise be squeezed under them (the re-exam row was half hidden)."""
        self.layout().activate()
        width = self.width()
        needed = self.layout().totalHeightForWidth(width) if self.layout().hasHeightForWidth() else \
            self.layout().totalSizeHint().height()
        screen = self.screen().availableGeometry().height() if self.screen() is not None else needed
        self.resize(width, min(max(needed, self.height()), screen))

    @staticmethod
    def missing_of(data: dict[str, Any]) -> list[tuple[str, str]]:
        """What must be there before sending, each with where to fill it in."""
        missing = []
        if not (data.get("reason") or "").strip():
            missing.append(("Lý do khám: điền ô «Lý do khám» ở đầu phiếu khám",
                            "Reason for visit: fill in «Reason for visit» at the top of the form"))
        if not any(d.get("is_main") for d in data.get("diagnoses") or []):
            missing.append(("Chẩn đoán chính: tìm bệnh trong «Chẩn đoán (ICD-10)», chọn rồi bấm «Bệnh chính» (hoặc Enter)",
                            "Main diagnosis: search «Diagnoses (ICD-10)», choose one and press «Main» (or Enter)"))
        return missing

    @staticmethod
    def _summary(patient: Patient, data: dict[str, Any], months: int | None = None) -> str:
        def row(label: str, value: str) -> str:
            return f"<tr><td style='padding:2px 10px 2px 0; color:{GREY}'>{html.escape(label)}</td><td>{value}</td></tr>"

        none = f"<span style='color:{GREY}'>{html.escape(tr('Không có', 'None'))}</span>"
        lacking = f"<b style='color:{RED}'>{html.escape(tr('⚠ Chưa có', '⚠ Missing'))}</b>"
        diagnoses = data.get("diagnoses") or []
        main = [d for d in diagnoses if d.get("is_main")]
        others = [d for d in diagnoses if not d.get("is_main")]
        drugs = data.get("prescription") or []
        re_exam = data.get("re_exam_on") or ""
        rows = [
            row(tr("Người bệnh", "Patient"), f"<b>{html.escape(patient.full_name)}</b> — "
                + html.escape(tr(f"sinh {birth_text(patient)}", f"born {birth_text(patient)}"))),
            row(tr("Lý do khám", "Reason for visit"), html.escape(data.get("reason") or "") or lacking),
            row(tr("Bệnh chính", "Main diagnosis"),
                "<br>".join(html.escape(f"{d['code']} {d['name']}") for d in main) or lacking),
            row(tr("Bệnh kèm theo", "Secondary diagnoses"),
                "<br>".join(html.escape(f"{d['code']} {d['name']}") for d in others) or none),
            row(tr("Đơn thuốc", "Prescription"), "<br>".join(
                html.escape(f"{n}. {rules.display_name(d)} — {quantity_cell(d)}"
                            + tr(f" ({d.get('days', 1)} ngày)", f" ({d.get('days', 1)} days)"))
                + (f" <b style='color:{RED}'>[{html.escape(kind_words(d.get('kind', ''))).replace(' ', '&nbsp;')}]</b>"
                   if kind_words(d.get("kind", "")) else "")
                + f"<br><span style='color:{GREY}'>&nbsp;&nbsp;&nbsp;{html.escape(rules.usage_text(d))}</span>"
                for n, d in enumerate(drugs, 1)) or html.escape(tr("Không kê thuốc", "No drugs"))),
            row(tr("Tái khám", "Re-exam"), html.escape(dates.day_text(dt.date.fromisoformat(re_exam))) if re_exam
                else html.escape(tr("Không hẹn", "None"))),
        ]
        if drugs and months is not None and 0 <= months < rules.CHILD_MONTHS:  # TT 26: on a young child's prescription
            weight = (data.get("vitals") or {}).get("weight")
            guardian = data.get("guardian") or {}
            who = " · ".join(html.escape(str(guardian.get(k) or "").strip()) or lacking
                             for k in ("name", "phone", "address"))
            rows[1:1] = [row(tr("Tuổi", "Age"), html.escape(tr(f"{months} tháng", f"{months} months"))),
                         row(tr("Cân nặng", "Weight"),
                             html.escape(f"{weight:g} kg".replace(".", ",")) if isinstance(weight, int | float)
                             else lacking),
                         row(tr("Người giám hộ", "Guardian"), who)]
        referral = data.get("referral")
        if referral:
            rows.append(row(tr("Chuyển tuyến", "Referral"),
                            html.escape(tr(f"đến cơ sở {referral.get('to_facility', '')}",
                                           f"to facility {referral.get('to_facility', '')}"))))
        return "<table>" + "".join(rows) + "</table>"
