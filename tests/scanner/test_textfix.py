"""Text other readers garble (DOMAIN.md §15): mojibake repaired exactly, IME-typed codes and hostile
characters refused with a reason, right text untouched."""

from __future__ import annotations

import io
import unicodedata

import pytest
import segno
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from pyzbar import pyzbar

from kiosk.identify import payload_problem
from scanner.errors import InputMethodOn, UnsafeText
from scanner.payloads import parse_bhyt, parse_cccd, parse_payload
from scanner.textfix import VIETNAMESE_LETTERS, looks_garbled, repair
from tests.scanner.test_payloads import ADDR_HEX, BHYT, CCCD, NAME_HEX


# -- how readers garble UTF-8 ------------------------------------------------------------------------
def zbar_reads(text: str) -> str:
    """What zbar itself makes of a QR code holding ``text`` as UTF-8 bytes without ECI (its own
    code-page guess: Big5 when the bytes look like it, else Shift-JIS, else ISO-8859-1, else UTF-8;
    each tried whole and strictly, so a code page that cannot map every byte is skipped)."""
    qr = segno.make(text.encode("utf-8"), mode="byte", error="m", micro=False)
    buffer = io.BytesIO()
    qr.save(buffer, kind="png", scale=4, border=4)
    buffer.seek(0)
    found = pyzbar.decode(Image.open(buffer).convert("L"))
    assert len(found) == 1
    return found[0].data.decode("utf-8")


def windows_1252(raw: bytes) -> str:
    """How Windows decodes with code page 1252 (MultiByteToWideChar): the five undefined bytes become
    the C1 characters of the same number."""
    return "".join(bytes([b]).decode("cp1252") if b not in b"\x81\x8d\x8f\x90\x9d" else chr(b) for b in raw)


def mojibake(text: str, code_page: str) -> str | None:
    """``text`` as UTF-8 read through ``code_page`` the way real readers do: zbar/iconv decode
    strictly (None: that reader would not have chosen this code page), Windows maps every byte."""
    raw = text.encode("utf-8")
    if code_page == "cp1252":
        return windows_1252(raw)
    try:
        return raw.decode(code_page)
    except UnicodeDecodeError:
        return None


# -- 1. mojibake repaired ----------------------------------------------------------------------------
@pytest.mark.parametrize(("garbled", "right", "page"), [
    ("B羅i Xu璽n Thu廕要", "Bùi Xuân Thuận", "Big5"),  # DOMAIN.md §15
    ("Bﾃｹi Huy Tuy盻ハ", "Bùi Huy Tuyển", "Shift-JIS"),  # half-width katakana; it is Tuyển (hỏi), e1 bb 83
    ("BÃ¹i", "Bùi", "cp1252/Latin-1"),
    ("Nguyá»…n VÄƒn An", "Nguyễn Văn An", "cp1252/Latin-1"),
    ("Nguyá»\x85n VÄ\x83n An", "Nguyễn Văn An", "cp1252/Latin-1"),  # Latin-1: C1 characters
    ("Ä\x90á»— Há»¯u TÃ\xa0i", "Đỗ Hữu Tài", "cp1252/Latin-1"),  # Đ = c4 90 (0x90 undefined), à = c3 a0 (NBSP)
])
def test_known_mojibake_is_repaired_exactly(garbled: str, right: str, page: str) -> None:
    assert repair(garbled) == (right, page)


@pytest.mark.parametrize("right", ["Nguyễn Văn An", "NGUYỄN VĂN AN", "Trần Thị Bình", "Đặng Quốc Việt",
                                   "Lê Thị Hồng Nhung", "Ksor H'Bia", "Y Kŏ Niê", "Rơ Mah Ŭ", "Müller Hans",
                                   "Số 1 phố Kim Mã, Phường Ba Đình, Hà Nội", "Huỳnh Thị Ỷ", "Nguyễn Thị Ỵ"])
def test_right_text_is_never_touched(right: str) -> None:
    assert repair(right) == (right, None)
    assert not looks_garbled(right)
    where, key = ("NGUYỄN VĂN AN", "full_name") if right[0] != "S" else ("Số 1 phố Kim Mã, Phường Ba Đình, Hà Nội",
                                                                          "address")
    p = parse_payload(CCCD.replace(where, right))
    assert p.ok and p.fields[key] == right and p.notices == [] and "text_repaired" not in p.warnings


