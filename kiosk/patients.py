"""This clinic's patient register: find a patient by personal ID or card number, or register them."""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

from kiosk.model import DatePrecision, Identity, Patient, Sex
from kiosk.privacy import masking, textcheck
from kiosk.store.sqlite import Store

_COLUMNS = ("id, patient_code, full_name, date_of_birth, dob_precision, sex, id_number, card_number, "
            "address, phone, created_at")


def _row_to_patient(row: sqlite3.Row | tuple[Any, ...]) -> Patient:
    (pid, code, name, dob, precision, sex, id_number, card, address, phone, created) = row
    masking.remember(name, address)
    return Patient(
        id=pid, patient_code=code, full_name=name,
        date_of_birth=dt.date.fromisoformat(dob) if dob else None,
        dob_precision=DatePrecision(precision), sex=Sex(sex) if sex else None,
        id_number=id_number or "", card_number=card or "", address=address, phone=phone,
        created_at=dt.datetime.fromisoformat(created) if created else None,
    )


def public_view(patient: Patient) -> Patient:
    """What a public screen (the kiosk) may receive about a patient, made on the server: the masked
    name, the masked ID (or masked card number when there is no ID), the patient code. No date of
    birth, sex, address, card number or phone."""
    return Patient(patient.id, patient.patient_code, masking.mask_name(patient.full_name),
                   id_number=masking.mask_id(patient.id_number or patient.card_number))


def get(store: Store, patient_id: int) -> Patient | None:
    row = store.conn.execute(f"SELECT {_COLUMNS} FROM patients WHERE id = ?", (patient_id,)).fetchone()
    return _row_to_patient(row) if row else None


def _same_person(store: Store, identity: Identity) -> Patient | None:
    """A patient first seen by card only, now showing their ID card: same name and date of birth."""
    if not identity.full_name or identity.date_of_birth is None:
        return None
    rows = store.conn.execute(
        f"SELECT {_COLUMNS} FROM patients WHERE date_of_birth = ? AND id_number IS NULL",
        (identity.date_of_birth.isoformat(),),
    ).fetchall()
    wanted = " ".join(identity.full_name.casefold().split())
    matches = [r for r in rows if " ".join(r[2].casefold().split()) == wanted]
    return _row_to_patient(matches[0]) if len(matches) == 1 else None


def find(store: Store, *, id_number: str = "", card_number: str = "") -> Patient | None:
    if id_number:
        row = store.conn.execute(f"SELECT {_COLUMNS} FROM patients WHERE id_number = ?", (id_number,)).fetchone()
        if row:
            return _row_to_patient(row)
    if card_number:
        row = store.conn.execute(
            f"SELECT {_COLUMNS} FROM patients WHERE card_number = ? ORDER BY id LIMIT 1", (card_number,)
        ).fetchone()
        if row:
            return _row_to_patient(row)
    return None


def check_identity(identity: Identity) -> None:
    """Refuse identity text that cannot be stored as it is shown (control characters, bidi
    overrides, lone surrogates): BadInput naming the field."""
    for field in ("full_name", "id_number", "card_number", "address"):
        textcheck.check(getattr(identity, field), field)


def register(store: Store, identity: Identity, now: dt.datetime | None = None, *, update: bool = True,
             actor: str = "station") -> Patient:
    """Find the patient this identity belongs to, filling in what was missing; or register them.

    One transaction: two stations scanning the same new patient at once make one record. With
    ``update=False`` (a public kiosk) a known patient's record is never changed; changes made here
    are audited by field name (never by value).
    """
    from kiosk.security import audit

    check_identity(identity)
    now = now or dt.datetime.now()
    with store.transaction() as db:
        patient = find(store, id_number=identity.id_number, card_number=identity.card_number)
        if patient is None and identity.id_number:
            patient = _same_person(store, identity)
        if patient is None:
            cursor = db.execute(
                "INSERT INTO patients(patient_code, full_name, date_of_birth, dob_precision, sex, id_number, "
                "card_number, address, created_at) VALUES ('', ?, ?, ?, ?, ?, ?, ?, ?)",
                (identity.full_name, identity.date_of_birth.isoformat() if identity.date_of_birth else None,
                 identity.dob_precision.value, identity.sex.value if identity.sex else None,
                 identity.id_number or None, identity.card_number, identity.address,
                 now.isoformat(timespec="seconds")),
            )
            pid = cursor.lastrowid
            db.execute("UPDATE patients SET patient_code = ? WHERE id = ?", (f"BN{pid:07d}", pid))
        else:
            pid = patient.id
            updates = {}
            if identity.id_number and not patient.id_number:
                updates["id_number"] = identity.id_number
            if identity.card_number and identity.card_number != patient.card_number:
                updates["card_number"] = identity.card_number
            if identity.address and not patient.address:
                updates["address"] = identity.address
            if identity.date_of_birth and (patient.date_of_birth is None or (
                    identity.dob_precision is DatePrecision.DAY and patient.dob_precision is not DatePrecision.DAY)):
                updates["date_of_birth"] = identity.date_of_birth.isoformat()
                updates["dob_precision"] = identity.dob_precision.value
            if updates and update:
                sets = ", ".join(f"{k} = ?" for k in updates)
                db.execute(f"UPDATE patients SET {sets} WHERE id = ?", (*updates.values(), pid))
                audit.append(store, actor, "patient.update", patient=patient,
                             detail=f"{', '.join(k for k in updates if k != 'dob_precision')} ({identity.source.value})")
    result = get(store, pid)
    assert result is not None
    return result
