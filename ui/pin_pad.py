"""An on-screen PIN keypad for a touch screen with no keyboard (the kiosk's exit): large digits, the PIN shown as dots,
"Xác nhận" / "Huỷ" in the station's language. A physical keyboard works too (digits, Backspace, Enter, Escape)."""

from __future__ import annotations

from ui.i18n import tr
from ui.qt import QDialog, QGridLayout, QKeyEvent, QLabel, QLineEdit, QPushButton, Qt, QVBoxLayout, Signal

MAX_DIGITS = 12
STYLE = """
QDialog { background: #0b2545; }
QLabel { color: #ffffff; font-size: 30px; }
QLabel#pinTitle { font-size: 36px; font-weight: bold; }
QLineEdit { background: #ffffff; color: #0b2545; font-size: 44px; min-height: 80px; }
QPushButton { background: #ffd166; color: #0b2545; border-radius: 12px; font-size: 40px; font-weight: bold;
              min-width: 150px; min-height: 100px; }
QPushButton#secondary { background: #8da9c4; font-size: 30px; }
QPushButton#confirm { font-size: 28px; }
"""


class PinPad(QDialog):
    """Emits ``entered`` with the PIN on "Xác nhận"; closes on "Huỷ" (or Escape) without a word."""

    entered = Signal(str)

    def __init__(self, title: str, prompt: str, parent=None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self.setObjectName("pinPad")
        self.setWindowTitle(title)
        self.setModal(True)
        self.setStyleSheet(STYLE)
        column = QVBoxLayout(self)
        column.setContentsMargins(36, 36, 36, 36)
        column.setSpacing(20)
        heading = QLabel(title)
        heading.setObjectName("pinTitle")
        heading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        column.addWidget(heading)
        self.prompt = QLabel(prompt)
        self.prompt.setWordWrap(True)
        self.prompt.setAlignment(Qt.AlignmentFlag.AlignCenter)
        column.addWidget(self.prompt)
        self.field = QLineEdit()
        self.field.setObjectName("pinField")
        self.field.setEchoMode(QLineEdit.EchoMode.Password)
        self.field.setReadOnly(True)  # typed through the pad (or the keyboard, below), never a cursor to place
        self.field.setAlignment(Qt.AlignmentFlag.AlignCenter)
        column.addWidget(self.field)
        grid = QGridLayout()
        grid.setSpacing(14)
        self.keys: dict[str, QPushButton] = {}
        for i, key in enumerate("123456789⌫0"):
            button = QPushButton(key)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(lambda _=False, k=key: self.press(k))
            grid.addWidget(button, i // 3, i % 3)
            self.keys[key] = button
        self.keys["⌫"].setAccessibleName(tr("Xoá một số", "Delete one digit"))
        column.addLayout(grid)
        self.ok_button = QPushButton(tr("Xác nhận", "Confirm"))
        self.ok_button.setObjectName("confirm")
        self.ok_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.ok_button.clicked.connect(self.confirm)
        self.cancel_button = QPushButton(tr("Huỷ", "Cancel"))
        self.cancel_button.setObjectName("secondary")
        self.cancel_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.cancel_button.clicked.connect(self.reject)
        grid.addWidget(self.ok_button, 3, 2)
        column.addWidget(self.cancel_button)

    def press(self, key: str) -> None:
        text = self.field.text()
        if key == "⌫":
            self.field.setText(text[:-1])
        elif key.isdigit() and len(text) < MAX_DIGITS:
            self.field.setText(text + key)

    def confirm(self) -> None:
        """Hand the PIN over; the pad stays open until its owner says it was right (``accept``) or the admin gives
        up (``Huỷ``), so a wrong PIN is said here, where the admin is looking."""
        pin = self.field.text()
        self.field.clear()  # the PIN never stays in a widget
        if pin:
            self.prompt.setStyleSheet("")
            self.entered.emit(pin)

    def show_message(self, text: str) -> None:
        self.prompt.setText(text)
        self.prompt.setStyleSheet("color: #ffd166; font-weight: bold;")

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt API
        key = event.key()
        if Qt.Key.Key_0 <= key <= Qt.Key.Key_9:
            self.press(event.text())
        elif key == Qt.Key.Key_Backspace:
            self.press("⌫")
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.confirm()
        else:
            super().keyPressEvent(event)
