"""Raw QR decoding engines: zxing-cpp, zbar (through pyzbar's ctypes wrapper) and OpenCV.

Every engine hands back the code's raw bytes; ``text_from_bytes`` turns them into text as UTF-8
first, so Vietnamese names survive (zbar, left to itself, guesses encodings and garbles them).
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import zxingcpp

Point = tuple[float, float]


@dataclass(frozen=True)
class Decoded:
    text: str
    raw: bytes
    engine: str
    corners: tuple[Point, ...] = ()  # clockwise from top-left, in frame pixels
    valid: bool = True  # False: a symbol was located but could not be read

    @property
    def side_px(self) -> float:
        """Approximate side length of the symbol in pixels (0 when unknown)."""
        if len(self.corners) < 4:
            return 0.0
        pts = np.array(self.corners, dtype=np.float32)
        return float(np.mean([np.linalg.norm(pts[i] - pts[(i + 1) % 4]) for i in range(4)]))


def text_from_bytes(raw: bytes, fallback: str = "") -> str:
    """UTF-8 when the bytes are UTF-8 (every Vietnamese payload); else the engine's own reading
    (zxing-cpp honours ECI and guesses); else Shift_JIS, the QR standard's old default; else Latin-1."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if fallback:
        return fallback
    try:
        return raw.decode("shift_jis")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _opencv_bytes(text: str) -> bytes:
    """OpenCV hands back a str; when it decoded non-UTF-8 bytes as Latin-1, recover the bytes."""
    try:
        raw = text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")
    return raw


Engine = Callable[[np.ndarray], list[Decoded]]

_QR = zxingcpp.BarcodeFormat.QRCode


def zxing_engine(*, fast: bool = False, errors: bool = False) -> Engine:
    """zxing-cpp. ``fast``: one resolution, no rotation tries (the live first pass); it still tries the
    inverted image when the plain one finds nothing (light-on-dark codes; ~0.2 ms on a 960×540 frame)."""
    options: dict[str, object] = {"text_mode": zxingcpp.TextMode.Plain}
    if fast:
        options.update(try_rotate=False, try_invert=True, try_downscale=False)

    def decode(gray: np.ndarray) -> list[Decoded]:
        found = []
        for r in zxingcpp.read_barcodes(gray, formats=_QR, return_errors=errors, **options):
            p = r.position
            corners = tuple((float(q.x), float(q.y)) for q in (p.top_left, p.top_right, p.bottom_right, p.bottom_left))
            raw = bytes(r.bytes)
            found.append(Decoded(text_from_bytes(raw, r.text), raw, "zxing", corners, bool(r.valid)))
        return found

    return decode


# FOURCC of 8-bit grayscale ("Y800"), as zbar_image_set_format wants it.
_Y800 = int.from_bytes(b"Y800", "little")
# zbar's configuration number for "hand back the raw bytes, do not guess a text encoding"
# (ZBAR_CFG_BINARY in zbar.h 0.23+; pyzbar's enum predates it).
_ZBAR_CFG_BINARY = 4


def zbar_engine() -> Engine:
    from pyzbar import wrapper as zw  # loads libzbar: only when the engine is chosen

    def decode(gray: np.ndarray) -> list[Decoded]:
        gray = np.ascontiguousarray(gray, dtype=np.uint8)
        height, width = gray.shape[:2]
        scanner = zw.zbar_image_scanner_create()
        image = zw.zbar_image_create()
        try:
            zw.zbar_image_scanner_set_config(scanner, zw.ZBarSymbol.NONE, zw.ZBarConfig.CFG_ENABLE, 0)
            zw.zbar_image_scanner_set_config(scanner, zw.ZBarSymbol.QRCODE, zw.ZBarConfig.CFG_ENABLE, 1)
            zw.zbar_image_scanner_set_config(scanner, zw.ZBarSymbol.QRCODE, _ZBAR_CFG_BINARY, 1)
            zw.zbar_image_set_format(image, _Y800)
            zw.zbar_image_set_size(image, width, height)
            data = gray.tobytes()
            zw.zbar_image_set_data(image, ctypes.cast(data, ctypes.c_void_p), len(data), None)
            if zw.zbar_scan_image(scanner, image) <= 0:
                return []
            found = []
            symbol = zw.zbar_image_first_symbol(image)
            while symbol:
                raw = ctypes.string_at(zw.zbar_symbol_get_data(symbol), zw.zbar_symbol_get_data_length(symbol))
                points = tuple(
                    (float(zw.zbar_symbol_get_loc_x(symbol, i)), float(zw.zbar_symbol_get_loc_y(symbol, i)))
                    for i in range(zw.zbar_symbol_get_loc_size(symbol))
                )
                found.append(Decoded(text_from_bytes(raw), raw, "zbar", points[:4]))
                symbol = zw.zbar_symbol_next(symbol)
            return found
        finally:
            zw.zbar_image_destroy(image)
            zw.zbar_image_scanner_destroy(scanner)

    return decode


def opencv_engine() -> Engine:
    detector = cv2.QRCodeDetector()

    def decode(gray: np.ndarray) -> list[Decoded]:
        try:
            ok, texts, points, _ = detector.detectAndDecodeMulti(gray)
        except (cv2.error, UnicodeDecodeError):  # OpenCV decodes to str itself and fails on non-UTF-8
            return []
        if not ok or points is None:
            return []
        found = []
        for text, quad in zip(texts, points, strict=False):
            if not text:
                continue
            # OpenCV returns text only; for UTF-8 payloads its bytes are the code's bytes.
            raw = _opencv_bytes(text)
            found.append(Decoded(text_from_bytes(raw), raw, "opencv", tuple(map(tuple, quad.tolist()))))
        return found

    return decode


ENGINES: dict[str, Callable[[], Engine]] = {
    "zxing": zxing_engine,
    "zbar": zbar_engine,
    "opencv": opencv_engine,
}


def make_engines(names: Sequence[str]) -> list[tuple[str, Engine]]:
    unknown = [n for n in names if n not in ENGINES]
    if unknown:
        raise ValueError(f"unknown decoder engine(s): {', '.join(unknown)} (known: {', '.join(ENGINES)})")
    return [(name, ENGINES[name]()) for name in names]
