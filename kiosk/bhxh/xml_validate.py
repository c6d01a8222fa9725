"""Checks a GIAMDINHHS envelope (or one bare table, such as an XML0 check-in file) against the QĐ 4750 field tables
of kiosk/bhxh/xml_spec.py: the complete official workbook, check-in table and XML1–XML15.

Each finding has a level. A **violation** breaks the official tables: XML that does not parse or is hostile, a
table or field the workbook does not have, a wrong root/list/record tag, a value that is not a number where the
table says "Số", longer than the table's size, a time that is not yyyyMMddHHmm or a date that is not yyyyMMdd, a
missing MA_LK (the primary key), tables that disagree on MA_LK, more than 12 secondary diagnoses, a main diagnosis
that is not one ICD-10 code. A **warning** is a rule that is not in the official texts, or that real exported files
break: STT not in document order, fields out of the table's order, a field the validation checklist marks required
("Bắt buộc") left empty, a table sent for a kind of visit its note does not name (e.g. XML5 for an ordinary
examination, as real HIS do).

Any subset of tables is read; each table travels as base64 in NOIDUNGFILE. Rules across tables are functions in
CROSS_TABLE_RULES (see ``Claim``): the money rules of DOMAIN.md §14 are to be added there.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from xml.etree import ElementTree as ET
from xml.parsers import expat

from kiosk.bhxh.xml_spec import NOT_SENT_BY_HIS, ROOTS, SIGNATURE, field_map, fields

VIOLATION = "violation"
WARNING = "warning"

MAX_ENVELOPE_BYTES = 32 * 1024 * 1024  # a long inpatient episode is a few MB; anything near this is refused
MAX_TABLE_BYTES = 32 * 1024 * 1024
MAX_DEPTH = 32  # the deepest legitimate element is a signature's X509Certificate (~8 below the root)
MAX_FILES = 64  # FILEHOSO per HOSO: 16 tables are known

_DATE = re.compile(r"^\d{8}$")
_TIME = re.compile(r"^\d{12}$")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_ICD = re.compile(r"^[A-Z]\d{2}(\.?\d{1,2})?$")  # J02.9, or J029 as vendor catalogues store it
_BIRTH_FIELDS = {"NGAY_SINH", "NGAYSINH_NND"}  # unknown day/month may be 00 (QĐ 4750, Bảng 1 NGAY_SINH)
# Values never repeated in a finding (findings reach logs through finalise's error): identity and diagnosis.
_PRIVATE = {"HO_TEN", "SO_CCCD", "SO_CCCD_NND", "MA_THE_BHYT", "MA_THE_NND", "MA_THE_TAM", "NGAY_SINH", "NGAYSINH_NND",
            "DIA_CHI", "DIEN_THOAI", "MA_BHXH", "MA_BHXH_NND", "MA_BENH_CHINH", "MA_BENH_KT", "MA_BENH_YHCT"}
_TABLE_BY_ROOT = {root: table for table, (root, _, _) in ROOTS.items()}
# The tables' notes in the workbook: which kinds of visit (XML1 MA_LOAI_KCB) send XML5 and XML8.
XML5_KINDS = {"02", "03", "04", "05", "06", "08", "09"}
XML8_KINDS = {"03", "04", "06"}


@dataclass(frozen=True)
class Finding:
    table: str
    field: str
    rule: str
    message: str
    level: str = VIOLATION

    def __str__(self) -> str:
        return f"{self.table} {self.field}: [{self.rule}] {self.message}"

    @property
    def is_violation(self) -> bool:
        return self.level == VIOLATION


Violation = Finding  # the name its callers knew


def _warning(table: str, field: str, rule: str, message: str) -> Finding:
    return Finding(table, field, rule, message, WARNING)


# A claim as the cross-table rules see it: table (XML1 …) -> its records, each a field -> text mapping (first
# occurrence of a field, stripped). A rule returns findings; it must not raise on missing tables or fields.
Claim = dict[str, list[dict[str, str]]]
CrossRule = Callable[[Claim], Iterable[Finding]]


class Refused(ValueError):
    """XML this checker does not parse: not well-formed, a DTD or entities, too deep."""


def parse_xml(data: bytes, max_depth: int = MAX_DEPTH) -> ET.Element:
    """Parse with expat directly, refusing any DTD (so no entities: no billion laughs, no external files) and any
    nesting deeper than ``max_depth``. Namespaces are not processed: tags stay as written."""
    builder = ET.TreeBuilder()
    parser = expat.ParserCreate()
    depth = 0

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal depth
        depth += 1
        if depth > max_depth:
            raise Refused(f"nested deeper than {max_depth} elements")
        builder.start(tag, attrs)

    def end(tag: str) -> None:
        nonlocal depth
        depth -= 1
        builder.end(tag)

    def no_dtd(*_: object) -> None:
        raise Refused("DTD/ENTITY not allowed")

    parser.buffer_text = True
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = builder.data
    parser.StartDoctypeDeclHandler = no_dtd
    parser.EntityDeclHandler = no_dtd
    parser.ExternalEntityRefHandler = no_dtd
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise Refused(f"not well-formed XML: {expat.ErrorString(exc.code)} (line {exc.lineno})") from None
    except RecursionError:
        raise Refused("nested too deep") from None
    return builder.close()


def _shown(name: str, value: str) -> str:
    return "the value" if name in _PRIVATE else repr(value[:40])


def _valid_moment(value: str, birth: bool) -> bool:
    if birth and value[4:6] == "00":
        value = value[:4] + "0101" + value[8:] if value[6:8] == "00" else ""
    elif birth and value[6:8] == "00":
        value = value[:6] + "01" + value[8:]
    try:
        dt.datetime.strptime(value, "%Y%m%d%H%M" if len(value) == 12 else "%Y%m%d")
    except ValueError:
        return False
    return True


def _check_format(table: str, name: str, fmt: str, value: str, out: list[Finding]) -> None:
    birth = name in _BIRTH_FIELDS
    for part in value.split(";"):  # several cards, several re-exam dates: ";"-separated
        part = part.strip()
        shape = (fmt != "date" and _TIME.match(part)) or (fmt != "time" and _DATE.match(part))
        if not shape or not _valid_moment(part, birth):
            wanted = {"time": "yyyyMMddHHmm", "date": "yyyyMMdd"}.get(fmt, "yyyyMMdd or yyyyMMddHHmm")
            out.append(Finding(table, name, fmt.replace("date|time", "date"), f"{_shown(name, value)} is not a valid "
                                                                                f"{wanted}"))
            return


def _check_value(table: str, name: str, value: str, out: list[Finding]) -> None:
    spec = field_map(table)[name]
    if spec.max_length and len(value) > spec.max_length:
        out.append(Finding(table, name, "length", f"{len(value)} characters, at most {spec.max_length}"))
    if not value:
        return
    if spec.numeric and not _NUMBER.match(value):
        out.append(Finding(table, name, "number", f"{_shown(name, value)} is not a number (digits, '.' for decimals)"))
    if spec.format:
        _check_format(table, name, spec.format, value, out)
    if name == "MA_BENH_CHINH" and not _ICD.match(value):
        out.append(Finding(table, name, "icd10", "not one ICD-10 code"))
    if name == "MA_BENH_KT":
        codes = [c.strip() for c in value.split(";")]
        if len(codes) > 12:
            out.append(Finding(table, name, "count", f"{len(codes)} codes, at most 12"))
        bad = [c for c in codes if not _ICD.match(c)]
        if bad:
            out.append(Finding(table, name, "icd10", f"{len(bad)} of the codes are not ICD-10 codes"))


def check_record(table: str, record: ET.Element, out: list[Finding]) -> dict[str, str]:
    """One record's fields against the table; returns its values (field -> stripped text)."""
    specs = field_map(table)
    values: dict[str, str] = {}
    seen: list[str] = []
    for child in record:
        tag = child.tag
        if tag == SIGNATURE:
            continue
        if tag not in specs:
            out.append(Finding(table, tag, "unknown", "field not in the QĐ 4750 table"))
            continue
        if tag in values:
            out.append(Finding(table, tag, "duplicate", "field given twice in one record"))
            continue
        if len(child):
            out.append(Finding(table, tag, "xml", "holds elements, not a value"))
        values[tag] = (child.text or "").strip()
        seen.append(tag)
        _check_value(table, tag, values[tag], out)
    order = [f.name for f in fields(table) if f.name in values]
    if seen != order:
        out.append(_warning(table, "-", "order", "fields are not in the order of the QĐ 4750 table"))
    for spec in fields(table):
        if values.get(spec.name):
            continue
        if spec.key:
            out.append(Finding(table, spec.name, "required", "missing" if spec.name not in values else "empty"))
        elif spec.checklist:
            out.append(_warning(table, spec.name, "checklist", "empty; the BHXH checklist marks it required (not "
                                                              "the official tables)"))
    return values


