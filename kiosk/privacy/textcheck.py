"""Text that may be stored: no control characters, no bidirectional overrides, no lone surrogates.

A name with a NUL cuts reports and exports short; one with a right-to-left override (U+202E) shows
another name on screen than the one stored ("Nguyễn" typed backwards); a lone surrogate cannot be
written as UTF-8 at all. Such text is refused where it enters (the clinic server's calls, the
patient register), with a message that says which field and which character.
"""

from __future__ import annotations

import unicodedata

from kiosk.errors import BadInput

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
LINE_BREAKS = frozenset("\n\r\t")


def unsafe_char(text: str, *, multiline: bool = False) -> str | None:
    """The first character that may not be stored (None when the text is clean). ``multiline``
    allows line breaks and tabs (free text such as a doctor's notes)."""
    for ch in text:
        if multiline and ch in LINE_BREAKS:
            continue
        if ch in BIDI_CONTROLS or "\ud800" <= ch <= "\udfff" or unicodedata.category(ch) == "Cc":
            return ch
    return None


def describe(ch: str) -> str:
    return f"U+{ord(ch):04X}"


def check(text: str, field: str, *, multiline: bool = False) -> str:
    """``text`` when it may be stored; BadInput naming the field otherwise."""
    bad = unsafe_char(text, multiline=multiline)
    if bad is not None:
        raise BadInput(f"Trường {field} có ký tự điều khiển không được phép ({describe(bad)})",
                       f"The field {field} holds a control character that is not allowed ({describe(bad)})")
    return text
