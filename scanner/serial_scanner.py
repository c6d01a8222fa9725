"""USB virtual-COM (CDC/ACM) and RS-232 barcode scanners read from a serial port (DOMAIN.md §15).

A keyboard-wedge scanner cannot type the diacritics of a CCCD name and a Vietnamese input method garbles the hex
of a BHYT QR, so clinics set CCCD scanners to USB-COM mode: the scanner sends the code's raw bytes to a serial port
(``/dev/ttyACM0``, ``COM3``) followed by a terminator. Here those bytes are split on CR, LF, CRLF or TAB, each code
is decoded as UTF-8 (invalid UTF-8 is refused, never shown as mojibake) and limited to ``MAX_CODE_BYTES``.

``SerialScanner`` reads on its own thread, reopens the port when the scanner is unplugged (backing off up to
``retry_max`` seconds between tries) and reports its state — "connected", "waiting" (no scanner there) or "error"
(there but not usable: no permission, busy) — and every code or refusal through callbacks.

``scanner.serial = auto`` finds the scanner with ``choose_port``: among the USB serial ports, first one of a known
scanner maker (by USB vendor id, or the maker or product name saying scanner/barcode/imager); otherwise the only
CDC/ACM device (``/dev/ttyACM*``, macOS ``usbmodem``, Windows "USB Serial Device"). Plain USB-serial bridges
(FTDI, Prolific, CH340, CP210x) and several unknown CDC devices are never guessed at: set the port by name.
"""

from __future__ import annotations

import errno
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import serial
from serial.tools import list_ports

from scanner.errors import ScannerError

log = logging.getLogger("scanner.serial")

MAX_CODE_BYTES = 4096  # a CCCD QR is ~150 bytes, a BHYT QR ~300: anything past 4 KiB is line noise
MAX_PORT_SPEC = 256
TERMINATORS = frozenset(b"\r\n\t")
UNTERMINATED_SECONDS = 1.5  # bytes left without a terminator this long: the scanner sends no suffix
AUTO = "auto"

# USB vendor ids of barcode-scanner makers (their CDC/COM mode keeps the vendor id).
SCANNER_VENDORS: dict[int, str] = {
    0x0C2E: "Honeywell (Metrologic, Hand Held Products)",
    0x05E0: "Zebra (Symbol)",
    0x05F9: "Datalogic",
    0x1EAB: "Newland",
    0x065A: "Opticon",
}
# Words in a USB device's maker or product name that say it is a scanner.
SCANNER_WORDS = ("honeywell", "metrologic", "zebra", "symbol", "datalogic", "newland", "zebex", "opticon",
                 "scanner", "barcode", "bar code", "imager")


class SerialScannerError(ScannerError):
    """The serial port cannot be opened or read, or no scanner is found."""


class CodeRefused(ScannerError):
    """What came from the scanner is not a code that can be taken (not UTF-8, too long, no terminator)."""


@dataclass(frozen=True)
class PortChoice:
    device: str
    why: str  # "vendor" | "name" | "cdc"


def _is_cdc(port: Any) -> bool:
    device = str(getattr(port, "device", "") or "")
    description = str(getattr(port, "description", "") or "").lower()
    base = os.path.basename(device)
    return base.startswith("ttyACM") or "usbmodem" in base or "usb serial device" in description


def _says_scanner(port: Any) -> bool:
    words = " ".join(str(getattr(port, a, "") or "") for a in ("manufacturer", "product", "description")).lower()
    return any(word in words for word in SCANNER_WORDS)


def choose_port(ports: Iterable[Any]) -> PortChoice | None:
    """The scanner among the serial ports (``serial.tools.list_ports.comports()``), or None (see the module)."""
    usb = sorted((p for p in ports if getattr(p, "vid", None) is not None), key=lambda p: str(p.device))
    for port in usb:
        if port.vid in SCANNER_VENDORS:
            return PortChoice(port.device, "vendor")
    for port in usb:
        if _says_scanner(port):
            return PortChoice(port.device, "name")
    cdc = [p for p in usb if _is_cdc(p)]
    if len(cdc) == 1:
        return PortChoice(cdc[0].device, "cdc")
    return None


def find_scanner_port() -> str:
    """``auto``: the scanner's port now; SerialScannerError when there is none (or several that cannot be told
    apart)."""
    ports = list(list_ports.comports())
    choice = choose_port(ports)
    if choice is None:
        cdc = sum(1 for p in ports if getattr(p, "vid", None) is not None and _is_cdc(p))
        if cdc > 1:
            raise SerialScannerError(
                "Có nhiều thiết bị cổng COM, không biết cái nào là máy quét: hãy đặt scanner.serial là tên cổng",
                "Several COM devices and none known as a scanner: set scanner.serial to the port's name")
        raise SerialScannerError("Chưa thấy máy quét cổng COM nào", "No COM-port scanner found")
    log.info("serial scanner found (%s): %s", choice.why, choice.device)
    return choice.device