def check_table(table: str, data: bytes, out: list[Finding]) -> list[dict[str, str]]:
    """One table's XML (decoded from NOIDUNGFILE); returns its records' values."""
    if len(data) > MAX_TABLE_BYTES:
        out.append(Finding(table, "-", "size", f"more than {MAX_TABLE_BYTES} bytes: refused unread"))
        return []
    try:
        root = parse_xml(data)
    except Refused as exc:
        out.append(Finding(table, "-", "xml", str(exc)))
        return []
    return _check_table_root(table, root, out)


def _check_table_root(table: str, root: ET.Element, out: list[Finding]) -> list[dict[str, str]]:
    root_tag, list_tag, record_tag = ROOTS[table]
    if root.tag != root_tag:
        out.append(Finding(table, "-", "root", f"root is {root.tag}, expected {root_tag}"))
        return []
    if list_tag is None:
        return [check_record(table, root, out)]
    holders = []
    for child in root:
        if child.tag == list_tag:
            holders.append(child)
        elif child.tag != SIGNATURE:
            out.append(Finding(table, child.tag, "structure", f"unexpected element under {root_tag}"))
    if len(holders) != 1:
        out.append(Finding(table, "-", "records", f"{len(holders)} {list_tag} elements, expected one"))
    records = []
    for holder in holders:
        for child in holder:
            if child.tag != record_tag:
                out.append(Finding(table, child.tag, "structure", f"unexpected element in {list_tag}"))
                continue
            records.append(check_record(table, child, out))
    if not records:
        out.append(Finding(table, "-", "records", f"no {list_tag}/{record_tag}"))
    numbers = [r.get("STT", "") for r in records]
    if "STT" in field_map(table) and any(numbers) and numbers != [str(n) for n in range(1, len(records) + 1)]:
        out.append(_warning(table, "STT", "sequence", f"STT {', '.join(n or '-' for n in numbers[:10])}"
                                                      f"{' …' if len(numbers) > 10 else ''} is not 1, 2, 3 … in "
                                                      f"document order"))
    return records


