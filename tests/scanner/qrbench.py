"""The public QR photos in ../shared/qrbench-data with their expected texts."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
QRBENCH = SHARED / "qrbench-data"
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp"}


def normalise(text: str | bytes) -> str:
    """Compare texts the way a reader would: NFKC, whitespace ignored (the expected files of
    Shift_JIS codes are stored as UTF-8 with full-width kana and different line breaks)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def samples(folder: str | None = None) -> list[tuple[Path, str]]:
    """(image, expected text) for every single-code sample (structured-append sets left out)."""
    out = []
    for directory in sorted(QRBENCH.iterdir()):
        if not directory.is_dir() or directory.name == "zxingcpp-qrcode-7":
            continue
        if folder and directory.name != folder:
            continue
        for image in sorted(directory.iterdir()):
            expected = image.with_suffix(".txt")
            if image.suffix.lower() in IMAGE_SUFFIXES and expected.exists():
                out.append((image, normalise(expected.read_bytes())))
    return out
