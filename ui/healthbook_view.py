"""The health book of the called patient: banner (allergies in red), timeline of visits from every
source with provenance, medications, lab results with a trend chart per indicator, vaccinations."""

from __future__ import annotations

import datetime as dt

from kiosk.bhxh.card_codes import Decision
from kiosk.bhxh.gateway import CardCheck
from kiosk.model import HealthBook, Sex, Source
from kiosk.privacy.masking import mask_id
from ui.i18n import tr
from ui.qt import (
    QChart,
    QChartView,
    QHeaderView,
    QLabel,
    QLineSeries,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

SOURCE_NAMES = {Source.CLINIC: ("Phòng khám này", "This clinic"), Source.BHXH: ("Cổng BHXH", "BHXH gateway"),
                Source.HEALTH_BOOK: ("Sổ sức khỏe", "Health book"), Source.PATIENT: ("Người bệnh kể", "Patient")}


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
        self.medications = _table([tr("Thuốc", "Drug"), tr("Hàm lượng", "Strength"), tr("Liều", "Dose"),
                                   tr("Từ ngày", "From"), tr("Đến ngày", "Until")])
        self.labs = _table([tr("Chỉ số", "Indicator"), tr("Kết quả", "Value"), tr("Đơn vị", "Unit"),
                            tr("Tham chiếu", "Reference"), tr("Thời gian", "Time")])
        self.vaccinations = _table([tr("Vắc xin", "Vaccine"), tr("Mũi", "Dose"), tr("Ngày tiêm", "Given on")])
        self.appointments = _table([tr("Loại", "Kind"), tr("Ngày", "Date"), tr("Nơi", "Where"), tr("Ghi chú", "Note")])
        labs_page = QWidget()
        labs_layout = QVBoxLayout(labs_page)
        labs_layout.addWidget(self.labs, 1)
        self.trend = self._chart()
        labs_layout.addWidget(self.trend, 1)
        self.labs.itemSelectionChanged.connect(self._show_trend)
        self.tabs.addTab(self.timeline, tr("Lượt khám", "Visits"))
        self.tabs.addTab(self.medications, tr("Thuốc", "Medications"))
        self.tabs.addTab(labs_page, tr("Xét nghiệm", "Lab results"))
        self.tabs.addTab(self.vaccinations, tr("Tiêm chủng", "Vaccinations"))
        self.tabs.addTab(self.appointments, tr("Hẹn && chuyển tuyến", "Appointments && referrals"))
        self.book: HealthBook | None = None
        self.clear()

    def _chart(self) -> QChartView:
        chart = QChart()
        chart.legend().hide()
        view = QChartView(chart)
        view.setMinimumHeight(160)
        return view

    def clear(self) -> None:
        self.book = None
        self.banner.setText(tr("Chưa gọi người bệnh", "No patient called"))
        self.banner.setStyleSheet("")
        self.notices.clear()
        for table in (self.timeline, self.medications, self.labs, self.vaccinations, self.appointments):
            table.setRowCount(0)
        self.trend.chart().removeAllSeries()

    def show_book(self, book: HealthBook, card_check: CardCheck | None) -> None:
        self.book = book
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
        _fill(self.timeline, [[v.admitted_at.strftime("%d/%m/%Y %H:%M"), v.facility_code, v.diagnosis_text,
                               tr(*SOURCE_NAMES[v.provenance.source])] for v in book.visits])
        _fill(self.medications, [[m.name, m.strength, m.dose, m.start.strftime("%d/%m/%Y") if m.start else "",
                                  m.end.strftime("%d/%m/%Y") if m.end else ""] for m in book.medications])
        labs = sorted(book.lab_results, key=lambda r: (r.name, r.taken_at or dt.datetime.min))
        _fill(self.labs, [[r.name, r.value, r.unit, r.reference_range,
                           r.taken_at.strftime("%d/%m/%Y") if r.taken_at else ""] for r in labs])
        self._labs = labs
        _fill(self.vaccinations, [[v.vaccine, str(v.dose_number), v.given_on.strftime("%d/%m/%Y")]
                                  for v in book.vaccinations])
        _fill(self.appointments,
              [[tr("Hẹn tái khám", "Re-exam"), a.on.strftime("%d/%m/%Y"), a.facility_code, a.reason]
               for a in book.appointments]
              + [[tr("Chuyển tuyến", "Referral"), r.issued_on.strftime("%d/%m/%Y"), r.to_facility, r.diagnosis_text]
                 for r in book.referrals])
        if labs:
            self.labs.selectRow(0)

    def _show_trend(self) -> None:
        if not self.book:
            return
        rows = self.labs.selectionModel().selectedRows()
        if not rows:
            return
        indicator = self._labs[rows[0].row()].indicator_code
        points = [r for r in self._labs if r.indicator_code == indicator and r.taken_at]
        chart = self.trend.chart()
        chart.removeAllSeries()
        series = QLineSeries()
        for r in points:
            try:
                series.append(r.taken_at.timestamp() * 1000, float(r.value))
            except ValueError:
                continue
        chart.addSeries(series)
        chart.createDefaultAxes()
        chart.setTitle(f"{points[0].name} ({points[0].unit})" if points else "")
