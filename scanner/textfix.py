"""Text that other readers garble, repaired or refused (DOMAIN.md §15).

- **Mojibake**: UTF-8 Vietnamese read through a wrong code page (zbar guesses Big5 or Shift-JIS for a QR
  code without ECI; Windows programs use cp1252). Re-encoding with that code page gives the UTF-8 bytes
  back. ``repair`` tries the candidates and keeps a result only when it is valid UTF-8 and plausible
  Vietnamese, and only for text that is not plausible as it is: right text is never touched.
- **A Vietnamese input method** (Unikey/EVKey, Telex or VNI) between a keyboard-wedge scanner and the
  program merges letters (``ee`` -> ``ê``, ``dd`` -> ``đ``, VNI ``e1`` -> ``é``): fields that must be
  ASCII (hex, digits, codes) arrive with Vietnamese letters. ``ime_typed`` recognises it.
- **Unsafe characters**: control characters, bidirectional overrides, zero-width and other format
  characters, lone surrogates and line separators are refused (``unsafe_char``).
"""

from __future__ import annotations

import unicodedata

# -- the Vietnamese alphabet -------------------------------------------------------------------------
_TONES = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")  # none, huyền, sắc, hỏi, ngã, nặng
_VOWELS = ("a", "a\u0306", "a\u0302", "e", "e\u0302", "i", "o", "o\u0302", "o\u031b", "u", "u\u031b", "y")


def _alphabet() -> frozenset[str]:
    letters = set("abcdefghijklmnopqrstuvwxyzđ")
    for vowel in _VOWELS:
        for tone in _TONES:
            letters.add(unicodedata.normalize("NFC", vowel + tone))
    return frozenset(letters | {ch.upper() for ch in letters})


VIETNAMESE_LETTERS = _alphabet()  # 12 vowels x 6 tones, the consonants and đ, both cases (NFC)
MARKED_LETTERS = frozenset(ch for ch in VIETNAMESE_LETTERS if not ch.isascii())  # what an IME makes
_TYPOGRAPHY = frozenset("\u2013\u2014\u2018\u2019\u201c\u201d\u2026")  # dashes, curly quotes, ellipsis

# -- unsafe characters -------------------------------------------------------------------------------
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def unsafe_char(text: str) -> str | None:
    """The first character no payload field may hold: a control character (NUL, CR, ESC, C1), a
    bidirectional override or isolate, a format character (zero-width, soft hyphen, BOM), a lone
    surrogate or a line/paragraph separator. None when the text is clean."""
    for ch in text:
        if ch in BIDI_CONTROLS or unicodedata.category(ch) in _UNSAFE_CATEGORIES:
            return ch
    return None


def describe(ch: str) -> str:
    return f"U+{ord(ch):04X}"


# -- plausibility ------------------------------------------------------------------------------------
def plausible_vietnamese(text: str) -> bool:
    """Printable ASCII, Vietnamese letters and common typography only, in NFC."""
    if unicodedata.normalize("NFC", text) != text:
        return False
    return all(" " <= ch <= "~" or ch in VIETNAMESE_LETTERS or ch in _TYPOGRAPHY for ch in text)


def _latin_letter(ch: str) -> bool:
    try:
        return unicodedata.name(ch).startswith("LATIN")
    except ValueError:
        return False


# What a cp1252/Latin-1 reader makes of UTF-8 Vietnamese: a lead byte (Ã Ä Å Æ á â) followed by a
# continuation byte shown as a symbol or C1 character (0x80-0xBF).
_LEADS_1252 = frozenset("ÃÄÅÆáâ")
_CONTINUATIONS_1252 = frozenset(bytes(range(0x80, 0xC0)).decode("cp1252", "ignore")) | frozenset(
    bytes(range(0x80, 0xC0)).decode("latin-1"))


def looks_garbled(text: str) -> bool:
    """Text that is no Vietnamese name or address as it stands: letters of a non-Latin script (CJK,
    kana, half-width forms, Hangul), the replacement character, or the cp1252 signature of UTF-8
    (``Ã¹``, ``á»…``). Rare Latin letters (ŏ, ŭ, ü) are not garbled."""
    previous = ""
    for ch in text:
        if ch == "\ufffd" or (ch.isalpha() and not _latin_letter(ch)):
            return True
        if 0x3000 <= ord(ch) <= 0x30FF or 0xFF00 <= ord(ch) <= 0xFFEF:  # CJK punctuation, kana, half-width
            return True
        if previous in _LEADS_1252 and ch in _CONTINUATIONS_1252:
            return True
        previous = ch
    return False


