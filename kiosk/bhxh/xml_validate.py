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
CROSS_TABLE_RULES (see ``Claim``), among them the money rules of DOMAIN.md §14 (rule ``money``), each figure to 1 VND:
per XML2/XML3 line THANH_TIEN_BV and THANH_TIEN_BH by the tables' formulas, T_NGUONKHAC the sum of its four parts,
T_BHTT = THANH_TIEN_BH × MUC_HUONG/100, T_BNCCT = THANH_TIEN_BH − T_BHTT, T_BNTT = THANH_TIEN_BV − THANH_TIEN_BH (with
no other source; with one, the four shares add up to THANH_TIEN_BV), T_BHTT 0 on a line outside the benefit (PHAM_VI
2), percentages written 80/95/100 (whole numbers 0–100); XML1's totals the sums of the lines and T_BHTT = T_TONGCHI_BH
− T_BNCCT. These are violations. Two money warnings are this checker's own reading: two examination fees at 100 % in
one claim (TT 39/2024 charges a further specialty at 30 %; an episode over several days may bill each day's
examination), and a claim whose insured cost is below 15 % of the base salary of its NGAY_VAO with a line paid below
100 % (the low-cost rule; an off-route visit keeps its reduced level, which MA_DOITUONG_KCB alone does not tell).
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

from decimal import Decimal, InvalidOperation

from kiosk.bhxh.money import LOW_COST_SHARE, base_salary_on
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
    vi: str = ""  # the message in Vietnamese, where a rule gives one (the money rules: the sandbox portal says it)

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


# --- money (DOMAIN.md §14) -------------------------------------------------------------------------------------------

MONEY = "money"
MONEY_TOLERANCE = Decimal(1)  # VND
HUNDRED = Decimal(100)
SUPPLY_GROUPS = {"10", "11"}
EXAM_GROUP = "13"
_SHARES = ("T_NGUONKHAC_NSNN", "T_NGUONKHAC_VTNN", "T_NGUONKHAC_VTTN", "T_NGUONKHAC_CL")