def check_port_spec(spec: str) -> str:
    """A port name as configured: ``auto``, a device path or a COM name; refused when it cannot be one."""
    spec = spec.strip()
    if not spec or len(spec) > MAX_PORT_SPEC or any(ord(c) < 32 for c in spec):
        raise SerialScannerError(f"Tên cổng máy quét không hợp lệ: {spec[:40]!r}",
                                 f"Not a valid scanner port name: {spec[:40]!r}")
    return spec


class CodeSplitter:
    """Bytes in, codes out: split on CR, LF, CRLF or TAB (empty pieces between terminators are nothing), each
    decoded as UTF-8; a piece that is not UTF-8 or longer than ``max_bytes`` becomes a ``CodeRefused``. A
    multi-byte character split across reads is joined before decoding."""

    def __init__(self, max_bytes: int = MAX_CODE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._buffer = bytearray()
        self._overflow = False  # dropping the rest of an over-long piece up to its terminator
        self.last_byte_at = 0.0

    @property
    def pending(self) -> bool:
        return bool(self._buffer) or self._overflow

    def feed(self, data: bytes, now: float | None = None) -> list[str | CodeRefused]:
        out: list[str | CodeRefused] = []
        if data:
            self.last_byte_at = time.monotonic() if now is None else now
        for byte in data:
            if byte in TERMINATORS:
                if self._overflow:
                    self._overflow = False
                elif self._buffer:
                    out.append(self._decode(bytes(self._buffer)))
                self._buffer.clear()
                continue
            if self._overflow:
                continue
            self._buffer.append(byte)
            if len(self._buffer) > self.max_bytes:
                self._buffer.clear()
                self._overflow = True
                out.append(CodeRefused(
                    f"Mã quá dài (hơn {self.max_bytes} byte): bỏ qua — quét lại",
                    f"Code longer than {self.max_bytes} bytes: dropped — scan again"))
        return out

    def stale(self, now: float | None = None, seconds: float = UNTERMINATED_SECONDS) -> CodeRefused | None:
        """Bytes waiting ``seconds`` with no terminator: dropped, with the reason (the scanner adds no suffix)."""
        now = time.monotonic() if now is None else now
        if not self.pending or now - self.last_byte_at < seconds:
            return None
        self.reset()
        return CodeRefused(
            "Máy quét gửi mã không có ký tự kết thúc (CR/LF): cài máy quét thêm Enter sau mỗi mã",
            "The scanner sent a code without a terminator (CR/LF): set it to add Enter after each code")

    def reset(self) -> None:
        self._buffer.clear()
        self._overflow = False

    @staticmethod
    def _decode(raw: bytes) -> str | CodeRefused:
        if raw.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte-order mark some scanners put first
            raw = raw[3:]
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            return CodeRefused(
                f"Mã đọc được không phải UTF-8 (byte lỗi ở vị trí {exc.start}): cài máy quét gửi UTF-8 rồi quét lại",
                f"The code read is not UTF-8 (bad byte at {exc.start}): set the scanner to send UTF-8 and scan again")


StateCallback = Callable[[str, "ScannerError | None"], None]


class SerialScanner:
    """Reads codes from a serial scanner on a thread; see the module. ``on_code(text)`` gets each code,
    ``on_refused(CodeRefused)`` each refusal, ``on_state(state, error)`` each change of state (all on the
    reader's thread). ``port`` is a device path, a COM name or ``auto``."""

    def __init__(
        self,
        port: str,
        *,
        on_code: Callable[[str], None],
        on_state: StateCallback | None = None,
        on_refused: Callable[[CodeRefused], None] | None = None,
        baud: int = 9600,
        max_code_bytes: int = MAX_CODE_BYTES,
        retry_initial: float = 0.25,
        retry_max: float = 5.0,
        read_timeout: float = 0.2,
    ) -> None:
        self.port = check_port_spec(port)
        self.baud = baud
        self.on_code = on_code
        self.on_state = on_state
        self.on_refused = on_refused
        self.retry_initial = retry_initial
        self.retry_max = retry_max
        self.read_timeout = read_timeout
        self.splitter = CodeSplitter(max_code_bytes)
        self.state = "starting"
        self.error: ScannerError | None = None
        self.device = ""  # the port opened last (what ``auto`` found)
        self._serial: serial.Serial | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"serial-scanner:{self.port}", daemon=True)

    def start(self) -> SerialScanner:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        port = self._serial
        if port is not None:
            try:
                port.cancel_read()  # wakes a read waiting on the port
            except Exception:  # noqa: BLE001 - closing anyway
                pass
        if self._thread.is_alive():
            self._thread.join(timeout=3)
        self._set_state("stopped")

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _set_state(self, state: str, error: ScannerError | None = None) -> None:
        if (state, getattr(error, "en", None)) == (self.state, getattr(self.error, "en", None)):
            return
        self.state, self.error = state, error
        if state != "connected":
            log.info("serial scanner %s: %s%s", self.port, state, f" ({error.en})" if error else "")
        if self.on_state is not None:
            self.on_state(state, error)

    def _open(self) -> bool:
        try:
            device = find_scanner_port() if self.port.lower() == AUTO else self.port
        except SerialScannerError as exc:
            self._set_state("waiting", exc)
            return False
        options: dict[str, Any] = {"baudrate": self.baud, "timeout": self.read_timeout}
        if sys.platform != "win32":
            options["exclusive"] = True  # two stations never read the same scanner (Windows ports are exclusive)
        try:
            self._serial = serial.Serial(device, **options)
        except (serial.SerialException, OSError, ValueError) as exc:
            self._serial = None
            self._set_state(*_open_failure(device, exc))
            return False
        self.device = device
        self.splitter.reset()
        self._set_state("connected")
        return True

    def _close(self) -> None:
        if self._serial is not None:
            try:
                self._serial.close()
            except Exception:  # noqa: BLE001 - a vanished device may fail to close
                pass
            self._serial = None

    def _run(self) -> None:
        delay = self.retry_initial
        while not self._stop.is_set():
            if self._serial is None:
                if not self._open():
                    self._stop.wait(delay)
                    delay = min(delay * 2, self.retry_max)
                    continue
                delay = self.retry_initial
            try:
                data = self._serial.read(max(1, self._serial.in_waiting))
            except (serial.SerialException, OSError, TypeError, AttributeError) as exc:
                # TypeError/AttributeError: pyserial's own state after the device vanished mid-call
                if self._stop.is_set():
                    break
                log.warning("serial scanner %s lost: %s", self.device, type(exc).__name__)
                self._close()
                self.splitter.reset()
                self._set_state("waiting", SerialScannerError(
                    "Mất kết nối máy quét (rút cáp?)", "Lost the scanner (unplugged?)"))
                continue
            for item in self.splitter.feed(data):
                self._deliver(item)
            if not data and (refusal := self.splitter.stale()) is not None:
                self._deliver(refusal)
        self._close()

    def _deliver(self, item: str | CodeRefused) -> None:
        try:
            if isinstance(item, CodeRefused):
                log.info("serial scanner: code refused: %s", item.en)  # the reason only, never the code
                if self.on_refused is not None:
                    self.on_refused(item)
            else:
                self.on_code(item)
        except Exception:  # a callback's failure must not stop the reader
            log.exception("serial scanner callback failed")


