"""The fields of a staff account (user name, name and CCCD as registered with BHXH, password, PIN),
shared by the first-run dialog and the staff administration."""

from __future__ import annotations

from ui.i18n import tr
from ui.qt import QFormLayout, QLineEdit


class AccountFields:
    def __init__(self, form: QFormLayout) -> None:
        self.username, self.full_name, self.cccd = QLineEdit(), QLineEdit(), QLineEdit()
        self.password, self.pin = QLineEdit(), QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow(tr("Tên đăng nhập", "User name"), self.username)
        form.addRow(tr("Họ tên (như đăng ký với BHXH)", "Full name (as registered with BHXH)"), self.full_name)
        form.addRow(tr("Số CCCD (đăng ký với BHXH)", "CCCD (registered with BHXH)"), self.cccd)
        form.addRow(tr("Mật khẩu (≥ 8 ký tự)", "Password (≥ 8 characters)"), self.password)
        form.addRow(tr("Mã PIN mở khoá (4–8 số)", "Unlock PIN (4–8 digits)"), self.pin)

    def values(self) -> tuple[str, str, str, str, str | None]:
        """(user name, full name, CCCD, password, PIN or None)."""
        return (self.username.text().strip(), " ".join(self.full_name.text().split()), self.cccd.text().strip(),
                self.password.text(), self.pin.text().strip() or None)

    def clear(self) -> None:
        for field in (self.username, self.full_name, self.cccd, self.password, self.pin):
            field.clear()
