"""Masking of personal identifiers for logs, screens and paper.

Rules (one place, used by the log formatter, the windows and the printed slips):

* ID-like digit runs (9-digit CMND, 10-digit BHXH number or phone, 12-digit CCCD, any run of
  9 to 15 digits) and the 15-character BHYT card code keep their first 4 and last 2 characters:
  ``001099012345`` -> ``0010******45``, ``HC4010123456789`` -> ``HC40*********89``.
* Phone numbers written with ``+84`` or with spaces/dots/dashes are masked the same way.
* Hex-encoded UTF-8 text (how a BHYT QR carries names and addresses) is masked whole.
* QR payloads (pipe-separated fields) have every field masked.
* Credentials (``token=…``, ``passwordHash: …``, an MD5 digest) are replaced by ``***``.
* Names and addresses the program has seen (``remember``) are reduced to initials wherever they
  appear, in any letter case.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import OrderedDict

_KEEP_HEAD = 4
_KEEP_TAIL = 2

# A 15-char BHYT card code: 2 letters, benefit digit, 2 province digits, 10-digit BHXH number.
_CARD_RE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{13}(?![A-Za-z0-9])")
# Phone numbers in the usual Vietnamese spellings, separators allowed.
_PHONE_RE = re.compile(r"(?<![\w+])(?:\+84|0084|0)(?:[\s.\-]?\d){9,10}(?!\d)")
# Any other run of 9..15 digits (CMND, BHXH number, CCCD, card numbers typed without letters).
_DIGITS_RE = re.compile(r"(?<!\d)\d{9,15}(?!\d)")
# Hex strings long enough to hold a name.
_HEX_RE = re.compile(r"(?<![0-9A-Fa-f])(?:[0-9A-Fa-f]{2}){6,}(?![0-9A-Fa-f])")
# Credentials in URLs, headers or JSON: token=…, "passwordHash": "…", accessToken: …
_SECRET_RE = re.compile(
    r"\b(token|id_token|access_token|accessToken|tokenId|password|passwordHash|APIKey)\b"
    r"(\s*[\"']?\s*[=:]\s*[\"']?)([^&\s\"',;}]+)"
)
# An MD5 digest (how the gateway password travels): 32 hex digits, nothing more around them.
_MD5_RE = re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{32}(?![0-9A-Fa-f])")
# A pipe-separated payload of four fields or more, on one line.
_PAYLOAD_RE = re.compile(r"[^|\r\n]*(?:\|[^|\r\n]*){3,}")


def mask_id(value: str) -> str:
    """Mask an identifier, keeping its first 4 and last 2 characters."""
    value = value.strip()
    if len(value) <= _KEEP_HEAD + _KEEP_TAIL:
        return "*" * len(value)
    return value[:_KEEP_HEAD] + "*" * (len(value) - _KEEP_HEAD - _KEEP_TAIL) + value[-_KEEP_TAIL:]


def _mask_phone(match: re.Match[str]) -> str:
    digits = re.sub(r"[\s.\-]", "", match.group(0))
    return mask_id(digits)


def initials(name: str) -> str:
    """``Nguyễn Văn An`` -> ``N. V. A.`` (what a log line may say about a person)."""
    return " ".join(word[0] + "." for word in name.split() if word)


def mask_name(name: str) -> str:
    """A name for public screens and paper: family name initial, middle initials, given name.

    ``Nguyễn Văn An`` -> ``N. V. An``: enough for the patient to recognise, not enough to identify.
    """
    words = name.split()
    if len(words) <= 1:
        return name[:1] + "." if name else ""
    return " ".join([w[0] + "." for w in words[:-1]] + [words[-1]])


def _looks_like_hex_text(hexstr: str) -> bool:
    try:
        text = bytes.fromhex(hexstr).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return False
    return all(ch.isprintable() for ch in text) and any(ch.isalpha() for ch in text)


def _mask_hex(match: re.Match[str]) -> str:
    value = match.group(0)
    if value.isdigit():  # plain digit runs are ID numbers, masked by the digit rule
        return value
    return "<hex*>" if _looks_like_hex_text(value) else value


def _mask_field(field: str) -> str:
    stripped = field.strip()
    if len(stripped) <= 3:  # empty, "$", sex ("Nam"/"Nữ"/"1"), area codes
        return field
    masked = mask_text_ids(field)
    if masked != field:
        return masked
    if any(ch.isalpha() for ch in stripped):
        return initials(stripped)
    return field


def _mask_payload(match: re.Match[str]) -> str:
    return "|".join(_mask_field(f) for f in match.group(0).split("|"))


class _Remembered:
    """A bounded set of names and addresses to hide wherever they appear."""

    def __init__(self, capacity: int = 2000) -> None:
        self._items: OrderedDict[str, str] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()
        self._pattern: re.Pattern[str] | None = None

    def add(self, text: str) -> None:
        text = " ".join(text.split())
        if len(text) < 4:
            return
        key = unicodedata.normalize("NFC", text).casefold()
        with self._lock:
            self._items[key] = initials(text)
            self._items.move_to_end(key)
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)
            self._pattern = None

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._pattern = None

    def apply(self, text: str) -> str:
        with self._lock:
            if not self._items:
                return text
            if self._pattern is None:
                alternatives = sorted(self._items, key=len, reverse=True)
                self._pattern = re.compile(
                    "|".join(r"\s+".join(map(re.escape, a.split())) for a in alternatives),
                    re.IGNORECASE,
                )
            pattern, items = self._pattern, self._items
        normalized = unicodedata.normalize("NFC", text)
        return pattern.sub(
            lambda m: items.get(" ".join(m.group(0).split()).casefold(), "***"), normalized
        )


_remembered = _Remembered()


def remember(*texts: str | None) -> None:
    """Register names/addresses of people the program has seen, so logs never show them."""
    for text in texts:
        if text:
            _remembered.add(text)


def forget_all() -> None:
    _remembered.clear()


def mask_text_ids(text: str) -> str:
    """Mask ID numbers, card codes, phone numbers and hex-encoded text inside free text."""
    text = _HEX_RE.sub(_mask_hex, text)
    text = _CARD_RE.sub(lambda m: mask_id(m.group(0)), text)
    text = _PHONE_RE.sub(_mask_phone, text)
    return _DIGITS_RE.sub(lambda m: mask_id(m.group(0)), text)


def mask_text(text: str) -> str:
    """Everything a log line must not show in full, masked."""
    if not text:
        return text
    text = _SECRET_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)
    text = _MD5_RE.sub("<md5*>", text)
    text = _remembered.apply(text)
    text = _PAYLOAD_RE.sub(_mask_payload, text)
    return mask_text_ids(text)
