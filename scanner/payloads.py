"""Parsers of the QR payloads a Vietnamese patient carries (DOMAIN.md §1–2), and of our own slips.

``parse_payload(text)`` never raises anything but ``PayloadError`` (and returns a ``Payload`` with
``kind=None`` and the error for text it does not recognise). Dates come out as ``datetime.date``
with a precision, and as ISO text (``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``) in ``fields``.

Text other readers garble (DOMAIN.md §15, scanner/textfix.py): UTF-8 read through a wrong code page is
repaired and the repair noted in ``Payload.notices``; a code typed through a Vietnamese input method,
a BHYT name or address that is not hex, and control or bidirectional characters in any field are
refused with a message that says what to do.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from scanner import textfix
from scanner.errors import InputMethodOn, PayloadError, UnsafeText

# Province codes of the 12-digit personal ID (TT 07/2016/TT-BCA, the 63 pre-2025 provinces; the
# 2025 merger did not renumber issued IDs).
PROVINCE_CODES = frozenset(
    "001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 026 027 030 031 033 034 035 036 "
    "037 038 040 042 044 045 046 048 049 051 052 054 056 058 060 062 064 066 067 068 070 072 074 075 "
    "077 079 080 082 083 084 086 087 089 091 092 093 094 095 096".split()
)

MAX_PAYLOAD = 4096  # a QR code holds at most 2953 bytes; longer text is not a QR payload
_WEDGE_TRAILER = "\r\n\t\x00"
_CARD_15_RE = re.compile(r"^[A-Z]{2}[1-5]\d{2}\d{10}$")
_BHXH_10_RE = re.compile(r"^\d{10}$")
_FACILITY_RE = re.compile(r"^\d{2}[0-9A-Z]{3}$")
_HEX_RE = re.compile(r"^(?:[0-9A-Fa-f]{2})+$")

SLIP_PREFIX = "CK1"
SLIP_DOCS = {
    "T": "ticket",
    "A": "appointment",
    "R": "referral",
    "P": "prescription",
    "V": "visit",
}
_SLIP_RE = re.compile(r"^CK1:(\d{2}[0-9A-Z]{3}):([TARPV]):([0-9A-Z\-.]{1,40}):([A-Z2-7]{10})$")


@dataclass
class Payload:
    kind: str | None  # "cccd", "bhyt", "slip" or None
    text: str  # the cleaned text (wedge trailers removed)
    fields: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    dates: dict[str, tuple[dt.date, str]] = field(default_factory=dict)  # name -> (date, precision)
    # (Vietnamese, English) notes for the screen or the log, e.g. a name repaired from mojibake (never
    # holding the personal data itself)
    notices: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.kind is not None and self.error is None


def _fail(vi: str, en: str) -> PayloadError:
    return PayloadError(vi, en)


# -- garbled and hostile text (DOMAIN.md §15) ----------------------------------------------------
_CCCD_FIELDS = (("số định danh", "ID number"), ("số CMND cũ", "old ID number"), ("họ tên", "name"),
                ("ngày sinh", "date of birth"), ("giới tính", "sex"), ("nơi thường trú", "address"),
                ("ngày cấp", "issue date"))
_BHYT_FIELDS = (("mã thẻ", "card number"), ("họ tên", "name"), ("ngày sinh", "date of birth"),
                ("giới tính", "sex"), ("địa chỉ", "address"), ("nơi đăng ký KCB ban đầu", "registered facility"),
                ("hạn thẻ từ", "valid from"), ("hạn thẻ đến", "valid to"), ("ngày cấp", "issue date"),
                ("mã quản lý", "manager code"), ("họ tên cha mẹ/người giám hộ", "parent's name"),
                ("mã khu vực", "area code"), ("ngày đủ 5 năm", "five-year date"), ("mã kiểm tra", "check field"))
_BHYT_HEX = (1, 4, 10)  # name, address, parent's name: hex of UTF-8
_BHYT_ASCII = (0, 2, 3, 5, 6, 7, 8, 9, 11, 12)  # codes and dates: an IME leaves marked letters in them
_CCCD_ASCII = (0, 1, 3, 6)  # digits


def _label(labels: tuple[tuple[str, str], ...], index: int) -> tuple[str, str]:
    return labels[index] if index < len(labels) else (f"trường thứ {index + 1}", f"field {index + 1}")


def _refuse_unsafe(parts: list[str], labels: tuple[tuple[str, str], ...]) -> None:
    """Control characters, bidirectional overrides and other invisible characters are refused in
    every field: a NUL cuts a name short in exports, U+202E shows another name than the one stored."""
    for index, part in enumerate(parts):
        bad = textfix.unsafe_char(part)
        if bad is not None:
            vi, en = _label(labels, index)
            raise UnsafeText(f"Mã QR có ký tự điều khiển/ẩn không được phép ({textfix.describe(bad)}) ở {vi}: "
                             "hãy quét lại thẻ hoặc nhập tay",
                             f"The QR code holds a control or invisible character that is not allowed "
                             f"({textfix.describe(bad)}) in the {en}: scan the card again or type it in")


def _person_text(payload: Payload, value: str, label: tuple[str, str]) -> str:
    """A name or address: mojibake repaired (with a notice), text still garbled refused."""
    text = " ".join(value.split())
    repaired, code_page = textfix.repair(text)
    if code_page is not None:
        payload.notices.append(textfix.repair_notice(code_page, label[0], label[1]))
        if "text_repaired" not in payload.warnings:
            payload.warnings.append("text_repaired")
        return repaired
    if textfix.looks_garbled(text):
        raise _fail(f"{label[0].capitalize()} trên mã QR bị lỗi bảng mã (ký tự lạ, không sửa được): "
                    "hãy quét bằng camera hoặc nhập tay",
                    f"The {label[1]} in the QR code is garbled (read with a wrong code page, cannot be "
                    "repaired): scan it with the camera or type it in")
    return text


def clean(text: str) -> str:
    """Remove what keyboard-wedge scanners add (trailing CR/LF/TAB) and normalise to NFC."""
    return unicodedata.normalize("NFC", text.strip(_WEDGE_TRAILER).lstrip("\ufeff"))


# -- dates ---------------------------------------------------------------------------------------
def _date(y: int, m: int, d: int, name: str) -> dt.date:
    try:
        return dt.date(y, m, d)
    except ValueError:
        raise _fail(f"Ngày không có thật ở trường {name}", f"Not a real calendar date in field {name}") from None


def parse_date(value: str, name: str) -> tuple[dt.date, str]:
    """``DDMMYYYY``, ``dd/MM/yyyy``, ``MMYYYY``, ``MM/yyyy`` or ``YYYY`` -> (date, precision)."""
    v = value.strip()
    digits = v.replace("/", "").replace("-", "").replace(".", "")
    if not digits.isdigit() or not digits.isascii():
        raise _fail(f"Trường {name} không phải ngày tháng", f"Field {name} is not a date")
    if len(digits) == 8:
        day = _date(int(digits[4:]), int(digits[2:4]), int(digits[:2]), name)
        precision = "day"
    elif len(digits) == 6:
        day = _date(int(digits[2:]), int(digits[:2]), 1, name)
        precision = "month"
    elif len(digits) == 4:
        day = _date(int(digits), 1, 1, name)
        precision = "year"
    else:
        raise _fail(f"Trường {name} không phải ngày tháng", f"Field {name} is not a date")
    if not 1900 <= day.year <= 2100:
        raise _fail(f"Năm ở trường {name} không hợp lý", f"Implausible year in field {name}")
    return day, precision


def iso(day: dt.date, precision: str) -> str:
    return {"day": day.isoformat(), "month": day.strftime("%Y-%m"), "year": f"{day.year:04d}"}[precision]


def _optional_date(payload: Payload, value: str, name: str) -> str:
    if not value.strip() or value.strip() == "-":
        return ""
    day, precision = parse_date(value, name)
    payload.dates[name] = (day, precision)
    return iso(day, precision)


# -- CCCD / VNeID identity QR --------------------------------------------------------------------
def _sex_from_text(value: str) -> str:
    folded = unicodedata.normalize("NFC", value.strip()).casefold()
    if folded == "nam":
        return "male"
    if folded in {"nữ", "nu"}:
        return "female"
    raise _fail("Giới tính phải là Nam hoặc Nữ", "Sex must be Nam or Nữ")


def check_id_number(id_number: str, sex: str | None, birth: dt.date | None, warnings: list[str]) -> None:
    """Validate a 12-digit personal ID; append warnings for digits that disagree with the card."""
    if len(id_number) != 12 or not id_number.isdigit() or not id_number.isascii():
        raise _fail("Số định danh phải có đúng 12 chữ số", "The personal ID number must be exactly 12 digits")
    if id_number[:3] not in PROVINCE_CODES:
        raise _fail("Mã tỉnh (3 số đầu) của số định danh không tồn tại",
                    "The province code (first 3 digits) of the ID number does not exist")
    code = int(id_number[3])
    century = 1900 + 100 * (code // 2)
    id_sex = "male" if code % 2 == 0 else "female"
    if sex and sex != id_sex:
        warnings.append("id_sex_mismatch")
    if birth is not None and (century + int(id_number[4:6])) != birth.year:
        warnings.append("id_birth_year_mismatch")


def parse_cccd(text: str) -> Payload:
    parts = text.split("|")
    if len(parts) < 7:
        raise _fail("Mã QR căn cước phải có ít nhất 7 trường", "An ID-card QR must have at least 7 fields")
    payload = Payload("cccd", text)
    _refuse_unsafe(parts, _CCCD_FIELDS)
    if any(textfix.ime_marked(parts[i]) for i in _CCCD_ASCII):
        raise InputMethodOn(*textfix.IME_MESSAGE)
    id_number, old_id, name, dob, sex_text, address, issued = (p.strip() for p in parts[:7])
    if old_id and not (old_id.isdigit() and old_id.isascii() and len(old_id) in (9, 12)):
        raise _fail("Số CMND cũ phải có 9 hoặc 12 chữ số", "The old ID number must have 9 or 12 digits")
    if not name or any(ch.isdigit() for ch in name):
        raise _fail("Thiếu họ tên hoặc họ tên có chữ số", "The name is missing or contains digits")
    sex = _sex_from_text(sex_text)
    birth, precision = parse_date(dob, "date_of_birth")
    payload.dates["date_of_birth"] = (birth, precision)
    check_id_number(id_number, sex, birth, payload.warnings)
    issue_iso = _optional_date(payload, issued, "issue_date")
    today = dt.date.today()
    if birth > today:
        raise _fail("Ngày sinh ở tương lai", "The date of birth is in the future")
    if "issue_date" in payload.dates:
        issue = payload.dates["issue_date"][0]
        if issue < birth:
            raise _fail("Ngày cấp trước ngày sinh", "The issue date is before the date of birth")
        if issue > today:
            payload.warnings.append("issue_date_in_future")
    full_name = _person_text(payload, name, _CCCD_FIELDS[2])
    payload.fields = {
        "id_number": id_number,
        "old_id_number": old_id,
        "full_name": full_name,
        "date_of_birth": iso(birth, precision),
        "sex": sex,
        "address": _person_text(payload, address, _CCCD_FIELDS[5]),
        "issue_date": issue_iso,
        "extra_fields": [p.strip() for p in parts[7:]],
        "warnings": payload.warnings,
    }
    return payload


# -- BHYT card QR --------------------------------------------------------------------------------
def decode_hex_text(value: str) -> str:
    """Hex-encoded UTF-8 (how the card carries names); tolerant: '-' is empty, plain text stays."""
    v = "".join(value.split())
    if not v or v == "-":
        return ""
    if _HEX_RE.match(v):
        try:
            return unicodedata.normalize("NFC", bytes.fromhex(v).decode("utf-8")).strip()
        except UnicodeDecodeError:
            pass
    return value.strip()


def _hex_field(payload: Payload, value: str, label: tuple[str, str]) -> str:
    """A BHYT name or address field: hex of UTF-8 (whitespace ignored), ``-`` or empty for none.
    Anything else is refused: plain text where hex belongs is not taken as a name."""
    v = "".join(value.split())
    if not v or v == "-":
        return ""
    if not _HEX_RE.match(v):
        raise _fail(f"Trường {label[0]} trên mã QR thẻ BHYT không phải mã hex (chữ số 0-9 và a-f, số ký tự chẵn)",
                    f"The {label[1]} field of the BHYT card QR is not hex (digits 0-9 and a-f, an even count)")
    try:
        text = unicodedata.normalize("NFC", bytes.fromhex(v).decode("utf-8"))
    except UnicodeDecodeError:
        raise _fail(f"Trường {label[0]} trên mã QR thẻ BHYT không giải mã được thành chữ (UTF-8)",
                    f"The {label[1]} field of the BHYT card QR does not decode to text (UTF-8)") from None
    _refuse_unsafe([text], (label,))
    return _person_text(payload, text, label)


def normalise_facility(value: str) -> str:
    """``"79 - 011"`` -> ``"79011"`` (MA_DKBD)."""
    return re.sub(r"[\s\-]", "", value).upper()


def parse_bhyt(text: str) -> Payload:
    parts = [p.strip() for p in text.split("|")]
    if parts and parts[-1] == "$":
        parts = parts[:-1]
    if len(parts) < 9:
        raise _fail("Mã QR thẻ BHYT thiếu trường", "The BHYT card QR has too few fields")
    payload = Payload("bhyt", text)
    _refuse_unsafe(parts, _BHYT_FIELDS)
    if any(textfix.ime_marked(parts[i]) for i in _BHYT_ASCII if i < len(parts)) or \
            any(textfix.ime_typed_hex(parts[i]) for i in _BHYT_HEX if i < len(parts)):
        raise InputMethodOn(*textfix.IME_MESSAGE)
    card = parts[0].upper()
    if not (_CARD_15_RE.match(card) or _BHXH_10_RE.match(card)):
        raise _fail("Mã thẻ BHYT phải có 15 ký tự hoặc là mã số BHXH 10 chữ số",
                    "The card code must be 15 characters or the 10-digit BHXH number")
    name = _hex_field(payload, parts[1], _BHYT_FIELDS[1])
    if not name:
        raise _fail("Thẻ BHYT không có họ tên", "The BHYT card carries no name")
    birth, precision = parse_date(parts[2], "date_of_birth")
    payload.dates["date_of_birth"] = (birth, precision)
    sex = {"1": "male", "2": "female"}.get(parts[3])
    if sex is None:
        raise _fail("Giới tính trên thẻ BHYT phải là 1 hoặc 2", "Sex on the BHYT card must be 1 or 2")
    facility = normalise_facility(parts[5])
    if not _FACILITY_RE.match(facility):
        raise _fail("Mã nơi đăng ký KCB ban đầu phải có 5 ký tự", "The registered facility code must be 5 characters")
    valid_from = _optional_date(payload, parts[6], "valid_from")
    valid_to = _optional_date(payload, parts[7], "valid_to")
    if "valid_from" in payload.dates and "valid_to" in payload.dates and \
            payload.dates["valid_from"][0] > payload.dates["valid_to"][0]:
        raise _fail("Hạn thẻ: ngày bắt đầu sau ngày kết thúc", "Card validity: the start is after the end")
    if birth > dt.date.today():
        raise _fail("Ngày sinh ở tương lai", "The date of birth is in the future")
    field_at = lambda i: parts[i] if len(parts) > i else ""  # noqa: E731
    payload.fields = {
        "card_number": card,
        "full_name": name,
        "address": _hex_field(payload, parts[4], _BHYT_FIELDS[4]),
        "date_of_birth": iso(birth, precision),
        "sex": sex,
        "registered_facility": facility,
        "valid_from": valid_from,
        "valid_to": valid_to,
        "issue_date": _optional_date(payload, parts[8], "issue_date"),
        "five_year_date": _optional_date(payload, field_at(12), "five_year_date"),
        "area_code": field_at(11) if field_at(11) != "-" else "",
        "manager_code": field_at(9),
        "parent_name": _hex_field(payload, field_at(10), _BHYT_FIELDS[10]),
        "warnings": payload.warnings,
    }
    return payload


# -- our own slips -------------------------------------------------------------------------------
def _slip_mac(key: bytes, body: str) -> str:
    digest = hmac.new(key, body.encode("ascii"), hashlib.sha256).digest()
    return base64.b32encode(digest).decode("ascii")[:10]


def make_slip(key: bytes, facility: str, document: str, reference: str) -> str:
    """The back-link QR text printed on a slip: ``CK1:<facility>:<doc>:<reference>:<check>``.

    Short and in the QR alphanumeric set (a small code prints sharp on a thermal ticket); the check
    is 10 base32 characters of an HMAC-SHA256 under the clinic's secret, so a typo in the
    reference or a slip made elsewhere is refused.
    """
    doc = {v: k for k, v in SLIP_DOCS.items()}.get(document, document)
    body = f"{SLIP_PREFIX}:{facility}:{doc}:{reference.upper()}"
    if not _SLIP_RE.match(f"{body}:{'A' * 10}"):
        raise ValueError(f"cannot make a slip code for {facility!r} {document!r} {reference!r}")
    return f"{body}:{_slip_mac(key, body)}"


def parse_slip(text: str, key: bytes | None) -> Payload:
    match = _SLIP_RE.match(text)
    if not match:
        raise _fail("Mã QR phiếu không đúng định dạng", "The slip QR is not in the expected format")
    facility, doc, reference, check = match.groups()
    if key is None:
        raise _fail("Không có khoá của phòng khám để kiểm tra phiếu", "No clinic key to verify the slip")
    if not hmac.compare_digest(check, _slip_mac(key, text.rsplit(":", 1)[0])):
        raise _fail("Phiếu không hợp lệ (sai mã kiểm tra hoặc không do phòng khám này in)",
                    "Invalid slip (check failed, or not printed by this clinic)")
    return Payload("slip", text, {"version": 1, "facility": facility, "document": SLIP_DOCS[doc],
                                  "reference": reference})


# -- routing -------------------------------------------------------------------------------------
def detect_kind(text: str) -> str | None:
    if text.startswith(SLIP_PREFIX + ":"):
        return "slip"
    parts = text.split("|")
    if len(parts) >= 7 and parts[0].strip().isdigit() and len(parts[0].strip()) == 12:
        return "cccd"
    if text.rstrip().endswith("|$") or (len(parts) >= 9 and _HEX_RE.match("".join(parts[1].split()) or "x")):
        return "bhyt"
    if len(parts) >= 9 and textfix.ime_typed_hex(parts[1]):  # typed through Unikey/EVKey: refused with why
        return "bhyt"
    return None


def parse_payload(text: str, *, slip_key: bytes | None = None) -> Payload:
    """Route and parse; unknown or broken text gives ``kind=None`` (unknown) or the kind with ``error``."""
    if not isinstance(text, str):
        raise PayloadError("Dữ liệu không phải văn bản", "The data is not text")
    if len(text) > MAX_PAYLOAD:
        return Payload(None, text[:64], error="Văn bản quá dài cho một mã QR / Text too long for a QR code")
    cleaned = clean(text)
    # The whole text first: a reader's wrong code page can swallow a '|' into a double-byte character.
    cleaned, code_page = textfix.repair(cleaned)
    notices = [textfix.repair_notice(code_page, "chữ trên mã QR", "text of the QR code")] if code_page else []
    kind = detect_kind(cleaned)
    if kind is None:
        return Payload(None, cleaned, error=(
            "Không phải mã QR căn cước, VNeID, thẻ BHYT hay phiếu của phòng khám / "
            "Not an ID-card, VNeID, BHYT card or clinic slip QR code"), notices=notices)
    parser = {"cccd": parse_cccd, "bhyt": parse_bhyt}.get(kind)
    try:
        payload = parser(cleaned) if parser else parse_slip(cleaned, slip_key)
    except PayloadError as exc:
        return Payload(kind, cleaned, error=str(exc), notices=notices)
    except (ValueError, IndexError, binascii.Error) as exc:  # belt and braces: never leak a raw error
        return Payload(kind, cleaned, error=f"Mã QR hỏng / Damaged QR payload ({type(exc).__name__})",
                       notices=notices)
    if notices:
        payload.notices[:0] = notices
        if "text_repaired" not in payload.warnings:
            payload.warnings.append("text_repaired")
    return payload