_CCCD_PEOPLE = [
    ("Bùi Xuân Thuận", "Xóm Bùi, Xã Yên Thành"),  # zbar: ISO-8859-1
    ("Bùi Xuân Thuận", "Thôn Tân Lập, Xã An Thái"),  # zbar: Big5, and the '|' after "Nữ" swallowed
    ("Bùi Huy Tuyển", "Thôn Tân Lập, Xã An Thái"),  # zbar: Shift-JIS
    ("Lê Văn Tám", "Thôn Tân Lập, Xã An Thái"),
    ("Nguyễn Văn An", "Số 1 phố Kim Mã, Phường Ba Đình, Hà Nội"),  # zbar: right (no other code page fits)
]


@pytest.mark.parametrize(("name", "address"), _CCCD_PEOPLE)
def test_what_real_zbar_reads_from_a_cccd_comes_out_right(name: str, address: str) -> None:
    text = f"079304000111||{name}|02022004|Nữ|{address}|10072024"
    seen = zbar_reads(text)
    p = parse_payload(seen)
    assert p.ok, p.error
    assert (p.fields["full_name"], p.fields["address"], p.fields["sex"]) == (name, address, "female")
    assert ("text_repaired" in p.warnings) == (seen != text)
    assert bool(p.notices) == (seen != text)


def test_real_zbar_does_garble_all_three_ways() -> None:
    """The cases above are what zbar really does, not an invented input: one of each code page."""
    seen = {zbar_reads(f"079304000111||{n}|02022004|Nữ|{a}|10072024") for n, a in _CCCD_PEOPLE[:3]}
    assert any("Ã" in s for s in seen) and any("羅" in s for s in seen) and any("ﾃ" in s for s in seen)
    assert any(s.count("|") == 5 for s in seen), "a separator swallowed by Big5"
    notices = [parse_payload(s).notices[0] for s in seen]
    assert {n[1].split("(")[1].split(" ")[0] for n in notices} == {"Big5", "Shift-JIS", "cp1252/Latin-1"}
    assert all("Bùi" not in vi and "Bùi" not in en for vi, en in notices), "the notice holds no personal data"


def test_a_mojibake_name_inside_a_right_payload_is_repaired_with_a_notice() -> None:
    p = parse_payload(CCCD.replace("NGUYỄN VĂN AN", "B羅i Xu璽n Thu廕要"))
    assert p.ok and p.fields["full_name"] == "Bùi Xuân Thuận"
    assert p.fields["address"] == "Số 1 phố Kim Mã, Phường Ba Đình, Hà Nội"
    assert p.warnings == ["text_repaired"] and "Big5" in p.notices[0][1] and "họ tên" in p.notices[0][0]


def test_bhyt_name_baked_in_as_mojibake_is_repaired() -> None:
    p = parse_payload(BHYT.replace(NAME_HEX, "BÃ¹i Huy".encode().hex()))
    assert p.ok and p.fields["full_name"] == "Bùi Huy" and p.notices


@pytest.mark.parametrize("garbled", [
    "Nguyễn Văn An".encode().decode("big5", "replace"),  # a reader that replaces what does not map
    "Nguyễn Văn An".encode().decode("shift_jis", "replace"),
    "Đỗ Hữu Tài".encode().decode("cp1252", "replace"),  # 0x90 of Đ does not map
    "Trần Thị Bình".encode().decode("big5", "ignore"),  # or drops it
])
def test_lossy_mojibake_is_refused_not_taken_as_the_name(garbled: str) -> None:
    assert repair(garbled)[1] is None
    p = parse_payload(CCCD.replace("NGUYỄN VĂN AN", garbled))
    assert not p.ok and "garbled" in p.error
    vi, en = payload_problem(p)
    assert "lỗi bảng mã" in vi and "type it in" in en


_syllable = st.tuples(st.sampled_from(sorted(VIETNAMESE_LETTERS - set("đĐ"))),
                      st.lists(st.sampled_from(sorted(VIETNAMESE_LETTERS)), min_size=0, max_size=5)).map(
    lambda t: (t[0] + "".join(t[1])).capitalize())
_names = st.lists(_syllable, min_size=1, max_size=4).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(_names, st.sampled_from(["big5", "shift_jis", "cp1252"]))
def test_property_mojibake_repairs_to_the_original_and_right_text_stays(name: str, code_page: str) -> None:
    name = unicodedata.normalize("NFC", name)
    assert repair(name) == (name, None)
    garbled = mojibake(name, code_page)
    if garbled is not None:
        assert repair(garbled)[0] == name


# -- 2. typed through a Vietnamese input method ------------------------------------------------------
_TONE_MARKS = {"s": "\u0301", "f": "\u0300", "r": "\u0309", "x": "\u0303", "j": "\u0323",
               "1": "\u0301", "2": "\u0300", "3": "\u0309", "4": "\u0303", "5": "\u0323"}
_TONED = set("\u0300\u0301\u0303\u0309\u0323")


