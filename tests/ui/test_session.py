"""Staff sign-in, idle lock with PIN, and the wipe that comes before the lock."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.model import Role
from tests.ui.conftest import widget_texts
from ui.reception import ReceptionWindow
from ui.session import SignInDialog

pytestmark = pytest.mark.gui


def test_sign_in_dialog(qtbot, clinic) -> None:
    dialog = SignInDialog(clinic, "reception")
    qtbot.addWidget(dialog)
    dialog.username.setText("lan")
    dialog.password.setText("wrong password")
    dialog.try_sign_in()
    assert "Wrong user name or password" in dialog.message.text() or "Sai tên" in dialog.message.text()
    assert dialog.password.text() == ""
    dialog.password.setText("demo-lan-2026")
    dialog.try_sign_in()
    assert dialog.result() == SignInDialog.DialogCode.Accepted
    assert clinic.signed_in.username == "lan" and clinic.role is Role.RECEPTIONIST
    assert clinic.lookup_staff().username == "lan", "lookups carry the signed-in person's name and CCCD"


def test_idle_lock_wipes_the_patient_and_opens_with_the_pin(qtbot, clinic, demo_video: Path) -> None:
    clinic.sign_in("lan", "demo-lan-2026")
    window = ReceptionWindow(clinic, camera=str(demo_video))
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitUntil(lambda: window.lookup_result is not None, timeout=15000)
    name = window.lookup_result.patient.full_name
    assert name in widget_texts(window)
    window.idle_lock.timer.setInterval(50)  # as if the desk was left for the configured minutes
    window.idle_lock.timer.start()
    qtbot.waitUntil(lambda: window.idle_lock.screen.isVisible(), timeout=3000)
    assert window.lookup_result is None
    assert name not in widget_texts(window)
    window.idle_lock.screen.pin.setText("9999")
    window.idle_lock.screen.try_unlock()
    qtbot.waitUntil(lambda: not window.idle_lock.screen.checking, timeout=5000)
    assert window.idle_lock.screen.isVisible() and "Wrong PIN" in window.idle_lock.screen.message.text() or \
        "Sai mã PIN" in window.idle_lock.screen.message.text()
    window.idle_lock.screen.pin.setText("1111")
    window.idle_lock.screen.try_unlock()
    qtbot.waitUntil(lambda: not window.idle_lock.screen.checking, timeout=5000)
    assert not window.idle_lock.screen.isVisible()


def test_guessing_the_pin_locks_the_screen_out_and_the_admin_sees_it(qtbot, clinic, monkeypatch) -> None:
    import datetime as dt

    from kiosk.security import lockout

    clock = [dt.datetime.now()]
    monkeypatch.setattr(lockout, "_now", lambda: clock[0])
    clinic.sign_in("lan", "demo-lan-2026")
    window = ReceptionWindow(clinic, camera="97")
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    screen = window.idle_lock.screen
    screen.lock()
    for guess in ("1234", "0000", "9999", "2468", "1112"):
        screen.pin.setText(guess)
        screen.try_unlock()
        qtbot.waitUntil(lambda: not screen.checking, timeout=5000)
        assert screen.isVisible()
    screen.pin.setText("1111")  # the right PIN, but after five wrong ones
    screen.try_unlock()
    qtbot.waitUntil(lambda: not screen.checking, timeout=5000)
    assert screen.isVisible() and ("30 giây" in screen.message.text() or "30 seconds" in screen.message.text())
    assert screen._countdown.isActive(), "the wait is counted down on the lock screen"
    window.grab().save(str(Path(__file__).resolve().parents[2] / "artifacts" / "lock-screen-locked-out.png"))
    clock[0] += dt.timedelta(seconds=31)
    screen.pin.setText("1111")
    screen.try_unlock()
    qtbot.waitUntil(lambda: not screen.checking, timeout=5000)
    assert not screen.isVisible()
    window.close()
    clinic.sign_out()
    clinic.sign_in("admin", "demo-admin-2026")
    admin_window = ReceptionWindow(clinic, camera="97")
    qtbot.addWidget(admin_window)
    admin_window.resize(1366, 768)
    admin_window.show()
    qtbot.waitUntil(lambda: admin_window.security_warning.isVisible(), timeout=5000)
    text = admin_window.security_warning.text()
    assert "1 lần khoá" in text and "tài khoản lan" in text and "máy này" in text, text
    admin_window.grab().save(str(Path(__file__).resolve().parents[2] / "artifacts" / "admin-security-banner.png"))


def test_the_language_is_chosen_at_sign_in_and_the_window_opens_in_it(qtbot, clinic) -> None:
    from ui import i18n
    from ui.app import create_window

    dialog = SignInDialog(clinic, "reception")
    qtbot.addWidget(dialog)
    assert dialog.sign_in_button.text() == "Đăng nhập" and dialog.language_button.text() == "English"
    try:
        qtbot.mouseClick(dialog.language_button, __import__("PySide6.QtCore", fromlist=["Qt"]).Qt.MouseButton.LeftButton)
        assert (dialog.sign_in_button.text(), dialog.username_label.text()) == ("Sign in", "User name")
        assert dialog.language_button.text() == "Tiếng Việt"
        dialog.username.setText("lan")
        dialog.password.setText("wrong password")
        dialog.try_sign_in()
        assert dialog.message.text().startswith("Wrong"), "the error in the chosen language only"
        assert "Sai" not in dialog.message.text()
        dialog.password.setText("demo-lan-2026")
        dialog.try_sign_in()
        window = create_window("reception", clinic)
        qtbot.addWidget(window)
        assert window.title_label.text() == window.title_en
        assert window.checkin_button.text().isascii(), window.checkin_button.text()
    finally:
        i18n.set_language("vi")
