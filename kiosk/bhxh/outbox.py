"""The outbox: every document bound for the BHXH portal is stored before any send, delivered with
retries and backoff, idempotently by MA_LK, and its receipt (maGiaoDich, time) kept.

A send is claimed with a lease (``sending`` until ``lease_until``): a process killed mid-send
leaves the row to be taken again after the lease, and the portal answers a repeated MA_LK with the
receipt it already gave — so nothing is lost and nothing is accepted twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from kiosk.bhxh import signing
from kiosk.bhxh.gateway import GatewayClient, GatewayError
from kiosk.security import audit
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


@dataclass(frozen=True)
class Outcome:
    """What a sender made of one document: ``sent`` (receipt kept), ``rejected`` (refused for good: a person must
    act) or ``pending`` (try again later, after a backoff)."""

    status: str
    transaction: str = ""
    error: str = ""
    received_at: dt.datetime | None = None


# A sender for another kind of document (the national prescription system's ``erx``): it sends one claimed item
# and says what came of it; it never raises for a failure it can describe.
Sender = Callable[[Store, Item], Outcome]
GATEWAY_KINDS = ("checkin", "claim")


class PayloadSigner(Protocol):
    """Signs a claim envelope or an XML0 check-in (kiosk.bhxh.signing.Signer); raises signing.SigningError."""

    def sign(self, xml: bytes, now: dt.datetime | None = None) -> bytes: ...


def claim(store: Store, now: dt.datetime | None = None, kinds: Sequence[str] = GATEWAY_KINDS) -> Item | None:
    """Take the next due document of ``kinds`` (or one whose sender died mid-send) for sending."""
    now = now or _now()
    marks = ", ".join("?" for _ in kinds)
    with store.transaction() as db:
        row = db.execute(
            "SELECT id, kind, ma_lk, version, payload, attempts FROM outbox WHERE "
            f"kind IN ({marks}) AND ((status = 'pending' AND next_attempt_at <= ?) OR "
            "(status = 'sending' AND lease_until <= ?)) "
            "ORDER BY CASE kind WHEN 'checkin' THEN 0 ELSE 1 END, id LIMIT 1", (*kinds, _iso(now), _iso(now))).fetchone()
        if row is None:
            return None
        db.execute("UPDATE outbox SET status = 'sending', lease_until = ?, attempts = attempts + 1 WHERE id = ?",
                   (_iso(now + dt.timedelta(seconds=LEASE_S)), row[0]))
    return Item(row[0], row[1], row[2], row[3], bytes(row[4]), row[5] + 1)


def _signed(store: Store, item: Item, signer: PayloadSigner) -> bytes:
    """The bytes to send: those signed at an earlier try while they still verify (a resend is then the very same
    document), else the payload signed now; kept before the send, so what the portal received is on record."""
    row = store.conn.execute("SELECT signed_payload FROM outbox WHERE id = ?", (item.id,)).fetchone()
    if row is not None and row[0] is not None and signing.still_good(bytes(row[0])):
        return bytes(row[0])
    signed = signer.sign(item.payload)
    with store.transaction() as db:
        db.execute("UPDATE outbox SET signed_payload = ? WHERE id = ?", (signed, item.id))
    return signed


def _to_gateway(client: GatewayClient, facility: str, signer: PayloadSigner | None = None) -> Sender:
    """The BHXH gateway's sender: each claim and check-in is signed right before it goes (the token may be plugged
    in only now); one that cannot be signed is not sent and waits with the reason, in Vietnamese and English."""

    def send(store: Store, item: Item) -> Outcome:
        payload = item.payload
        if signer is not None:
            try:
                payload = _signed(store, item, signer)
            except signing.SigningError as exc:
                return Outcome("pending", error=str(exc))
        try:
            if item.kind == "checkin":
                receipt = client.submit_checkin(payload, facility)
            else:
                receipt = client.submit_claim(payload, facility)
        except GatewayError as exc:
            return Outcome("pending", error=exc.en)
        return Outcome("sent" if receipt.accepted else "rejected", receipt.transaction,
                       "" if receipt.accepted else f"{receipt.code}: {receipt.message}", receipt.received_at)

    return send


def deliver_one(store: Store, client: GatewayClient | None, facility: str, *, now: dt.datetime | None = None,
                senders: Mapping[str, Sender] | None = None, signer: PayloadSigner | None = None) -> str | None:
    """Send one due document — to the BHXH gateway (``client``; signed by ``signer``, sent as stored without one) or
    through a sender of ``senders`` for its kind — and return its new status, or None when nothing is due."""
    route: dict[str, Sender] = dict(senders or {})
    if client is not None:
        route.update(dict.fromkeys(GATEWAY_KINDS, _to_gateway(client, facility, signer)))
    if not route:
        return None
    item = claim(store, now, tuple(route))
    if item is None:
        return None
    outcome = route[item.kind](store, item)
    # a prescription code opens the prescription at any pharmacy: never whole in a log
    shown = item.ma_lk if item.kind in GATEWAY_KINDS else f"{item.ma_lk[:5]}…{item.ma_lk[-2:]}"
    if outcome.status == "pending":
        wait = BACKOFF_S[min(item.attempts - 1, len(BACKOFF_S) - 1)]
        with store.transaction() as db:
            db.execute("UPDATE outbox SET status = 'pending', lease_until = NULL, next_attempt_at = ?, last_error = ? "
                       "WHERE id = ?", (_iso(_now() + dt.timedelta(seconds=wait)), outcome.error, item.id))
        log.warning("outbox %s %s: %s; next try in %s s", item.kind, shown, outcome.error, wait)
        return "pending"
    received = outcome.received_at.isoformat(timespec="seconds") if outcome.received_at else _iso(_now())
    with store.transaction() as db:
        db.execute("UPDATE outbox SET status = ?, lease_until = NULL, transaction_id = ?, received_at = ?, "
                   "last_error = ? WHERE id = ?", (outcome.status, outcome.transaction, received, outcome.error, item.id))
        audit.append(store, "outbox", f"xml.send.{item.kind}" if item.kind in GATEWAY_KINDS else f"send.{item.kind}",
                     detail=f"{item.ma_lk} v{item.version} {outcome.status} {outcome.transaction}")
    log.info("outbox %s %s v%s -> %s", item.kind, shown, item.version, outcome.status)
    return outcome.status


def drain(store: Store, client: GatewayClient | None, facility: str, *, max_items: int | None = None,
          now: dt.datetime | None = None, senders: Mapping[str, Sender] | None = None,
          signer: PayloadSigner | None = None) -> dict[str, int]:
    counts: dict[str, int] = {}
    n = 0
    while max_items is None or n < max_items:
        status = deliver_one(store, client, facility, now=now, senders=senders, signer=signer)
        if status is None:
            break
        counts[status] = counts.get(status, 0) + 1
        n += 1
    return counts


def cancel_pending(store: Store, kind: str, ma_lk: str) -> bool:
    """Withdraw a document not yet taken for sending (inside the caller's transaction); False when it is being
    sent or was sent already."""
    with store.transaction() as db:
        done = db.execute("UPDATE outbox SET status = 'cancelled', lease_until = NULL WHERE kind = ? AND ma_lk = ? "
                          "AND status IN ('pending', 'rejected')", (kind, ma_lk))
    return done.rowcount > 0


def status(store: Store) -> list[dict[str, Any]]:
    rows = store.conn.execute(
        "SELECT id, kind, ma_lk, version, visit_id, status, attempts, next_attempt_at, last_error, transaction_id, "
        "received_at, created_at FROM outbox ORDER BY id").fetchall()
    keys = ("id", "kind", "ma_lk", "version", "visit_id", "status", "attempts", "next_attempt_at", "last_error",
            "transaction_id", "received_at", "created_at")
    return [dict(zip(keys, r, strict=True)) for r in rows]
