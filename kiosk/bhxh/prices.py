"""The clinic's price list of services: what each examination, test, procedure and supply costs, as the BHYT claim's
XML3 lines carry it (QĐ 4750 Bảng 3): ``MA_DICH_VU`` (the DMDC code), ``MA_NHOM`` (the cost group of QĐ 5937 PL3),
``DON_VI_TINH``, ``DON_GIA_BH`` (the price the fund pays on), ``DON_GIA_BV`` (the clinic's own price, never below
the BHYT price: the patient pays the difference), ``PHAM_VI`` (1 in the benefit, 2 outside it: the patient pays it
all). Drug prices stay in the drug catalogue (kiosk/erx/catalogue.py, ``bhyt_price``).

A clinic imports the list it keeps (XLSX, or CSV in UTF-8), read as the drug list is (kiosk/bhxh/sheets.py): columns
by their header, Vietnamese or English, with or without accents, a bad row skipped with its row number and reason,
importing again updates the services by code. A price may carry the date it is in force from ("Ngày áp dụng"): a visit
before that date cannot use it.

The demo list (``demo_prices.csv``, loaded by :func:`ensure_demo`) holds the common services of a small clinic. Its
codes follow the DMDC shape and its prices are plausible BHYT prices in VND (the exam fee and the glucose test are the
ones the project already used); both are **illustrative**, not checked against the current price decree.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from kiosk.bhxh import sheets
from kiosk.bhxh.sheets import WORD, RowError, fold, header_key, parse_price
from kiosk.errors import BadInput
from kiosk.privacy.textcheck import describe, unsafe_char
from kiosk.store.sqlite import Store

KINDS = ("exam", "test", "procedure", "supply")
KIND_WORDS = {"exam": "Khám bệnh", "test": "Cận lâm sàng", "procedure": "Thủ thuật", "supply": "Vật tư"}
EXAM_GROUP = 13
# QĐ 5937 PL3 cost groups a clinic's service list holds (drugs, blood and bed-days are not here), and the kind each
# group is when the file does not say.
GROUP_KINDS = {1: "test", 2: "test", 3: "test", 8: "procedure", 9: "procedure", 18: "procedure", 10: "supply",
               11: "supply", 13: "exam"}
KIND_GROUPS = {"exam": 13, "procedure": 8, "supply": 10}  # a kind whose group is certain ("test" is 1, 2 or 3)
MAX_ROWS = 5_000
MAX_QUERY = 200
MAX_LIMIT = 500
CODE_LENGTH = 50  # XML3 MA_DICH_VU ≤ 50
CODE_CHARS = re.compile(r"^[0-9A-Z][0-9A-Z._-]*$")
LENGTHS = {"code": CODE_LENGTH, "name": 1024, "group": 10, "unit": 50, "price_bh": 30, "price_bv": 30,
           "pham_vi": 30, "kind": 100, "valid_from": 30}

HEADERS: dict[str, tuple[str, ...]] = {
    "code": ("ma dich vu", "ma dv", "ma dvkt", "ma tuong duong", "ma dich vu ky thuat", "ma", "service code", "code"),
    "name": ("ten dich vu", "ten dvkt", "ten dich vu ky thuat", "ten", "noi dung", "service name", "service", "name"),
    "group": ("ma nhom", "nhom", "nhom chi phi", "ma nhom chi phi", "group", "cost group"),
    "unit": ("don vi tinh", "dvt", "don vi", "unit"),
    "price_bh": ("don gia bh", "gia bhyt", "don gia bhyt", "gia bh", "muc gia bhyt", "gia thanh toan bhyt", "don gia",
                 "gia", "bhyt price", "price bh", "price"),
    "price_bv": ("don gia bv", "gia bv", "gia benh vien", "gia dich vu", "gia vien phi", "gia thu", "gia phong kham",
                 "clinic price", "price bv"),
    "pham_vi": ("pham vi", "pham vi bhyt", "trong pham vi bhyt", "bhyt chi tra", "in benefit", "benefit"),
    "kind": ("loai", "loai dich vu", "phan loai", "kind", "type"),
    "valid_from": ("ngay ap dung", "ap dung tu", "tu ngay", "hieu luc tu", "ngay hieu luc", "valid from"),
}
REQUIRED = ("code", "name", "price_bh")
LABELS = {"code": "Mã dịch vụ", "name": "Tên dịch vụ", "group": "Mã nhóm", "unit": "Đơn vị tính",
          "price_bh": "Đơn giá BH", "price_bv": "Đơn giá BV", "pham_vi": "Phạm vi", "kind": "Loại",
          "valid_from": "Ngày áp dụng"}
EXPECTED = ("group", "price_bv", "pham_vi")  # named when the file lacks them
IN_WORDS = {"1", "x", "co", "yes", "y", "true", "trong", "trong pham vi", "trong danh muc", "bhyt"}
OUT_WORDS = {"2", "0", "khong", "no", "n", "false", "ngoai", "ngoai pham vi", "ngoai danh muc", "tu tuc"}


@dataclass(frozen=True)
class Service:
    code: str  # MA_DICH_VU (DMDC), ≤ 50
    name: str
    group: int  # MA_NHOM
    unit: str
    price_bh: float  # DON_GIA_BH
    price_bv: float  # DON_GIA_BV, ≥ price_bh
    in_benefit: bool  # PHAM_VI 1 (else 2)
    kind: str  # exam, test, procedure, supply
    valid_from: str = ""  # ISO date the price is in force from ("" = always)

    @property
    def pham_vi(self) -> int:
        return 1 if self.in_benefit else 2

    def line(self, quantity: float = 1) -> dict[str, Any]:
        """A visit's ``services`` line priced from this entry (what the claim's XML3 line is built from)."""
        return {"code": self.code, "name": self.name, "quantity": quantity, "group": self.group, "unit": self.unit,
                "price_bh": self.price_bh, "price_bv": self.price_bv, "unit_price": self.price_bv,
                "in_benefit": self.in_benefit, "kind": self.kind}


# ---------------------------------------------------------------------------------------------------- import

def import_file(store: Store, path: Path | str) -> dict[str, Any]:
    """Import a price list (.xlsx or .csv): ``{"added", "updated", "unchanged", "skipped", "skipped_rows": [{"row",
    "vi", "en"}, …], "missing_columns": [...], "sheet", "file"}``, all in one transaction. BadInput when the file cannot
    be read at all (missing, too large, not a workbook or text, no header row)."""
    return import_bytes(store, sheets.read_file(path), str(Path(path)))


def import_bytes(store: Store, data: bytes, name: str) -> dict[str, Any]:
    columns = sheets.Columns(HEADERS, REQUIRED, LABELS, "dịch vụ", "service", MAX_ROWS)
    sheet, header, rows = sheets.read(data, name, columns)
    return sheets.store_rows(store, TABLE, sheet, header, rows, name, _service, _values, _folded, EXPECTED, LABELS)


def _cells(header: dict[str, int], cells: list[Any]) -> tuple[dict[str, Any], dict[str, str]]:
    raw = {field: (cells[i] if i < len(cells) else None) for field, i in header.items()}
    text: dict[str, str] = {}
    for field, value in raw.items():
        value_text = sheets.text(value)
        bad = unsafe_char(value_text)
        if bad is not None:
            raise RowError(f"cột {LABELS[field]} có ký tự điều khiển ({describe(bad)})",
                           f"column {LABELS[field]} holds a control character ({describe(bad)})")
        if len(value_text) > LENGTHS[field]:
            raise RowError(f"cột {LABELS[field]} dài quá {LENGTHS[field]} ký tự",
                           f"column {LABELS[field]} is longer than {LENGTHS[field]} characters")
        text[field] = value_text
    return raw, text


def _service(header: dict[str, int], cells: list[Any]) -> Service:
    raw, text = _cells(header, cells)
    code = "".join(text["code"].split()).upper()
    if not code:
        raise RowError("thiếu mã dịch vụ", "no service code")
    if not CODE_CHARS.match(code):
        raise RowError(f"mã dịch vụ {code!r} có ký tự không hợp lệ (chỉ chữ, số và . _ -)",
                       f"the service code {code!r} holds characters that are not allowed (letters, digits, . _ - only)")
    name = text["name"]
    if not name:
        raise RowError("thiếu tên dịch vụ", "no service name")
    kind = _kind(text.get("kind", ""))
    group = _group(text.get("group", ""), kind)
    if kind is None:
        kind = GROUP_KINDS[group]
    in_benefit = _in_benefit(text.get("pham_vi", ""))
    price_bh = parse_price(raw.get("price_bh"))
    price_bv = parse_price(raw.get("price_bv")) if text.get("price_bv") else price_bh
    if in_benefit and price_bh <= 0:
        raise RowError("dịch vụ trong phạm vi BHYT cần đơn giá BH lớn hơn 0",
                       "a service in the BHYT benefit needs a BHYT price above 0")
    if price_bv <= 0:
        raise RowError("thiếu giá", "no price")
    if price_bv < price_bh:
        raise RowError(f"đơn giá BV ({price_bv:,.0f}) thấp hơn đơn giá BH ({price_bh:,.0f})",
                       f"the clinic price ({price_bv:,.0f}) is below the BHYT price ({price_bh:,.0f})")
    return Service(code=code, name=name, group=group, unit=text.get("unit", "") or "Lần",
                   price_bh=round(price_bh, 3), price_bv=round(price_bv, 3), in_benefit=in_benefit, kind=kind,
                   valid_from=_date(raw.get("valid_from"), text.get("valid_from", "")))


def _kind(text: str) -> str | None:
    key = header_key(text)
    if not key:
        return None
    if key in KINDS:
        return key
    for kind, words in (("exam", ("kham",)), ("supply", ("vat tu", "vtyt", "supply")),
                        ("procedure", ("thu thuat", "phau thuat", "procedure")),
                        ("test", ("xet nghiem", "chan doan hinh anh", "cdha", "tham do", "can lam sang", "x quang",
                                  "sieu am", "test", "imaging"))):
        if any(w in key for w in words):
            return kind
    raise RowError(f"loại {text!r} không rõ (khám, xét nghiệm, thủ thuật, vật tư)",
                   f"the kind {text!r} is not known (exam, test, procedure, supply)")


def _group(text: str, kind: str | None) -> int:
    if not text:
        if kind in KIND_GROUPS:
            return KIND_GROUPS[kind]
        raise RowError("thiếu mã nhóm chi phí (MA_NHOM)", "no cost group (MA_NHOM)")
    if not text.isdigit():
        raise RowError(f"mã nhóm {text!r} không phải số", f"the cost group {text!r} is not a number")
    group = int(text)
    if group not in GROUP_KINDS:
        raise RowError(f"mã nhóm {group} không thuộc bảng giá dịch vụ (thuốc, máu, giường ở danh mục khác)",
                       f"cost group {group} is not one of a service price list (drugs, blood and beds are listed "
                       f"elsewhere)")
    if kind is not None and GROUP_KINDS[group] != kind:
        raise RowError(f"mã nhóm {group} không khớp loại {KIND_WORDS[kind]}",
                       f"cost group {group} does not fit the kind {kind}")
    return group


def _in_benefit(text: str) -> bool:
    key = header_key(text)
    if not key or key in IN_WORDS:
        return True
    if key in OUT_WORDS:
        return False
    if key == "3":
        raise RowError("phạm vi 3 (ngoài danh mục, quỹ trả cho quân đội, công an) chưa được hỗ trợ",
                       "PHAM_VI 3 (outside the list, paid for the army and police) is not supported")
    raise RowError(f"phạm vi {text!r} không rõ (1 trong phạm vi BHYT, 2 ngoài phạm vi)",
                   f"the benefit {text!r} is not known (1 in the BHYT benefit, 2 outside it)")


def _date(value: Any, text: str) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if not text:
        return ""
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%Y%m%d"):
        try:
            return dt.datetime.strptime(text[:10] if fmt == "%Y-%m-%d" else text, fmt).date().isoformat()
        except ValueError:
            continue
    raise RowError(f"ngày áp dụng {text!r} không đọc được (dd/mm/yyyy)",
                   f"cannot read the date {text!r} (dd/mm/yyyy)")


COLUMNS = ("code", "name", "ma_nhom", "unit", "price_bh", "price_bv", "pham_vi", "kind", "valid_from")
TABLE = sheets.Table("prices", COLUMNS, "mã dịch vụ", "service code")


def _values(service: Service) -> tuple[Any, ...]:
    return (service.code, service.name, service.group, service.unit, service.price_bh, service.price_bv,
            service.pham_vi, service.kind, service.valid_from)


def _folded(service: Service) -> str:
    return " ".join(WORD.findall(fold(f"{service.code} {service.name}")))


def ensure_demo(store: Store) -> int:
    """Load the demo price list when the store has none yet; the number of services added (0 when it had some)."""
    if count(store):
        return 0
    data = resources.files(__package__).joinpath("demo_prices.csv").read_bytes()
    return int(import_bytes(store, data, "demo_prices.csv")["added"])


# ---------------------------------------------------------------------------------------------------- lookup

def _from_row(row: tuple[Any, ...]) -> Service:
    code, name, group, unit, price_bh, price_bv, pham_vi, kind, valid_from = row[:9]
    return Service(code, name, int(group), unit, float(price_bh), float(price_bv), int(pham_vi) == 1, kind,
                   valid_from or "")


def normal_code(code: str) -> str:
    return "".join(str(code).split()).upper()[:CODE_LENGTH + 1]


def get(store: Store, code: str) -> Service | None:
    row = store.conn.execute(f"SELECT {', '.join(COLUMNS)} FROM prices WHERE code = ?",
                             (normal_code(code),)).fetchone()
    return _from_row(row) if row else None


def count(store: Store) -> int:
    return int(store.conn.execute("SELECT COUNT(*) FROM prices").fetchone()[0])


def search(store: Store, text: str = "", limit: int = 50) -> list[Service]:
    """Services whose code or name hold every word typed (with or without accents); all of them, by group and
    code, without text."""
    limit = max(1, min(int(limit), MAX_LIMIT))
    words = list(dict.fromkeys(WORD.findall(fold(str(text)[:MAX_QUERY]))))
    where = " AND ".join("folded LIKE ?" for _ in words)
    rows = store.conn.execute(f"SELECT {', '.join(COLUMNS)} FROM prices" + (f" WHERE {where}" if words else "")
                              + " ORDER BY ma_nhom DESC, code LIMIT ?", (*[f"%{w}%" for w in words], limit)).fetchall()
    return [_from_row(r) for r in rows]


class NotPriced(BadInput):
    """A visit's service that cannot be claimed: not in the price list, or its price not yet in force."""


