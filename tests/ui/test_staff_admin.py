"""Staff accounts in the UI: an admin adds and disables; anyone else is refused by the facade."""

from __future__ import annotations

import pytest

from kiosk.roles import AccessDenied
from ui.staff_admin import StaffDialog

pytestmark = pytest.mark.gui


def test_admin_adds_and_disables_an_account(qtbot, clinic) -> None:
    clinic.sign_in("admin", "demo-admin-2026")
    dialog = StaffDialog(clinic)
    qtbot.addWidget(dialog)
    assert dialog.table.rowCount() == 3
    assert "001085001234" not in [dialog.table.item(r, 2).text() for r in range(3)], "CCCD masked"
    dialog.account.username.setText("hoa")
    dialog.account.full_name.setText("Phạm Thị Hoa")
    dialog.account.cccd.setText("001190002222")
    dialog.role.setCurrentIndex(1)
    dialog.account.password.setText("short")
    dialog.add()
    assert "8 characters" in dialog.message.text() or "8 ký tự" in dialog.message.text()
    dialog.account.password.setText("mat-khau-du-dai")
    dialog.account.pin.setText("4321")
    dialog.add()
    assert dialog.table.rowCount() == 4
    row = next(r for r in range(4) if dialog.table.item(r, 0).text() == "hoa")
    dialog.table.selectRow(row)
    dialog.disable_selected()
    assert not next(u for u in clinic.staff_accounts() if u.username == "hoa").active


def test_a_receptionist_cannot_manage_staff(qtbot, clinic) -> None:
    clinic.sign_in("lan", "demo-lan-2026")
    with pytest.raises(AccessDenied):
        StaffDialog(clinic)
