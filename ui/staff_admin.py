"""Staff accounts in the UI (admin only — the facade refuses anyone else): list, add, disable."""

from __future__ import annotations

from kiosk.errors import KioskError
from kiosk.facade import Clinic
from kiosk.privacy.masking import mask_id
from ui.account_form import AccountFields
from ui.i18n import tr
from ui.qt import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)


class StaffDialog(QDialog):
    def __init__(self, clinic: Clinic, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.setWindowTitle(tr("Tài khoản nhân viên", "Staff accounts"))
        self.resize(760, 520)
        layout = QVBoxLayout(self)
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels([tr("Tên đăng nhập", "User"), tr("Họ tên", "Name"), "CCCD",
                                              tr("Vai trò", "Role"), tr("Trạng thái", "Status")])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        layout.addWidget(self.table, 1)
        disable = QPushButton(tr("Khoá tài khoản đã chọn", "Disable the selected account"))
        disable.clicked.connect(self.disable_selected)
        layout.addWidget(disable)
        form = QFormLayout()
        self.account = AccountFields(form)
        self.role = QComboBox()
        for value, vi, en in (("receptionist", "Tiếp đón", "Receptionist"), ("doctor", "Bác sĩ", "Doctor"),
                              ("admin", "Quản trị", "Admin")):
            self.role.addItem(tr(vi, en), value)
        form.addRow(tr("Vai trò", "Role"), self.role)
        layout.addLayout(form)
        add = QPushButton(tr("Thêm tài khoản", "Add the account"))
        add.clicked.connect(self.add)
        layout.addWidget(add)
        self.message = QLabel()
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.refresh()

    def refresh(self) -> None:
        accounts = self.clinic.staff_accounts()
        self.table.setRowCount(len(accounts))
        for r, user in enumerate(accounts):
            for c, text in enumerate([user.username, user.full_name, mask_id(user.cccd), user.role.value,
                                      tr("hoạt động", "active") if user.active else tr("đã khoá", "disabled")]):
                self.table.setItem(r, c, QTableWidgetItem(text))

    def add(self) -> None:
        try:
            username, full_name, cccd, password, pin = self.account.values()
            user = self.clinic.add_staff(username, full_name, cccd, self.role.currentData(), password, pin)
        except KioskError as exc:
            self.message.setStyleSheet("color: #b00020;")
            self.message.setText(tr(exc.vi, exc.en))
            return
        self.account.clear()
        self.message.setStyleSheet("")
        self.message.setText(tr(f"Đã thêm {user.username}", f"Added {user.username}"))
        self.refresh()

    def disable_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows() or [self.table.currentIndex()]
        if not rows or rows[0].row() < 0:
            return
        username = self.table.item(rows[0].row(), 0).text()
        try:
            self.clinic.disable_staff(username)
        except KioskError as exc:
            self.message.setText(tr(exc.vi, exc.en))
            return
        self.refresh()
