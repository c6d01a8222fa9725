"""Consent at first registration: one unticked box per purpose (never pre-ticked), the sensitive-data
notice, and Save. Refusing an optional purpose does not block care."""

from __future__ import annotations

from kiosk.consent import consent_text
from ui.i18n import tr
from ui.qt import QCheckBox, QGroupBox, QLabel, QPushButton, QVBoxLayout, QWidget


class ConsentBox(QGroupBox):
    def __init__(self, on_save, parent: QWidget | None = None) -> None:  # noqa: ANN001
        super().__init__(tr("Đồng ý xử lý dữ liệu (lần đầu đến khám)", "Consent (first visit)"), parent)
        self.setObjectName("consentBox")
        text = consent_text()
        layout = QVBoxLayout(self)
        intro = QLabel(tr(text.intro_vi, text.intro_en))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.boxes: dict[str, QCheckBox] = {}
        for purpose in text.purposes:
            box = QCheckBox(tr(purpose.vi, purpose.en))
            box.setChecked(False)  # never pre-ticked
            self.boxes[purpose.key] = box
            layout.addWidget(box)
        save = QPushButton(tr("Lưu lựa chọn của người bệnh", "Save the patient's choices"))
        save.clicked.connect(lambda: on_save({k: b.isChecked() for k, b in self.boxes.items()}))
        layout.addWidget(save)
        self.hide()

    def ask(self) -> None:
        for box in self.boxes.values():
            box.setChecked(False)
        self.show()