def _open_failure(device: str, exc: Exception) -> tuple[str, SerialScannerError]:
    """The state and the reason an open failed: a missing port is "waiting" (plug it in), anything else "error"."""
    code = getattr(exc, "errno", None)  # pyserial keeps the OS error number on POSIX; Windows only names it
    text = str(exc)
    if code == errno.ENOENT or "FileNotFoundError" in text or "cannot find" in text.lower():
        return "waiting", SerialScannerError(f"Chưa thấy máy quét ở cổng {device}",
                                             f"No scanner at port {device}")
    if code == errno.EACCES or "PermissionError" in text or "Permission denied" in text:
        if sys.platform.startswith("linux"):
            hint_vi, hint_en = ("thêm người dùng vào nhóm dialout rồi đăng nhập lại",
                                "add the user to the dialout group and log in again")
        else:  # Windows says "access denied" when another program holds the port
            hint_vi, hint_en = "cổng đang bị chương trình khác dùng?", "is another program using the port?"
        return "error", SerialScannerError(f"Không có quyền mở cổng {device}: {hint_vi}",
                                           f"No permission to open port {device}: {hint_en}")
    if code == errno.EBUSY or "exclusively lock" in text:
        return "error", SerialScannerError(f"Cổng {device} đang bị chương trình khác dùng",
                                           f"Port {device} is in use by another program")
    return "error", SerialScannerError(f"Không mở được cổng {device}", f"Cannot open port {device}")