# --- rules across tables -------------------------------------------------------------------------------------------

def same_episode(claim: Claim) -> Iterable[Finding]:
    """MA_LK links every table of one episode (the official text: primary key): one value throughout."""
    links = sorted({r["MA_LK"] for records in claim.values() for r in records if r.get("MA_LK")})
    if len(links) > 1:
        yield Finding("GIAMDINHHS", "MA_LK", "same", f"tables disagree on MA_LK: {links[:5]}")


def tables_for_the_visit(claim: Claim) -> Iterable[Finding]:
    """The tables' notes say which visits send XML5, XML8 and XML13; real HIS send XML5 for ordinary examinations
    too, so these are warnings."""
    summary = (claim.get("XML1") or [{}])[0]
    kind, leaving = summary.get("MA_LOAI_KCB", ""), summary.get("MA_LOAI_RV", "")
    if "XML1" not in claim:
        return
    if "XML5" in claim and kind not in XML5_KINDS:
        yield _warning("XML5", "-", "when", f"sent for MA_LOAI_KCB {kind!r}; the table's note names "
                                            f"{', '.join(sorted(XML5_KINDS))}")
    if "XML8" in claim and kind not in XML8_KINDS:
        yield _warning("XML8", "-", "when", f"sent for MA_LOAI_KCB {kind!r}; the table's note names "
                                            f"{', '.join(sorted(XML8_KINDS))}")
    if "XML13" in claim and leaving not in ("2", "5"):
        yield _warning("XML13", "-", "when", f"sent with MA_LOAI_RV {leaving!r}; the table's note names 2 or 5")


# Run on every claim (every HOSO) after the tables are read. Another module may append its own rules here (the
# money of DOMAIN.md §14 goes here), e.g. ``CROSS_TABLE_RULES.append(money_rules)``.
CROSS_TABLE_RULES: list[CrossRule] = [same_episode, tables_for_the_visit]


def run_cross_table_rules(claim: Claim, out: list[Finding]) -> None:
    for rule in CROSS_TABLE_RULES:
        out.extend(rule(claim))


# --- the envelope ------------------------------------------------------------------------------------------------

def _decode(kind: str, file: ET.Element, out: list[Finding]) -> bytes | None:
    text = re.sub(r"\s+", "", file.findtext("NOIDUNGFILE") or "")
    if not text:
        out.append(Finding(kind, "NOIDUNGFILE", "required", "empty"))
        return None
    if len(text) // 4 * 3 > MAX_TABLE_BYTES:
        out.append(Finding(kind, "-", "size", f"more than {MAX_TABLE_BYTES} bytes: refused unread"))
        return None
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        out.append(Finding(kind, "NOIDUNGFILE", "base64", "not valid base64"))
        return None


