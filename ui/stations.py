"""The base of the staff station windows (header with facility, title and clock; status bar) and
the choice of window per station."""

from __future__ import annotations

import datetime as dt

from kiosk.clock import ClockVerdict
from kiosk.facade import Clinic
from ui.housekeeping import Housekeeping
from ui.i18n import tr
from ui.live import ServerConnection, offline_text
from ui.qt import (
    QFont,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QSize,
    QTimer,
    QVBoxLayout,
    QWidget,
)


def _banner(name: str, colour: str) -> QLabel:
    """A full-width warning line under the header, hidden until it has something to say."""
    label = QLabel()
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setStyleSheet(f"#{name} {{ background: {colour}; color: white; font-weight: bold; padding: 6px; }}")
    label.hide()
    return label


class StationWindow(QMainWindow):
    station = ""
    title_vi = ""
    title_en = ""

    def __init__(self, clinic: Clinic, *, demo: bool = False) -> None:
        super().__init__()
        self.clinic = clinic
        self.demo = demo
        facility = clinic.settings["facility.name"]
        self.setWindowTitle(f"{tr(self.title_vi, self.title_en)} — {facility}")
        self.setObjectName(f"{self.station}Window")

        root = QWidget()
        layout = QVBoxLayout(root)
        header = QFrame()
        header.setObjectName("header")
        header.setStyleSheet("#header { background: #0b5394; } QLabel { color: white; }")
        head = QHBoxLayout(header)
        self.facility_label = QLabel(f"{facility} ({clinic.settings['facility.code']})")
        self.title_label = QLabel(tr(self.title_vi, self.title_en))
        big = QFont(self.font())
        big.setPointSize(16)
        big.setBold(True)
        self.title_label.setFont(big)
        self.clock_label = QLabel()
        self.user_label = QLabel()  # who is signed in at a staff station (kept current after a switch of user)
        self.user_label.setObjectName("signedInUser")
        self.user_label.setStyleSheet("font-weight: bold; padding: 0 12px;")
        head.addWidget(self.title_label)
        head.addWidget(self.user_label)
        head.addStretch(1)
        head.addWidget(self.facility_label)
        head.addWidget(self.clock_label)
        layout.addWidget(header)
        self.clock_warning = _banner("clockWarning", "#c0392b")
        layout.addWidget(self.clock_warning)
        self.body = QVBoxLayout()
        layout.addLayout(self.body, 1)
        self.setCentralWidget(root)
        if clinic.signed_in is not None and clinic.signed_in.role.value == "admin":
            from ui.qt import QPushButton

            manage = QPushButton(tr("Tài khoản nhân viên", "Staff accounts"))
            manage.clicked.connect(self.open_staff_admin)
            head.addWidget(manage)
        self.security_warning = _banner("securityWarning", "#7b1fa2")  # lock-outs, for admins
        layout.insertWidget(2, self.security_warning)
        if clinic.signed_in is not None and clinic.signed_in.role.value == "admin":
            from ui.background import run_in_background

            run_in_background(clinic.security_alerts, self.show_security_alerts, lambda exc: None, owner=self)
        self.statusBar().showMessage(
            (tr("Máy chủ phòng khám: ", "Clinic server: ") if getattr(clinic, "remote", False)
             else tr("Cơ sở dữ liệu: ", "Database: ")) + clinic.location
            + ("  ·  " + tr("DỮ LIỆU DEMO", "DEMO DATA") if demo else "")
        )
        self._clock = QTimer(self)
        self._clock.timeout.connect(self._tick)
        self._clock.start(1000)
        self._tick()
        self.housekeeping = Housekeeping(clinic, self, self.show_clock_verdict)
        self.server_warning = _banner("serverWarning", "#b26a00")
        self.server_warning.setText(tr(*offline_text()))
        layout.insertWidget(2, self.server_warning)
        self.connection = ServerConnection(clinic, self)
        self.connection.state.connect(lambda online: self.server_warning.setVisible(not online))

    def show_clock_verdict(self, verdict: ClockVerdict) -> None:
        self.clock_warning.setText(tr(verdict.vi, verdict.en))
        self.clock_warning.setVisible(not verdict.ok)

    def show_security_alerts(self, alerts: list) -> None:
        """The admins' banner: lock-outs after repeated wrong passwords, PINs or pairing codes."""
        if not alerts:
            self.security_warning.hide()
            return
        at, station, what = alerts[0]
        kind, _, names = what.partition(": ")
        kind_vi = {"sign-in": "mật khẩu", "unlock PIN": "mã PIN mở khoá", "pairing code": "mã ghép nối",
                   "kiosk exit PIN": "mã PIN thoát ki-ốt"}.get(kind, kind)
        account = next((n.split(" ", 1)[1] for n in names.split(", ") if n.startswith("account ")), "")
        where = {"station:local": tr("máy này", "this PC"), "kiosk-station": tr("ki-ốt", "the kiosk")}.get(
            station, station.removeprefix("station:").removeprefix("address:"))
        self.security_warning.setText(tr(
            f"Cảnh báo bảo mật: {len(alerts)} lần khoá do nhập sai nhiều lần trong 24 giờ qua. Gần nhất: "
            f"{at:%H:%M}, {kind_vi}{f' của tài khoản {account}' if account else ''}, tại {where}. "
            "Chi tiết: clinic-kiosk audit show",
            f"Security alert: {len(alerts)} lock-out(s) after repeated wrong attempts in the last 24 hours. Latest: "
            f"{at:%H:%M}, {kind}{f' of the account {account}' if account else ''}, at {where}. "
            "Details: clinic-kiosk audit show"))
        self.security_warning.show()

    def open_staff_admin(self) -> None:
        from ui.staff_admin import StaffDialog

        StaffDialog(self.clinic, self).exec()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(1366, 768)

    def _tick(self) -> None:
        self.clock_label.setText(dt.datetime.now().strftime("%H:%M:%S  %d/%m/%Y"))
        self._show_user()

    def _show_user(self) -> None:
        user = getattr(self.clinic, "signed_in", None)
        if user is None:
            self.user_label.clear()
            self.user_label.hide()
            return
        role = {"doctor": ("Bác sĩ", "Doctor"), "receptionist": ("Lễ tân", "Reception"),
                "admin": ("Quản trị", "Admin")}.get(user.role.value)
        text = f"{tr(*role)}: {user.full_name}" if role else user.full_name
        if self.user_label.text() != text:
            self.user_label.setText(text)
        self.user_label.show()
