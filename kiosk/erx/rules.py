"""The TT 26/2025/TT-BYT rules a prescription follows, as DOMAIN.md §11 states them (read second-hand, not from the
circular's text): the active ingredient's name first (the trade name in brackets), quantities below 10 written with
a leading 0, narcotic quantities also in words, at most 30 days of supply (90 for the chronic diseases of its
appendix), weight and guardian for children under 72 months.

Two choices are this project's, not read from TT 26:

* **Decimals.** A quantity that is not whole keeps its decimals with the Vietnamese decimal comma ("0,5"); the
  leading 0 is added only to a one-digit whole number ("05"), the case the rule is written for ("0,5" already has
  two digits).
* **Narcotic and psychotropic lines get no 90-day allowance** (clinic rule): a line of kind ``n`` or ``h`` is held
  to 30 days even for a chronic disease. The shorter limits of the narcotic/psychotropic rules (e.g. for acute
  pain) were not read from the circular's text and are not checked here.

Every check returns ``(field, vi, en)``: ``field`` is ``prescription[i]`` (the line's index in the visit's list),
``weight`` or ``guardian``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from kiosk.errors import BadInput
from kiosk.erx.catalogue import CODE_LENGTH, KINDS, fold
from kiosk.voice.words import cardinal  # 0–99 as the board reads them: the same words on paper

DAYS_LIMIT, CHRONIC_DAYS_LIMIT = 30, 90
CONTROLLED_DAYS_LIMIT = 30  # n and h lines: clinic rule (see above)
CHILD_MONTHS = 72
MAX_NUMBER_WORDS = 999_999
WEIGHT_RANGE = (0.5, 300.0)  # kg, as the visit's vital signs accept
MAX_PHONE_DIGITS = 12  # QĐ 808: phone numbers are digits, at most 12

Check = tuple[str, str, str]

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")


# ---------------------------------------------------------------------------------------------------- text

def display_name(line: Mapping[str, Any]) -> str:
    """"Paracetamol (Panadol) 500mg": the active ingredient first, the trade name in brackets when there is one
    that is not the ingredient itself, then the strength."""
    ingredient = str(line.get("active_ingredient") or line.get("name") or "").strip()
    trade = str(line.get("trade_name") or "").strip()
    strength = str(line.get("strength") or "").strip()
    name = ingredient or trade
    if trade and ingredient and fold(trade) != fold(ingredient):
        name = f"{ingredient} ({trade})"
    return f"{name} {strength}".strip()


def number_words(n: int) -> str:
    """A whole number 0…999 999 in Vietnamese words: 21 "hai mươi mốt", 15 "mười lăm", 105 "một trăm linh năm",
    24 "hai mươi tư", 1005 "một nghìn không trăm linh năm"."""
    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= MAX_NUMBER_WORDS:
        raise BadInput(f"Không đọc được số {n!r} thành chữ (0 đến {MAX_NUMBER_WORDS})",
                       f"Cannot write {n!r} in words (0 to {MAX_NUMBER_WORDS})")
    if n == 0:
        return DIGITS[0]
    thousands, rest = divmod(n, 1000)
    if not thousands:
        return _below_thousand(rest, full=False)
    words = f"{_below_thousand(thousands, full=False)} nghìn"
    return f"{words} {_below_thousand(rest, full=True)}" if rest else words


def _below_thousand(n: int, *, full: bool) -> str:
    """1…999; ``full``: after a thousands part, so hundreds are read even when 0 ("không trăm linh năm")."""
    hundreds, rest = divmod(n, 100)
    parts = []
    if hundreds or full:
        parts.append(f"{DIGITS[hundreds]} trăm")
    if rest:
        if parts and rest < 10:
            parts.append(f"linh {DIGITS[rest]}")
        else:
            parts.append(cardinal(rest))
    return " ".join(parts)


def number_text(value: float | int) -> str:
    """A number as written on a prescription: a one-digit whole number with a leading 0 ("05"), decimals with the
    Vietnamese comma ("0,5", "12,25"), at most 3 decimals."""
    exact = _decimal(value)
    if exact == exact.to_integral_value():
        whole = int(exact)
        return f"{whole:02d}" if 0 <= whole < 10 else str(whole)
    return format(exact, "f").replace(".", ",")


def _decimal(value: float | int) -> Decimal:
    number = float(value)
    if not math.isfinite(number):
        raise BadInput(f"Số lượng {value!r} không hợp lệ", f"The quantity {value!r} is not valid")
    return Decimal(str(round(number, 3))).normalize()


def _words(value: float | int) -> str:
    exact = _decimal(value)
    whole = int(exact)
    text = number_words(whole)
    if exact == whole:
        return text
    decimals = format(exact, "f").split(".")[1]
    leading = len(decimals) - len(decimals.lstrip("0"))  # 0,05: "không phẩy không năm"
    return " ".join([text, "phẩy", *[DIGITS[0]] * leading, number_words(int(decimals))])


def quantity_text(quantity: float | int, unit: str, kind: str) -> str:
    """"05 Viên"; for a narcotic (``n``) also in words: "05 (năm) Viên"."""
    text = number_text(quantity)
    if kind == "n":
        text = f"{text} ({_words(quantity)})"
    return f"{text} {str(unit or '').strip()}".strip()


def usage_text(line: Mapping[str, Any]) -> str:
    """The usage line printed under a drug and sent as ``cach_dung``:
    "Uống, ngày 3 lần, mỗi lần 01 viên, trong 05 ngày. Uống sau ăn"."""
    route = str(line.get("route") or "").strip()
    unit = _unit_in_text(str(line.get("unit") or "").strip())
    parts = []
    times, dose, days = _number(line.get("times_per_day")), _number(line.get("dose")), _number(line.get("days"))
    if times and times > 0:
        parts.append(f"ngày {number_text(times) if times != int(times) else int(times)} lần")
    if dose and dose > 0:
        parts.append(f"mỗi lần {number_text(dose)} {unit}".strip())
    if days and days > 0:
        parts.append(f"trong {number_text(days)} ngày")
    sentence = ", ".join([route, *parts] if route else parts)
    if sentence:
        sentence = sentence[0].upper() + sentence[1:] + "."
    instructions = " ".join(str(line.get("instructions") or "").split())
    return f"{sentence} {instructions}".strip()


def _unit_in_text(unit: str) -> str:
    """"Viên" -> "viên" inside a sentence; abbreviations ("UI", "ml") stay as they are."""
    return unit.lower() if unit[:1].isupper() and unit[1:].islower() else unit


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


# ---------------------------------------------------------------------------------------------------- checks

def days_limit(diagnosis_codes: Iterable[str], chronic_list: Iterable[str]) -> int:
    """30 days, or 90 when a diagnosis is one of the chronic diseases (an ICD-10 code or prefix of the list, with
    or without the dot)."""
    prefixes = [_icd(p) for p in chronic_list if _icd(p)]
    chronic = bool(prefixes) and any(_icd(code).startswith(tuple(prefixes)) for code in diagnosis_codes if _icd(code))
    return CHRONIC_DAYS_LIMIT if chronic else DAYS_LIMIT


def _icd(code: Any) -> str:
    return "".join(str(code or "").split()).upper().replace(".", "")


def split_by_kind(lines: Iterable[Mapping[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The lines by prescription type, in the order c, n, h, y (types without lines left out); a line without a
    known kind is ordinary."""
    groups: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
    for line in lines:
        kind = line.get("kind") or "c"
        groups[kind if kind in KINDS else "c"].append(dict(line))
    return {kind: found for kind, found in groups.items() if found}


