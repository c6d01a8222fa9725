"""The health book of the called patient: banner (allergies in red), timeline of visits from every
source with provenance (facilities by name, the code in a tooltip; diagnoses wrapped, never cut),
medications, lab results with a trend chart per indicator (a date axis, the reference range shaded,
out-of-range results marked and named in words), vaccinations."""

from __future__ import annotations

import datetime as dt

from kiosk.bhxh.card_codes import Decision
from kiosk.bhxh.gateway import CardCheck
from kiosk.clinical import labs as lab_ranges
from kiosk.clinical.facilities import FacilityNames, from_gateway
from kiosk.erx.prescriptions import STATUS_TEXT
from kiosk.model import HealthBook, LabResult, PrescriptionNote, Sex, Source
from kiosk.privacy.masking import mask_id
from ui.i18n import tr
from ui.qt import (
    QColor,
    QFont,
    QHeaderView,
    QLabel,
    QPainter,
    QPen,
    Qt,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

SOURCE_NAMES = {Source.CLINIC: ("Phòng khám này", "This clinic"), Source.BHXH: ("Cổng BHXH", "BHXH gateway"),
                Source.HEALTH_BOOK: ("Sổ sức khỏe", "Health book"), Source.PATIENT: ("Người bệnh kể", "Patient")}
RED, BLUE, GREY = "#b00020", "#0b5394", "#5a5a5a"
MARKS = {lab_ranges.HIGH: "▲", lab_ranges.LOW: "▼"}


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    return table


def _fill(table: QTableWidget, rows: list[list[str]]) -> None:
    table.setUpdatesEnabled(False)
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            table.setItem(r, c, QTableWidgetItem(text))
    table.setUpdatesEnabled(True)


def _facility_cell(table: QTableWidget, row: int, column: int, names: FacilityNames, code: str) -> None:
    """The facility by name; its code (and where the name came from) in the tooltip."""
    label = names.label(code)
    item = QTableWidgetItem(tr(label.vi, label.en))
    item.setToolTip(tr(*label.tooltip()))
    table.setItem(row, column, item)


def prescription_text(note: PrescriptionNote) -> str:
    """«Đơn thuốc 01013ab12cd3-c: Đã gửi» — a visit's e-prescription in the timeline, with its code and status."""
    status = tr(*STATUS_TEXT.get(note.status, (note.status, note.status)))
    return tr("Đơn thuốc", "Prescription") + f" {note.code}: {status}"


def _long_cell(table: QTableWidget, row: int, column: int, text: str) -> None:
    """A text that may be long (a diagnosis): wrapped in the row, and whole in the tooltip."""
    item = QTableWidgetItem(text)
    item.setToolTip(text)
    table.setItem(row, column, item)


class TrendChart(QWidget):
    """One indicator over time: dates (dd/mm/yyyy) on the horizontal axis, the reference range shaded, each
    result a point; an out-of-range point is red, larger, and labelled with its value and "cao"/"thấp"."""

    MAX_DATE_LABELS = 6

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("labTrend")
        self.setMinimumHeight(170)
        self.title = ""
        self.points: list[tuple[dt.datetime, float, str | None, str]] = []  # when, value, level, value as written
        self.reference: lab_ranges.Reference | None = None
        self.x_labels: list[str] = []  # the dates under the axis, as shown
        self.flagged: list[str] = []  # the labels beside out-of-range points, as shown
        self._label_times: list[dt.datetime] = []

    def clear(self) -> None:
        self.show_results("", [])

    def show_results(self, title: str, results: list[LabResult]) -> None:
        self.title = title
        self.points = []
        self.reference = None
        for r in sorted(results, key=lambda r: r.taken_at or dt.datetime.min):
            number = lab_ranges.value(r)
            if number is None or r.taken_at is None:
                continue
            self.points.append((r.taken_at, number, lab_ranges.level(r), r.value))
            self.reference = lab_ranges.reference(r) or self.reference
        firsts: dict[dt.date, dt.datetime] = {}
        for when, *_ in self.points:
            firsts.setdefault(when.date(), when)
        times = list(firsts.values())
        if len(times) > self.MAX_DATE_LABELS:  # evenly spread, the first and the last always shown
            step = (len(times) - 1) / (self.MAX_DATE_LABELS - 1)
            times = [times[round(i * step)] for i in range(self.MAX_DATE_LABELS)]
        self._label_times = times
        self.x_labels = [t.strftime("%d/%m/%Y") for t in times]
        self.flagged = [f"{text} {tr(*lab_ranges.WORDS[level])}" for _, _, level, text in self.points
                        if level in MARKS]
        self.update()

    # -- drawing ---------------------------------------------------------------------------------
    def _scales(self, left: int, top: int, width: int, height: int):  # noqa: ANN202
        times = [p[0].timestamp() for p in self.points]
        values = [p[1] for p in self.points]
        if self.reference is not None:
            values += [v for v in (self.reference.low, self.reference.high) if v is not None]
        t0, t1 = min(times), max(times)
        v0, v1 = min(values), max(values)
        pad = (v1 - v0) * 0.15 or abs(v1) * 0.1 or 1.0
        v0, v1 = v0 - pad, v1 + pad
        span_t = (t1 - t0) or 1.0

        def x(t: float) -> int:
            return left + (width // 2 if t1 == t0 else round((t - t0) / span_t * width))

        def y(v: float) -> int:
            return top + round((v1 - v) / (v1 - v0) * height)

        return x, y, v0, v1

    def paintEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt API
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(0, 0, self.width(), self.height(), QColor("white"))
        font = QFont(self.font())
        painter.setFont(font)
        metrics = painter.fontMetrics()
        if not self.points:
            painter.setPen(QColor(GREY))
            painter.drawText(0, 0, self.width(), self.height(), Qt.AlignmentFlag.AlignCenter,
                             tr("Chọn một xét nghiệm để xem diễn biến", "Choose a result to see its trend"))
            painter.end()
            return
        left, right, top, bottom = 64, 28, 26, 36
        width, height = max(self.width() - left - right, 10), max(self.height() - top - bottom, 10)
        x, y, v0, v1 = self._scales(left + 40, top, width - 80, height)
        bold = QFont(font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(QColor("#0b2545"))
        painter.drawText(0, 4, self.width(), top - 6, Qt.AlignmentFlag.AlignHCenter, self.title)
        painter.setFont(font)
        ref = self.reference
        if ref is not None:  # the reference range: a pale green band with its limits written at the left
            high = y(ref.high) if ref.high is not None else top
            low = y(ref.low) if ref.low is not None else top + height
            painter.fillRect(left, max(high, top), width, min(low, top + height) - max(high, top), QColor("#e3f4e6"))
            painter.setPen(QPen(QColor("#1b7f3b"), 1, Qt.PenStyle.DashLine))
            for limit in (ref.low, ref.high):
                if limit is not None:
                    painter.drawLine(left, y(limit), left + width, y(limit))
                    painter.drawText(4, y(limit) - 8, left - 8, 16, Qt.AlignmentFlag.AlignRight, f"{limit:g}")
        painter.setPen(QPen(QColor(GREY), 1))
        painter.drawLine(left, top + height, left + width, top + height)  # the date axis
        painter.drawLine(left, top, left, top + height)
        for v in (v0 + (v1 - v0) * 0.1, v1 - (v1 - v0) * 0.1):
            if ref is None or all(lim is None or abs(y(v) - y(lim)) > 14 for lim in (ref.low, ref.high)):
                painter.drawText(4, y(v) - 8, left - 8, 16, Qt.AlignmentFlag.AlignRight, f"{v:.3g}")
        for when, text in zip(self._label_times, self.x_labels, strict=True):
            half = metrics.horizontalAdvance(text) // 2
            at = max(left + half, min(x(when.timestamp()), left + width - half))
            painter.drawLine(at, top + height, at, top + height + 4)
            painter.drawText(at - 60, top + height + 6, 120, 18, Qt.AlignmentFlag.AlignHCenter, text)
        painter.setPen(QPen(QColor(BLUE), 2))
        xy = [(x(p[0].timestamp()), y(p[1])) for p in self.points]
        for (xa, ya), (xb, yb) in zip(xy, xy[1:], strict=False):
            painter.drawLine(xa, ya, xb, yb)
        for (px, py), (_, _, level, text) in zip(xy, self.points, strict=True):
            out = level in MARKS
            colour = QColor(RED if out else BLUE)
            painter.setPen(QPen(colour, 1))
            painter.setBrush(colour)
            r = 6 if out else 4
            painter.drawEllipse(px - r, py - r, 2 * r, 2 * r)
            if out:
                painter.setFont(bold)
                label = f"{MARKS[level]} {text} {tr(*lab_ranges.WORDS[level])}"
                above = py - 22 if level == lab_ranges.HIGH else py + 6
                painter.drawText(px - 80, max(above, 0), 160, 18, Qt.AlignmentFlag.AlignHCenter, label)
                painter.setFont(font)
        painter.end()


class HealthBookView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.banner = QLabel()
        self.banner.setObjectName("healthBanner")
        self.banner.setWordWrap(True)
        layout.addWidget(self.banner)
        self.notices = QLabel()
        self.notices.setWordWrap(True)
        self.notices.setStyleSheet("color: #8a5a00;")
        layout.addWidget(self.notices)
        self.tabs = QTabWidget()
        layout.addWidget(self.tabs, 1)
        self.timeline = _table([tr("Ngày", "Date"), tr("Cơ sở", "Facility"), tr("Chẩn đoán", "Diagnosis"),
                                tr("Nguồn", "Source")])
        header = self.timeline.horizontalHeader()
        for column, mode in ((0, QHeaderView.ResizeMode.ResizeToContents), (1, QHeaderView.ResizeMode.Interactive),
                             (3, QHeaderView.ResizeMode.ResizeToContents)):
            header.setSectionResizeMode(column, mode)
        header.resizeSection(1, 260)
        self.timeline.setWordWrap(True)  # a diagnosis wraps inside its row instead of being cut
        header.sectionResized.connect(lambda *_: self.timeline.resizeRowsToContents())
        self.medications = _table([tr("Thuốc", "Drug"), tr("Hàm lượng", "Strength"), tr("Liều", "Dose"),
                                   tr("Từ ngày", "From"), tr("Đến ngày", "Until")])
        self.labs = _table([tr("Chỉ số", "Indicator"), tr("Kết quả", "Value"), tr("Đơn vị", "Unit"),
                            tr("Tham chiếu", "Reference"), tr("Thời gian", "Time")])
        self.vaccinations = _table([tr("Vắc xin", "Vaccine"), tr("Mũi", "Dose"), tr("Ngày tiêm", "Given on")])
        self.appointments = _table([tr("Loại", "Kind"), tr("Ngày", "Date"), tr("Nơi", "Where"), tr("Ghi chú", "Note")])
        self.appointments.setWordWrap(True)
        labs_page = QWidget()
        labs_layout = QVBoxLayout(labs_page)
        labs_layout.addWidget(self.labs, 1)
        self.trend = TrendChart()
        labs_layout.addWidget(self.trend, 1)
        self.trend_note = QLabel()  # the out-of-range results of the indicator, in words
        self.trend_note.setObjectName("trendNote")
        self.trend_note.setWordWrap(True)
        labs_layout.addWidget(self.trend_note)
        self.labs.itemSelectionChanged.connect(self._show_trend)
        visits_page = QWidget()
        visits_layout = QVBoxLayout(visits_page)
        visits_layout.setContentsMargins(0, 0, 0, 0)
        self.timeline_empty = QLabel(tr("Chưa có lượt khám nào trong sổ sức khỏe", "No visits in the health book yet"))
        self.timeline_empty.setObjectName("timelineEmpty")
        self.timeline_empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.timeline_empty.setWordWrap(True)
        self.timeline_empty.setStyleSheet(f"color: {GREY}; font-size: 12pt; padding: 24px;")
        self.timeline_empty.hide()
        visits_layout.addWidget(self.timeline_empty)
        visits_layout.addWidget(self.timeline, 1)
        self.tabs.addTab(visits_page, tr("Lượt khám", "Visits"))
        self.tabs.addTab(self.medications, tr("Thuốc", "Medications"))
        self.tabs.addTab(labs_page, tr("Xét nghiệm", "Lab results"))
        self.tabs.addTab(self.vaccinations, tr("Tiêm chủng", "Vaccinations"))
        self.tabs.addTab(self.appointments, tr("Hẹn && chuyển tuyến", "Appointments && referrals"))
        self.book: HealthBook | None = None
        self._labs: list[LabResult] = []
        self.clear()

    def clear(self) -> None:
        self.book = None
        self._labs = []
        self.banner.setText(tr("Chưa gọi người bệnh", "No patient called"))
        self.banner.setStyleSheet("")
        self.notices.clear()
        for table in (self.timeline, self.medications, self.labs, self.vaccinations, self.appointments):
            table.setRowCount(0)
        self.trend.clear()
        self.trend_note.clear()
        self.timeline_empty.hide()
        self.timeline.show()

    def show_book(self, book: HealthBook, card_check: CardCheck | None, names: FacilityNames | None = None,
                  own_code: str = "") -> None:
        """The book on screen. ``names`` gives facility names (by default from the card check's answer and the
        bundled list); ``own_code`` is this clinic's code, for its own visits that carry none."""
        self.book = book
        if names is None:
            names = FacilityNames.standard(gateway=from_gateway(card_check.response if card_check else None))
        p = book.patient
        today = dt.date.today()
        sex = {Sex.MALE: tr("Nam", "Male"), Sex.FEMALE: tr("Nữ", "Female")}.get(p.sex, "—")
        parts = [f"<b style='font-size:16pt'>{p.full_name}</b>", f"{p.age_on(today)} {tr('tuổi', 'years')}", sex,
                 mask_id(p.id_number) if p.id_number else "—"]
        if card_check is not None:
            colour = "#1b7f3b" if card_check.decision in (Decision.USABLE, Decision.USABLE_NEW_CARD) else "#b00020"
            parts.append(f"<span style='color:{colour}'>{tr(card_check.message_vi, card_check.message_en)}</span>")
        lines = ["  ·  ".join(parts)]
        if book.allergies:
            lines.append("<b style='color:#b00020'>" + tr("DỊ ỨNG", "ALLERGIES") + ": "
                         + ", ".join(f"{a.substance} ({a.reaction})" for a in book.allergies) + "</b>")
        if book.chronic_conditions:
            lines.append(tr("Bệnh mạn tính", "Chronic") + ": " + ", ".join(f"{c.code} {c.name}"
                                                                          for c in book.chronic_conditions))
        self.banner.setText("<br>".join(lines))
        self.notices.setText("\n".join(tr(n.message_vi, n.message_en) for n in book.notices))
        self._fill_timeline(book, names, own_code)
        _fill(self.medications, [[m.name, m.strength, m.dose, m.start.strftime("%d/%m/%Y") if m.start else "",
                                  m.end.strftime("%d/%m/%Y") if m.end else ""] for m in book.medications])
        labs = sorted(book.lab_results, key=lambda r: r.taken_at or dt.datetime.min, reverse=True)
        labs.sort(key=lambda r: r.name)  # by indicator, the newest result first within each
        self._labs = labs
        self._fill_labs(labs)
        _fill(self.vaccinations, [[v.vaccine, str(v.dose_number), v.given_on.strftime("%d/%m/%Y")]
                                  for v in book.vaccinations])
        self._fill_appointments(book, names, own_code)
        if labs:
            self.labs.selectRow(0)

    def _fill_timeline(self, book: HealthBook, names: FacilityNames, own_code: str) -> None:
        table = self.timeline
        self.timeline_empty.setVisible(not book.visits)  # said in words, not an empty table
        table.setVisible(bool(book.visits))
        table.setUpdatesEnabled(False)
        # Columns sized to their contents would be measured again at every cell set, and each new width lays every
        # row out again (sectionResized): 500 visits took seconds. Fixed while filling, measured once after.
        header = table.horizontalHeader()
        modes = [header.sectionResizeMode(c) for c in range(table.columnCount())]
        blocked = header.blockSignals(True)
        for c in range(table.columnCount()):
            header.setSectionResizeMode(c, QHeaderView.ResizeMode.Fixed)
        table.setRowCount(0)
        table.setRowCount(len(book.visits))
        for r, v in enumerate(book.visits):
            table.setItem(r, 0, QTableWidgetItem(v.admitted_at.strftime("%d/%m/%Y %H:%M")))
            code = v.facility_code or (own_code if v.provenance.source is Source.CLINIC else "")
            _facility_cell(table, r, 1, names, code)
            _long_cell(table, r, 2, "\n".join([v.diagnosis_text, *(prescription_text(n) for n in v.prescriptions)]))
            table.setItem(r, 3, QTableWidgetItem(tr(*SOURCE_NAMES[v.provenance.source])))
        for c, mode in enumerate(modes):
            header.setSectionResizeMode(c, mode)
        header.blockSignals(blocked)
        table.resizeRowsToContents()
        table.setUpdatesEnabled(True)

    def _fill_labs(self, labs: list[LabResult]) -> None:
        table = self.labs
        table.setUpdatesEnabled(False)
        table.setRowCount(len(labs))
        bold = QFont(table.font())
        bold.setBold(True)
        for r, result in enumerate(labs):
            ref = lab_ranges.reference(result)
            level = lab_ranges.level(result)
            value = QTableWidgetItem(result.value)
            if level in MARKS:  # out of range: marked, named and coloured — never colour alone
                value.setText(f"{result.value}  {MARKS[level]} {tr(*lab_ranges.WORDS[level])}")
                value.setForeground(QColor(RED))
                value.setFont(bold)
                value.setToolTip(tr(*lab_ranges.named(result)))
            reference = result.reference_range or (ref.text + tr(" (bảng chuẩn)", " (standard table)") if ref else "")
            for c, item in enumerate((QTableWidgetItem(result.name), value, QTableWidgetItem(result.unit),
                                      QTableWidgetItem(reference),
                                      QTableWidgetItem(result.taken_at.strftime("%d/%m/%Y") if result.taken_at else ""))):
                table.setItem(r, c, item)
        table.setUpdatesEnabled(True)

    def _fill_appointments(self, book: HealthBook, names: FacilityNames, own_code: str) -> None:
        rows = ([(tr("Hẹn tái khám", "Re-exam"), a.on, a.facility_code or own_code, a.reason) for a in book.appointments]
                + [(tr("Chuyển tuyến", "Referral"), r.issued_on, r.to_facility, r.diagnosis_text)
                   for r in book.referrals])
        table = self.appointments
        table.setRowCount(len(rows))
        for i, (kind, day, code, note) in enumerate(rows):
            table.setItem(i, 0, QTableWidgetItem(kind))
            table.setItem(i, 1, QTableWidgetItem(day.strftime("%d/%m/%Y")))
            _facility_cell(table, i, 2, names, code)
            _long_cell(table, i, 3, note)
        table.resizeRowsToContents()

    def _show_trend(self) -> None:
        if not self.book:
            return
        rows = self.labs.selectionModel().selectedRows()
        if not rows:
            return
        chosen = self._labs[rows[0].row()]
        points = [r for r in self._labs if r.indicator_code == chosen.indicator_code and r.taken_at]
        self.trend.show_results(f"{chosen.name} ({chosen.unit})" if chosen.unit else chosen.name, points)
        out = [(r, lab_ranges.named(r)) for r in points]
        out = [(r, words) for r, words in out if words]
        if out:
            self.trend_note.setStyleSheet(f"color: {RED}; font-weight: bold;")
            self.trend_note.setText(tr("Ngoài khoảng tham chiếu: ", "Outside the reference range: ") + "; ".join(
                f"{r.taken_at:%d/%m/%Y} {tr(*words)}" for r, words in out))
        else:
            self.trend_note.setStyleSheet(f"color: {GREY};")
            self.trend_note.setText(tr("Mọi kết quả trong khoảng tham chiếu", "Every result within the reference range")
                                    if any(lab_ranges.level(r) for r in points) else "")
