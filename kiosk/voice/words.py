"""Queue calls as Vietnamese announcers read them: the ticket's characters one by one, as printed ("023" is
"không hai ba", "A07" is "a không bảy"), a short room number as a number ("5" is "năm", "12" is "mười hai") and a
longer one digit by digit ("102" is "một không hai")."""

from __future__ import annotations

import re

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
LETTERS = {
    "A": "a", "B": "bê", "C": "xê", "D": "dê", "Đ": "đê", "E": "e", "F": "ép", "G": "giê", "H": "hát", "I": "i",
    "J": "gi", "K": "ca", "L": "e lờ", "M": "em mờ", "N": "en nờ", "O": "o", "P": "pê", "Q": "quy", "R": "e rờ",
    "S": "ét", "T": "tê", "U": "u", "V": "vê", "W": "vê kép", "X": "ích", "Y": "i dài", "Z": "dét",
}


def spell(text: str) -> str:
    """Every digit and capital letter as its own word, the way a ticket is read out; other signs are left out."""
    words = []
    for ch in text.strip():
        if ch.isdigit() and ch.isascii():
            words.append(DIGITS[int(ch)])
        elif ch.upper() in LETTERS:
            words.append(LETTERS[ch.upper()])
    return " ".join(words)


def cardinal(n: int) -> str:
    """0-99 in words: 5 "năm", 10 "mười", 15 "mười lăm", 21 "hai mươi mốt", 24 "hai mươi tư"."""
    if not 0 <= n <= 99:
        return spell(str(n))
    tens, units = divmod(n, 10)
    if tens == 0:
        return DIGITS[units]
    head = "mười" if tens == 1 else f"{DIGITS[tens]} mươi"
    if units == 0:
        return head
    if units == 5:
        tail = "lăm"
    elif units == 1 and tens > 1:
        tail = "mốt"
    elif units == 4 and tens > 1:
        tail = "tư"
    else:
        tail = DIGITS[units]
    return f"{head} {tail}"


def room_words(room: str) -> str:
    """A room as said aloud: short numbers as numbers, long ones digit by digit, single letters by name, words as
    they are ("Nội 2" stays "Nội hai")."""
    parts = []
    for token in re.findall(r"\d+|[^\W\d_]+", room):
        if token.isdigit():
            parts.append(cardinal(int(token)) if len(token) <= 2 and not token.startswith("0") else spell(token))
        elif len(token) == 1:
            parts.append(LETTERS.get(token.upper(), token))
        else:
            parts.append(token)
    return " ".join(parts)


def call_sentence(number: str, room: str) -> str:
    """What the board says for a call: ``call_sentence("023", "102")`` is
    "Mời số không hai ba, đến phòng một không hai." (``number`` as printed on the ticket)."""
    who = f"Mời số {spell(number)}"
    where = room_words(room)
    return f"{who}, đến phòng {where}." if where else f"{who}, vào khám."
