"""USB 2D scanners in keyboard-wedge mode: they "type" the QR text fast and press Enter.

Installed on the application, the filter tells a scanner from a person by speed: a burst of at
least ``min_length`` characters, each within ``max_gap_ms`` of the last, ended by Enter. Bursts
typed into a text field are taken back out of it, so the scanner works at any time without
clicking a field first.
"""

from __future__ import annotations

import time

from ui.qt import QEvent, QKeyEvent, QLineEdit, QObject, Qt, Signal


class WedgeFilter(QObject):
    scanned = Signal(str)

    def __init__(self, parent: QObject | None = None, *, min_length: int = 12, max_gap_ms: float = 40.0) -> None:
        super().__init__(parent)
        self.min_length = min_length
        self.max_gap = max_gap_ms / 1000
        self._buffer: list[str] = []
        self._last = 0.0
        self._target: QObject | None = None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return False
        now = time.monotonic()
        if now - self._last > self.max_gap:
            self._buffer.clear()
            self._target = watched
        self._last = now
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            text = "".join(self._buffer)
            self._buffer.clear()
            if len(text) >= self.min_length:
                self._take_back(text)
                self.scanned.emit(text)
                return True
            return False
        if event.text() and event.text().isprintable():
            self._buffer.append(event.text())
        elif event.key() == Qt.Key.Key_Tab:
            self._buffer.append("\t")
        return False

    def _take_back(self, text: str) -> None:
        field = self._target
        if isinstance(field, QLineEdit) and field.text().endswith(text):
            field.setText(field.text()[: -len(text)])
