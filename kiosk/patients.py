"""This clinic's patient register: find a patient by personal ID or card number, or register them."""

from __future__ import annotations

import datetime as dt
import sqlite3
import unicodedata
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


def _folded(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def births_agree(a: dt.date | None, a_precision: DatePrecision, b: dt.date | None, b_precision: DatePrecision) -> bool:
    """Two dates of birth that may be the same person's: the same day, or the same year when one of
    them is known by its year only (a card printed with "1984" and an ID card with 23/07/1984)."""
    if a is None or b is None:
        return False
    if DatePrecision.YEAR in (a_precision, b_precision):
        return a.year == b.year
    if DatePrecision.MONTH in (a_precision, b_precision):
        return (a.year, a.month) == (b.year, b.month)
    return a == b


def _same_person(store: Store, identity: Identity) -> Patient | None:
    """The one record this identity's name and date of birth point to, when its number found none: a
    patient first seen by card only, now showing their ID card, or typed by name and date of birth.
    Never a record whose own ID or card number says it is someone else, and never one of two namesakes."""
    if not identity.full_name or identity.date_of_birth is None:
        return None
    rows = store.conn.execute(
        f"SELECT {_COLUMNS} FROM patients WHERE substr(date_of_birth, 1, 4) = ?",
        (f"{identity.date_of_birth.year:04d}",),
    ).fetchall()
    wanted = _folded(identity.full_name)
    matches = []
    for row in rows:
        if _folded(row[2]) != wanted:
            continue
        if not births_agree(identity.date_of_birth, identity.dob_precision, dt.date.fromisoformat(row[3]),
                            DatePrecision(row[4])):
            continue
        if identity.id_number and row[6]:  # another ID number: another person
            continue
        if identity.card_number and row[7] and identity.card_number[-10:] != row[7][-10:]:
            continue  # another person's card (a new card of the same person keeps its last 10 digits)
        matches.append(row)
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
        if patient is None:
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
            if identity.sex and patient.sex is None:
                updates["sex"] = identity.sex.value
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
