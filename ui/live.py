"""Live updates for the windows that follow the queue (the board, the doctor's list), and the
clinic server's connection state.

With the store on this PC, the queue is read every ``poll_ms`` (a local read is cheap). With a
clinic server, one long-poll per window waits for the server to say the queue changed (within a
second of any change anywhere, no polling storm), plus a slow safety refresh.
"""

from __future__ import annotations

import logging
import threading

from ui.qt import QObject, QTimer, Signal

log = logging.getLogger("ui.live")

SAFETY_REFRESH_MS = 30_000


class LiveUpdates(QObject):
    changed = Signal()

    def __init__(self, clinic, parent: QObject, poll_ms: int) -> None:  # noqa: ANN001 - Clinic or RemoteClinic
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.changed.emit)
        self._stop = threading.Event()
        if hasattr(clinic, "wait_for_change"):
            self._timer.start(SAFETY_REFRESH_MS)
            self._thread = threading.Thread(target=self._follow, args=(clinic,), name="live-updates", daemon=True)
            self._thread.start()
        else:
            self._timer.start(poll_ms)
        self.destroyed.connect(self._stop.set)

    def _follow(self, clinic) -> None:  # noqa: ANN001
        from kiosk.errors import KioskError

        version = 0
        while not self._stop.is_set():
            try:
                seen = clinic.wait_for_change(version, timeout=25)
            except KioskError:
                self._stop.wait(2.0)  # the server is away: the window shows it; try again soon
                continue
            if self._stop.is_set():
                return
            if seen != version:
                version = seen
                self.changed.emit()  # queued to the window's thread

    def stop(self) -> None:
        self._stop.set()
        self._timer.stop()


class ServerConnection(QObject):
    """The clinic server's reachability, delivered on the GUI thread (True: connected)."""

    state = Signal(bool)

    def __init__(self, clinic, parent: QObject) -> None:  # noqa: ANN001
        super().__init__(parent)
        if hasattr(clinic, "wait_for_change"):
            clinic.watch_connection(self.state.emit)
            if not clinic.online:  # started while the server was away
                QTimer.singleShot(0, self, lambda: self.state.emit(False))


def offline_text() -> tuple[str, str]:
    return ("MẤT KẾT NỐI MÁY CHỦ — đang thử lại. Vẫn tiếp đón được: số ngoại tuyến của máy này sẽ được "
            "gửi lên khi có kết nối lại.",
            "SERVER UNREACHABLE — retrying. Check-in goes on: this station's offline numbers are handed in "
            "when it is back.")
