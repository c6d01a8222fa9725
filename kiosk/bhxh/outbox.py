"""The outbox: every document bound for the BHXH portal is stored before any send, delivered with
retries and backoff, idempotently by MA_LK, and its receipt (maGiaoDich, time) kept.

A send is claimed with a lease (``sending`` until ``lease_until``): a process killed mid-send
leaves the row to be taken again after the lease, and the portal answers a repeated MA_LK with the
receipt it already gave — so nothing is lost and nothing is accepted twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from kiosk.bhxh.gateway import GatewayClient, GatewayError
from kiosk.store.sqlite import Store

log = logging.getLogger("kiosk.outbox")

LEASE_S = 60
BACKOFF_S = (5, 15, 60, 300, 900, 3600)


def _now() -> dt.datetime:
    return dt.datetime.now()


def _iso(value: dt.datetime) -> str:
    return value.isoformat(timespec="milliseconds")


def enqueue(store: Store, kind: str, ma_lk: str, version: int, visit_id: int | None, payload: bytes) -> None:
    """Store a document to send (inside the caller's transaction); the same (kind, MA_LK, version) once."""
    with store.transaction() as db:
        db.execute("INSERT OR IGNORE INTO outbox(kind, ma_lk, version, visit_id, payload, next_attempt_at, created_at) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?)", (kind, ma_lk, version, visit_id, payload, _iso(_now()), _iso(_now())))


@dataclass(frozen=True)
class Item:
    id: int
    kind: str
    ma_lk: str
    version: int
    payload: bytes
    attempts: int


def claim(store: Store, now: dt.datetime | None = None) -> Item | None:
    """Take the next due document (or one whose sender died mid-send) for sending."""
    now = now or _now()
    with store.transaction() as db:
        row = db.execute(
            "SELECT id, kind, ma_lk, version, payload, attempts FROM outbox WHERE "
            "(status = 'pending' AND next_attempt_at <= ?) OR (status = 'sending' AND lease_until <= ?) "
            "ORDER BY CASE kind WHEN 'checkin' THEN 0 ELSE 1 END, id LIMIT 1", (_iso(now), _iso(now))).fetchone()
        if row is None:
            return None
        db.execute("UPDATE outbox SET status = 'sending', lease_until = ?, attempts = attempts + 1 WHERE id = ?",
                   (_iso(now + dt.timedelta(seconds=LEASE_S)), row[0]))
    return Item(row[0], row[1], row[2], row[3], bytes(row[4]), row[5] + 1)


def deliver_one(store: Store, client: GatewayClient, facility: str, *, now: dt.datetime | None = None) -> str | None:
    """Send one due document; returns its new status, or None when nothing is due."""
    item = claim(store, now)
    if item is None:
        return None
    try:
        if item.kind == "checkin":
            receipt = client.submit_checkin(item.payload, facility)
        else:
            receipt = client.submit_claim(item.payload, facility)
    except GatewayError as exc:
        wait = BACKOFF_S[min(item.attempts - 1, len(BACKOFF_S) - 1)]
        with store.transaction() as db:
            db.execute("UPDATE outbox SET status = 'pending', lease_until = NULL, next_attempt_at = ?, last_error = ? "
                       "WHERE id = ?", (_iso(_now() + dt.timedelta(seconds=wait)), exc.en, item.id))
        log.warning("outbox %s %s: %s; next try in %s s", item.kind, item.ma_lk, exc.en, wait)
        return "pending"
    status = "sent" if receipt.accepted else "rejected"
    with store.transaction() as db:
        db.execute("UPDATE outbox SET status = ?, lease_until = NULL, transaction_id = ?, received_at = ?, "
                   "last_error = ? WHERE id = ?",
                   (status, receipt.transaction,
                    receipt.received_at.isoformat(timespec="seconds") if receipt.received_at else _iso(_now()),
                    "" if receipt.accepted else f"{receipt.code}: {receipt.message}", item.id))
        from kiosk.security import audit

        audit.append(store, "outbox", f"xml.send.{item.kind}", detail=f"{item.ma_lk} v{item.version} {status} "
                     f"{receipt.transaction}")
    log.info("outbox %s %s v%s -> %s %s", item.kind, item.ma_lk, item.version, status, receipt.transaction)
    return status


def drain(store: Store, client: GatewayClient, facility: str, *, max_items: int | None = None,
          now: dt.datetime | None = None) -> dict[str, int]:
    counts: dict[str, int] = {}
    n = 0
    while max_items is None or n < max_items:
        status = deliver_one(store, client, facility, now=now)
        if status is None:
            break
        counts[status] = counts.get(status, 0) + 1
        n += 1
    return counts


def status(store: Store) -> list[dict[str, Any]]:
    rows = store.conn.execute(
        "SELECT id, kind, ma_lk, version, visit_id, status, attempts, next_attempt_at, last_error, transaction_id, "
        "received_at, created_at FROM outbox ORDER BY id").fetchall()
    keys = ("id", "kind", "ma_lk", "version", "visit_id", "status", "attempts", "next_attempt_at", "last_error",
            "transaction_id", "received_at", "created_at")
    return [dict(zip(keys, r, strict=True)) for r in rows]