# -- mojibake ----------------------------------------------------------------------------------------
def _encode_windows_1252(text: str) -> bytes:
    """Back to bytes as Windows decoded them: cp1252, and its five undefined bytes (0x81 0x8D 0x8F 0x90
    0x9D) passed through as C1 characters, which is also plain Latin-1."""
    out = bytearray()
    for ch in text:
        try:
            out += ch.encode("cp1252")
        except UnicodeEncodeError:
            out += ch.encode("latin-1")  # raises for anything beyond U+00FF: not this code page
    return bytes(out)


# (name shown in the warning, encoder): the code pages zbar guesses (Big5, Shift-JIS, ISO-8859-1) and
# Windows' own (cp1252), with the vendor variants Python knows.
CODE_PAGES: tuple[tuple[str, object], ...] = (
    ("Big5", lambda t: t.encode("big5")),
    ("Big5", lambda t: t.encode("cp950")),
    ("Big5", lambda t: t.encode("big5hkscs")),
    ("Shift-JIS", lambda t: t.encode("shift_jis")),
    ("Shift-JIS", lambda t: t.encode("cp932")),
    ("cp1252/Latin-1", _encode_windows_1252),
)


def repair(text: str) -> tuple[str, str | None]:
    """``(text, None)`` when the text is right (or cannot be repaired); ``(repaired, code page)`` when it
    is UTF-8 read through that code page. A repair is taken only when exactly one plausible
    Vietnamese text comes out: valid UTF-8, NFC, letters of the Vietnamese alphabet."""
    if text.isascii() or not looks_garbled(text):  # "Ã’" (Ò read as cp1252) is all letters and typography
        return text, None
    found: dict[str, str] = {}
    for name, encode in CODE_PAGES:
        try:
            candidate = encode(text).decode("utf-8")  # type: ignore[operator]
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if candidate != text and plausible_vietnamese(candidate):
            found.setdefault(candidate, name)
    if len(found) != 1:
        return text, None
    (repaired, name), = found.items()
    return repaired, name


def repair_notice(code_page: str, what_vi: str, what_en: str) -> tuple[str, str]:
    """The warning a caller shows or logs (no personal data in it)."""
    return (f"Đã sửa {what_vi} bị đọc sai bảng mã ({code_page} thay cho UTF-8): hãy đối chiếu với thẻ",
            f"Repaired the {what_en}, read with the wrong code page ({code_page} instead of UTF-8): "
            f"check it against the card")


# -- a Vietnamese input method between the scanner and the program ------------------------------------
IME_MESSAGE = (
    "Máy quét đang gõ qua bộ gõ tiếng Việt nên mã thẻ bị đổi chữ: hãy tắt bộ gõ tiếng Việt (Unikey/EVKey) "
    "khi quét (chuyển sang E), rồi quét lại",
    "The scanner types through a Vietnamese input method, which changed letters of the code: switch the "
    "Vietnamese input method (Unikey/EVKey) off while scanning (switch to E), then scan again",
)
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def _base(ch: str) -> str:
    if ch in "đĐ":
        return "d"
    return unicodedata.normalize("NFD", ch)[0].lower()


def ime_marked(text: str) -> bool:
    """Holds a letter with Vietnamese marks (or đ): in a field that must be ASCII, an IME typed it."""
    return any(ch in MARKED_LETTERS for ch in text)


def ime_typed_hex(text: str) -> bool:
    """A hex field typed through Telex or VNI: hex digits and marked letters whose base is a hex
    letter (``aa``/``a6`` -> ``â``, ``ee``/``e6`` -> ``ê``, ``dd``/``d9`` -> ``đ``, ``a8`` -> ``ă``,
    tones ``f`` or VNI ``1``-``5`` on a or e), at least one of them marked."""
    v = "".join(text.split())
    return ime_marked(v) and all(ch in _HEX_DIGITS or (ch in MARKED_LETTERS and _base(ch) in "abcdef") for ch in v)
