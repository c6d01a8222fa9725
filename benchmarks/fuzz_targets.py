"""Every parser of outside input, as a fuzz target: ``target(data: bytes)`` must return or raise
one of the program's typed errors (what a user is shown); anything else is a bug. The hypothesis
tests (tests/kiosk/test_fuzz_parsers.py) and the atheris run (benchmarks/fuzz.py) share them.

Targets: QR payloads (camera and USB scanner), typed text at the reception (ID, card number, name),
gateway JSON (card check, history, health book, receipts), settings TOML, the ICD-10 workbook.
Targets that write keep a store of their own and check it is unharmed after every input.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from kiosk.bhxh.gateway import CardCheck, GatewayClient, GatewayError, Receipt
from kiosk.errors import KioskError
from kiosk.healthbook import apply_book, parse_history
from kiosk.identify import identity_from_payload
from kiosk.model import DatePrecision, HealthBook, Identity, IdentitySource, Patient, Provenance, Source
from kiosk.settings import read_file
from kiosk.store.opening import open_store
from kiosk.store.sqlite import Store
from scanner.payloads import parse_payload

SLIP_KEY = b"k" * 32


class Workspace:
    """A folder and a store for the targets that need them (one per fuzzing process)."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="ck-fuzz-"))
        self._store: Store | None = None
        self._clinic = None

    @property
    def store(self) -> Store:
        if self._store is None:
            from kiosk import icd10

            self._store = open_store(self.dir / "fuzz.db")
            icd10.ensure_starter(self._store)
        return self._store

    @property
    def clinic(self):  # noqa: ANN201 - kiosk.facade.Clinic, imported late
        from kiosk.facade import Clinic
        from kiosk.settings import Settings

        if self._clinic is None:
            self._clinic = Clinic(Settings(), self.store)
        return self._clinic

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def qr_payload(ws: Workspace, data: bytes) -> None:
    """A decoded QR code, or a USB scanner's burst of keys: parsed, then turned into an identity."""
    for text in (_text(data), data.decode("latin-1")):
        payload = parse_payload(text, slip_key=SLIP_KEY)
        assert payload.ok or payload.error, "a refused payload says why"
        if payload.ok and payload.kind in ("cccd", "bhyt"):
            identity = identity_from_payload(payload)
            assert identity.id_number or identity.card_number


def typed_text(ws: Workspace, data: bytes) -> None:
    """What a receptionist types in the ID, card or name field, looked up in a real store."""
    from kiosk.facade import UnknownPatient

    text = _text(data)
    store = ws.store
    before = store.conn.execute("SELECT COUNT(*) FROM patients").fetchone()[0]
    clinic = ws.clinic
    for identity in (Identity(IdentitySource.MANUAL, id_number=text.strip()),
                     Identity(IdentitySource.MANUAL, card_number=text.strip().upper())):
        try:
            clinic.identify(identity)  # the reception's use case: find, or say there is no record
        except UnknownPatient:
            pass
    name = " ".join(text.split())[:120]
    if name:
        try:
            clinic.identify(Identity(IdentitySource.MANUAL, full_name=name, date_of_birth=dt.date(1990, 1, 1),
                                              dob_precision=DatePrecision.DAY))
        except KioskError:
            pass
    after = store.conn.execute("SELECT COUNT(*) FROM patients").fetchone()[0]
    assert after - before <= 1, "typing one name registers at most one patient"


def _response(data: bytes, status: int = 200) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = data
    response.headers["Content-Type"] = "application/json"
    return response


def gateway_json(ws: Workspace, data: bytes) -> None:
    """Whatever the BHXH gateway answers: card check, history, health book, submission receipt."""
    try:
        body = GatewayClient._json("api/egw/KQNhanLichSuKCB2024", _response(data))
    except GatewayError:
        return
    gateway_object(body)


def gateway_object(body: Any) -> None:
    """The parsing of an answer that was valid JSON (hypothesis drives this with JSON trees)."""
    if not isinstance(body, dict):
        return
    now = dt.datetime(2026, 11, 22, 8, 0)
    check = CardCheck.from_response(body, now)
    assert check.message_vi and check.message_en, "every answer gets words for the receptionist"
    parse_history(body.get("dsLichSuKCB2025"), Provenance(Source.BHXH, now))
    book = HealthBook(Patient(1, "BN000001", "Người Thử"))
    apply_book(book, body, Provenance(Source.HEALTH_BOOK, now))
    Receipt.from_response(body)


