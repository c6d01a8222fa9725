"""Consent at first registration: one question per purpose with "Đồng ý" / "Không đồng ý", neither
chosen beforehand (a purpose left unanswered is not consent). The answer on processing data for care
is needed before check-in — "Không đồng ý" is an answer too; refusing an optional purpose never
blocks care. The answers are recorded with the check-in (or with "Lưu")."""

from __future__ import annotations

from kiosk.consent import consent_text
from ui.i18n import tr
from ui.qt import QButtonGroup, QGroupBox, QHBoxLayout, QLabel, QPushButton, QRadioButton, Signal, QVBoxLayout, QWidget

CARE = "care"


class ConsentBox(QGroupBox):
    changed = Signal()  # an answer was given or taken back

    def __init__(self, on_save, parent: QWidget | None = None) -> None:  # noqa: ANN001
        super().__init__(tr("Đồng ý xử lý dữ liệu (lần đầu đến khám)", "Consent (first visit)"), parent)
        self.setObjectName("consentBox")
        text = consent_text()
        layout = QVBoxLayout(self)
        layout.setSpacing(4)
        intro = QLabel(tr(text.intro_vi, text.intro_en))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.groups: dict[str, QButtonGroup] = {}
        self.yes: dict[str, QRadioButton] = {}
        self.no: dict[str, QRadioButton] = {}
        for purpose in text.purposes:
            question = QLabel(tr(purpose.vi, purpose.en) + (tr(" (cần trả lời)", " (answer needed)")
                                                            if purpose.key == CARE else ""))
            question.setWordWrap(True)
            if purpose.key == CARE:
                question.setStyleSheet("font-weight: bold;")
            layout.addWidget(question)
            row = QHBoxLayout()
            yes, no = QRadioButton(tr("Đồng ý", "Agree")), QRadioButton(tr("Không đồng ý", "Do not agree"))
            yes.setObjectName(f"consent-{purpose.key}-yes")
            no.setObjectName(f"consent-{purpose.key}-no")
            group = QButtonGroup(self)
            group.addButton(yes)
            group.addButton(no)
            group.buttonToggled.connect(lambda *_: self.changed.emit())
            row.addSpacing(16)
            row.addWidget(yes)
            row.addWidget(no)
            row.addStretch(1)
            layout.addLayout(row)
            self.groups[purpose.key], self.yes[purpose.key], self.no[purpose.key] = group, yes, no
        self.save_button = QPushButton(tr("Lưu lựa chọn của người bệnh", "Save the patient's choices"))
        self.save_button.clicked.connect(lambda: on_save(self.answers()))
        layout.addWidget(self.save_button)
        self.hide()

    def answers(self) -> dict[str, bool]:
        """The purposes answered on screen: True agreed, False refused; unanswered ones are absent."""
        return {key: self.yes[key].isChecked() for key, group in self.groups.items()
                if group.checkedButton() is not None}

    def care_answered(self) -> bool:
        return CARE in self.answers()

    def half_answered(self) -> bool:
        return bool(self.answers()) and len(self.answers()) < len(self.groups)

    def reset(self) -> None:
        """No answer chosen (a radio group must be non-exclusive for a moment to clear)."""
        for group in self.groups.values():
            group.setExclusive(False)
            for button in group.buttons():
                button.setChecked(False)
            group.setExclusive(True)

    def ask(self) -> None:
        self.reset()
        self.show()

    def close_for_patient(self) -> None:
        self.reset()
        self.hide()
