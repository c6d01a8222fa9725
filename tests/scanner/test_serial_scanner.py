"""A USB-COM scanner played by a pseudo-terminal: the test writes to the master byte by byte, the reader reads the
slave's path (through a symlink, as udev's /dev/serial/by-id names a scanner, so "unplugged and back" can be a new
pty behind the same name)."""

from __future__ import annotations

import os
import queue
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from scanner.serial_scanner import CodeRefused, CodeSplitter, SerialScanner, SerialScannerError, choose_port

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")

NAME = "Nguyễn Thị Hằng Ưng"  # every character past ASCII is 2 or 3 bytes in UTF-8
QR = f"079012345678|123456789|{NAME.upper()}|01011990|Nữ|Số 5 Lê Lợi, Phường Bến Thành|15082021"


class Pty:
    """A scanner on a pseudo-terminal: ``send`` writes to the master one byte at a time; ``unplug`` closes it."""

    def __init__(self, link: Path) -> None:
        self.master, slave = os.openpty()
        self.slave_path = os.ttyname(slave)
        os.close(slave)  # the reader opens it by path, like a real port
        self.link = link
        if link.is_symlink():
            link.unlink()
        link.symlink_to(self.slave_path)

    def send(self, data: bytes, pause: float = 0.0) -> None:
        for i in range(len(data)):
            os.write(self.master, data[i:i + 1])
            if pause:
                time.sleep(pause)

    def unplug(self) -> None:
        os.close(self.master)
        self.link.unlink()


