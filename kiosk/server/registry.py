"""The server's stations: pairing codes, enrolment, tokens, the numbers each station keeps for
offline check-ins, and taking those check-ins in when the station is back (once each)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kiosk import checkin
from kiosk.errors import BadInput, NotEnrolled
from kiosk.model import OFFLINE_SERIES, Role
from kiosk.remote.handin import OfflineCheckIn, TakenIn
from kiosk.server import tls
from kiosk.store.sqlite import Store

if TYPE_CHECKING:
    from kiosk.facade import Clinic

KINDS = ("reception", "doctor", "kiosk", "board")
MACHINE_ROLES = {"kiosk": Role.KIOSK, "board": Role.BOARD}  # these run without a person signed in
PAIRING_MINUTES = 15


@dataclass(frozen=True)
class Station:
    id: int
    name: str
    kind: str

    @property
    def machine_role(self) -> Role | None:
        return MACHINE_ROLES.get(self.kind)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now()


def new_pairing(store: Store, kind: str, name: str, minutes: int = PAIRING_MINUTES) -> str:
    if kind not in KINDS:
        raise BadInput(f"Loại máy trạm phải là {', '.join(KINDS)}", f"The station kind must be one of {', '.join(KINDS)}")
    if not name.strip():
        raise BadInput("Cần tên máy trạm", "A station name is needed")
    code = tls.new_code()
    with store.transaction() as db:
        db.execute("DELETE FROM pairing_codes WHERE expires_at < ? OR used = 1", (_now().isoformat(),))
        db.execute("INSERT INTO pairing_codes(code, kind, name, expires_at) VALUES (?, ?, ?, ?)",
                   (code, kind, name.strip(), (_now() + dt.timedelta(minutes=minutes)).isoformat()))
    return code


def enroll(store: Store, fingerprint: str, nonce: str, proof: str, *, address: str = "") -> tuple[Station, str, str]:
    """Check a station's pairing proof; returns (station, its token, the server's proof). Wrong
    proofs from one client address are locked out like passwords (kiosk.security.lockout)."""
    from kiosk.security import lockout

    keys = [lockout.key("pair", address or "local")]
    lockout.check(store, keys)
    rows = store.conn.execute("SELECT code, kind, name FROM pairing_codes WHERE used = 0 AND expires_at >= ?",
                              (_now().isoformat(),)).fetchall()
    match = next(((c, k, n) for c, k, n in rows if tls.same(tls.proof(c, "enroll", fingerprint, nonce), proof)), None)
    with store.transaction() as db:  # the proof is checked outside (it is slow on purpose); used once
        if match is not None and db.execute("UPDATE pairing_codes SET used = 1 WHERE code = ? AND used = 0",
                                            (match[0],)).rowcount != 1:
            match = None
        if match is not None:
            code, kind, name = match
            token = secrets.token_urlsafe(32)
            db.execute("UPDATE stations SET active = 0, name = name || '#' || id WHERE name = ?", (name,))
            cursor = db.execute("INSERT INTO stations(name, kind, token_sha256, enrolled_at) VALUES (?, ?, ?, ?)",
                                (name, kind, _digest(token), _now().isoformat(timespec="seconds")))
            station = Station(cursor.lastrowid, name, kind)
    if match is None:
        lockout.failed(store, keys, actor=f"address:{address or 'local'}", what="pairing code",
                       shown={keys[0]: f"address {address or 'local'}"})
        raise NotEnrolled("Mã ghép nối sai hoặc đã hết hạn (hoặc có máy chen giữa đường truyền)",
                          "Wrong or expired pairing code (or a machine in the middle)")
    with _tokens_lock:  # a station enrolled again under its name: its old token ends now
        _tokens.clear()
    from kiosk.security import audit

    audit.append(store, "server", "station.enroll", detail=f"{station.name} ({station.kind})")
    return station, token, tls.proof(code, "server", fingerprint, nonce)


TOKEN_CACHE_S = 3.0  # a removed station is refused within this long, whoever removed it
_tokens: dict[tuple[int, str], tuple[float, Station]] = {}
_tokens_lock = threading.Lock()


def station_for(store: Store, token: str) -> Station:
    """The enrolled, active station of a token (kept a few seconds: every request asks)."""
    digest = _digest(token)
    now = time.monotonic()
    with _tokens_lock:
        cached = _tokens.get((id(store), digest))
    if cached is not None and now - cached[0] < TOKEN_CACHE_S:
        return cached[1]
    row = store.conn.execute("SELECT id, name, kind FROM stations WHERE token_sha256 = ? AND active = 1",
                             (digest,)).fetchone()
    if row is None:
        with _tokens_lock:
            _tokens.pop((id(store), digest), None)
        raise NotEnrolled("Máy trạm chưa được ghép nối với máy chủ (hoặc đã bị gỡ)",
                          "This station is not enrolled with the server (or was removed)")
    station = Station(*row)
    with _tokens_lock:
        if len(_tokens) > 1000:
            _tokens.clear()
        _tokens[(id(store), digest)] = (now, station)
    return station


def all_stations(store: Store) -> list[dict]:
    rows = store.conn.execute("SELECT id, name, kind, enrolled_at, last_seen, active FROM stations ORDER BY id")
    return [dict(zip(("id", "name", "kind", "enrolled_at", "last_seen", "active"), r, strict=True)) for r in rows]


def disable(store: Store, name: str) -> None:
    with store.transaction() as db:
        if db.execute("UPDATE stations SET active = 0 WHERE name = ?", (name,)).rowcount == 0:
            raise BadInput(f"Không có máy trạm {name}", f"No station {name}")
    with _tokens_lock:
        _tokens.clear()


# -- offline check-ins ---------------------------------------------------------------------------
def take_in(clinic: Clinic, station: Station, item: OfflineCheckIn) -> TakenIn:
    """One check-in made while the station was offline, handed in now (``clinic``: the station's
    view of the facade, so the patient is found or registered as any check-in does)."""
    from kiosk.facade import UnknownPatient

    store = clinic.store
    done = store.conn.execute("SELECT ticket_id, outcome FROM offline_checkins WHERE station_id = ? AND local_id = ?",
                              (station.id, item.local_id)).fetchone()
    if done is not None:
        return TakenIn(item.local_id, done[1], checkin.get_ticket(store, done[0]) if done[0] else None)
    if item.number // OFFLINE_SERIES != station.id:
        outcome = TakenIn(item.local_id, "refused", None, f"Số {item.number} không thuộc dãy số của máy trạm này",
                          f"Number {item.number} is not in this station's offline series")
    else:
        try:
            patient = clinic.identify(item.identity)
        except UnknownPatient as exc:
            outcome = TakenIn(item.local_id, "refused", None, exc.vi, exc.en)
        else:
            result = checkin.check_in(store, patient.id, clinic.department(item.department_code), service=item.service,
                                      priority=item.priority, station=f"{station.name} (offline)", card_pending=True,
                                      now=item.issued_at, number=item.number)
            outcome = TakenIn(item.local_id, "already_checked_in" if result.reprint else "accepted", result.ticket)
    with store.transaction() as db:
        db.execute("INSERT OR IGNORE INTO offline_checkins(station_id, local_id, ticket_id, outcome, received_at) "
                   "VALUES (?, ?, ?, ?, ?)", (station.id, item.local_id, outcome.ticket.id if outcome.ticket else None,
                                              outcome.outcome, _now().isoformat(timespec="seconds")))
    return outcome
