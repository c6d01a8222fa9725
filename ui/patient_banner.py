"""The patient banner (DOMAIN §16, NHS CUI "Patient Banner"): who is in context at this station —
name, age and date of birth, sex, masked ID, patient code, the card's status and allergies in red.
It sits outside every tab and scroll area, wraps instead of clipping, and says plainly when nobody
is in context, while a lookup runs, and when one failed."""

from __future__ import annotations

import datetime as dt
import html

from kiosk.bhxh.card_codes import Decision
from kiosk.bhxh.gateway import CardCheck
from kiosk.model import DatePrecision, HealthBook, Patient, Sex, Source
from kiosk.privacy.masking import mask_id
from ui.i18n import tr
from ui.qt import QFont, QFrame, QLabel, QSizePolicy, Qt, QVBoxLayout, QWidget

DECISION_COLOURS = {
    Decision.USABLE: "#1b7f3b",
    Decision.USABLE_NEW_CARD: "#1b7f3b",
    Decision.CHECK_PAPER: "#b26a00",
    Decision.NOT_USABLE: "#b00020",
    Decision.RETRY: "#5a5a5a",
}
EMPTY_STYLE = "#patientBanner { background: #eef2f7; border: 2px solid #c5d0de; border-radius: 6px; }"
OPEN_STYLE = "#patientBanner { background: #fffdf5; border: 2px solid #0b5394; border-radius: 6px; }"
ERROR_STYLE = "#patientBanner { background: #fdecee; border: 2px solid #b00020; border-radius: 6px; }"


def birth_text(patient: Patient) -> str:
    d = patient.date_of_birth
    if d is None:
        return "—"
    return {DatePrecision.DAY: d.strftime("%d/%m/%Y"), DatePrecision.MONTH: d.strftime("%m/%Y"),
            DatePrecision.YEAR: str(d.year)}[patient.dob_precision]


def sex_text(sex: Sex | None) -> str:
    return {Sex.MALE: tr("Nam", "Male"), Sex.FEMALE: tr("Nữ", "Female")}.get(sex, "—")


def identity_line(patient: Patient, today: dt.date | None = None) -> str:
    """Age and date of birth, sex, masked ID, patient code: the second identifiers beside the name."""
    age = patient.age_on(today or dt.date.today())
    if patient.id_number:  # the personal ID; lacking it, the BHYT card — each under its own name
        ident = f"{tr('Số định danh', 'ID')} {mask_id(patient.id_number)}"
    elif patient.card_number:
        ident = f"{tr('Thẻ BHYT', 'BHYT card')} {mask_id(patient.card_number)}"
    else:
        ident = f"{tr('Số định danh', 'ID')} —"
    parts = [f"{age if age is not None else '—'} {tr('tuổi', 'years')} ({birth_text(patient)})",
             sex_text(patient.sex), ident,
             f"{tr('Mã BN', 'Patient code')} {patient.patient_code or tr('(chưa có)', '(none yet)')}"]
    return "  ·  ".join(parts)


class PatientBanner(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("patientBanner")
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)  # never squeezed shut
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.setSpacing(2)
        self.name = QLabel()
        self.name.setObjectName("bannerName")
        self.name.setWordWrap(True)
        font = QFont(self.font())
        font.setPointSize(17)
        font.setBold(True)
        self.name.setFont(font)
        self.details = QLabel()
        self.details.setObjectName("bannerDetails")
        self.details.setWordWrap(True)
        self.card_status = QLabel()
        self.card_status.setObjectName("bannerCard")
        self.card_status.setWordWrap(True)
        self.allergies = QLabel()
        self.allergies.setObjectName("bannerAllergies")
        self.allergies.setWordWrap(True)
        self.allergies.setTextFormat(Qt.TextFormat.RichText)
        for label in (self.name, self.details, self.card_status, self.allergies):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
            layout.addWidget(label)
        self.patient: Patient | None = None
        self.clear()

    def _reset(self, style: str) -> None:
        self.patient = None
        self.setStyleSheet(style)
        for label in (self.details, self.card_status, self.allergies):
            label.clear()
            label.setStyleSheet("")
            label.hide()

    def clear(self, text_vi: str = "Chưa có người bệnh — hãy quét mã QR",
              text_en: str = "No patient yet — scan a QR code") -> None:
        """Nobody in context."""
        self._reset(EMPTY_STYLE)
        self.name.setStyleSheet("color: #5a5a5a;")
        self.name.setText(tr(text_vi, text_en))

    def busy(self, text_vi: str, text_en: str) -> None:
        """The old patient is gone; the new one is being looked up or called."""
        self._reset(EMPTY_STYLE)
        self.name.setStyleSheet("color: #0b5394;")
        self.name.setText(tr(text_vi, text_en))

    def error(self, text: str) -> None:
        """A lookup failed: nobody in context, and why."""
        self._reset(ERROR_STYLE)
        self.name.setStyleSheet("color: #b00020;")
        self.name.setText(text)

    def show_patient(self, patient: Patient, card_check: CardCheck | None, book: HealthBook | None) -> None:
        self._reset(OPEN_STYLE)
        self.patient = patient
        self.name.setStyleSheet("color: #0b2545;")
        self.name.setText(patient.full_name)
        self.details.setText(identity_line(patient))
        self.details.show()
        if card_check is not None:
            colour = DECISION_COLOURS[card_check.decision]
            self.card_status.setStyleSheet(f"color: white; background: {colour}; padding: 4px; font-weight: bold;")
            self.card_status.setText(tr("Thẻ BHYT: ", "BHYT card: ") + tr(card_check.message_vi, card_check.message_en))
            # the gateway's result code is for a call to BHXH, not for reading at a glance: in the tooltip
            self.card_status.setToolTip(tr(f"Mã kết quả của cổng BHXH: {card_check.code}",
                                           f"BHXH gateway result code: {card_check.code}") if card_check.code else "")
        else:
            self.card_status.setStyleSheet("color: #5a5a5a;")
            self.card_status.setText(tr("Thẻ BHYT: chưa kiểm tra", "BHYT card: not checked"))
            self.card_status.setToolTip("")
        self.card_status.show()
        self.allergies.setText(allergy_html(book))
        self.allergies.show()


def allergy_html(book: HealthBook | None) -> str:
    if book is not None and book.allergies:
        items = ", ".join(html.escape(f"{a.substance} ({a.reaction})" if a.reaction else a.substance)
                          for a in book.allergies)
        return (f"<span style='color:#ffffff; background:#b00020; font-weight:bold'>&nbsp;"
                f"{tr('DỊ ỨNG', 'ALLERGIES')}: {items}&nbsp;</span>")
    unknown = book is None or any(n.source is Source.HEALTH_BOOK for n in book.notices)
    if unknown:
        return ("<span style='color:#b26a00; font-weight:bold'>"
                + tr("Dị ứng: chưa rõ (sổ sức khỏe chưa tải được) — hỏi người bệnh",
                     "Allergies: unknown (health book not loaded) — ask the patient") + "</span>")
    # Nothing in the record is not "no allergies" (a newcomer's book is empty): said plainly, never in green.
    return ("<span style='color:#3c3c3c'>" + tr("Dị ứng: sổ sức khỏe chưa ghi nhận — hỏi lại người bệnh",
                                               "Allergies: none in the health book — ask the patient") + "</span>")