def _strip_tone(ch: str) -> tuple[str, str]:
    parts = unicodedata.normalize("NFD", ch)
    tone = "".join(c for c in parts if c in _TONED)
    return unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONED)), tone


def _with_tone(ch: str, tone: str) -> str:
    return unicodedata.normalize("NFC", _strip_tone(ch)[0] + tone)


def _vowel(ch: str) -> bool:
    return unicodedata.normalize("NFD", ch)[0].lower() in "aeiouy"


def ime_type(text: str, method: str) -> str:
    """A keyboard wedge typing ``text`` through a Unikey-like Telex or VNI engine (simplified: the
    tone goes on the last vowel of the word, a word is a run of letters, no undo by double keys)."""
    out: list[str] = []
    word: list[int] = []  # indexes in out of the current word's letters
    for key in text:
        k = key.lower()
        last = out[word[-1]] if word else ""
        base = _strip_tone(last)[0].lower() if last else ""
        vowels = [i for i in word if _vowel(out[i])]
        change = None
        if method == "telex" and k in "aeo" and base == k:
            change = (word[-1], "\u0302")
        elif method == "telex" and k == "d" and base == "d":
            out[word[-1]] = "đ" if last == "d" else "Đ"
            continue
        elif method == "telex" and k == "w" and base in ("a", "o", "u"):
            change = (word[-1], "\u0306" if base == "a" else "\u031b")
        elif method == "vni" and k in "678" and vowels:
            target = {"6": "aeo", "7": "ou", "8": "a"}[k]
            hits = [i for i in vowels if _strip_tone(out[i])[0].lower() in target]
            if hits:
                change = (hits[-1], {"6": "\u0302", "7": "\u031b", "8": "\u0306"}[k])
        elif method == "vni" and k == "9" and any(out[i].lower() == "d" for i in word):
            i = [i for i in word if out[i].lower() == "d"][-1]
            out[i] = "đ" if out[i] == "d" else "Đ"
            continue
        if change is not None:
            i, mark = change
            plain, tone = _strip_tone(out[i])
            out[i] = unicodedata.normalize("NFC", plain + mark + tone)
            continue
        tone_keys = "sfrxj" if method == "telex" else "12345"
        if k in tone_keys and vowels:
            out[vowels[-1]] = _with_tone(out[vowels[-1]], _TONE_MARKS[k])
            continue
        out.append(key)
        if key.isalpha():
            word.append(len(out) - 1)
        else:
            word = []
    return "".join(out)


def test_the_simulated_ime_types_like_unikey() -> None:
    assert ime_type("tieesng Vieejt", "telex") == "tiếng Việt"
    assert ime_type("ddaau", "telex") == "đâu"
    assert ime_type("tie61ng Vie65t", "vni") == "tiếng Việt"
    assert ime_type("d9a6u", "vni") == "đâu"


def test_an_ime_that_changes_nothing_is_no_reason_to_refuse() -> None:
    text = BHYT.replace(NAME_HEX, "Lan Anh".encode().hex()).replace(ADDR_HEX, "-")  # nothing for Telex to merge
    assert ime_type(text, "telex") == text
    assert parse_payload(ime_type(text, "telex")).fields["full_name"] == "Lan Anh"


def _bhyt_with(name: str) -> str:
    return BHYT.replace(NAME_HEX, name.encode().hex())


def _is_ime_refusal(payload) -> bool:
    vi, en = payload_problem(payload)
    return "tắt bộ gõ tiếng Việt (Unikey/EVKey) khi quét" in vi and "input method" in en and "off" in en


@pytest.mark.parametrize("method", ["telex", "vni"])
def test_a_bhyt_qr_typed_through_an_ime_is_refused_saying_to_switch_it_off(method: str) -> None:
    text = ime_type(_bhyt_with("Bùi Xuân Thuận"), method)  # hex "...e1baad..." / VNI "e1" -> "é"
    assert text != _bhyt_with("Bùi Xuân Thuận")
    p = parse_payload(text)
    assert p.kind == "bhyt" and not p.ok and _is_ime_refusal(p)
    with pytest.raises(InputMethodOn) as caught:
        parse_bhyt(p.text)
    assert "bộ gõ" in caught.value.vi


