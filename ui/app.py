"""Start-up of a station window: display check, QApplication, logging of Qt messages, crash dialog."""

from __future__ import annotations

import gc
import logging
import os
import secrets
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.errors import KioskError, NoDisplayError
from kiosk.facade import Clinic
from kiosk.privacy.filemodes import private_umask
from kiosk.privacy.logs import install_excepthook
from kiosk.settings import Settings

if TYPE_CHECKING:
    from ui.stations import StationWindow

log = logging.getLogger("ui.app")

STATIONS = ("reception", "doctor", "kiosk", "board")


def check_display() -> None:
    """Refuse clearly, before Qt aborts, when there is no screen to open a window on."""
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if not sys.platform.startswith("linux") or platform.startswith(("offscreen", "minimal", "vnc")):
        return
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return
    command = "xvfb-run -a " + " ".join(["clinic-kiosk", *sys.argv[1:]])
    raise NoDisplayError(
        f"Không có màn hình (DISPLAY chưa đặt). Chạy trên màn hình ảo: {command}",
        f"No display found (DISPLAY is not set). Run it on a virtual screen: {command}",
    )


def _qt_message(mode, context, message: str) -> None:  # noqa: ANN001 - Qt callback
    from ui.qt import QtMsgType

    level = {
        QtMsgType.QtDebugMsg: logging.DEBUG,
        QtMsgType.QtInfoMsg: logging.INFO,
        QtMsgType.QtWarningMsg: logging.WARNING,
        QtMsgType.QtCriticalMsg: logging.ERROR,
        QtMsgType.QtFatalMsg: logging.CRITICAL,
    }.get(mode, logging.WARNING)
    logging.getLogger("qt").log(level, "%s", message)


def _install_crash_dialog(crash_dir: Path) -> None:
    from ui.i18n import tr
    from ui.qt import QApplication, QMessageBox, QObject, Signal

    class CrashBridge(QObject):
        crashed = Signal(str)

    bridge = CrashBridge(QApplication.instance())

    def show(report: str) -> None:
        QMessageBox.critical(
            QApplication.activeWindow(),
            tr("Lỗi chương trình", "Program error"),
            tr(
                "Đã xảy ra lỗi không mong muốn. Dữ liệu đã lưu không bị mất.\n"
                f"Báo cáo lỗi: {report}\nHãy gửi tệp này cho bộ phận CNTT.",
                "An unexpected error occurred. Saved data is not lost.\n"
                f"Crash report: {report}\nPlease send this file to IT.",
            ),
        )

    bridge.crashed.connect(show)

    def on_crash(report: Path, exc: BaseException) -> None:
        if threading.current_thread() is threading.main_thread():
            show(str(report))
        else:
            bridge.crashed.emit(str(report))  # queued to the GUI thread

    install_excepthook(crash_dir, on_crash)


def _quit_on_signals(app) -> None:  # noqa: ANN001
    """SIGINT/SIGTERM close the windows cleanly (drafts saved, jobs finished) instead of killing Python
    in the middle of Qt; a light timer lets Python see the signal while Qt's loop runs."""
    import signal

    from ui.qt import QTimer

    def stop(*_: object) -> None:
        log.info("signal received: closing")
        app.closeAllWindows()
        app.quit()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    ticker = QTimer(app)
    ticker.timeout.connect(lambda: None)
    ticker.start(250)


def settle_memory() -> None:
    """After start-up: collect once, then freeze what exists, so later full garbage collections
    (which stop every thread, the GUI thread included) only walk objects made since."""
    gc.collect()
    gc.freeze()


def window_class(station: str) -> type[StationWindow]:
    """The window of a station (imported when chosen: a board PC never loads the doctor's room)."""
    if station == "reception":
        from ui.reception import ReceptionWindow

        return ReceptionWindow
    if station == "kiosk":
        from ui.kiosk_window import KioskWindow

        return KioskWindow
    if station == "board":
        from ui.board import BoardWindow

        return BoardWindow
    from ui.doctor import DoctorWindow

    return DoctorWindow


def create_window(station: str, clinic: Clinic, *, demo: bool = False) -> StationWindow:
    return window_class(station)(clinic, demo=demo)


def show_station_window(window, station: str) -> None:  # noqa: ANN001 - a station window
    """The kiosk and the board fill their screen, with or without a window manager: without one, showFullScreen
    alone leaves the window at its own size (853×480 on a 1280×720 screen), so the screen's geometry is set first.
    The staff stations (reception, doctor) are maximised the same way: they fill the screen's available geometry
    (the taskbar stays), also without a window manager, where showMaximized alone left 950×567 on 1366×768."""
    from ui.qt import QApplication

    screen = window.screen() or QApplication.primaryScreen()
    if station not in ("kiosk", "board"):
        if screen is None:
            window.show()
            return
        available = screen.availableGeometry()
        least = window.minimumSizeHint()  # a smaller screen than the layout wants: the window still fits on it
        window.setMinimumSize(min(least.width(), available.width()), min(least.height(), available.height()))
        window.setGeometry(available)
        window.showMaximized()
        return
    window.setMinimumSize(1, 1)  # explicit: the layout's minimum no longer stretches the window past the screen
    window.setGeometry(screen.geometry())
    window.showFullScreen()


def run_station(station: str, settings: Settings, db_path: Path | None, *, demo: bool = False) -> int:
    private_umask()  # first: the windows' files (database, PDFs, logs) are this user's only
    check_display()
    from ui.i18n import set_language
    from ui.qt import QApplication, qInstallMessageHandler

    qInstallMessageHandler(_qt_message)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("clinic-kiosk")
    app.setApplicationDisplayName("clinic-kiosk")
    set_language(settings["ui.language"])
    from ui.qt_printer import register as register_qt_printer

    register_qt_printer()
    _install_crash_dialog(settings.paths.crash_dir)
    try:
        if settings["server.url"] and db_path is None:  # this PC is a station of the clinic server
            from kiosk.remote.client import RemoteClinic

            clinic = RemoteClinic.open(settings)
        else:
            clinic = Clinic.open(settings, db_path, check=True)
    except KioskError as exc:  # a damaged database or no server: say so (with the backup to restore)
        log.error("station %s cannot open the database: %s", station, exc.en)
        from ui.i18n import tr
        from ui.qt import QMessageBox

        QMessageBox.critical(None, tr("Không mở được dữ liệu phòng khám", "Cannot open the clinic's data"),
                             tr(exc.vi, exc.en))
        return exc.exit_code
    _quit_on_signals(app)
    if station in ("reception", "doctor"):  # staff stations: a person signs in; kiosk and board run as machines
        from ui.session import SignInDialog

        if not clinic.has_admin():
            from ui.first_admin import FirstAdminDialog

            code = secrets.token_hex(3).upper()
            print(f"clinic-kiosk: mã dùng một lần để tạo quản trị viên đầu tiên / one-time code to create the "
                  f"first admin: {code}", file=sys.stderr, flush=True)
            if FirstAdminDialog(clinic, code).exec() != FirstAdminDialog.DialogCode.Accepted:
                clinic.close()
                return 2

        dialog = SignInDialog(clinic, station)
        if dialog.exec() != SignInDialog.DialogCode.Accepted:
            clinic.close()
            return 0
    window = create_window(station, clinic, demo=demo)
    show_station_window(window, station)
    log.info("station %s started (data: %s)", station, clinic.location)
    settle_memory()
    try:
        return app.exec()
    finally:
        from ui.background import wait_for_background

        wait_for_background()
        clinic.close()
