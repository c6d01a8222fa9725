"""First run without an admin: the one-time code creates the first admin account."""

from __future__ import annotations

import pytest

from kiosk.facade import Clinic
from kiosk.model import Role
from kiosk.roles import AccessDenied
from kiosk.settings import Settings
from ui.first_admin import FirstAdminDialog

pytestmark = pytest.mark.gui


def test_one_time_code_creates_the_first_admin(qtbot, kiosk_home) -> None:
    clinic = Clinic.open(Settings())
    try:
        dialog = FirstAdminDialog(clinic, "A1B2C3")
        qtbot.addWidget(dialog)
        dialog.code.setText("000000")
        dialog.account.username.setText("chi")
        dialog.account.full_name.setText("Đỗ Minh Chi")
        dialog.account.cccd.setText("001190003333")
        dialog.account.password.setText("mat-khau-quan-tri")
        dialog.create()
        assert "Wrong one-time code" in dialog.message.text() or "không đúng" in dialog.message.text()
        assert clinic.store.conn.execute("SELECT COUNT(*) FROM staff").fetchone()[0] == 0
        dialog.code.setText("a1b2c3")
        dialog.create()
        assert dialog.result() == FirstAdminDialog.DialogCode.Accepted
        assert clinic.sign_in("chi", "mat-khau-quan-tri").role is Role.ADMIN
        with pytest.raises(AccessDenied):  # once an admin exists, the first-run path is closed
            clinic.create_first_admin("eve", "Eve", "001190004444", "another-password", None)
    finally:
        clinic.close()
