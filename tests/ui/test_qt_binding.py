"""The Qt binding itself, where a station depends on it for hours: PySide6 6.12.0 released one reference of
``True`` at every ``Signal.emit`` (from any thread), so a station with a running camera — two signals a frame —
died with ``Fatal Python error: bool_dealloc`` after a few minutes. The lock pins a release without it."""

from __future__ import annotations

import sys
import threading

from ui.qt import QObject, Signal


class Emitter(QObject):
    text = Signal(str, str)


def test_emitting_signals_keeps_the_reference_count_of_true(qtbot) -> None:
    emitter = Emitter()
    got = []
    emitter.text.connect(lambda vi, en: got.append(vi))
    before = sys.getrefcount(True)
    for _ in range(150):
        emitter.text.emit("vi", "en")
    worker = threading.Thread(target=lambda: [emitter.text.emit("vi", "en") for _ in range(150)])
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: len(got) == 300, timeout=5000)
    assert sys.getrefcount(True) >= before - 10, "each emit takes a reference of True away: the program will crash"