def price_line(store: Store, line: dict[str, Any], on: dt.date) -> dict[str, Any]:
    """A visit's ``services`` line (``{"code", "quantity", …}``) priced from the list on the visit date: the price
    list's name, group, unit, both prices and benefit, the quantity kept. NotPriced when it cannot be."""
    code = normal_code(line.get("code", ""))
    service = get(store, code) if code else None
    shown = code or str(line.get("name") or "?")[:60]
    if service is None:
        raise NotPriced(f"Dịch vụ {shown} không có trong bảng giá: nhập bảng giá (clinic-kiosk catalog import-prices)",
                        f"The service {shown} is not in the price list: import it (clinic-kiosk catalog import-prices)")
    if service.valid_from and dt.date.fromisoformat(service.valid_from) > on:
        raise NotPriced(f"Giá dịch vụ {code} chỉ áp dụng từ {dt.date.fromisoformat(service.valid_from):%d/%m/%Y}",
                        f"The price of {code} is in force only from {service.valid_from}")
    try:
        quantity = float(line.get("quantity", 1) or 1)
    except (TypeError, ValueError):
        raise NotPriced(f"Số lượng dịch vụ {code} không hợp lệ", f"The quantity of {code} is not valid") from None
    if not 0 < quantity <= 1000:
        raise NotPriced(f"Số lượng dịch vụ {code} phải từ 0 đến 1000", f"The quantity of {code} must be above 0 "
                                                                          f"and at most 1000")
    return service.line(int(quantity) if quantity.is_integer() else quantity)
