"""Lists a clinic keeps in a spreadsheet (its drug procurement list, its price list of services), read the same way:
XLSX, or CSV in UTF-8 with or without BOM, comma, semicolon or tab. The columns are found by their header, in
Vietnamese or English, with or without accents, in any order and on any of the first rows (a title may stand above
them); the data rows come back with the row number a spreadsheet shows, so that a bad row can be named. Every input
has a limit (file size, unpacked size, rows, columns). The drug catalogue (kiosk/erx/catalogue.py) and the price list
(kiosk/bhxh/prices.py) say which columns they want.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.errors import BadInput
from kiosk.store.sqlite import Store

Rows = list[tuple[int, list[Any]]]  # (the row number a spreadsheet shows, the cells)
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # an XLSX is a zip: what it holds, unpacked
MAX_COLUMNS = 100
HEADER_ROWS = 30  # the header row is looked for among the first rows
MAX_BLANK_RUN = 1_000  # a sheet whose stated size runs far past its data: stop after this many empty rows
MAX_PRICE_TEXT = 30


@dataclass(frozen=True)
class Columns:
    """What a list's header row is made of: per field, the header names it may have (folded, the preferred one
    first); the fields a header row must have; each field's label in messages; what a row is ("thuốc" / "drug")."""

    headers: Mapping[str, tuple[str, ...]]
    required: tuple[str, ...]
    labels: Mapping[str, str]
    noun_vi: str
    noun_en: str
    max_rows: int


def fold(text: str) -> str:
    """Lower case without diacritics (đ -> d): what people type on a keyboard without Telex."""
    text = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
    return "".join(ch for ch in text if unicodedata.category(ch) != "Mn")


WORD = re.compile(r"[^\W_]+")  # letters and digits (not "_": a LIKE wildcard)


def header_key(text: str) -> str:
    """A header as it is compared: folded, "(...)" dropped, words of letters and digits only."""
    return " ".join(WORD.findall(fold(re.sub(r"\([^)]*\)", " ", text))))


def text(value: Any) -> str:
    """A cell as text: numbers without a trailing ".0", whitespace (line breaks too) folded to single spaces."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "x" if value else ""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime | dt.date):
        value = value.isoformat()
    return " ".join(str(value).split())


class RowError(Exception):
    """Why one row is skipped (the others are kept)."""

    def __init__(self, vi: str, en: str) -> None:
        super().__init__(en)
        self.vi, self.en = vi, en


def parse_price(value: Any) -> float:
    """A price as spreadsheets hold it: a number, or text such as "1.200", "1,200.50", "1.200,5", "1200 đ".
    Raises RowError when it is not a price."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return 0.0
    if isinstance(value, bool):
        raise RowError("giá không phải là số", "the price is not a number")
    if isinstance(value, int | float):
        number = float(value)
    else:
        shown = str(value).strip()[:MAX_PRICE_TEXT]
        cleaned = re.sub(r"(?i)\s|vn[dđ]|đồng|dong|đ|₫", "", shown)
        if not re.fullmatch(r"\d[\d.,]*", cleaned):
            raise RowError(f"giá {shown!r} không đọc được", f"cannot read the price {shown!r}")
        dots, commas = cleaned.count("."), cleaned.count(",")
        if dots and commas:  # the last one is the decimal separator
            decimal = "." if cleaned.rfind(".") > cleaned.rfind(",") else ","
            thousands = "," if decimal == "." else "."
            cleaned = cleaned.replace(thousands, "").replace(decimal, ".")
        elif dots or commas:
            sep = "." if dots else ","
            tail = cleaned.rsplit(sep, 1)[1]
            if (dots + commas) > 1 or len(tail) == 3:  # 1.200 / 1,200 / 1.200.000: thousands
                if not re.fullmatch(rf"\d{{1,3}}(\{sep}\d{{3}})+", cleaned):
                    raise RowError(f"giá {shown!r} không đọc được", f"cannot read the price {shown!r}")
                cleaned = cleaned.replace(sep, "")
            else:  # 1,5 / 12.50: a decimal
                cleaned = cleaned.replace(sep, ".")
        number = float(cleaned)
    if not math.isfinite(number) or number < 0 or number > 1e10:
        raise RowError(f"giá {value!r} ngoài khoảng cho phép", f"the price {value!r} is out of range")
    return number