def check_lines(lines: Sequence[Mapping[str, Any]], diagnosis_codes: Iterable[str],
                chronic_list: Iterable[str]) -> list[Check]:
    """What keeps the lines from making a valid prescription for the national system."""
    limit = days_limit(list(diagnosis_codes), list(chronic_list))
    problems: list[Check] = []
    for i, line in enumerate(lines):
        field = f"prescription[{i}]"
        name = display_name(line) or f"#{i + 1}"

        def add(vi: str, en: str, field: str = field, name: str = name) -> None:
            problems.append((field, f"{name}: {vi}", f"{name}: {en}"))

        code = str(line.get("catalogue_code") or "").strip()
        if not code:
            add("thuốc không chọn từ danh mục nên không gửi được lên Hệ thống đơn thuốc quốc gia: hãy chọn thuốc "
                "trong danh mục", "cannot be sent to the national prescription system: choose the drug from the "
                "catalogue")
        elif len(code) > CODE_LENGTH:
            add(f"mã thuốc dài quá {CODE_LENGTH} ký tự", f"the drug code is longer than {CODE_LENGTH} characters")
        if not str(line.get("active_ingredient") or line.get("name") or "").strip():
            add("thiếu tên hoạt chất", "the active ingredient is missing")
        if not str(line.get("unit") or "").strip():
            add("thiếu đơn vị tính", "the unit is missing")
        kind = line.get("kind") or "c"
        if kind not in KINDS:
            add(f"loại thuốc {kind!r} không có (c, n, h, y)", f"no drug type {kind!r} (c, n, h, y)")
        quantity, dose = _number(line.get("quantity")), _number(line.get("dose"))
        times, days = _number(line.get("times_per_day")), _number(line.get("days"))
        if quantity is None or quantity <= 0:
            add("số lượng phải > 0", "the quantity must be > 0")
        if dose is None or dose <= 0 or times is None or times <= 0:  # TT 26: the usage (dose, times) is written
            add("cần liều mỗi lần và số lần mỗi ngày để ghi cách dùng",
                "the dose per intake and the times a day are needed to write the usage")
        if days is None or days <= 0 or days != int(days):
            add("số ngày dùng phải là số nguyên > 0", "the days of use must be a whole number > 0")
        else:
            line_limit = min(limit, CONTROLLED_DAYS_LIMIT) if kind in ("n", "h") else limit
            if days > line_limit:
                add(f"tối đa {line_limit} ngày", f"at most {line_limit} days")
    return problems


