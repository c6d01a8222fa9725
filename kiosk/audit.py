"""The audit trail: every health-book view, print, export, XML send and staff change, appended to a
hash chain. Each row's hash covers the previous row's hash and the row itself, so ``verify`` finds
any edited or deleted row. Patients are referred to by a keyed hash of their personal ID (or
patient code), so the table alone does not reveal who they are."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass

from kiosk.model import AuditEvent, Patient
from kiosk.store import Store

GENESIS = "0" * 64


def patient_ref(store: Store, patient: Patient | None) -> str:
    if patient is None:
        return ""
    key = store.installation_secret("audit_key")
    who = patient.id_number or patient.patient_code
    return hmac.new(key, who.encode(), hashlib.sha256).hexdigest()[:32]


def _row_hash(prev: str, at: str, actor: str, action: str, ref: str, detail: str, reason: str) -> str:
    body = json.dumps([prev, at, actor, action, ref, detail, reason], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def append(store: Store, actor: str, action: str, *, patient: Patient | None = None, detail: str = "",
           reason: str = "") -> AuditEvent:
    at = dt.datetime.now().isoformat(timespec="microseconds")
    ref = patient_ref(store, patient)
    with store.transaction() as db:
        last = db.execute("SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1").fetchone()
        prev = last[0] if last else GENESIS
        digest = _row_hash(prev, at, actor, action, ref, detail, reason)
        cursor = db.execute("INSERT INTO audit_events(at, actor, action, patient_ref, detail, reason, prev_hash, hash) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (at, actor, action, ref, detail, reason, prev, digest))
    return AuditEvent(cursor.lastrowid, dt.datetime.fromisoformat(at), actor, action, ref, detail, reason, prev, digest)


@dataclass(frozen=True)
class Verdict:
    ok: bool
    rows: int
    broken_at: int | None = None
    problem: str = ""


def verify(store: Store) -> Verdict:
    prev = GENESIS
    n = 0
    expected_id = None
    for row in store.conn.execute("SELECT id, at, actor, action, patient_ref, detail, reason, prev_hash, hash "
                                  "FROM audit_events ORDER BY id"):
        n += 1
        rid, at, actor, action, ref, detail, reason, prev_hash, digest = row
        if expected_id is not None and rid != expected_id:
            return Verdict(False, n, rid, f"rows {expected_id}…{rid - 1} are missing")
        if prev_hash != prev:
            return Verdict(False, n, rid, "the chain is broken here (a row before it was deleted or changed)")
        if _row_hash(prev_hash, at, actor, action, ref, detail, reason) != digest:
            return Verdict(False, n, rid, "this row was edited")
        prev, expected_id = digest, rid + 1
    return Verdict(True, n)


def show(store: Store, *, patient: Patient | None = None, since: dt.datetime | None = None) -> list[AuditEvent]:
    sql = "SELECT id, at, actor, action, patient_ref, detail, reason, prev_hash, hash FROM audit_events WHERE 1 = 1"
    args: list[str] = []
    if patient is not None:
        sql += " AND patient_ref = ?"
        args.append(patient_ref(store, patient))
    if since is not None:
        sql += " AND at >= ?"
        args.append(since.isoformat())
    rows = store.conn.execute(sql + " ORDER BY id", args).fetchall()
    return [AuditEvent(r[0], dt.datetime.fromisoformat(r[1]), *r[2:]) for r in rows]