def read_file(path: Path | str) -> bytes:
    """A list's bytes; BadInput when the file is missing, unreadable or larger than MAX_FILE_BYTES."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise BadInput(f"Không mở được tệp {path}: {exc.strerror}", f"Cannot open {path}: {exc.strerror}") from exc
    if size > MAX_FILE_BYTES:
        raise BadInput(f"Tệp {path} quá lớn ({size // 1024 // 1024} MB, tối đa {MAX_FILE_BYTES // 1024 // 1024} MB)",
                       f"The file {path} is too large ({size // 1024 // 1024} MB, at most "
                       f"{MAX_FILE_BYTES // 1024 // 1024} MB)")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise BadInput(f"Không đọc được tệp {path}: {exc.strerror}", f"Cannot read {path}: {exc.strerror}") from exc


def read(data: bytes, name: str, columns: Columns) -> tuple[str, dict[str, int], Rows]:
    """(the sheet's title or "" for CSV, field -> column index, the data rows). A workbook is told by its zip
    signature, anything else is read as CSV. BadInput when the file cannot be read at all (too large, not a workbook
    or text, no header row, too many rows: nothing is half-read)."""
    if len(data) > MAX_FILE_BYTES:
        raise BadInput(f"Tệp {name} quá lớn", f"The file {name} is too large")
    if data[:4] == b"PK\x03\x04":
        return _read_xlsx(data, name, columns)
    return _read_csv(data, name, columns)


def _read_xlsx(data: bytes, name: str, columns: Columns) -> tuple[str, dict[str, int], Rows]:
    import openpyxl

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise BadInput(f"Không đọc được tệp Excel {name}", f"Cannot read the workbook {name}") from exc
    if unpacked > MAX_UNPACKED_BYTES:
        raise BadInput(f"Tệp Excel {name} giải nén quá lớn", f"The workbook {name} unpacks to too much data")
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise BadInput(f"Không đọc được tệp Excel {name}: {type(exc).__name__}",
                       f"Cannot read the workbook {name}: {type(exc).__name__}") from exc
    try:
        for sheet in book.worksheets:
            found = _table(enumerate(sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS), 1), name, columns)
            if found is not None:
                return sheet.title, *found
    except BadInput:
        raise
    except Exception as exc:  # a damaged sheet inside a readable zip: nothing imported
        raise BadInput(f"Tệp Excel {name} bị hỏng ({type(exc).__name__}): chưa nhập {columns.noun_vi} nào",
                       f"The workbook {name} is damaged ({type(exc).__name__}): nothing imported") from exc
    finally:
        book.close()
    raise _no_header(name, columns)


def _read_csv(data: bytes, name: str, columns: Columns) -> tuple[str, dict[str, int], Rows]:
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadInput(f"Tệp {name} không phải Excel (.xlsx) hay CSV UTF-8: hãy lưu lại dạng \"CSV UTF-8\"",
                       f"The file {name} is neither a workbook (.xlsx) nor UTF-8 CSV: save it as "
                       "\"CSV UTF-8\"") from exc
    if "\x00" in content:
        raise BadInput(f"Tệp {name} không phải tệp văn bản CSV", f"The file {name} is not a CSV text file")
    for delimiter in (";", ",", "\t"):  # the one whose first rows hold the header
        try:
            found = _table(enumerate(csv.reader(io.StringIO(content, newline=""), delimiter=delimiter), 1), name,
                           columns)
        except csv.Error as exc:
            raise BadInput(f"Tệp CSV {name} bị hỏng: {exc}", f"The CSV file {name} is damaged: {exc}") from exc
        if found is not None:
            return "", *found
    raise _no_header(name, columns)


def _no_header(name: str, columns: Columns) -> BadInput:
    wanted = ", ".join(columns.labels[f] for f in columns.required)
    return BadInput(f"Không tìm thấy dòng tiêu đề có các cột {wanted} trong {HEADER_ROWS} dòng đầu của {name}",
                    f"No header row with the columns {wanted} (Vietnamese or English names) in the first "
                    f"{HEADER_ROWS} rows of {name}")


def _table(rows: Iterator[tuple[int, Iterable[Any]]], name: str,
           columns: Columns) -> tuple[dict[str, int], Rows] | None:
    """The header's columns and the data rows after it (row numbers as a spreadsheet shows them), or None when
    no header row comes first."""
    header: dict[str, int] | None = None
    data: Rows = []
    blank = 0
    for number, raw in rows:
        cells = list(raw)[:MAX_COLUMNS]
        if header is None:
            if number > HEADER_ROWS:
                return None
            header = _header(cells, columns)
            continue
        if all(text(c) == "" for c in cells):
            blank += 1
            if blank >= MAX_BLANK_RUN:
                break
            continue
        blank = 0
        data.append((number, cells))
        if len(data) > columns.max_rows:
            raise BadInput(f"Tệp {name} có hơn {columns.max_rows} dòng {columns.noun_vi}: chưa nhập "
                           f"{columns.noun_vi} nào",
                           f"The file {name} has more than {columns.max_rows} {columns.noun_en} rows: nothing imported")
    if header is None:
        return None
    return header, data


def _header(cells: list[Any], columns: Columns) -> dict[str, int] | None:
    keys = [header_key(text(c)[:200]) for c in cells]
    found: dict[str, int] = {}
    for field, names in columns.headers.items():
        ranked = [(names.index(k), i) for i, k in enumerate(keys) if k in names]
        if ranked:
            found[field] = min(ranked)[1]
    return found if all(f in found for f in columns.required) else None


MAX_SKIPPED_KEPT = 1_000  # skipped rows listed with their reason (all are counted)


@dataclass(frozen=True)
class Table:
    """Where the rows of an imported list go: the store table, its columns (the code first), and the words for one
    row's code in messages ("mã thuốc" / "drug code")."""

    name: str
    columns: tuple[str, ...]
    code_vi: str
    code_en: str


def store_rows(store: Store, table: Table, sheet: str, header: dict[str, int], rows: Rows, name: str,
               parse: Callable[[dict[str, int], list[Any]], Any], values: Callable[[Any], tuple],
               folded: Callable[[Any], str], expected: Iterable[str], labels: dict[str, str]) -> dict[str, Any]:
    """Keep every good row (added, or updated by its code) in one transaction; a bad row — or a code seen twice in
    the file — is skipped with its row number and reason, never the whole file. Returns the counts."""
    skipped: list[dict[str, Any]] = []
    skipped_count = 0
    found: dict[str, tuple[int, Any]] = {}
    for number, cells in rows:
        try:
            item = parse(header, cells)
            code = values(item)[0]
            if code in found:
                first = found[code][0]
                raise RowError(f"{table.code_vi} {code} trùng với dòng {first}",
                               f"the {table.code_en} {code} is also on row {first}")
        except RowError as why:
            skipped_count += 1
            if len(skipped) < MAX_SKIPPED_KEPT:
                skipped.append({"row": number, "vi": why.vi, "en": why.en})
            continue
        found[code] = (number, item)
    added = updated = unchanged = 0
    now = dt.datetime.now().isoformat(timespec="seconds")
    columns = table.columns
    with store.transaction() as db:
        for _, item in found.values():
            row_values = values(item)
            row = db.execute(f"SELECT {', '.join(columns[1:])} FROM {table.name} WHERE {columns[0]} = ?",  # noqa: S608
                             (row_values[0],)).fetchone()
            if row is None:
                db.execute(f"INSERT INTO {table.name}({', '.join(columns)}, folded, imported_at) VALUES "  # noqa: S608
                           f"({', '.join('?' for _ in columns)}, ?, ?)", (*row_values, folded(item), now))
                added += 1
            elif tuple(row) == row_values[1:]:
                unchanged += 1
            else:
                assignments = ", ".join(f"{c} = ?" for c in columns[1:])
                db.execute(f"UPDATE {table.name} SET {assignments}, folded = ?, imported_at = ? "  # noqa: S608
                           f"WHERE {columns[0]} = ?", (*row_values[1:], folded(item), now, row_values[0]))
                updated += 1
    missing = [labels[f] for f in expected if f not in header]
    return {"added": added, "updated": updated, "unchanged": unchanged, "skipped": skipped_count,
            "skipped_rows": skipped, "missing_columns": missing, "sheet": sheet, "file": name}