def settings_toml(ws: Workspace, data: bytes) -> None:
    """A settings file someone edited by hand."""
    path = ws.dir / "settings.toml"
    path.write_bytes(data)
    try:
        read_file(path)
    except KioskError:
        pass


def _seed_workbook() -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "ICD10"
    sheet.append(["STT", "MÃ BỆNH", "TÊN BỆNH", "DISEASE NAME"])
    sheet.append([1, "A00", "Bệnh tả", "Cholera"])
    sheet.append([2, "J00", "Viêm mũi họng cấp", "Acute nasopharyngitis"])
    book.create_sheet("A2 not main").append(["B95"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


SEED_WORKBOOK = _seed_workbook()


def icd_workbook(ws: Workspace, data: bytes) -> None:
    """An ICD-10 workbook to import: the catalogue is replaced whole or not at all."""
    from kiosk import icd10

    store = ws.store
    before = store.conn.execute("SELECT COUNT(*), COALESCE(SUM(LENGTH(name_vi)), 0) FROM icd10").fetchone()
    path = ws.dir / "icd.xlsx"
    path.write_bytes(data)
    try:
        result = icd10.import_workbook(store, path)
    except KioskError:
        after = store.conn.execute("SELECT COUNT(*), COALESCE(SUM(LENGTH(name_vi)), 0) FROM icd10").fetchone()
        assert after == before, "a refused workbook leaves the catalogue as it was"
        return
    assert result["codes"] == store.conn.execute("SELECT COUNT(*) FROM icd10").fetchone()[0]
    icd10.ensure_starter(store)


def workbook_bytes(rows: list[list[Any]], title: str = "ICD10") -> bytes:
    """An .xlsx with ``rows`` on one sheet (the hypothesis test's structured inputs)."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def mutate_zip_member(data: bytes, member: str, body: bytes) -> bytes:
    """The seed workbook with one part replaced (atheris reaches the XML inside the zip this way)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, body if item.filename == member else src.read(item.filename))
    return out.getvalue()


def icd_sheet_xml(ws: Workspace, data: bytes) -> None:
    """The ICD10 sheet's XML replaced by fuzzed bytes inside an otherwise good workbook."""
    icd_workbook(ws, mutate_zip_member(SEED_WORKBOOK, "xl/worksheets/sheet1.xml", data))


TARGETS: dict[str, Callable[[Workspace, bytes], None]] = {
    "qr_payload": qr_payload,
    "typed_text": typed_text,
    "gateway_json": gateway_json,
    "settings_toml": settings_toml,
    "icd_workbook": icd_workbook,
    "icd_sheet_xml": icd_sheet_xml,
}

SEEDS: dict[str, list[bytes]] = {
    "qr_payload": [b"079190004321|Nguy\xe1\xbb\x85n V\xc4\x83n A|01011990|Nam|H\xc3\xa0 N\xe1\xbb\x99i|01012021",
                   b"HC4010123456789|4e677579e1bb856e2056c4836e2041|01/01/1990|1|4861204ee1bb9969|01-013|"
                   b"01/01/2026|31/12/2026|01/01/2020|0100123456|$"],
    "typed_text": [b"079190004321", b"HC4010123456789", "Nguyễn Văn A".encode()],
    "gateway_json": [json.dumps({"maKetQua": "000", "maThe": "HC4010123456789", "hoTen": "Nguyễn Văn A",
                                 "ngaySinh": "01/01/1990", "gioiTinh": "Nam", "gtTheTu": "01/01/2026",
                                 "gtTheDen": "31/12/2026",
                                 "dsLichSuKCB2025": [{"maHoSo": "1", "ngayVao": "202601010800"}]},
                                ensure_ascii=False).encode()],
    "settings_toml": [b'[facility]\ncode = "01013"\n[gateway]\nread_timeout = 5.0\n'],
    "icd_workbook": [SEED_WORKBOOK],
    "icd_sheet_xml": [zipfile.ZipFile(io.BytesIO(SEED_WORKBOOK)).read("xl/worksheets/sheet1.xml")],
}
