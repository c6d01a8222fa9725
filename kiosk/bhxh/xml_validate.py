"""Checks a GIAMDINHHS envelope against the QĐ 4750 field tables (kiosk/bhxh/xml_spec.py): every table
decodes and parses, has its root and record tags, holds only known fields in order, respects types,
lengths, time/date formats, the 12-code limit of MA_BENH_KT and one MA_LK throughout."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from xml.etree import ElementTree as ET

from kiosk.bhxh.xml_spec import DATE_FIELDS, LIST_FIELDS, ROOTS, TIME_FIELDS, fields

_TIME = re.compile(r"^\d{12}$")
_DATE = re.compile(r"^\d{8}$")
_ICD = re.compile(r"^[A-Z]\d{2}(\.\d{1,2})?$")


@dataclass(frozen=True)
class Violation:
    table: str
    field: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.table} {self.field}: [{self.rule}] {self.message}"


def _parse(data: bytes, table: str, out: list[Violation]) -> ET.Element | None:
    if b"<!DOCTYPE" in data[:4096] or b"<!ENTITY" in data:
        out.append(Violation(table, "-", "xml", "DTD/ENTITY not allowed"))
        return None
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        out.append(Violation(table, "-", "xml", f"not well-formed XML: {exc}"))
        return None


def _check_record(table: str, record: ET.Element, out: list[Violation], links: set[str]) -> None:
    specs = {s.name: s for s in fields(table)}
    order = [s.name for s in fields(table)]
    seen = [child.tag for child in record]
    for tag in seen:
        if tag not in specs and tag != "CHUKYDONVI":
            out.append(Violation(table, tag, "unknown", "field not in the QĐ 4750 table"))
    known = [t for t in seen if t in specs]
    if known != [t for t in order if t in known]:
        out.append(Violation(table, "-", "order", "fields are not in the order of the QĐ 4750 table"))
    if "MA_LK" not in seen:
        out.append(Violation(table, "MA_LK", "required", "missing"))
    for child in record:
        spec = specs.get(child.tag)
        if spec is None:
            continue
        value = (child.text or "").strip()
        if spec.max_length and len(value) > spec.max_length:
            out.append(Violation(table, spec.name, "length", f"{len(value)} characters, at most {spec.max_length}"))
        if not value:
            continue
        if spec.numeric:
            try:
                Decimal(value)
            except InvalidOperation:
                out.append(Violation(table, spec.name, "number", f"{value!r} is not a number"))
        values = value.split(";") if spec.name in LIST_FIELDS else [value]
        if spec.name in TIME_FIELDS and not all(_TIME.match(v) for v in values):
            out.append(Violation(table, spec.name, "time", f"{value!r} is not yyyyMMddHHmm"))
        if spec.name in DATE_FIELDS and not all(_DATE.match(v) for v in values):
            out.append(Violation(table, spec.name, "date", f"{value!r} is not yyyyMMdd"))
        if spec.name == "MA_BENH_CHINH" and not _ICD.match(value):
            out.append(Violation(table, spec.name, "icd10", f"{value!r} is not one ICD-10 code"))
        if spec.name == "MA_BENH_KT":
            codes = value.split(";")
            if len(codes) > 12:
                out.append(Violation(table, spec.name, "count", f"{len(codes)} codes, at most 12"))
            bad = [c for c in codes if not _ICD.match(c)]
            if bad:
                out.append(Violation(table, spec.name, "icd10", f"not ICD-10 codes: {', '.join(bad)}"))
        if spec.name == "MA_LK":
            links.add(value)


def validate_table(table: str, data: bytes, out: list[Violation], links: set[str]) -> None:
    root = _parse(data, table, out)
    if root is None:
        return
    root_tag, list_tag, record_tag = ROOTS[table]
    if root.tag != root_tag:
        out.append(Violation(table, "-", "root", f"root is {root.tag}, expected {root_tag}"))
        return
    if list_tag is None:
        _check_record(table, root, out, links)
        return
    records = root.findall(f"{list_tag}/{record_tag}")
    if not records:
        out.append(Violation(table, "-", "records", f"no {list_tag}/{record_tag}"))
    for n, record in enumerate(records, 1):
        _check_record(table, record, out, links)
        stt = record.findtext("STT")
        if stt is not None and stt.strip() != str(n):
            out.append(Violation(table, "STT", "sequence", f"record {n} has STT {stt!r}"))


def validate_envelope(data: bytes) -> list[Violation]:
    out: list[Violation] = []
    root = _parse(data, "GIAMDINHHS", out)
    if root is None:
        return out
    if root.tag != "GIAMDINHHS":
        return [Violation("GIAMDINHHS", "-", "root", f"root is {root.tag}")]
    facility = (root.findtext("THONGTINDONVI/MACSKCB") or "").strip()
    if not re.fullmatch(r"\d{2}[0-9A-Z]{3}", facility):
        out.append(Violation("GIAMDINHHS", "MACSKCB", "format", f"{facility!r} is not a 5-character facility code"))
    if not _DATE.match((root.findtext("THONGTINHOSO/NGAYLAP") or "").strip()):
        out.append(Violation("GIAMDINHHS", "NGAYLAP", "date", "not yyyyMMdd"))
    files = root.findall("THONGTINHOSO/DANHSACHHOSO/HOSO/FILEHOSO")
    kinds = [(f.findtext("LOAIHOSO") or "").strip() for f in files]
    if "XML1" not in kinds:
        out.append(Violation("GIAMDINHHS", "LOAIHOSO", "required", "XML1 is missing"))
    links: set[str] = set()
    for file, kind in zip(files, kinds, strict=True):
        if kind not in ROOTS:
            out.append(Violation("GIAMDINHHS", "LOAIHOSO", "unknown", f"table {kind!r} is not produced or known"))
            continue
        try:
            content = base64.b64decode((file.findtext("NOIDUNGFILE") or "").strip(), validate=True)
        except (binascii.Error, ValueError):
            out.append(Violation(kind, "NOIDUNGFILE", "base64", "not valid base64"))
            continue
        validate_table(kind, content, out, links)
    if len(links) > 1:
        out.append(Violation("GIAMDINHHS", "MA_LK", "same", f"tables disagree on MA_LK: {sorted(links)}"))
    return out
