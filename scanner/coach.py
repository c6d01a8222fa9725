"""Scan coaching: for each frame, one reason the screen can show the person holding the code."""

from __future__ import annotations

import enum

import cv2
import numpy as np

from scanner.engines import Decoded


class Advice(enum.StrEnum):
    OK = "ok"
    NO_CODE = "no_code"
    UNREADABLE = "unreadable"
    TOO_DARK = "too_dark"
    TOO_BLURRY = "too_blurry"
    GLARE = "glare"
    TOO_FAR = "too_far"

    @property
    def vi(self) -> str:
        return _TEXT[self][0]

    @property
    def en(self) -> str:
        return _TEXT[self][1]


_TEXT = {
    Advice.OK: ("Đã đọc được mã", "Code read"),
    Advice.NO_CODE: ("Đưa mã QR vào giữa khung hình", "Hold the QR code inside the frame"),
    Advice.UNREADABLE: ("Đã thấy mã nhưng chưa đọc được — giữ yên", "Code seen but not readable — hold still"),
    Advice.TOO_DARK: ("Quá tối — tăng độ sáng màn hình hoặc thêm đèn", "Too dark — raise the screen brightness or add light"),
    Advice.TOO_BLURRY: ("Ảnh bị nhoè — giữ yên thẻ hoặc điện thoại", "Too blurry — hold the card or phone still"),
    Advice.GLARE: ("Bị loá — nghiêng điện thoại hoặc thẻ một chút", "Glare — tilt the phone or card a little"),
    Advice.TOO_FAR: ("Đưa mã lại gần camera hơn", "Move the code closer to the camera"),
}

DARK_MEAN = 45.0  # mean grey level below which the picture is too dark to read
GLARE_FRACTION = 0.08  # share of saturated pixels in the code region that means glare
BLUR_VARIANCE = 80.0  # Laplacian variance below which the code region is too soft
FAR_FRACTION = 0.12  # code side smaller than this share of the frame's short side is too far


def region(gray: np.ndarray, corners: tuple[tuple[float, float], ...], margin: float = 0.15) -> np.ndarray:
    """The axis-aligned crop around a located code, with a margin, clipped to the frame."""
    pts = np.array(corners, dtype=np.float32)
    x0, y0 = pts.min(axis=0)
    x1, y1 = pts.max(axis=0)
    mx, my = (x1 - x0) * margin, (y1 - y0) * margin
    h, w = gray.shape[:2]
    xa, ya = max(int(x0 - mx), 0), max(int(y0 - my), 0)
    xb, yb = min(int(x1 + mx) + 1, w), min(int(y1 + my) + 1, h)
    return gray[ya:yb, xa:xb]


def _glare_blob(crop: np.ndarray, side_px: float) -> bool:
    """A washed-out patch several modules wide (white modules alone never survive the opening)."""
    saturated = (crop >= 250).astype(np.uint8)
    if float(saturated.mean()) < GLARE_FRACTION:
        return False
    k = max(3, int(side_px / 8))
    opened = cv2.morphologyEx(saturated, cv2.MORPH_OPEN, np.ones((k, k), np.uint8))
    return float(opened.mean()) > GLARE_FRACTION


def advise(small: np.ndarray, located: list[Decoded], decoded: bool) -> Advice:
    """``small``: the grey frame the first pass saw; ``located``: symbols found in it (read or not)."""
    if decoded:
        return Advice.OK
    if float(small.mean()) < DARK_MEAN:
        return Advice.TOO_DARK
    unread = [d for d in located if not d.valid and len(d.corners) >= 4]
    if unread:
        symbol = max(unread, key=lambda d: d.side_px)
        crop = region(small, symbol.corners, margin=0.0)
        if crop.size and _glare_blob(crop, symbol.side_px):
            return Advice.GLARE
        if symbol.side_px < FAR_FRACTION * min(small.shape[:2]):
            return Advice.TOO_FAR
        if crop.size and float(cv2.Laplacian(crop, cv2.CV_32F).var()) < BLUR_VARIANCE:
            return Advice.TOO_BLURRY
        return Advice.UNREADABLE
    h, w = small.shape[:2]
    centre = small[h // 4 : 3 * h // 4, w // 4 : 3 * w // 4]
    if float((centre >= 250).mean()) > 2 * GLARE_FRACTION:
        return Advice.GLARE
    return Advice.NO_CODE
