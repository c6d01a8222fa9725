"""The first run of a staff station with no admin: a one-time code is printed on the console (only
someone at the PC's console can read it) and this dialog creates the first admin account."""

from __future__ import annotations

import hmac

from kiosk.errors import KioskError
from kiosk.facade import Clinic
from ui.account_form import AccountFields
from ui.i18n import tr
from ui.qt import QDialog, QFormLayout, QLabel, QLineEdit, QPushButton, QWidget


class FirstAdminDialog(QDialog):
    def __init__(self, clinic: Clinic, code: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self._code = code
        self.setWindowTitle(tr("Tạo tài khoản quản trị đầu tiên", "Create the first admin account"))
        form = QFormLayout(self)
        form.addRow(QLabel(tr("Mã dùng một lần đã được in ra cửa sổ dòng lệnh của máy này.",
                              "A one-time code was printed on this PC's console.")))
        self.code = QLineEdit()
        form.addRow(tr("Mã dùng một lần", "One-time code"), self.code)
        self.account = AccountFields(form)
        self.message = QLabel()
        self.message.setStyleSheet("color: #b00020;")
        form.addRow(self.message)
        create = QPushButton(tr("Tạo tài khoản", "Create the account"))
        create.clicked.connect(self.create)
        form.addRow(create)

    def create(self) -> None:
        if not hmac.compare_digest(self.code.text().strip().upper(), self._code):
            self.message.setText(tr("Mã dùng một lần không đúng", "Wrong one-time code"))
            return
        try:
            self.clinic.create_first_admin(*self.account.values())
        except KioskError as exc:
            self.message.setText(tr(exc.vi, exc.en))
            return
        self.accept()
