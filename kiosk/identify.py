"""From a parsed QR payload, or what the receptionist types (ID, card number, name, date of birth), to the
model's Identity; typed text that cannot be right is refused with a message saying what is wrong."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from kiosk.errors import BadInput
from kiosk.model import DatePrecision, Identity, IdentitySource, Sex
from kiosk.privacy import masking
from scanner.errors import PayloadError
from scanner.payloads import PROVINCE_CODES, Payload, parse_bhyt, parse_cccd


def identity_from_payload(payload: Payload) -> Identity:
    """A validated CCCD/VNeID or BHYT payload as an Identity (the name is remembered for masking)."""
    if not payload.ok or payload.kind not in ("cccd", "bhyt"):
        raise ValueError("only a valid cccd or bhyt payload makes an identity")
    f = payload.fields
    birth = payload.dates.get("date_of_birth")
    issued = payload.dates.get("issue_date")
    masking.remember(f.get("full_name"), f.get("address"))
    return Identity(
        source=IdentitySource(payload.kind),
        id_number=f.get("id_number", ""),
        old_id_number=f.get("old_id_number", ""),
        full_name=f["full_name"],
        date_of_birth=birth[0] if birth else None,
        dob_precision=DatePrecision(birth[1]) if birth else DatePrecision.DAY,
        sex=Sex(f["sex"]) if f.get("sex") else None,
        address=f.get("address", ""),
        issue_date=issued[0] if issued else None,
        card_number=f.get("card_number", ""),
    )


# -- what people type at the desk ------------------------------------------------------------------
EARLIEST_BIRTH_YEAR = 1900
_SEPARATORS = re.compile(r"[\s/.\-]+")
_CARD_15 = re.compile(r"^[A-Z]{2}[1-5]\d{12}$")  # 2 letters + 13 digits, the 3rd character 1-5
_BHXH_10 = re.compile(r"^\d{10}$")
_FIELD_WORDS = {"date_of_birth": ("ngày sinh", "date of birth"), "issue_date": ("ngày cấp", "issue date"),
                "valid_from": ("hạn thẻ từ", "valid from"), "valid_to": ("hạn thẻ đến", "valid to"),
                "five_year_date": ("ngày đủ 5 năm", "five-year date")}


@dataclass(frozen=True)
class TypedDate:
    """A date of birth as the receptionist typed it: the day, and how much of it is known."""

    day: dt.date
    precision: DatePrecision

    def shown(self) -> tuple[str, str]:
        """What the desk shows beside the box before the date is used (Vietnamese, English)."""
        if self.precision is DatePrecision.YEAR:
            return f"năm {self.day.year}", f"year {self.day.year}"
        if self.precision is DatePrecision.MONTH:
            return f"tháng {self.day:%m/%Y}", f"{self.day:%m/%Y}"
        return f"{self.day:%d/%m/%Y}", f"{self.day:%d/%m/%Y}"


def parse_birth_date(text: str, today: dt.date | None = None) -> TypedDate:
    """A typed date of birth: ``23071984``, ``23/07/1984``, ``23-7-1984``, ``23.07.1984``,
    ``07/1984`` (month known) or ``1984`` (the year alone). BadInput saying what is wrong otherwise:
    not a date, a day or month that does not exist, a year before 1900, a date in the future."""
    today = today or dt.date.today()
    raw = text.strip()
    if not raw:
        raise BadInput("Hãy nhập ngày sinh (ví dụ 23/07/1984, hoặc chỉ năm 1984)",
                        "Enter the date of birth (e.g. 23/07/1984, or the year alone, 1984)")
    parts = [p for p in _SEPARATORS.split(raw) if p]
    if not parts or not all(p.isascii() and p.isdigit() for p in parts):
        raise BadInput("Ngày sinh chỉ gồm chữ số và dấu / - . (ví dụ 23/07/1984, 23071984 hoặc 1984)",
                        "A date of birth is digits and / - . only (e.g. 23/07/1984, 23071984 or 1984)")
    if len(parts) == 1 and len(parts[0]) == 8:
        parts = [parts[0][:2], parts[0][2:4], parts[0][4:]]
    if len(parts) == 1 and len(parts[0]) == 6:  # MMYYYY; DDMMYY has no whole year
        if int(parts[0][2:]) < EARLIEST_BIRTH_YEAR:
            raise BadInput("Năm sinh cần đủ 4 chữ số (ví dụ 23071984, không phải 230784)",
                           "The year of birth needs all 4 digits (e.g. 23071984, not 230784)")
        parts = [parts[0][:2], parts[0][2:]]
    if len(parts) > 3 or (len(parts) == 1 and len(parts[0]) != 4):
        raise BadInput("Không hiểu ngày sinh: nhập ngày/tháng/năm (23/07/1984 hoặc 23071984) hoặc chỉ năm (1984)",
                        "Date of birth not understood: type day/month/year (23/07/1984 or 23071984) or the year "
                        "alone (1984)")
    year_text = parts[-1]
    if len(year_text) != 4:
        raise BadInput("Năm sinh cần đủ 4 chữ số (ví dụ 1984)", "The year of birth needs all 4 digits (e.g. 1984)")
    year = int(year_text)
    if year < EARLIEST_BIRTH_YEAR:
        raise BadInput(f"Năm sinh {year} không thể đúng (trước năm {EARLIEST_BIRTH_YEAR})",
                        f"The year of birth {year} cannot be right (before {EARLIEST_BIRTH_YEAR})")
    if year > today.year:
        raise BadInput(f"Năm sinh {year} ở tương lai", f"The year of birth {year} is in the future")
    if len(parts) == 1:
        return TypedDate(dt.date(year, 1, 1), DatePrecision.YEAR)
    month = int(parts[-2])
    if not 1 <= month <= 12:
        raise BadInput(f"Không có tháng {month}: tháng từ 1 đến 12", f"There is no month {month}: months are 1 to 12")
    if len(parts) == 2:
        if (year, month) > (today.year, today.month):
            raise BadInput(f"Tháng sinh {month:02d}/{year} ở tương lai",
                            f"The month of birth {month:02d}/{year} is in the future")
        return TypedDate(dt.date(year, month, 1), DatePrecision.MONTH)
    day = int(parts[0])
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        raise BadInput(f"Ngày {day:02d}/{month:02d}/{year} không có thật: tháng {month} năm {year} có {last} ngày",
                        f"{day:02d}/{month:02d}/{year} does not exist: month {month} of {year} has {last} days")
    born = dt.date(year, month, day)
    if born > today:
        raise BadInput(f"Ngày sinh {born:%d/%m/%Y} ở tương lai", f"The date of birth {born:%d/%m/%Y} is in the future")
    return TypedDate(born, DatePrecision.DAY)


def parse_id_number(text: str) -> str:
    """A typed personal ID (CCCD): 12 digits starting with a province code; spaces are dropped."""
    number = "".join(text.split())
    if not number:
        raise BadInput("Hãy nhập số CCCD (12 chữ số)", "Enter the ID number (12 digits)")
    if len(number) != 12 or not (number.isascii() and number.isdigit()):
        raise BadInput(f"Số CCCD phải có đúng 12 chữ số (đã nhập {len(number)} ký tự)",
                       f"The ID number must have exactly 12 digits ({len(number)} characters typed)")
    if number[:3] not in PROVINCE_CODES:
        raise BadInput("Số CCCD sai: 3 chữ số đầu không phải mã tỉnh nào",
                       "Wrong ID number: the first 3 digits are no province code")
    return number


def parse_card_number(text: str) -> str:
    """A typed BHYT card number: 15 characters (2 letters + 13 digits, the 3rd a benefit level 1-5)
    or the 10-digit BHXH number of the newer cards; spaces and dashes are dropped, letters made capital."""
    card = "".join(text.replace("-", " ").split()).upper()
    if not card:
        raise BadInput("Hãy nhập mã thẻ BHYT", "Enter the BHYT card number")
    if _CARD_15.match(card) or _BHXH_10.match(card):
        return card
    form_vi = "15 ký tự (2 chữ cái + 13 chữ số, ví dụ HC4010123456789) hoặc mã số BHXH 10 chữ số"
    form_en = "15 characters (2 letters + 13 digits, e.g. HC4010123456789) or the 10-digit BHXH number"
    if len(card) not in (10, 15):
        raise BadInput(f"Mã thẻ BHYT sai dạng: có {len(card)} ký tự, cần {form_vi}",
                       f"Malformed BHYT card number: {len(card)} characters, needs {form_en}")
    if len(card) == 15 and card[:2].isalpha() and card[2:].isdigit():
        raise BadInput("Mã thẻ BHYT sai dạng: ký tự thứ 3 (mức hưởng) phải từ 1 đến 5",
                       "Malformed BHYT card number: the 3rd character (benefit level) must be 1 to 5")
    raise BadInput(f"Mã thẻ BHYT sai dạng: cần {form_vi}", f"Malformed BHYT card number: needs {form_en}")


def typed_identity(*, id_number: str = "", card_number: str = "", full_name: str = "",
                   birth: TypedDate | None = None, sex: Sex | None = None) -> Identity:
    """An identity typed at the desk. A name needs its date of birth (a record is found or made by both)."""
    name = " ".join(full_name.split())
    if name and birth is None:
        raise BadInput("Hãy nhập ngày sinh cùng họ tên", "Enter the date of birth with the name")
    if name and any(ch.isdigit() for ch in name):
        raise BadInput("Họ tên không có chữ số", "A name has no digits")
    return Identity(IdentitySource.MANUAL, id_number=id_number, card_number=card_number, full_name=name,
                    date_of_birth=birth.day if birth and name else None,
                    dob_precision=birth.precision if birth and name else DatePrecision.DAY, sex=sex)


def payload_problem(payload: Payload) -> tuple[str, str]:
    """Why a scanned code is not a patient's card, as (Vietnamese, English) — one language each, so
    a screen can show one of them (the payload's own error holds both)."""
    if payload.kind == "slip":
        return ("Đây là mã trên phiếu của phòng khám: hãy quét CCCD, VNeID hoặc thẻ BHYT của người bệnh",
                "This is the code of a clinic slip: scan the patient's ID card, VNeID or BHYT card")
    parser = {"cccd": parse_cccd, "bhyt": parse_bhyt}.get(payload.kind or "")
    if parser is not None:
        try:
            parser(payload.text)
        except PayloadError as exc:
            vi, en = exc.vi, exc.en
            for field, (word_vi, word_en) in _FIELD_WORDS.items():
                vi, en = vi.replace(field, word_vi), en.replace(field, word_en)
            return vi, en
        except (ValueError, IndexError):
            pass
        return "Mã QR hỏng", "Damaged QR code"
    return ("Không phải mã QR căn cước, VNeID hay thẻ BHYT", "Not an ID-card, VNeID or BHYT card QR code")
