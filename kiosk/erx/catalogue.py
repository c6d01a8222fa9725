"""The clinic's drug catalogue: what a doctor prescribes from, with the national drug code (``ma_thuoc``) the
national prescription system needs (TT 26/2025, QĐ 808 §VII: ``ma_thuoc`` ≤ 20 characters).

No free machine-readable national drug master file exists (DOMAIN.md §6.2): a clinic imports its own procurement
list, the spreadsheet it already keeps (XLSX, or CSV in UTF-8 with or without BOM, comma, semicolon or tab). The
columns are found by their header, in Vietnamese or English, with or without accents, in any order and on any of the
first rows (a title may stand above them); a bad row is skipped with its row number and the reason, never the whole
file; importing again updates the drugs by code. Every input has a limit (file size, unpacked size, rows, columns,
cell lengths).

The kind of a drug (the prescription type it goes on) comes from an optional "Loại" column (``c``/``n``/``h``/``y``
or words: "Gây nghiện" → n, "Hướng thần"/"Tiền chất" → h, "Cổ truyền"/"YHCT"/"Dược liệu" → y) or from flag columns
"Gây nghiện", "Hướng thần", "Tiền chất", "YHCT" (x, 1, có, yes). A text naming a combination product ("phối hợp",
e.g. "thuốc dạng phối hợp có chứa dược chất gây nghiện") is read as ordinary (``c``): that is this importer's
reading, not a rule read from TT 26's text; a clinic that must file such a drug otherwise writes the letter.

The demo catalogue (``demo_drugs.csv``, loaded by :func:`ensure_demo`) holds common outpatient drugs of a Vietnamese
clinic. Its national codes are **illustrative**: no public list of the codes the national system assigns was found,
so each demo drug uses its registration-number form (``VD-12345-10``: VD domestic, VN imported, number, year) as
both registration number and code, the form public procurement lists use and one that fits 20 characters. BHYT codes
(QĐ 4750 XML2 ``MA_THUOC``, the DMDC active-ingredient code) are filled only where the project already used them
(Paracetamol ``40.48``, Amlodipin ``40.221``); the others are left empty and such a line is claimed as ``00.0000``,
the code QĐ 4750 gives a drug outside the BHYT list. Prices are plausible BHYT prices in VND, not tender results.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from kiosk.bhxh import sheets
from kiosk.bhxh.sheets import WORD, RowError, fold, header_key, parse_price
from kiosk.bhxh.sheets import text as _text
from kiosk.errors import BadInput
from kiosk.privacy.textcheck import describe, unsafe_char
from kiosk.store.sqlite import Store

KINDS = ("c", "n", "h", "y")
Rows = sheets.Rows
MAX_ROWS = 20_000  # data rows (a clinic's list holds hundreds, a hospital's a few thousand)
MAX_QUERY = 200
MAX_LIMIT = 500
CODE_LENGTH = 20  # QĐ 808: ma_thuoc ≤ 20
CODE_CHARS = re.compile(r"^[0-9A-Z][0-9A-Z./_-]*$")
# Longest text kept per field (the prescription body and the XML tables hold these: DON_VI_TINH ≤ 50).
LENGTHS = {"code": CODE_LENGTH, "bhyt_code": 50, "active_ingredient": 500, "trade_name": 255, "strength": 255,
           "unit": 50, "route": 100, "registration_no": 50, "bhyt_price": 30, "kind": 100, "narcotic": 30,
           "psychotropic": 30, "traditional": 30}
NO_BHYT_CODE = "00.0000"  # QĐ 4750 XML2 MA_THUOC: a drug outside the BHYT list

# Header names (folded: lower case, no accents, punctuation and "(...)" removed), the preferred name first.
HEADERS: dict[str, tuple[str, ...]] = {
    "code": ("ma thuoc quoc gia", "ma thuoc", "ma thuoc dqg", "ma dqg", "ma quoc gia", "national drug code",
             "drug code", "ma thuoc lien thong", "code"),
    "bhyt_code": ("ma bhyt", "ma thuoc bhyt", "ma tt20", "ma tt 20", "ma hoat chat", "ma dmdc", "bhyt code"),
    "active_ingredient": ("hoat chat", "ten hoat chat", "hoat chat chinh", "thanh phan hoat chat", "thanh phan",
                          "active ingredient", "ingredient", "inn"),
    "trade_name": ("ten thuoc", "biet duoc", "ten biet duoc", "ten thuong mai", "trade name", "brand name", "brand"),
    "strength": ("ham luong", "nong do ham luong", "nong do", "ham luong nong do", "strength"),
    "unit": ("don vi tinh", "dvt", "don vi", "unit"),
    "route": ("duong dung", "route"),
    "registration_no": ("so dang ky", "sdk", "so dk", "so dk gpnk", "so dang ky gpnk", "so dang ky giay phep nhap khau",
                        "so gpnk", "registration no", "registration number"),
    "bhyt_price": ("gia bhyt", "don gia bhyt", "gia bhyt thanh toan", "gia thanh toan bhyt", "don gia", "gia",
                   "bhyt price", "price"),
    "kind": ("loai", "loai thuoc", "phan loai", "loai don", "kind"),
    "narcotic": ("gay nghien", "thuoc gay nghien", "narcotic"),
    "psychotropic": ("huong than", "thuoc huong than", "tien chat", "huong than tien chat", "psychotropic",
                     "precursor"),
    "traditional": ("yhct", "y hoc co truyen", "thuoc co truyen", "co truyen", "traditional"),
}
REQUIRED = ("code", "active_ingredient", "unit")
EXPECTED = ("trade_name", "strength", "route", "registration_no", "bhyt_price")  # named when the file lacks them
LABELS = {"code": "Mã thuốc", "bhyt_code": "Mã BHYT", "active_ingredient": "Hoạt chất", "trade_name": "Tên thuốc",
          "strength": "Hàm lượng", "unit": "Đơn vị tính", "route": "Đường dùng", "registration_no": "Số đăng ký",
          "bhyt_price": "Giá BHYT", "kind": "Loại", "narcotic": "Gây nghiện", "psychotropic": "Hướng thần",
          "traditional": "YHCT"}
YES = {"x", "1", "co", "yes", "y", "true", "v", "✓", "✔"}

# Route names (folded) to the BYT route codes XML2 DUONG_DUNG carries (kiosk/bhxh/xml130.py: ``route_code``,
# 4 characters). The oral group (1.01–1.05) matches the BYT list as a public VN Core FHIR draft reproduces it;
# the injection, external and insertion codes are this project's reading of the same BYT list, not checked against
# its text. A route not listed gives "": the line then needs its code set by hand.
ROUTE_CODES = {
    "uong": "1.01", "duong uong": "1.01", "ngam": "1.02", "nhai": "1.03", "dat duoi luoi": "1.04",
    "ngam duoi luoi": "1.05",
    "tiem bap": "2.01", "tiem duoi da": "2.02", "tiem trong da": "2.03", "tiem tinh mach": "2.04",
    "tiem truyen tinh mach": "2.05", "truyen tinh mach": "2.05",
    "boi": "3.01", "boi ngoai da": "3.01", "xoa ngoai": "3.02", "dan tren da": "3.03", "dung ngoai": "3.05",
    "dat am dao": "4.01", "dat hau mon": "4.02",
}


@dataclass(frozen=True)
class Drug:
    code: str  # national drug code (ma_thuoc), ≤ 20
    bhyt_code: str  # DMDC active-ingredient code for XML2 MA_THUOC ("" = none known)
    active_ingredient: str
    trade_name: str
    strength: str
    unit: str
    route: str
    registration_no: str
    bhyt_price: float
    kind: str  # c ordinary, n narcotic, h psychotropic/precursor, y traditional medicine


def route_code(route: str) -> str:
    """The BYT route code of a route name ("Uống" -> "1.01"); "" when the name is not known."""
    return ROUTE_CODES.get(header_key(route), "")


# ---------------------------------------------------------------------------------------------------- import

def import_file(store: Store, path: Path | str) -> dict[str, Any]:
    """Import a procurement list (.xlsx or .csv): ``{"added", "updated", "unchanged", "skipped", "skipped_rows":
    [{"row", "vi", "en"}, …], "missing_columns": [...], "sheet"}``, all in one transaction. BadInput when the file
    cannot be read at all (missing, too large, not a workbook or text, no header row)."""
    return import_bytes(store, sheets.read_file(path), str(Path(path)))


def import_bytes(store: Store, data: bytes, name: str) -> dict[str, Any]:
    """:func:`import_file` for content already read (``name`` names it in messages; a workbook is told by its zip
    signature, anything else is read as CSV; kiosk/bhxh/sheets.py reads it)."""
    columns = sheets.Columns(HEADERS, REQUIRED, LABELS, "thuốc", "drug", MAX_ROWS)
    sheet, header, rows = sheets.read(data, name, columns)
    return _store_rows(store, sheet, header, rows, name)


def _drug(header: dict[str, int], cells: list[Any]) -> Drug:
    raw = {field: (cells[i] if i < len(cells) else None) for field, i in header.items()}
    text: dict[str, str] = {}
    for field, value in raw.items():
        value_text = _text(value)
        bad = unsafe_char(value_text)
        if bad is not None:
            raise RowError(f"cột {LABELS[field]} có ký tự điều khiển ({describe(bad)})",
                           f"column {LABELS[field]} holds a control character ({describe(bad)})")
        if len(value_text) > LENGTHS[field]:
            raise RowError(f"cột {LABELS[field]} dài quá {LENGTHS[field]} ký tự",
                           f"column {LABELS[field]} is longer than {LENGTHS[field]} characters")
        text[field] = value_text
    code = "".join(text["code"].split()).upper()
    if not code:
        raise RowError("thiếu mã thuốc", "no drug code")
    if not CODE_CHARS.match(code):
        raise RowError(f"mã thuốc {code!r} có ký tự không hợp lệ (chỉ chữ, số và . / _ -)",
                       f"the drug code {code!r} holds characters that are not allowed (letters, digits, . / _ - only)")
    ingredient = text["active_ingredient"]
    if not ingredient:
        raise RowError("thiếu hoạt chất", "no active ingredient")
    unit = text["unit"]
    if not unit:
        raise RowError("thiếu đơn vị tính", "no unit")
    return Drug(code=code, bhyt_code="".join(text.get("bhyt_code", "").split()), active_ingredient=ingredient,
                trade_name=text.get("trade_name", ""), strength=text.get("strength", ""), unit=unit,
                route=text.get("route", ""), registration_no="".join(text.get("registration_no", "").split()),
                bhyt_price=parse_price(raw.get("bhyt_price")), kind=_kind(text))


def _kind(text: dict[str, str]) -> str:
    if fold(text.get("narcotic", "")) in YES:
        return "n"
    if fold(text.get("psychotropic", "")) in YES:
        return "h"
    if fold(text.get("traditional", "")) in YES:
        return "y"
    return kind_of(text.get("kind", ""))


def kind_of(text: str) -> str:
    """The prescription type named by a "Loại" cell: a letter c/n/h/y or words; anything else is ordinary."""
    key = header_key(text)
    if key in KINDS:
        return key
    if "phoi hop" in key:  # combination products with a narcotic/psychotropic part: read as ordinary (see above)
        return "c"
    if "gay nghien" in key or "narcotic" in key:
        return "n"
    if "huong than" in key or "tien chat" in key or "psychotropic" in key or "precursor" in key:
        return "h"
    if any(w in key for w in ("co truyen", "yhct", "duoc lieu", "dong y", "traditional", "herbal")):
        return "y"
    return "c"


def _store_rows(store: Store, sheet: str, header: dict[str, int], rows: Rows, name: str) -> dict[str, Any]:
    return sheets.store_rows(store, TABLE, sheet, header, rows, name, _drug, _values, _folded, EXPECTED, LABELS)


COLUMNS = ("code", "bhyt_code", "active_ingredient", "trade_name", "strength", "unit", "route", "registration_no",
           "bhyt_price", "kind")
TABLE = sheets.Table("drugs", COLUMNS, "mã thuốc", "drug code")


def _values(drug: Drug) -> tuple[Any, ...]:
    return tuple(getattr(drug, c) for c in COLUMNS)


def _folded(drug: Drug) -> str:
    return " ".join(WORD.findall(fold(f"{drug.active_ingredient} {drug.trade_name} {drug.strength}")))


def ensure_demo(store: Store) -> int:
    """Load the demo catalogue when the store has no drug yet; the number of drugs added (0 when it had some)."""
    if count(store):
        return 0
    data = resources.files(__package__).joinpath("demo_drugs.csv").read_bytes()
    return int(import_bytes(store, data, "demo_drugs.csv")["added"])


# ---------------------------------------------------------------------------------------------------- lookup

def _from_row(row: tuple[Any, ...]) -> Drug:
    return Drug(*row[:8], float(row[8]), row[9])  # type: ignore[arg-type]


def get(store: Store, code: str) -> Drug | None:
    code = "".join(str(code).split()).upper()[:CODE_LENGTH + 1]
    row = store.conn.execute(f"SELECT {', '.join(COLUMNS)} FROM drugs WHERE code = ?", (code,)).fetchone()
    return _from_row(row) if row else None


def count(store: Store) -> int:
    return int(store.conn.execute("SELECT COUNT(*) FROM drugs").fetchone()[0])


def search(store: Store, text: str, limit: int = 20) -> list[Drug]:
    """Drugs whose active ingredient, trade name or strength hold every word typed (with or without accents, in
    any case): those whose ingredient or trade name starts with what was typed first, then those where every word
    starts a word, then the rest; by ingredient within each. An empty text lists the catalogue by ingredient."""
    limit = max(1, min(int(limit), MAX_LIMIT))
    words = list(dict.fromkeys(WORD.findall(fold(str(text)[:MAX_QUERY]))))
    select = f"SELECT {', '.join(COLUMNS)}, folded FROM drugs"
    if not words:
        rows = store.conn.execute(select + " ORDER BY active_ingredient, strength, code LIMIT ?", (limit,)).fetchall()
        return [_from_row(r) for r in rows]
    rows = store.conn.execute(select + " WHERE " + " AND ".join("folded LIKE ?" for _ in words),
                              [f"%{w}%" for w in words]).fetchall()
    typed = " ".join(words)

    def rank(row: tuple[Any, ...]) -> tuple[Any, ...]:
        ingredient, trade = " ".join(WORD.findall(fold(row[2]))), " ".join(WORD.findall(fold(row[3])))
        tokens = row[10].split()
        if ingredient.startswith(typed) or trade.startswith(typed):
            first = 0
        elif all(any(t.startswith(w) for t in tokens) for w in words):
            first = 1
        else:
            first = 2
        return first, ingredient, trade, row[4], row[0]

    return [_from_row(r) for r in sorted(rows, key=rank)[:limit]]


# ---------------------------------------------------------------------------------------------------- lines

MAX_DOSE = 1000
MAX_TIMES_PER_DAY = 24
MAX_DAYS = 366
MAX_INSTRUCTIONS = 500


def line_from_drug(drug: Drug, *, dose: float, times_per_day: int, days: int, instructions: str = "") -> dict[str, Any]:
    """A visit's prescription line for a catalogue drug (the shape of issue #18's contract). The quantity is
    dose × times a day × days, rounded to 3 decimals as ``kiosk.visits.quantity`` does."""
    try:
        dose = float(dose)
        times_per_day, days = int(times_per_day), int(days)
    except (TypeError, ValueError) as exc:
        raise BadInput("Liều, số lần mỗi ngày và số ngày phải là số",
                       "The dose, the times a day and the days must be numbers") from exc
    if not (math.isfinite(dose) and 0 < dose <= MAX_DOSE):
        raise BadInput(f"Liều mỗi lần phải lớn hơn 0 và không quá {MAX_DOSE}",
                       f"The dose per intake must be above 0 and at most {MAX_DOSE}")
    if not 1 <= times_per_day <= MAX_TIMES_PER_DAY:
        raise BadInput(f"Số lần mỗi ngày phải từ 1 đến {MAX_TIMES_PER_DAY}",
                       f"The times a day must be from 1 to {MAX_TIMES_PER_DAY}")
    if not 1 <= days <= MAX_DAYS:
        raise BadInput(f"Số ngày dùng phải từ 1 đến {MAX_DAYS}", f"The days of use must be from 1 to {MAX_DAYS}")
    instructions = " ".join(str(instructions).split())
    if len(instructions) > MAX_INSTRUCTIONS:
        raise BadInput(f"Lời dặn dài quá {MAX_INSTRUCTIONS} ký tự",
                       f"The instructions are longer than {MAX_INSTRUCTIONS} characters")
    bad = unsafe_char(instructions)
    if bad is not None:
        raise BadInput(f"Lời dặn có ký tự điều khiển không được phép ({describe(bad)})",
                       f"The instructions hold a control character that is not allowed ({describe(bad)})")
    quantity = round(dose * times_per_day * days, 3)
    return {
        "catalogue_code": drug.code, "drug_code": drug.bhyt_code or NO_BHYT_CODE,
        "active_ingredient": drug.active_ingredient, "trade_name": drug.trade_name, "name": drug.active_ingredient,
        "strength": drug.strength, "unit": drug.unit, "route": drug.route, "route_code": route_code(drug.route),
        "registration_no": drug.registration_no, "unit_price": drug.bhyt_price, "dose": _whole(dose),
        "times_per_day": times_per_day, "days": days, "quantity": _whole(quantity),
        "instructions": instructions, "kind": drug.kind,
    }


def _whole(number: float) -> float | int:
    """1.0 -> 1 (a whole number of tablets reads "1" in the XML's dose text, as typed), 0.5 stays."""
    return int(number) if float(number).is_integer() else number