@pytest.mark.parametrize("typed", [
    "HC4010123456789|4Ê677579E1BB856E|15/08/1999|1|-|01 - 013|01/01/2026|31/12/2026|01/01/2026||-|4||$",  # EE
    f"HC4010123456789|{NAME_HEX.replace('baa', 'bâ')}ấ|15/08/1999|1|-|01 - 013|01/01/2026|31/12/2026|||-|4||$",
    f"HC4010123456789|c490{NAME_HEX}|15/08/1999|1|đ0|01 - 013|01/01/2026|31/12/2026|||-|4||$",  # DD -> Đ
    f"TÉ01010123456789|{NAME_HEX}|15/08/1999|1|-|01 - 013|01/01/2026|31/12/2026|||-|4||$",  # VNI in the card
    "HC4010123456789|4e677579ébb856e2056c4836e20416e|15/08/1999|1|-|01 - 013|01/01/2026|31/12/2026|||-|4",  # no $
])
def test_ime_letters_in_bhyt_fields_are_recognised(typed: str) -> None:
    p = parse_payload(typed)
    assert p.kind == "bhyt" and not p.ok and _is_ime_refusal(p), p.error


@settings(max_examples=150, deadline=None)
@given(_names, st.sampled_from(["telex", "vni"]))
def test_property_an_ime_either_changes_nothing_or_the_scan_is_refused_for_it(name: str, method: str) -> None:
    name = unicodedata.normalize("NFC", name)
    text = _bhyt_with(name)
    typed = ime_type(text, method)
    p = parse_payload(typed)
    if typed == text:
        assert p.ok and p.fields["full_name"] == name
    else:
        assert not p.ok and _is_ime_refusal(p)


def test_ime_letters_in_cccd_digit_fields_are_recognised() -> None:
    for typed in (CCCD.replace("15081999", "15081999").replace("|20042021", "|2đ042021"),
                  CCCD.replace("|123456789|", "|12345678ê|")):
        p = parse_payload(typed)
        assert p.kind == "cccd" and _is_ime_refusal(p)
        with pytest.raises(InputMethodOn):
            parse_cccd(typed)


# -- 3. not hex, control characters, bidi overrides ----------------------------------------------------
@pytest.mark.parametrize(("field", "value", "needle"), [
    ("name", "zz12", "name field of the BHYT card QR is not hex"),
    ("name", "Nguyễn Văn An", "name field of the BHYT card QR is not hex"),  # plain text is not taken
    ("name", "4e6", "not hex"),  # odd length
    ("name", "c3", "does not decode to text"),  # a cut UTF-8 sequence
    ("address", "zz12", "address field of the BHYT card QR is not hex"),
])
def test_a_bhyt_name_or_address_that_is_not_hex_is_refused(field: str, value: str, needle: str) -> None:
    p = parse_payload(BHYT.replace(NAME_HEX if field == "name" else ADDR_HEX, value))
    assert p.kind == "bhyt" and not p.ok and needle in p.error
    vi, en = payload_problem(p)
    assert needle in en and "BHYT" in vi


_HOSTILE = ["\x00", "\x1b", "\x7f", "\x85", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
            "\u2066", "\u2067", "\u2068", "\u2069", "\u200e", "\u200f", "\u200b", "\ufeff", "\u2028", "\n", "\t"]


@pytest.mark.parametrize("ch", _HOSTILE)
@pytest.mark.parametrize("where", ["cccd name", "cccd id", "cccd address", "cccd extra", "bhyt card",
                                   "bhyt name hex", "bhyt date", "bhyt check field"])
def test_control_and_bidi_characters_are_refused_in_any_field(ch: str, where: str) -> None:
    text = {
        "cccd name": CCCD.replace("NGUYỄN", f"NGU{ch}YỄN"),
        "cccd id": CCCD.replace("|123456789|", f"|1234{ch}56789|"),
        "cccd address": CCCD.replace("Kim Mã", f"Kim{ch} Mã"),
        "cccd extra": CCCD + f"|15082039|a{ch}b",
        "bhyt card": BHYT.replace("HC4010123456789", f"HC40101234{ch}56789"),
        "bhyt name hex": BHYT.replace(NAME_HEX, NAME_HEX[:8] + ch.encode().hex() + NAME_HEX[8:]),
        "bhyt date": BHYT.replace("31/12/2026", f"31/12{ch}/2026"),
        "bhyt check field": BHYT.replace("||$", f"|x{ch}y|$"),
    }[where]
    p = parse_payload(text)
    assert p.kind in ("cccd", "bhyt") and not p.ok
    code = f"U+{ord(ch):04X}"
    assert code in p.error and ("control" in p.error)
    vi, en = payload_problem(p)
    assert code in vi and code in en
    with pytest.raises(UnsafeText):
        (parse_cccd if p.kind == "cccd" else parse_bhyt)(p.text)


def test_right_payloads_pass_unchanged() -> None:
    for text in (CCCD, BHYT):
        p = parse_payload(text)
        assert p.ok and p.text == text and p.notices == [] and p.fields["warnings"] == []
