"""The first run of a staff station with no admin: a one-time code is printed on the console (only
someone at the PC's console can read it) and this dialog creates the first admin account."""

from __future__ import annotations

import hmac

from kiosk import staff
from kiosk.errors import KioskError
from kiosk.facade import Clinic
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
        self.code, self.username, self.full_name, self.cccd = QLineEdit(), QLineEdit(), QLineEdit(), QLineEdit()
        self.password, self.pin = QLineEdit(), QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow(tr("Mã dùng một lần", "One-time code"), self.code)
        form.addRow(tr("Tên đăng nhập", "User name"), self.username)
        form.addRow(tr("Họ tên", "Full name"), self.full_name)
        form.addRow(tr("Số CCCD", "CCCD"), self.cccd)
        form.addRow(tr("Mật khẩu (≥ 8 ký tự)", "Password (≥ 8 characters)"), self.password)
        form.addRow(tr("Mã PIN mở khoá", "Unlock PIN"), self.pin)
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
            staff.add(self.clinic.store, "first-run", self.username.text().strip(),
                      " ".join(self.full_name.text().split()), self.cccd.text().strip(), "admin", self.password.text(),
                      self.pin.text().strip() or None)
        except KioskError as exc:
            self.message.setText(tr(exc.vi, exc.en))
            return
        self.accept()
