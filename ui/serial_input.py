"""A station's serial (USB-COM/CDC) scanner: runs ``scanner.serial_scanner.SerialScanner`` and hands each code,
refusal and change of state to the GUI thread through Qt signals. The station feeds ``scanned`` to the same entry
point as the keyboard-wedge scanner, so every wrong-patient rule applies the same way."""

from __future__ import annotations

from scanner.errors import ScannerError
from scanner.serial_scanner import CodeRefused, SerialScanner, SerialScannerError
from ui.qt import QObject, Signal

PREFIX_VI, PREFIX_EN = "Máy quét (cổng COM)", "Scanner (COM port)"


def state_words(state: str, error: ScannerError | None, device: str = "") -> tuple[str, str]:
    """The state in words for the screen, Vietnamese and English."""
    if state == "connected":
        where = f" ({device})" if device else ""
        return f"{PREFIX_VI}: đã kết nối{where}", f"{PREFIX_EN}: connected{where}"
    if state == "waiting":
        return (f"{PREFIX_VI}: chưa thấy máy quét — cắm lại cáp",
                f"{PREFIX_EN}: no scanner found — plug the cable in again")
    if state == "error" and error is not None:
        return f"{PREFIX_VI}: lỗi — {error.vi}", f"{PREFIX_EN}: error — {error.en}"
    if state == "stopped":
        return f"{PREFIX_VI}: đã tắt", f"{PREFIX_EN}: off"
    return f"{PREFIX_VI}: đang mở…", f"{PREFIX_EN}: opening…"


class SerialInput(QObject):
    scanned = Signal(str)  # a decoded code
    refused = Signal(str, str)  # vi, en: what came was not a code (not UTF-8, too long, no terminator)
    state_changed = Signal(str, str, str)  # state, vi, en

    def __init__(self, port: str, baud: int = 9600, parent: QObject | None = None, **options: float) -> None:
        super().__init__(parent)
        self.port = port
        self.baud = baud
        self.options = options  # retry_initial, retry_max, read_timeout (tests)
        self.state = "starting"
        self.words = state_words("starting", None)
        self._reader: SerialScanner | None = None

    def start(self) -> None:
        """Open the port on the reader's thread; a bad port name is an "error" state, never an exception."""
        self.stop()
        try:
            self._reader = SerialScanner(self.port, baud=self.baud, on_code=self.scanned.emit,
                                         on_refused=self._on_refused, on_state=self._on_state, **self.options)
        except SerialScannerError as exc:
            self._on_state("error", exc)
            return
        self._reader.start()  # after it is kept: its first state names the port it opened

    def stop(self) -> None:
        if self._reader is not None:
            reader, self._reader = self._reader, None
            reader.stop()

    def _on_refused(self, refusal: CodeRefused) -> None:
        self.refused.emit(refusal.vi, refusal.en)

    def _on_state(self, state: str, error: ScannerError | None) -> None:
        # the reader's thread: only plain values cross to the GUI thread, through the queued signal
        if state == "stopped":
            return
        device = self._reader.device if self._reader is not None else ""
        vi, en = state_words(state, error, device)
        self.state, self.words = state, (vi, en)
        self.state_changed.emit(state, vi, en)