def _amount(record: dict[str, str], name: str, default: str = "0") -> Decimal | None:
    """A money field as a number: empty is ``default``; not a number is None (the field's own check says so)."""
    text = record.get(name, "") or default
    if not _NUMBER.match(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _money(table: str, field: str, en: str, vi: str, level: str = VIOLATION) -> Finding:
    return Finding(table, field, MONEY, en, level, vi)


def _off(found: Decimal, wanted: Decimal) -> bool:
    return abs(found - wanted) > MONEY_TOLERANCE


def _shown_vnd(value: Decimal) -> str:
    return f"{value:.2f}"


def _line_rules(table: str, where: str, r: dict[str, str]) -> Iterable[Finding]:
    names = ("SO_LUONG", "THANH_TIEN_BV", "THANH_TIEN_BH", "T_BHTT", "T_BNCCT", "T_BNTT", "T_NGUONKHAC", *_SHARES)
    v = {name: _amount(r, name) for name in names}
    rates = {name: _amount(r, name, default) for name, default in
             (("MUC_HUONG", "0"), ("TYLE_TT_BH", "100"), ("TYLE_TT_DV", "100"))}
    for name, rate in rates.items():
        if name == "TYLE_TT_DV" and table != "XML3":
            continue
        if rate is not None and (rate != rate.to_integral_value() or not 0 <= rate <= HUNDRED):
            yield _money(table, name, f"{where}: {r.get(name)!r} is not a whole percentage 0–100 (80, 95, 100)",
                         f"{where}: {r.get(name)!r} không phải tỷ lệ phần trăm nguyên 0–100 (ghi 80, 95, 100)")
    if any(x is None for x in v.values()) or any(x is None for x in rates.values()):
        return  # a field that is not a number: said by the field checks
    qty, bv, bh = v["SO_LUONG"], v["THANH_TIEN_BV"], v["THANH_TIEN_BH"]
    if table == "XML2":
        price_bv = price_bh = _amount(r, "DON_GIA")
        dv = HUNDRED
    else:
        price_bv, price_bh, dv = _amount(r, "DON_GIA_BV"), _amount(r, "DON_GIA_BH"), rates["TYLE_TT_DV"]
    if price_bv is None or price_bh is None:
        return
    wanted_bv = qty * price_bv * dv / HUNDRED
    if _off(bv, wanted_bv):
        formula = "SO_LUONG × DON_GIA" if table == "XML2" else "SO_LUONG × DON_GIA_BV × TYLE_TT_DV/100"
        yield _money(table, "THANH_TIEN_BV", f"{where}: {_shown_vnd(bv)}, but {formula} = {_shown_vnd(wanted_bv)}",
                     f"{where}: {_shown_vnd(bv)}, nhưng {formula} = {_shown_vnd(wanted_bv)}")
    wanted_bh = qty * price_bh * dv / HUNDRED * rates["TYLE_TT_BH"] / HUNDRED
    if _off(bh, wanted_bh):
        formula = "SO_LUONG × DON_GIA × TYLE_TT_BH/100" if table == "XML2" else \
            "SO_LUONG × DON_GIA_BH × TYLE_TT_DV/100 × TYLE_TT_BH/100"
        yield _money(table, "THANH_TIEN_BH", f"{where}: {_shown_vnd(bh)}, but {formula} = {_shown_vnd(wanted_bh)}",
                     f"{where}: {_shown_vnd(bh)}, nhưng {formula} = {_shown_vnd(wanted_bh)}")
    other = v["T_NGUONKHAC"]
    parts = sum((v[name] for name in _SHARES), Decimal(0))
    if any(r.get(name) for name in _SHARES) and _off(other, parts):
        yield _money(table, "T_NGUONKHAC", f"{where}: {_shown_vnd(other)}, but its four parts add up to "
                                           f"{_shown_vnd(parts)}",
                     f"{where}: {_shown_vnd(other)}, nhưng bốn nguồn cộng lại là {_shown_vnd(parts)}")
    fund, copay, own = v["T_BHTT"], v["T_BNCCT"], v["T_BNTT"]
    if other == 0:
        wanted_fund = bh * rates["MUC_HUONG"] / HUNDRED
        for name, found, wanted, formula in (
                ("T_BHTT", fund, wanted_fund, "THANH_TIEN_BH × MUC_HUONG/100"),
                ("T_BNCCT", copay, bh - fund, "THANH_TIEN_BH − T_BHTT"),
                ("T_BNTT", own, bv - bh, "THANH_TIEN_BV − THANH_TIEN_BH")):
            if _off(found, wanted):
                yield _money(table, name, f"{where}: {_shown_vnd(found)}, but {formula} = {_shown_vnd(wanted)}",
                             f"{where}: {_shown_vnd(found)}, nhưng {formula} = {_shown_vnd(wanted)}")
    elif _off(fund + copay + own + other, bv):
        yield _money(table, "T_BHTT", f"{where}: T_BHTT + T_BNCCT + T_BNTT + T_NGUONKHAC = "
                                      f"{_shown_vnd(fund + copay + own + other)}, not THANH_TIEN_BV {_shown_vnd(bv)}",
                     f"{where}: T_BHTT + T_BNCCT + T_BNTT + T_NGUONKHAC = {_shown_vnd(fund + copay + own + other)}, "
                     f"khác THANH_TIEN_BV {_shown_vnd(bv)}")
    if r.get("PHAM_VI") == "2" and fund != 0:
        yield _money(table, "T_BHTT", f"{where}: {_shown_vnd(fund)} on a line outside the benefit (PHAM_VI 2): the "
                                      f"fund pays nothing there",
                     f"{where}: {_shown_vnd(fund)} ở dòng ngoài phạm vi hưởng BHYT (PHAM_VI 2): quỹ không chi trả")


def money_lines(claim: Claim) -> Iterable[Finding]:
    """Each XML2/XML3 line's amounts by the tables' formulas (DOMAIN.md §14)."""
    for table in ("XML2", "XML3"):
        for n, record in enumerate(claim.get(table, []), 1):
            yield from _line_rules(table, f"line {record.get('STT') or n}", record)


def money_totals(claim: Claim) -> Iterable[Finding]:
    """XML1's totals against the lines of XML2 and XML3 (when the claim carries lines), and T_BHTT = T_TONGCHI_BH −
    T_BNCCT."""
    if "XML1" not in claim or not claim["XML1"]:
        return
    summary = claim["XML1"][0]
    drugs, services = claim.get("XML2", []), claim.get("XML3", [])
    if drugs or services:
        def total(records: list[dict[str, str]], name: str) -> Decimal | None:
            amounts = [_amount(r, name) for r in records]
            return None if any(a is None for a in amounts) else sum(amounts, Decimal(0))  # type: ignore[arg-type]

        sums = {"T_THUOC": total(drugs, "THANH_TIEN_BV"),
                "T_VTYT": total([r for r in services if r.get("MA_NHOM") in SUPPLY_GROUPS], "THANH_TIEN_BV"),
                "T_TONGCHI_BV": total(drugs + services, "THANH_TIEN_BV"),
                "T_TONGCHI_BH": total(drugs + services, "THANH_TIEN_BH"),
                "T_BNTT": total(drugs + services, "T_BNTT"), "T_BNCCT": total(drugs + services, "T_BNCCT"),
                "T_NGUONKHAC": total(drugs + services, "T_NGUONKHAC")}
        for name, wanted in sums.items():
            found = _amount(summary, name)
            if found is None or wanted is None:
                continue
            if _off(found, wanted):
                yield _money("XML1", name, f"{_shown_vnd(found)}, but the lines add up to {_shown_vnd(wanted)}",
                             f"{_shown_vnd(found)}, nhưng tổng các dòng chi phí là {_shown_vnd(wanted)}")
    fund, insured, copay = (_amount(summary, n) for n in ("T_BHTT", "T_TONGCHI_BH", "T_BNCCT"))
    if fund is not None and insured is not None and copay is not None and _off(fund, insured - copay):
        yield _money("XML1", "T_BHTT",
                     f"{_shown_vnd(fund)}, but T_TONGCHI_BH − T_BNCCT = {_shown_vnd(insured - copay)}",
                     f"{_shown_vnd(fund)}, nhưng T_TONGCHI_BH − T_BNCCT = {_shown_vnd(insured - copay)}")


def money_warnings(claim: Claim) -> Iterable[Finding]:
    """What this checker reads into the rules, not the official tables' words: warnings (see the module's text)."""
    exams = [r for r in claim.get("XML3", []) if r.get("MA_NHOM") == EXAM_GROUP and (r.get("TYLE_TT_DV") or "100")
             in ("100", "100.0", "100.00")]
    if len(exams) > 1:
        yield _money("XML3", "TYLE_TT_DV", f"{len(exams)} examination fees (MA_NHOM 13) at 100 %: a further "
                                           f"specialty of the same day is charged at 30 % (TT 39/2024)",
                     f"{len(exams)} dòng tiền khám (MA_NHOM 13) tính 100 %: chuyên khoa thứ hai trong cùng ngày chỉ "
                     f"tính 30 % (TT 39/2024)", WARNING)
    summary = (claim.get("XML1") or [{}])[0]
    insured, started = _amount(summary, "T_TONGCHI_BH"), summary.get("NGAY_VAO", "")
    lines = claim.get("XML2", []) + claim.get("XML3", [])
    if insured is None or not insured or not lines or not (_TIME.match(started) and _valid_moment(started, False)):
        return
    try:
        threshold = LOW_COST_SHARE * base_salary_on(dt.datetime.strptime(started, "%Y%m%d%H%M").date())
    except ValueError:  # a date before the first base salary of the table
        return
    levels = [_amount(r, "MUC_HUONG") for r in lines if r.get("PHAM_VI", "1") != "2"]
    reduced = [level for level in levels if level is not None and 0 < level < HUNDRED]
    if insured < threshold and reduced:
        yield _money("XML1", "T_TONGCHI_BH", f"{_shown_vnd(insured)} is below 15 % of the base salary "
                                             f"({threshold:,.0f}) yet {len(reduced)} line(s) are paid below 100 %: the "
                                             f"low-cost rule pays a right-route visit in full",
                     f"{_shown_vnd(insured)} dưới 15 % lương cơ sở ({threshold:,.0f}) nhưng {len(reduced)} dòng có "
                     f"mức hưởng dưới 100 %: khám đúng tuyến chi phí thấp được quỹ trả 100 %", WARNING)


MONEY_RULES: list[CrossRule] = [money_lines, money_totals, money_warnings]

# Run on every claim (every HOSO) after the tables are read. Another module may append its own rules here, e.g.
# ``CROSS_TABLE_RULES.append(my_rule)``.
CROSS_TABLE_RULES: list[CrossRule] = [same_episode, tables_for_the_visit, *MONEY_RULES]


def money_violations(data: bytes) -> list[Finding]:
    """The money rules' violations of an envelope (what a portal refuses the claim for: kiosk/sandbox/server.py)."""
    return [f for f in check_envelope(data) if f.rule == MONEY and f.is_violation]


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
                   [Finding(f.table, f.field, f.rule, f"{f.message} (HOSO {n})", f.level,
                            f"{f.vi} (HOSO {n})" if f.vi else "") for f in found])
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
            out.append(f if n == 1 else Finding(f.table, f.field, f.rule, f"{f.message} ({n} records)", f.level,
                                                f"{f.vi} ({n} dòng)" if f.vi else ""))
    return out


def validate_envelope(data: bytes) -> list[Finding]:
    """The violations only (what breaks the official tables): an empty list means the portal's tables are met."""
    return [f for f in check_envelope(data) if f.is_violation]