class Reader:
    def __init__(self, port: str, **options) -> None:  # noqa: ANN003
        self.events: queue.Queue = queue.Queue()
        self.scanner = SerialScanner(port, on_code=lambda text: self.events.put(("code", text)),
                                     on_state=lambda state, error: self.events.put(("state", state)),
                                     on_refused=lambda refusal: self.events.put(("refused", refusal)),
                                     retry_initial=0.05, retry_max=0.2, read_timeout=0.05, **options).start()

    def next(self, kind: str, timeout: float = 3.0):  # noqa: ANN201
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                got, value = self.events.get(timeout=left)
            except queue.Empty:
                break
            if got == kind:
                return value
        raise AssertionError(f"no {kind} within {timeout} s")

    def state(self, wanted: str, timeout: float = 3.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.next("state", deadline - time.monotonic()) == wanted:
                return
        raise AssertionError(f"state {wanted} not reached")


@pytest.fixture
def link(tmp_path: Path) -> Path:
    return tmp_path / "scanner"


@pytest.fixture
def reader_of(link: Path):  # noqa: ANN201
    readers: list[Reader] = []

    def make(**options) -> Reader:  # noqa: ANN003
        reader = Reader(str(link), **options)
        readers.append(reader)
        return reader

    yield make
    for reader in readers:
        reader.scanner.stop()


def test_codes_split_on_cr_lf_crlf_and_tab_with_vietnamese_exact(link: Path, reader_of) -> None:
    pty = Pty(link)
    reader = reader_of()
    reader.state("connected")
    pty.send(QR.encode() + b"\r")  # byte by byte: every multi-byte letter arrives in pieces
    assert reader.next("code") == QR, "the name comes through exactly, diacritics and all"
    pty.send(b"first\nsecond\r\nthird\tfourth\r\r\n")
    assert [reader.next("code") for _ in range(4)] == ["first", "second", "third", "fourth"]
    assert reader.events.empty(), "CRLF and empty lines make no empty codes"
    pty.unplug()


def test_a_multibyte_letter_split_across_slow_writes_is_joined(link: Path, reader_of) -> None:
    pty = Pty(link)
    reader = reader_of()
    reader.state("connected")
    raw = f"{NAME}\r".encode()
    cut = raw.index("ễ".encode()) + 1  # in the middle of the 3-byte ễ
    os.write(pty.master, raw[:cut])
    time.sleep(0.2)  # longer than the reader's read timeout: the first half is read on its own
    os.write(pty.master, raw[cut:])
    assert reader.next("code") == NAME
    pty.unplug()


def test_invalid_utf8_and_over_long_codes_are_refused_and_reading_goes_on(link: Path, reader_of) -> None:
    pty = Pty(link)
    reader = reader_of(max_code_bytes=64)
    reader.state("connected")
    pty.send("Nguyễn".encode("cp1258", errors="replace") + b"\xff\xfe\r")  # a code page, not UTF-8
    refusal = reader.next("refused")
    assert isinstance(refusal, CodeRefused) and "UTF-8" in refusal.vi and "UTF-8" in refusal.en
    os.write(pty.master, b"A" * 500 + b"\n")  # garbage longer than the limit: dropped up to its terminator
    refusal = reader.next("refused")
    assert "quá dài" in refusal.vi and "64" in refusal.en
    pty.send(b"next|code\r")
    assert reader.next("code") == "next|code", "the reader is still reading after refusals"
    assert reader.events.empty(), "the rest of the long piece is not a code"
    pty.unplug()


def test_unplugged_scanner_is_waited_for_and_read_again_when_back(link: Path, reader_of) -> None:
    reader = reader_of()
    reader.state("waiting")  # nothing plugged in yet
    assert reader.scanner.error is not None and "scanner" in reader.scanner.error.en.lower()
    pty = Pty(link)
    reader.state("connected")
    pty.send(b"before\r")
    assert reader.next("code") == "before"
    pty.send(b"half a co")  # pulled out mid-code: the half is never a code
    pty.unplug()
    reader.state("waiting")
    assert reader.scanner.alive
    again = Pty(link)  # plugged back in: a new device behind the same name
    reader.state("connected")
    again.send(b"after\r")
    assert reader.next("code") == "after"
    again.unplug()


def test_a_code_without_a_terminator_is_refused_with_what_to_set(link: Path, reader_of) -> None:
    pty = Pty(link)
    reader = reader_of()
    reader.state("connected")
    pty.send(b"079012345678")
    refusal = reader.next("refused", timeout=4)
    assert "CR/LF" in refusal.vi and "Enter" in refusal.en
    pty.unplug()


def test_stop_is_quick_and_final(link: Path) -> None:
    pty = Pty(link)
    reader = Reader(str(link), )
    reader.state("connected")
    started = time.monotonic()
    reader.scanner.stop()
    assert time.monotonic() - started < 1.0 and not reader.scanner.alive
    assert reader.scanner.state == "stopped"
    pty.unplug()


def test_splitter_limits_and_bom() -> None:
    splitter = CodeSplitter(max_bytes=8)
    assert splitter.feed(b"\xef\xbb\xbfabc\r") == ["abc"], "a byte-order mark is not part of the code"
    out = splitter.feed(b"123456789012\tok\n")
    assert isinstance(out[0], CodeRefused) and out[1:] == ["ok"]


def _port(device: str, vid: int | None = None, **text: str) -> SimpleNamespace:
    return SimpleNamespace(device=device, vid=vid, pid=1, manufacturer=text.get("manufacturer"),
                           product=text.get("product"), description=text.get("description", "n/a"))


def test_auto_prefers_a_known_scanner_maker_and_never_guesses_a_bridge() -> None:
    printer_bridge = _port("/dev/ttyUSB0", 0x0403, manufacturer="FTDI")
    modem = _port("/dev/ttyACM0", 0x2341, product="Arduino Uno")
    honeywell = _port("/dev/ttyACM1", 0x0C2E, product="Xenon 1900")
    named = _port("/dev/ttyACM2", 0x1234, product="2D Barcode Scanner")
    assert choose_port([printer_bridge, modem, honeywell, named]).device == "/dev/ttyACM1"
    assert choose_port([printer_bridge, modem, named]).device == "/dev/ttyACM2"
    assert choose_port([printer_bridge, modem]).device == "/dev/ttyACM0", "the only CDC device"
    assert choose_port([modem, _port("/dev/ttyACM3", 0x2342)]) is None, "two unknown CDC devices: never a guess"
    assert choose_port([printer_bridge, _port("/dev/ttyS0")]) is None
    assert choose_port([_port("COM3", 0x1234, description="USB Serial Device (COM3)")]).device == "COM3"


def test_a_bad_port_name_is_refused() -> None:
    with pytest.raises(SerialScannerError):
        SerialScanner("/dev/tty\x00ACM0", on_code=print)
