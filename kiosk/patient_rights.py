"""The patient's rights over their data (Luật 91/2025, Luật KCB): a readable export of everything
held about them, and deletion — refused, with the legal reason, while records are inside their
retention period (TT 33/2025: medical records are kept 10 years)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from kiosk import consent, patients
from kiosk.errors import BadInput
from kiosk.model import Patient
from kiosk.security import audit
from kiosk.store.sqlite import Store

RETENTION_YEARS = 10


def find(store: Store, key: str) -> Patient:
    patient = patients.find(store, id_number=key)
    if patient is None:
        row = store.conn.execute("SELECT id FROM patients WHERE patient_code = ?", (key.upper(),)).fetchone()
        patient = patients.get(store, row[0]) if row else None
    if patient is None:
        raise BadInput("Không có người bệnh này", "No such patient")
    return patient


def _rows(store: Store, sql: str, args: tuple) -> list[dict[str, Any]]:
    cursor = store.conn.execute(sql, args)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def export(store: Store, patient: Patient, actor: str) -> dict[str, Any]:
    pid = (patient.id,)
    visits = _rows(store, "SELECT ma_lk, version, status, started_at, finalised_at, data_json FROM visits "
                          "WHERE patient_id = ? ORDER BY started_at, version", pid)
    for v in visits:
        v["data"] = json.loads(v.pop("data_json") or "{}")
    checks = _rows(store, "SELECT card_number, result_code, decision, response_json, checked_at FROM card_checks "
                          "WHERE patient_id = ? ORDER BY checked_at", pid)
    for c in checks:
        c["response"] = json.loads(c.pop("response_json") or "{}")
    cached = _rows(store, "SELECT source, fetched_at, payload_json FROM healthbook_cache WHERE patient_id = ?", pid)
    for c in cached:
        c["payload"] = json.loads(c.pop("payload_json"))
    ref = audit.patient_ref(store, patient)
    result = {
        "exported_at": dt.datetime.now().isoformat(timespec="seconds"),
        "patient": {"patient_code": patient.patient_code, "full_name": patient.full_name,
                    "date_of_birth": patient.date_of_birth.isoformat() if patient.date_of_birth else None,
                    "sex": patient.sex.value if patient.sex else None, "id_number": patient.id_number,
                    "card_number": patient.card_number, "address": patient.address, "phone": patient.phone},
        "consents": consent.current(store, patient),
        "tickets": _rows(store, "SELECT day, department_code, number, room, service, priority, status, issued_at "
                                "FROM tickets WHERE patient_id = ? ORDER BY issued_at", pid),
        "visits": visits,
        "prescriptions": _rows(store, "SELECT p.code, p.kind, p.status, p.replaces, p.sent_at, p.created_at "
                                      "FROM prescriptions p JOIN visits v ON v.id = p.visit_id WHERE v.patient_id = ? "
                                      "ORDER BY p.id", pid),
        "card_checks": checks,
        "health_book_cache": cached,
        "printed_documents": _rows(store, "SELECT j.document, j.created_at, j.status FROM print_jobs j "
                                          "LEFT JOIN tickets t ON t.id = j.ticket_id LEFT JOIN visits v ON v.id = "
                                          "j.visit_id WHERE t.patient_id = ? OR v.patient_id = ? ORDER BY j.id",
                                   (patient.id, patient.id)),
        "access_log": [{"at": e.at.isoformat(timespec="seconds"), "by": e.actor, "action": e.action}
                       for e in audit.show(store) if e.patient_ref == ref],
    }
    audit.append(store, actor, "patient.export", patient=patient)
    return result


def delete(store: Store, patient: Patient, actor: str, today: dt.date | None = None) -> None:
    today = today or dt.date.today()
    last = store.conn.execute(
        "SELECT MAX(d) FROM (SELECT MAX(started_at) AS d FROM visits WHERE patient_id = ? "
        "UNION ALL SELECT MAX(issued_at) FROM tickets WHERE patient_id = ?)", (patient.id, patient.id)).fetchone()[0]
    if last is not None:
        keep_until = dt.date.fromisoformat(last[:10]).replace(year=int(last[:4]) + RETENTION_YEARS)
        if keep_until >= today:
            audit.append(store, actor, "patient.delete_refused", patient=patient)
            raise BadInput(
                f"Không thể xoá: hồ sơ khám bệnh phải lưu trữ {RETENTION_YEARS} năm (Thông tư 33/2025/TT-BYT), "
                f"đến {keep_until:%d/%m/%Y}; người bệnh vẫn được xem và sao chép hồ sơ (Luật KCB Điều 8)",
                f"Cannot delete: medical records must be kept {RETENTION_YEARS} years (TT 33/2025/TT-BYT), until "
                f"{keep_until:%d/%m/%Y}; the patient may still view and copy them (Law on Medical Examination, Art. 8)")
    pid = (patient.id,)
    with store.transaction() as db:  # past retention: everything goes, in dependency order
        db.execute("DELETE FROM print_jobs WHERE visit_id IN (SELECT id FROM visits WHERE patient_id = ?) "
                   "OR ticket_id IN (SELECT id FROM tickets WHERE patient_id = ?)", (patient.id, patient.id))
        db.execute("DELETE FROM outbox WHERE visit_id IN (SELECT id FROM visits WHERE patient_id = ?)", pid)
        # the prescriptions go with the visits; their codes stay given (prescription_codes: no personal data)
        db.execute("DELETE FROM prescriptions WHERE visit_id IN (SELECT id FROM visits WHERE patient_id = ?)", pid)
        for table in ("visits", "tickets", "consents", "healthbook_cache", "card_checks"):
            db.execute(f"DELETE FROM {table} WHERE patient_id = ?", pid)
        db.execute("DELETE FROM patients WHERE id = ?", pid)
        audit.append(store, actor, "patient.delete", detail=patient.patient_code)
