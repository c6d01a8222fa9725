"""The ICD-10 catalogue (QĐ 4469/QĐ-BYT): import of the official workbook, search by code or by
Vietnamese name typed with or without diacritics, and the rules used when recording diagnoses
(codes not allowed as the main diagnosis, sex-specific codes)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from kiosk.errors import BadInput
from kiosk.store.sqlite import Store

# A starter list the program writes itself for the demo; a clinic imports the official workbook.
STARTER = [
    ("A09", "Tiêu chảy và viêm dạ dày-ruột do nhiễm trùng", "", ""), ("B95.0", "Liên cầu nhóm A là nguyên nhân", "1", ""),
    ("E11.9", "Bệnh đái tháo đường không phụ thuộc insulin, không có biến chứng", "", ""),
    ("E78.0", "Tăng cholesterol máu đơn thuần", "", ""), ("H10.9", "Viêm kết mạc, không đặc hiệu", "", ""),
    ("I10", "Bệnh lý tăng huyết áp vô căn (nguyên phát)", "", ""), ("J00", "Viêm mũi họng cấp [cảm thường]", "", ""),
    ("J02.9", "Viêm họng cấp, không đặc hiệu", "", ""), ("J20.9", "Viêm phế quản cấp, không đặc hiệu", "", ""),
    ("J45.9", "Hen, không đặc hiệu", "", ""), ("K21.9", "Bệnh trào ngược dạ dày - thực quản không viêm thực quản", "", ""),
    ("K29.7", "Viêm dạ dày, không đặc hiệu", "", ""), ("M54.5", "Đau vùng thắt lưng", "", ""),
    ("N39.0", "Nhiễm khuẩn hệ tiết niệu, vị trí không xác định", "", ""), ("N76.0", "Viêm âm đạo cấp", "", "F"),
    ("N41.0", "Viêm tuyến tiền liệt cấp", "", "M"), ("R50.9", "Sốt, không đặc hiệu", "", ""),
    ("Z00.0", "Khám sức khỏe tổng quát", "", ""),
]


def fold(text: str) -> str:
    """Lower case without diacritics (đ -> d): what people type on a keyboard without Telex."""
    text = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
    return "".join(ch for ch in text if unicodedata.category(ch) != "Mn")


def dotted(code: str) -> str:
    """``A000`` -> ``A00.0`` (the workbook's undotted form to the form used in XML)."""
    code = code.strip().upper().replace(".", "")
    return code if len(code) <= 3 else f"{code[:3]}.{code[3:]}"


@dataclass(frozen=True)
class Icd:
    code: str
    name: str
    not_main: bool
    sex: str  # "F" female-only, "M" male-only, "" both


def ensure_starter(store: Store) -> None:
    if store.conn.execute("SELECT 1 FROM icd10 LIMIT 1").fetchone():
        return
    with store.transaction() as db:
        db.conn.executemany(
            "INSERT OR IGNORE INTO icd10(code, name_vi, name_en, name_folded, not_main, sex) VALUES (?, ?, '', ?, ?, ?)",
            [(c, n, fold(n), int(bool(nm)), s) for c, n, nm, s in STARTER],
        )


def import_workbook(store: Store, path: Path) -> dict[str, int]:
    """Import the QĐ 4469 workbook: sheet ICD10 and the A2 (not main) and A4.1/A4.2 (sex) sheets.
    The catalogue is replaced whole, or not at all when the file cannot be read to its end."""
    import openpyxl

    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below, after the read-only workbook is done with it
    except OSError as exc:
        raise BadInput(f"Không mở được tệp {path}: {exc.strerror}", f"Cannot open {path}: {exc.strerror}") from exc
    with handle:
        try:
            book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
            raise BadInput(f"Không đọc được tệp Excel {path}: {type(exc).__name__}",
                           f"Cannot read the workbook {path}: {type(exc).__name__}") from exc
        try:
            rows, not_main, female, male = _read_workbook(book)
        except BadInput:
            raise
        except Exception as exc:  # a damaged sheet inside a readable zip: same answer, nothing imported
            raise BadInput(f"Tệp Excel {path} bị hỏng ({type(exc).__name__}): chưa nhập mã nào",
                           f"The workbook {path} is damaged ({type(exc).__name__}): nothing imported") from exc
        finally:
            book.close()
    with store.transaction() as db:
        db.execute("DELETE FROM icd10")
        latest = {c: (c, n, e, f) for c, n, e, f in rows}  # a code listed twice: its last line counts
        db.conn.executemany(
            "INSERT INTO icd10(code, name_vi, name_en, name_folded, not_main, sex) VALUES (?, ?, ?, ?, ?, ?)",
            [(c, n, e, f, int(c in not_main), "F" if c in female else "M" if c in male else "")
             for c, n, e, f in latest.values()],
        )
    return {"codes": len(rows), "not_main": len(not_main), "female_only": len(female), "male_only": len(male)}


def _read_workbook(book) -> tuple[list[tuple[str, str, str, str]], set[str], set[str], set[str]]:  # noqa: ANN001
    sheets = {name.split()[0]: name for name in book.sheetnames if name.split()}
    if "ICD10" not in sheets:
        raise BadInput("Tệp không có trang ICD10 của QĐ 4469", "The workbook has no ICD10 sheet (QĐ 4469)")
    rows = []
    header: list[str] | None = None
    for row in book[sheets["ICD10"]].iter_rows(values_only=True):
        cells = [str(c).strip() if c is not None else "" for c in row]
        if header is None:
            if "MÃ BỆNH" in cells and "TÊN BỆNH" in cells:
                header = cells
            continue
        get = dict(zip(header, cells, strict=False))
        code = get.get("MÃ BỆNH", "")
        if not re.fullmatch(r"[A-Z]\d{2}(\.\d{1,2})?\*?\+?", code.replace("†", "")):
            continue
        name = get.get("TÊN BỆNH", "")
        rows.append((dotted(code.rstrip("*+")), name, get.get("DISEASE NAME", ""), fold(name)))

    def codes(sheet_prefix: str) -> set[str]:
        sheet = sheets.get(sheet_prefix)
        if sheet is None:
            return set()
        found = set()
        for row in book[sheet].iter_rows(values_only=True):
            value = str(row[0]).strip() if row and row[0] is not None else ""
            if re.fullmatch(r"[A-Z]\d{2,4}", value.replace(".", "")):
                found.add(dotted(value))
        return found

    not_main, female, male = codes("A2"), codes("A4.1"), codes("A4.2")
    if not rows:
        raise BadInput("Trang ICD10 không có mã bệnh nào", "The ICD10 sheet holds no codes")
    return rows, not_main, female, male


def search(store: Store, text: str, limit: int = 20) -> list[Icd]:
    """By code prefix (``j02``, ``J02.9``, ``J029``: that code first) or by words of the name, with or without
    accents. Names are ranked so that what the doctor typed is found first: every word typed as a whole word or a
    word's beginning, in the order typed (side by side first, from the name's start first), then every word in
    another order, then every word inside other words (``hong`` in ``không``), then names holding only some of the
    words; shorter names before longer ones at each rank."""
    ensure_starter(store)
    query = text.strip()
    if not query:
        return []
    code_like = re.fullmatch(r"[A-Za-z]\d{0,2}\.?\d{0,2}", query)
    if code_like:
        prefix = dotted(query) if len(query.replace(".", "")) > 3 else query.upper()
        rows = store.conn.execute("SELECT code, name_vi, not_main, sex FROM icd10 WHERE code LIKE ? ORDER BY "
                                  "length(code), code LIMIT ?", (prefix + "%", limit)).fetchall()
        return [Icd(c, n, bool(m), s) for c, n, m, s in rows]
    words = list(dict.fromkeys(WORD.findall(fold(query))))
    if not words:
        return []
    select = "SELECT code, name_vi, not_main, sex, name_folded FROM icd10 WHERE "
    every = store.conn.execute(select + " AND ".join("name_folded LIKE ?" for _ in words),
                               [f"%{w}%" for w in words]).fetchall()
    ranked = sorted(every, key=lambda row: (*name_rank(words, row[4]), len(row[1]), row[0]))
    if len(ranked) < limit and len(words) > 1:  # then the names holding only some of the words
        seen = {row[0] for row in ranked}
        some = [row for row in store.conn.execute(select + " OR ".join("name_folded LIKE ?" for _ in words),
                                                  [f"%{w}%" for w in words]).fetchall() if row[0] not in seen]
        ranked += sorted(some, key=lambda row: (*name_rank(words, row[4]), len(row[1]), row[0]))
    return [Icd(c, n, bool(m), s) for c, n, m, s, _ in ranked[:limit]]


WORD = re.compile(r"\w+")
# The ranks of a name for the words typed, best first.
PHRASE, IN_ORDER, ANY_ORDER, INSIDE_WORDS, SOME_WORDS = range(5)


def name_rank(words: list[str], folded_name: str) -> tuple[int, int]:
    """How well a (folded) name matches the (folded) words typed: the rank (PHRASE … SOME_WORDS), then 0 when the
    match starts at the name's first word (else 1; for SOME_WORDS: minus the number of words found)."""
    tokens = WORD.findall(folded_name)
    starts = [[i for i, token in enumerate(tokens) if token.startswith(w)] for w in words]
    if all(starts):
        for first in starts[0]:  # side by side, in order
            if all(first + k in starts[k] for k in range(len(words))):
                return PHRASE, int(first != 0)
        at, in_order = -1, True
        for found in starts:  # in order with other words between
            later = [i for i in found if i > at]
            if not later:
                in_order = False
                break
            at = later[0]
        return (IN_ORDER if in_order else ANY_ORDER), int(0 not in starts[0])
    if all(w in folded_name for w in words):
        return INSIDE_WORDS, 0
    return SOME_WORDS, -sum(bool(s) for s in starts) * 2 - sum(w in folded_name for w in words)


def get(store: Store, code: str) -> Icd | None:
    ensure_starter(store)
    row = store.conn.execute("SELECT code, name_vi, not_main, sex FROM icd10 WHERE code = ?", (dotted(code),)).fetchone()
    return Icd(row[0], row[1], bool(row[2]), row[3]) if row else None
