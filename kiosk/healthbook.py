"""The patient's health book, assembled from every source with provenance.

Sources: the BHXH card check, the BHXH visit history (``Lskcb2025``), this clinic's own visits, and
the health-book source (content shaped after QĐ 1332/QĐ-BYT). Each answer is kept in the store as a
cache; when a source fails or is slow, the book shows the cached answer with its "as of" time and a
notice — a failed fetch is never shown as "no allergies" or "no history".
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kiosk.bhxh.gateway import (
    CardCheck,
    GatewayClient,
    GatewayError,
    GatewayUnavailable,
    LookupRequest,
    Staff,
    parse_gateway_time,
)
from kiosk.erx import prescriptions
from kiosk.errors import KioskError
from kiosk.model import (
    Allergy,
    Appointment,
    ChronicCondition,
    Diagnosis,
    HealthBook,
    LabResult,
    Medication,
    Patient,
    PrescriptionNote,
    Provenance,
    Referral,
    Source,
    SourceNotice,
    Vaccination,
    VisitRecord,
)
from kiosk.store.sqlite import Store

log = logging.getLogger("kiosk.healthbook")

CARD, HISTORY, BOOK = "bhxh_card", "bhxh_history", "health_book"
_ICD_RE = re.compile(r"^\s*([A-Z]\d{2}(?:\.\d{1,2})?)\s*[-–:]\s*(.*)$")

SOURCE_NAMES = {
    CARD: ("thẻ BHYT (cổng BHXH)", "BHYT card (BHXH gateway)"),
    HISTORY: ("lịch sử KCB (cổng BHXH)", "visit history (BHXH gateway)"),
    BOOK: ("sổ sức khỏe", "health book"),
}


def _date(value: Any) -> dt.date | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def _datetime(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        return parse_gateway_time(value)


def _records(value: Any) -> list[dict[str, Any]]:
    """The objects of a list in a gateway answer; anything else there (a gateway bug) is skipped."""
    return [e for e in value if isinstance(e, dict)] if isinstance(value, list) else []


def _str(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None or isinstance(value, (dict, list)) else str(value)


def _int(value: Any, default: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return default
    return number if 0 <= number < 100_000 else default


def parse_history(entries: Any, provenance: Provenance) -> list[VisitRecord]:
    visits = []
    for e in _records(entries):
        admitted = parse_gateway_time(e.get("ngayVao"))
        if admitted is None:
            continue
        text = _str(e.get("tenBenh"))
        match = _ICD_RE.match(text)
        diagnoses = (Diagnosis(match.group(1), match.group(2).strip(), True),) if match else ()
        visits.append(VisitRecord(
            provenance=provenance, facility_code=_str(e.get("maCSKCB")), admitted_at=admitted,
            discharged_at=parse_gateway_time(e.get("ngayRa")), diagnoses=diagnoses, diagnosis_text=text,
            discharge_status=_str(e.get("tinhTrang")), treatment_result=_str(e.get("kqDieuTri")),
            record_id=_str(e.get("maHoSo")),
        ))
    return visits


def apply_book(book: HealthBook, data: dict[str, Any], provenance: Provenance) -> None:
    """Fill the book's lists from the health-book source's answer (QĐ 1332 shape)."""
    for a in _records(data.get("diUng")):
        book.allergies.append(Allergy(provenance, _str(a.get("tacNhan")), _str(a.get("phanUng")),
                                      _str(a.get("mucDo")), _date(a.get("ngayGhiNhan"))))
    for c in _records(data.get("benhManTinh")):
        book.chronic_conditions.append(ChronicCondition(provenance, _str(c.get("maBenh")),
                                                        _str(c.get("tenBenh")), _date(c.get("tuNgay"))))
    for v in _records(data.get("tiemChung")):
        given = _date(v.get("ngayTiem"))
        if given:
            book.vaccinations.append(Vaccination(provenance, _str(v.get("vacXin")), given,
                                                 _int(v.get("muiThu"), 1)))
    for r in _records(data.get("xetNghiem")):
        book.lab_results.append(LabResult(provenance, _str(r.get("maChiSo")), _str(r.get("tenChiSo")),
                                          _str(r.get("giaTri")), _str(r.get("donVi")),
                                          _datetime(r.get("ngayKetQua")), _str(r.get("khoangThamChieu"))))
    for m in _records(data.get("donThuoc")):
        book.medications.append(Medication(provenance, _str(m.get("tenThuoc")), _str(m.get("hamLuong")),
                                           _str(m.get("lieuDung")), _str(m.get("duongDung")),
                                           _date(m.get("ngayKe")), _int(m.get("soNgay"), 0)))


@dataclass
class Fetched:
    payload: dict[str, Any] | None
    fetched_at: dt.datetime | None
    fresh: bool
    error: KioskError | None = None


class HealthBookService:
    def __init__(self, store: Store, client: GatewayClient | None, *, wait_s: float = 8.0,
                 clock: Callable[[], dt.datetime] = dt.datetime.now) -> None:
        self.store = store
        self.client = client
        self.wait_s = wait_s
        self.clock = clock
        self._pool = cf.ThreadPoolExecutor(max_workers=3, thread_name_prefix="healthbook")

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    # -- cache -------------------------------------------------------------------------------
    def _save(self, patient_id: int, source: str, payload: dict[str, Any], at: dt.datetime) -> None:
        with self.store.transaction() as db:
            db.execute(
                "INSERT INTO healthbook_cache(patient_id, source, fetched_at, payload_json) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(patient_id, source) DO UPDATE SET fetched_at = excluded.fetched_at, "
                "payload_json = excluded.payload_json",
                (patient_id, source, at.isoformat(timespec="seconds"), json.dumps(payload, ensure_ascii=False)),
            )

    def _cached(self, patient_id: int, source: str) -> Fetched:
        row = self.store.conn.execute(
            "SELECT fetched_at, payload_json FROM healthbook_cache WHERE patient_id = ? AND source = ?",
            (patient_id, source),
        ).fetchone()
        if row is None:
            return Fetched(None, None, False)
        return Fetched(json.loads(row[1]), dt.datetime.fromisoformat(row[0]), False)

    # -- fetching ----------------------------------------------------------------------------
    def _fetch_all(self, patient: Patient, request: LookupRequest, staff: Staff) -> dict[str, Fetched]:
        if self.client is None:
            error = GatewayUnavailable("Chưa cấu hình cổng BHXH", "No BHXH gateway is configured")
            return {s: self._fallback(patient, s, error) for s in (CARD, HISTORY, BOOK)}
        client = self.client
        calls: dict[str, Callable[[], dict[str, Any]]] = {
            CARD: lambda: client.check_card(request, staff).response,
            HISTORY: lambda: dict(zip(("maKetQua", "dsLichSuKCB2025"), client.history(request, staff), strict=True)),
        }
        book_key = patient.id_number or patient.card_number
        if book_key:
            calls[BOOK] = lambda: client.health_book(book_key)
        futures = {name: self._pool.submit(call) for name, call in calls.items()}
        results: dict[str, Fetched] = {}
        deadline = self.wait_s
        for name, future in futures.items():
            try:
                payload = future.result(timeout=deadline)
            except cf.TimeoutError:
                results[name] = self._fallback(patient, name, GatewayUnavailable(
                    "Nguồn dữ liệu trả lời quá chậm", "The source is answering too slowly"))
                continue
            except GatewayError as exc:
                results[name] = self._fallback(patient, name, exc)
                continue
            at = self.clock()
            if patient.id is not None:
                self._save(patient.id, name, payload, at)
            results[name] = Fetched(payload, at, True)
        if BOOK not in results:
            results[BOOK] = self._fallback(patient, BOOK, GatewayUnavailable(
                "Không có số định danh để tra sổ sức khỏe", "No personal ID number to look up the health book"))
        return results

    def _fallback(self, patient: Patient, source: str, error: KioskError) -> Fetched:
        cached = self._cached(patient.id, source) if patient.id is not None else Fetched(None, None, False)
        cached.error = error
        log.warning("health book source %s failed: %s", source, error.en)
        return cached

    # -- assembling --------------------------------------------------------------------------
    def _clinic_visits(self, patient: Patient, book: HealthBook | None = None) -> list[VisitRecord]:
        rows = self.store.conn.execute(
            "SELECT ma_lk, started_at, finalised_at, data_json FROM visits v WHERE patient_id = ? "
            "AND version = (SELECT MAX(version) FROM visits w WHERE w.ma_lk = v.ma_lk)",
            (patient.id,),
        ).fetchall()
        now = self.clock()
        visits = []
        for ma_lk, started, finalised, data_json in rows:
            data = json.loads(data_json or "{}")
            diagnoses = tuple(Diagnosis(d.get("code", ""), d.get("name", ""), bool(d.get("is_main")))
                              for d in data.get("diagnoses", []))
            if book is not None and finalised:
                provenance = Provenance(Source.CLINIC, now)
                if data.get("re_exam_on"):
                    book.appointments.append(Appointment(provenance, dt.date.fromisoformat(data["re_exam_on"]),
                                                         data.get("facility_code", ""), data.get("advice", "")))
                if data.get("referral"):
                    ref = data["referral"]
                    book.referrals.append(Referral(provenance, dt.datetime.fromisoformat(finalised).date(),
                                                   data.get("facility_code", ""), ref.get("to_facility", ""),
                                                   ref.get("reason_code", ""), diagnoses[0].name if diagnoses else ""))
            visits.append(VisitRecord(Provenance(Source.CLINIC, now), data.get("facility_code", ""),
                                      dt.datetime.fromisoformat(started),
                                      dt.datetime.fromisoformat(finalised) if finalised else None,
                                      diagnoses, "; ".join(f"{d.code} - {d.name}" for d in diagnoses),
                                      record_id=ma_lk, prescriptions=tuple(
                                          PrescriptionNote(p.code, p.kind, p.status, p.replaces)
                                          for p in prescriptions.for_episode(self.store, ma_lk))))
        return visits

    def _assemble(self, patient: Patient, fetched: dict[str, Fetched]) -> tuple[CardCheck | None, HealthBook]:
        book = HealthBook(patient)
        now = self.clock()
        card_check = None
        for name, got in fetched.items():
            vi_name, en_name = SOURCE_NAMES[name]
            if got.error is not None:
                if got.payload is not None:
                    when = got.fetched_at.strftime("%H:%M %d/%m/%Y") if got.fetched_at else "?"
                    book.notices.append(SourceNotice(
                        Source.BHXH if name != BOOK else Source.HEALTH_BOOK,
                        f"Không cập nhật được {vi_name}: {got.error.vi}. Đang hiện dữ liệu lúc {when}.",
                        f"Could not update the {en_name}: {got.error.en}. Showing data as of {when}.",
                        got.fetched_at))
                else:
                    book.notices.append(SourceNotice(
                        Source.BHXH if name != BOOK else Source.HEALTH_BOOK,
                        f"Chưa lấy được {vi_name}: {got.error.vi}. Không có nghĩa là không có dữ liệu.",
                        f"Could not get the {en_name}: {got.error.en}. This does not mean there is none.",
                        None))
            if got.payload is None:
                continue
            at = got.fetched_at or now
            if name == CARD:
                card_check = CardCheck.from_response(got.payload, at)
                book.card = card_check.card_for_visit
            elif name == HISTORY:
                book.visits.extend(parse_history(got.payload.get("dsLichSuKCB2025") or [],
                                                 Provenance(Source.BHXH, at)))
            elif got.payload.get("maKetQua") == "000":
                apply_book(book, got.payload, Provenance(Source.HEALTH_BOOK, at))
        book.visits.extend(self._clinic_visits(patient, book))
        book.visits.sort(key=lambda v: v.admitted_at, reverse=True)
        return card_check, book

    def lookup(self, patient: Patient, request: LookupRequest, staff: Staff) -> tuple[CardCheck, HealthBook]:
        """Fetch every source (in parallel), cache, and assemble. Never raises for a failing source."""
        fetched = self._fetch_all(patient, request, staff)
        card_check, book = self._assemble(patient, fetched)
        card_error = fetched[CARD].error
        if card_error is not None:
            fresh = CardCheck.unavailable(card_error, self.clock())
            if card_check is not None:  # keep what the last answer said about the card, marked as pending
                fresh = CardCheck(fresh.code, fresh.decision, fresh.message_vi, fresh.message_en, fresh.checked_at,
                                  card_check.card, card_check.new_card, card_check.note)
            card_check = fresh
        assert card_check is not None
        return card_check, book

    def from_cache(self, patient: Patient) -> HealthBook:
        """The book as last fetched, without any network call (the doctor's room, a reprint)."""
        fetched = {s: self._cached(patient.id, s) for s in (CARD, HISTORY, BOOK)} if patient.id else {}
        for got in fetched.values():
            if got.payload is None:
                got.error = KioskError("chưa tra cứu lần nào", "never looked up")
        _, book = self._assemble(patient, fetched)
        return book
