"""The patient panel of the reception desk, under the patient banner: the card's details and the
safety strip (chronic conditions, an unfinished prescription, already checked in today)."""

from __future__ import annotations

import datetime as dt

from kiosk.clinical.facilities import FacilityNames, from_gateway
from kiosk.facade import Lookup
from kiosk.model import Ticket
from ui.i18n import tr
from ui.qt import QFormLayout, QFrame, QLabel, QSize, QSizePolicy, Qt, QVBoxLayout, QWidget


def _date(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else "—"


class ElidedLabel(QLabel):
    """One line that never pushes or overlaps its neighbours: when it is too narrow the text is cut
    with "…" and the whole text is in the tooltip (``full_text()``)."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setWordWrap(False)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setText(text)

    def full_text(self) -> str:
        return self._full

    def setText(self, text: str, tip: str = "") -> None:  # noqa: N802 - Qt API
        """``tip``: more about the text (a facility's code, say), always in the tooltip."""
        self._full = text or ""
        self._tip = tip
        self._elide()

    def clear(self) -> None:
        self.setText("")

    def _elide(self) -> None:
        width = self.contentsRect().width() - 2 * self.margin()
        shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, max(0, width))
        super().setText(shown)
        tips = ([self._full] if shown != self._full else []) + ([self._tip] if getattr(self, "_tip", "") else [])
        self.setToolTip("\n".join(tips))

    def resizeEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt API
        super().resizeEvent(event)
        self._elide()

    def changeEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt API (a style sheet's font arrives late)
        super().changeEvent(event)
        if event.type() in (event.Type.FontChange, event.Type.StyleChange) and hasattr(self, "_full"):
            self._elide()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        metrics = self.fontMetrics()
        tallest = max(metrics.lineSpacing(), metrics.boundingRect("ẤỸỆ Ày gjqp|").height())  # Vietnamese stacks marks
        frame = 2 * self.margin() + self.contentsMargins().top() + self.contentsMargins().bottom()
        return QSize(metrics.horizontalAdvance(self._full) + 2 * self.margin() + 4, max(metrics.height(), tallest) + frame)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(16, self.sizeHint().height())


class PatientPanel(QFrame):
    """Below the banner: the card's details, and the safety strip."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("patientPanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.card = ElidedLabel()
        self.validity = ElidedLabel()
        self.facility = ElidedLabel()
        self.five_year = ElidedLabel()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
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
        for label in (self.card, self.validity, self.facility, self.five_year, self.safety, self.notices):
            label.clear()

    def show_lookup(self, result: Lookup, today_tickets: list[Ticket]) -> None:
        check, book = result.card_check, result.health_book
        today = dt.date.today()
        card = check.card_for_visit or check.card
        if card is not None:
            self.card.setText(card.card_number)
            self.validity.setText(f"{_date(card.valid_from)} → {_date(card.valid_to)}")
            place = FacilityNames.standard(gateway=from_gateway(check.response)).label(card.registered_facility or "")
            self.facility.setText(tr(place.vi, place.en), tr(*place.tooltip()))
            self.five_year.setText(_date(card.five_year_date))
        else:
            for label in (self.card, self.validity, self.facility, self.five_year):
                label.setText("—")
        items = []
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
        self.safety.setText("<br>".join(items) or tr("Không có cảnh báo khác", "No other warnings"))
        self.notices.setText("\n".join(tr(n.message_vi, n.message_en) for n in book.notices))
