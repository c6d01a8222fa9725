"""The patient panel of the reception desk: who this is, what the card check said, and the safety
strip (allergies, chronic conditions, an unfinished prescription, already checked in today)."""

from __future__ import annotations

import datetime as dt

from kiosk.card_codes import Decision
from kiosk.facade import Lookup
from kiosk.masking import mask_id
from kiosk.model import Sex, Ticket
from ui.i18n import tr
from ui.qt import QFont, QFormLayout, QFrame, QLabel, Qt, QVBoxLayout, QWidget

DECISION_COLOURS = {
    Decision.USABLE: "#1b7f3b",
    Decision.USABLE_NEW_CARD: "#1b7f3b",
    Decision.CHECK_PAPER: "#b26a00",
    Decision.NOT_USABLE: "#b00020",
    Decision.RETRY: "#5a5a5a",
}


def _date(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else "—"


class PatientPanel(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("patientPanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        self.name = QLabel()
        self.name.setObjectName("patientName")
        font = QFont(self.font())
        font.setPointSize(18)
        font.setBold(True)
        self.name.setFont(font)
        layout.addWidget(self.name)
        self.details = QLabel()
        layout.addWidget(self.details)
        self.decision = QLabel()
        self.decision.setObjectName("cardDecision")
        self.decision.setWordWrap(True)
        layout.addWidget(self.decision)
        form = QFormLayout()
        self.card = QLabel()
        self.validity = QLabel()
        self.facility = QLabel()
        self.five_year = QLabel()
        form.addRow(tr("Mã thẻ", "Card"), self.card)
        form.addRow(tr("Hạn thẻ", "Valid"), self.validity)
        form.addRow(tr("Nơi ĐKBĐ", "Registered at"), self.facility)
        form.addRow(tr("Đủ 5 năm liên tục", "5 years continuous"), self.five_year)
        layout.addLayout(form)
        self.safety = QLabel()
        self.safety.setObjectName("safetyStrip")
        self.safety.setWordWrap(True)
        self.safety.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.safety)
        self.notices = QLabel()
        self.notices.setObjectName("notices")
        self.notices.setWordWrap(True)
        self.notices.setStyleSheet("color: #5a5a5a;")
        layout.addWidget(self.notices)
        layout.addStretch(1)
        self.clear()

    def clear(self) -> None:
        """Remove every trace of the last patient from the panel."""
        for label in (self.details, self.decision, self.card, self.validity, self.facility, self.five_year,
                      self.safety, self.notices):
            label.clear()
        self.name.setText(tr("Chưa có người bệnh — hãy quét mã QR", "No patient yet — scan a QR code"))

    def show_lookup(self, result: Lookup, today_tickets: list[Ticket]) -> None:
        patient, check, book = result.patient, result.card_check, result.health_book
        today = dt.date.today()
        age = patient.age_on(today)
        sex = {Sex.MALE: tr("Nam", "Male"), Sex.FEMALE: tr("Nữ", "Female")}.get(patient.sex, "—")
        self.name.setText(patient.full_name)
        ident = mask_id(patient.id_number) if patient.id_number else "—"
        self.details.setText(f"{tr('Tuổi', 'Age')}: {age if age is not None else '—'}   {tr('Giới', 'Sex')}: {sex}   "
                             f"{tr('Số định danh', 'ID')}: {ident}   {patient.patient_code}")
        colour = DECISION_COLOURS[check.decision]
        code = f"[{check.code}] " if check.code else ""
        self.decision.setStyleSheet(f"color: white; background: {colour}; padding: 6px; font-weight: bold;")
        self.decision.setText(code + tr(check.message_vi, check.message_en))
        card = check.card_for_visit or check.card
        if card is not None:
            self.card.setText(card.card_number)
            self.validity.setText(f"{_date(card.valid_from)} → {_date(card.valid_to)}")
            self.facility.setText(card.registered_facility or "—")
            self.five_year.setText(_date(card.five_year_date))
        else:
            for label in (self.card, self.validity, self.facility, self.five_year):
                label.setText("—")
        items = []
        if book.allergies:
            items.append("<span style='color:#b00020; font-weight:bold'>" + tr("DỊ ỨNG", "ALLERGIES") + ": "
                         + ", ".join(f"{a.substance} ({a.reaction})" for a in book.allergies) + "</span>")
        if book.chronic_conditions:
            items.append(tr("Bệnh mạn tính", "Chronic") + ": " + ", ".join(c.name for c in book.chronic_conditions))
        running = [m for m in book.medications if m.end and m.end >= today]
        if running:
            items.append("<span style='color:#b26a00'>" + tr("Đơn thuốc còn hạn", "Prescription still running")
                         + ": " + ", ".join(f"{m.name} {m.strength} ({tr('đến', 'until')} {_date(m.end)})"
                                            for m in running) + "</span>")
        if today_tickets:
            items.append("<b>" + tr("Đã tiếp đón hôm nay", "Already checked in today") + ": "
                         + ", ".join(t.label for t in today_tickets) + "</b>")
        self.safety.setText("<br>".join(items) or tr("Không có cảnh báo", "No warnings"))
        self.notices.setText("\n".join(tr(n.message_vi, n.message_en) for n in book.notices))