def check_child(age_months: int | None, weight: Any, guardian: Mapping[str, Any] | None) -> list[Check]:
    """Under 72 months the prescription carries the child's weight and a guardian: name, phone number and address
    (QĐ 808's ``thong_tin_nguoi_giam_ho``: the national system refuses one without all three). ``guardian`` holds ``name``/``phone``/``address`` (the visit's form) or the QĐ 808 names
    ``ho_ten``/``so_dien_thoai``/``dia_chi``."""
    if age_months is None or age_months >= CHILD_MONTHS:
        return []
    problems: list[Check] = []
    if age_months < 0:
        return [("age", "Ngày sinh sau ngày kê đơn", "The date of birth is after the prescription date")]
    kg = _number(weight)
    if kg is None:
        problems.append(("weight", "Trẻ dưới 72 tháng tuổi: cần cân nặng trên đơn thuốc",
                         "A child under 72 months: the weight is needed on the prescription"))
    elif not WEIGHT_RANGE[0] <= kg <= WEIGHT_RANGE[1]:
        problems.append(("weight", f"Cân nặng {kg:g} kg ngoài khoảng {WEIGHT_RANGE[0]:g}–{WEIGHT_RANGE[1]:g} kg",
                         f"The weight {kg:g} kg is outside {WEIGHT_RANGE[0]:g}–{WEIGHT_RANGE[1]:g} kg"))
    guardian = guardian or {}

    def value(*keys: str) -> str:
        return next((" ".join(str(guardian[k]).split()) for k in keys if str(guardian.get(k) or "").strip()), "")

    name, phone, address = value("name", "ho_ten"), value("phone", "so_dien_thoai"), value("address", "dia_chi")
    if not name:
        problems.append(("guardian", "Trẻ dưới 72 tháng tuổi: cần họ tên người giám hộ",
                         "A child under 72 months: the guardian's name is needed"))
    if not phone:
        problems.append(("guardian", "Trẻ dưới 72 tháng tuổi: cần số điện thoại người giám hộ",
                         "A child under 72 months: the guardian's phone number is needed"))
    if not address:
        problems.append(("guardian", "Trẻ dưới 72 tháng tuổi: cần địa chỉ người giám hộ",
                         "A child under 72 months: the guardian's address is needed"))
    if phone:
        digits = phone.replace(" ", "").replace(".", "").replace("-", "")
        if not digits.isdigit() or len(digits) > MAX_PHONE_DIGITS:
            problems.append(("guardian", f"Số điện thoại người giám hộ chỉ gồm chữ số, tối đa {MAX_PHONE_DIGITS} số",
                             f"The guardian's phone number holds digits only, at most {MAX_PHONE_DIGITS}"))
    return problems


def allergy_matches(lines: Iterable[Mapping[str, Any]], substances: Iterable[str]) -> list[tuple[str, str]]:
    """(drug as named on the prescription, the allergy it meets) for every line whose active ingredient or trade name
    contains an allergy's substance, or is contained in it (accents and case aside; substances of 3 letters or more).
    Allergy records are free text and drug classes are not known here (penicillin does not find amoxicillin): a
    match is a question for the doctor, not a verdict, and no match proves nothing."""
    found = []
    allergies = [(substance, fold(substance)) for substance in substances if len(fold(substance)) >= 3]
    for line in lines:
        names = [fold(str(line.get(k) or "")) for k in ("active_ingredient", "trade_name", "name")]
        names = [n for n in names if len(n) >= 3]
        for substance, folded in allergies:
            if any(folded in name or name in folded for name in names):
                found.append((display_name(line), substance))
                break
    return found

