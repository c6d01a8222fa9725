"""Typed errors of the scanner. Each carries a Vietnamese and an English message.

scanner/ imports nothing else of the project, so it has its own small error base.
"""

from __future__ import annotations


class ScannerError(Exception):
    def __init__(self, vi: str, en: str) -> None:
        self.vi = vi
        self.en = en
        super().__init__(f"{vi} / {en}")


class PayloadError(ScannerError):
    """A QR text is not a payload we know, or breaks the rules of its format."""


class InputMethodOn(PayloadError):
    """A keyboard-wedge scanner typed the code through a Vietnamese input method (Unikey/EVKey), which
    merged letters (``ee`` -> ``ê``): the message says to switch it off while scanning."""


class UnsafeText(PayloadError):
    """A field holds a control character, a bidirectional override or another invisible character."""


class CameraError(ScannerError):
    """A frame source cannot be opened or stopped delivering frames."""


class CameraNotFound(CameraError):
    """No camera at that index or URL (never there, or unplugged)."""
