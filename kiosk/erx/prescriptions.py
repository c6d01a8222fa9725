"""A visit's prescriptions: made at finalise in the visit's own transaction (one per type of drug — ordinary,
narcotic, psychotropic/precursor, traditional — each with its code, TT 26/2025), queued for the national
prescription system, and read back for the doctor, the paper and the health book.

A correction of the visit keeps a prescription that did not change; one never accepted by the system (refused,
or still waiting) keeps its code and is sent again with the corrected content; one already sent — the system has
no edit call — becomes a new prescription with a new code that names the one it replaces."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from kiosk.bhxh import outbox
from kiosk.erx import codes, delivery, rules
from kiosk.erx.body import build, content_key
from kiosk.model import Patient
from kiosk.store.sqlite import Store

STATUS_TEXT = {"pending": ("Chờ gửi", "Waiting to be sent"), "sent": ("Đã gửi", "Sent"),
               "refused": ("Bị từ chối", "Refused")}


@dataclass(frozen=True)
class Prescription:
    code: str
    kind: str
    status: str  # pending, sent, refused
    visit_id: int
    replaces: str = ""
    checksum: str = ""
    answer: str = ""
    sent_at: str = ""
    created_at: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def refusals(self) -> list[str]:
        return delivery.refusal_lines(self.errors)


_COLUMNS = "code, kind, status, visit_id, replaces, checksum, answer, sent_at, created_at, errors_json, body_json"


def _row(r: tuple) -> Prescription:
    return Prescription(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7] or "", r[8],
                        json.loads(r[9]) if r[9] else {}, json.loads(r[10]))


def for_episode(store: Store, ma_lk: str) -> list[Prescription]:
    """The episode's current prescriptions (not replaced by a later one), ordinary first."""
    rows = store.conn.execute(
        f"SELECT {_COLUMNS} FROM prescriptions p WHERE ma_lk = ? AND NOT EXISTS "  # noqa: S608
        "(SELECT 1 FROM prescriptions q WHERE q.replaces = p.code) ORDER BY id", (ma_lk,)).fetchall()
    order = {k: n for n, k in enumerate(codes.KINDS)}
    return sorted((_row(r) for r in rows), key=lambda p: order.get(p.kind, 9))


def history(store: Store, ma_lk: str) -> list[Prescription]:
    """Every prescription the episode ever had, replaced ones included, oldest first."""
    rows = store.conn.execute(f"SELECT {_COLUMNS} FROM prescriptions WHERE ma_lk = ? ORDER BY id",  # noqa: S608
                              (ma_lk,)).fetchall()
    return [_row(r) for r in rows]


def every(store: Store) -> list[Prescription]:
    """Every prescription this clinic made, oldest first (``outbox status``)."""
    return [_row(r) for r in store.conn.execute(f"SELECT {_COLUMNS} FROM prescriptions ORDER BY id").fetchall()]  # noqa: S608


def of_patient(store: Store, patient_id: int) -> list[tuple[Prescription, str]]:
    """(prescription, finalised at) of every episode of the patient, current ones only — the health book."""
    rows = store.conn.execute(
        f"SELECT {', '.join('p.' + c.strip() for c in _COLUMNS.split(','))}, v.finalised_at FROM prescriptions p "  # noqa: S608
        "JOIN visits v ON v.id = p.visit_id WHERE v.patient_id = ? AND NOT EXISTS "
        "(SELECT 1 FROM prescriptions q WHERE q.replaces = p.code) ORDER BY p.id", (patient_id,)).fetchall()
    return [(_row(r[:11]), r[11] or "") for r in rows]


def doctor_code(store: Store, username: str, cert: str) -> str:
    """The prescribing doctor's liên thông code: the signed-in account's, else the account with the visit's
    practising-certificate number."""
    row = None
    if username:
        row = store.conn.execute("SELECT erx_code FROM staff WHERE username = ?", (username,)).fetchone()
    if (row is None or not row[0]) and cert:
        row = store.conn.execute("SELECT erx_code FROM staff WHERE practising_cert = ? AND erx_code != '' "
                                 "ORDER BY active DESC, id LIMIT 1", (cert,)).fetchone()
    return row[0] if row else ""


def issue(store: Store, visit: dict[str, Any], patient: Patient, facility: str, written_at: dt.datetime) -> dict[str, str]:
    """Make (or keep) the visit's prescriptions and queue what must be sent; call inside the finalise
    transaction. Returns the code of each type."""
    data = visit["data"]
    groups = rules.split_by_kind(data.get("prescription", []))
    current = {p.kind: p for p in for_episode(store, visit["ma_lk"])}
    doctor_user = data.get("doctor_username", "")
    doctor = doctor_code(store, doctor_user, data.get("doctor_code", ""))
    now = written_at.isoformat(timespec="seconds")
    given: dict[str, str] = {}
    for kind, lines in groups.items():
        previous = current.get(kind)
        replaces = ""
        if previous is not None:
            body = build(visit, patient, code=previous.code, kind=kind, lines=lines, written_at=written_at)
            unchanged = content_key(body) == content_key(previous.body)
            if unchanged and previous.status != "refused":
                with store.transaction() as db:
                    db.execute("UPDATE prescriptions SET visit_id = ? WHERE code = ?", (visit["id"], previous.code))
                given[kind] = previous.code
                continue
            if previous.status in ("pending", "refused") and outbox.cancel_pending(store, delivery.KIND, previous.code):
                revision = store.conn.execute("SELECT COALESCE(MAX(version), 0) + 1 FROM outbox WHERE kind = ? AND "
                                              "ma_lk = ?", (delivery.KIND, previous.code)).fetchone()[0]
                with store.transaction() as db:
                    db.execute("UPDATE prescriptions SET visit_id = ?, body_json = ?, status = 'pending', "
                               "errors_json = '', doctor_username = ?, doctor_code = ? WHERE code = ?",
                               (visit["id"], json.dumps(body, ensure_ascii=False), doctor_user, doctor, previous.code))
                    delivery.queue(store, previous.code, revision, visit["id"], body)
                given[kind] = previous.code
                continue
            replaces = previous.code
        code = codes.take(store, facility, kind)
        body = build(visit, patient, code=code, kind=kind, lines=lines, written_at=written_at, replaces=replaces)
        with store.transaction() as db:
            db.execute("INSERT INTO prescriptions(code, visit_id, ma_lk, kind, replaces, doctor_username, doctor_code, "
                       "body_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (code, visit["id"], visit["ma_lk"], kind, replaces, doctor_user, doctor,
                        json.dumps(body, ensure_ascii=False), now))
            delivery.queue(store, code, 1, visit["id"], body)
        given[kind] = code
    return given
