"""Staff sessions at a station: the sign-in dialog, and the lock screen that falls after
``security.idle_lock_minutes`` without a touch — it wipes the patient from the screen and from
the window's memory first, and opens again with the user's PIN (or a full sign-in to switch user)."""

from __future__ import annotations

import time

from kiosk.errors import KioskError, LockedOut
from kiosk.facade import Clinic
from ui import i18n
from ui.background import run_in_background
from ui.i18n import tr
from ui.qt import (
    QApplication,
    QDialog,
    QEvent,
    QFormLayout,
    QFrame,
    QLabel,
    QLineEdit,
    QObject,
    QPushButton,
    Qt,
    QTimer,
    QVBoxLayout,
    QWidget,
)


class SignInDialog(QDialog):
    """User name and password; a button switches the language the station's window then opens in."""

    def __init__(self, clinic: Clinic, station_title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.station_title = station_title
        form = QFormLayout(self)
        self.language_button = QPushButton()
        self.language_button.setObjectName("languageButton")
        self.language_button.setAutoDefault(False)
        self.language_button.clicked.connect(self.toggle_language)
        form.addRow(self.language_button)
        self.username = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.username_label, self.password_label = QLabel(), QLabel()
        form.addRow(self.username_label, self.username)
        form.addRow(self.password_label, self.password)
        self.message = QLabel()
        self.message.setStyleSheet("color: #b00020;")
        self.message.setWordWrap(True)
        form.addRow(self.message)
        self.sign_in_button = QPushButton()
        self.sign_in_button.setDefault(True)
        self.sign_in_button.clicked.connect(self.try_sign_in)
        form.addRow(self.sign_in_button)
        self.retranslate()

    def retranslate(self) -> None:
        self.setWindowTitle(tr(f"Đăng nhập — {self.station_title}", f"Sign in — {self.station_title}"))
        self.language_button.setText("English" if i18n.language() == "vi" else "Tiếng Việt")
        self.username_label.setText(tr("Tên đăng nhập", "User name"))
        self.password_label.setText(tr("Mật khẩu", "Password"))
        self.sign_in_button.setText(tr("Đăng nhập", "Sign in"))
        self.message.clear()

    def toggle_language(self) -> None:
        """One language at a time: the whole station follows (its window is built after the sign-in)."""
        i18n.set_language("en" if i18n.language() == "vi" else "vi")
        self.retranslate()
        self.username.setFocus()

    def try_sign_in(self) -> None:
        try:
            self.clinic.sign_in(self.username.text().strip(), self.password.text())
        except KioskError as exc:
            self.password.clear()
            self.message.setText(tr(exc.vi, exc.en))
            return
        self.accept()


class LockScreen(QFrame):
    """Covers the whole window; nothing of the last patient is behind it (the window wiped it)."""

    def __init__(self, window: QWidget, clinic: Clinic) -> None:
        super().__init__(window)
        self.clinic = clinic
        self.setObjectName("lockScreen")
        self.setAutoFillBackground(True)
        self.setStyleSheet("#lockScreen { background: #0b2545; } QLabel { color: white; font-size: 18pt; } "
                           "QLineEdit, QPushButton { font-size: 16pt; padding: 6px 16px; min-height: 36px; }")
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        self.title = QLabel()
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.title)
        self.pin = QLineEdit()
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setPlaceholderText(tr("Mã PIN", "PIN"))
        self.pin.setMaximumWidth(320)
        self.pin.returnPressed.connect(self.try_unlock)
        layout.addWidget(self.pin, alignment=Qt.AlignmentFlag.AlignCenter)
        self.message = QLabel()
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.message)
        unlock = QPushButton(tr("Mở khoá", "Unlock"))
        unlock.clicked.connect(self.try_unlock)
        layout.addWidget(unlock, alignment=Qt.AlignmentFlag.AlignCenter)
        switch = QPushButton(tr("Đổi người dùng", "Switch user"))
        switch.clicked.connect(self.switch_user)
        layout.addWidget(switch, alignment=Qt.AlignmentFlag.AlignCenter)
        layout.addStretch(1)
        self.checking = False
        self._locked_until = 0.0
        self._countdown = QTimer(self)
        self._countdown.setInterval(1000)
        self._countdown.timeout.connect(self._count_down)
        self.hide()

    def _count_down(self) -> None:
        left = round(self._locked_until - time.monotonic())
        if left > 0:
            self.message.setText(tr(f"Nhập sai quá nhiều lần: thử lại sau {left} giây",
                                    f"Too many wrong attempts: try again in {left} seconds"))
        else:
            self._countdown.stop()
            self.message.setText(tr("Mời nhập lại mã PIN", "Enter the PIN again"))

    def lock(self) -> None:
        user = self.clinic.signed_in
        self.title.setText(tr(f"Đã khoá — {user.full_name if user else ''}", f"Locked — {user.full_name if user else ''}"))
        self.message.clear()
        self.setGeometry(self.parentWidget().rect())
        self.show()
        self.raise_()
        self.pin.setFocus()

    def try_unlock(self) -> None:
        """Check the PIN off the GUI thread (a hash, or a call to the clinic server)."""
        if self.checking:
            return
        self.checking = True
        pin, clinic = self.pin.text(), self.clinic
        self.pin.clear()
        run_in_background(lambda: clinic.unlock(pin), self._checked, self._check_failed, owner=self)

    def _checked(self, right: bool) -> None:
        self.checking = False
        if right:
            self.hide()
        else:
            self.message.setText(tr("Sai mã PIN", "Wrong PIN"))

    def _check_failed(self, exc: Exception) -> None:
        self.checking = False
        if isinstance(exc, LockedOut):  # repeated wrong PINs: the wait is counted down on screen
            self._locked_until = time.monotonic() + exc.wait_s
            self._count_down()
            self._countdown.start()
        elif isinstance(exc, KioskError):  # the server is away
            self.message.setText(tr(exc.vi, exc.en))
        else:
            raise exc

    def switch_user(self) -> None:
        self.clinic.sign_out()
        dialog = SignInDialog(self.clinic, self.parentWidget().windowTitle(), self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.hide()


class IdleLock(QObject):
    """Restarts on every touch; when it runs out, ``on_idle`` wipes and the lock screen falls."""

    def __init__(self, window: QWidget, clinic: Clinic, minutes: int, on_idle) -> None:  # noqa: ANN001
        super().__init__(window)
        self.screen = LockScreen(window, clinic)
        self.on_idle = on_idle
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(minutes * 60_000)
        self.timer.timeout.connect(self.lock)
        QApplication.instance().installEventFilter(self)
        self.timer.start()

    def lock(self) -> None:
        self.on_idle()
        self.screen.lock()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() in (QEvent.Type.MouseButtonPress, QEvent.Type.KeyPress) and not self.screen.isVisible():
            self.timer.start()
        return False

    def stop(self) -> None:
        self.timer.stop()
        QApplication.instance().removeEventFilter(self)