def _check_hoso(hoso: ET.Element, out: list[Finding]) -> None:
    files = hoso.findall("FILEHOSO")
    if len(files) > MAX_FILES:
        out.append(Finding("GIAMDINHHS", "FILEHOSO", "count", f"{len(files)} tables, at most {MAX_FILES}"))
        return
    kinds = [(f.findtext("LOAIHOSO") or "").strip() for f in files]
    if "XML1" not in kinds:
        out.append(Finding("GIAMDINHHS", "LOAIHOSO", "required", "XML1 is missing"))
    claim: Claim = {}
    for file, kind in zip(files, kinds, strict=True):
        if kind not in ROOTS:
            out.append(Finding("GIAMDINHHS", "LOAIHOSO", "unknown", f"table {kind[:20]!r} is not in QĐ 4750"))
            continue
        if kind in claim:
            out.append(_warning("GIAMDINHHS", "LOAIHOSO", "duplicate", f"{kind} sent twice in one HOSO"))
        if kind == "XML0":
            out.append(_warning("GIAMDINHHS", "LOAIHOSO", "checkin", "XML0 (check-in) is sent on its own, not in a "
                                                                      "claim"))
        if kind in NOT_SENT_BY_HIS:
            out.append(_warning("GIAMDINHHS", "LOAIHOSO", "portal", f"{kind} is entered on the portal, not sent by "
                                                                     f"a HIS (the table's note)"))
        content = _decode(kind, file, out)
        if content is not None:
            claim.setdefault(kind, []).extend(check_table(kind, content, out))
    run_cross_table_rules(claim, out)


def check_envelope(data: bytes) -> list[Finding]:
    """Every finding, violations and warnings, for a GIAMDINHHS envelope or one bare table."""
    if len(data) > MAX_ENVELOPE_BYTES:
        return [Finding("GIAMDINHHS", "-", "size", f"more than {MAX_ENVELOPE_BYTES} bytes: refused unread")]
    try:
        root = parse_xml(data)
    except Refused as exc:
        return [Finding("GIAMDINHHS", "-", "xml", str(exc))]
    out: list[Finding] = []
    if root.tag in _TABLE_BY_ROOT:  # one table on its own: the XML0 check-in file, or a table exported alone
        table = _TABLE_BY_ROOT[root.tag]
        records = _check_table_root(table, root, out)
        run_cross_table_rules({table: records}, out)
        return _merge_warnings(out)
    if root.tag != "GIAMDINHHS":
        return [Finding("GIAMDINHHS", "-", "root", f"root is {root.tag[:60]}")]
    facility = (root.findtext("THONGTINDONVI/MACSKCB") or "").strip()
    if not re.fullmatch(r"\d{2}[0-9A-Z]{3}", facility):
        out.append(Finding("GIAMDINHHS", "MACSKCB", "format", f"{facility[:20]!r} is not a 5-character facility code"))
    made = (root.findtext("THONGTINHOSO/NGAYLAP") or "").strip()
    if not (_DATE.match(made) and _valid_moment(made, False)):
        out.append(Finding("GIAMDINHHS", "NGAYLAP", "date", "not yyyyMMdd"))
    records = root.findall("THONGTINHOSO/DANHSACHHOSO/HOSO")
    if not records:
        out.append(Finding("GIAMDINHHS", "HOSO", "required", "no THONGTINHOSO/DANHSACHHOSO/HOSO"))
    count = (root.findtext("THONGTINHOSO/SOLUONGHOSO") or "").strip()
    if count != str(len(records)):
        out.append(_warning("GIAMDINHHS", "SOLUONGHOSO", "count", f"{count[:10]!r}, but {len(records)} HOSO"))
    for n, hoso in enumerate(records, 1):
        found: list[Finding] = []
        _check_hoso(hoso, found)
        found = _merge_warnings(found)
        out.extend(found if len(records) == 1 else
                   [Finding(f.table, f.field, f.rule, f"{f.message} (HOSO {n})", f.level) for f in found])
    return out


def _merge_warnings(found: list[Finding]) -> list[Finding]:
    """The same warning on many records (an empty checklist field on every drug line) is said once, with a count."""
    counts: dict[Finding, int] = {}
    for f in found:
        if not f.is_violation:
            counts[f] = counts.get(f, 0) + 1
    out = []
    for f in found:
        if f.is_violation:
            out.append(f)
        elif f in counts:
            n = counts.pop(f)
            out.append(f if n == 1 else Finding(f.table, f.field, f.rule, f"{f.message} ({n} records)", f.level))
    return out


def validate_envelope(data: bytes) -> list[Finding]:
    """The violations only (what breaks the official tables): an empty list means the portal's tables are met."""
    return [f for f in check_envelope(data) if f.is_violation]
