"""Lock-out and back-off for everything guessed: staff passwords, unlock PINs, the kiosk's exit
PIN and pairing codes.

Failures are counted per key — the account, the station, the client address — and the first
``FREE_ATTEMPTS`` cost nothing; after that each failure locks its keys for a delay that doubles
(30 s, 1 min, 2 min, … up to 15 min). While any key of an attempt is locked the attempt is refused
unseen (not even checked), so guessing runs at a few tries an hour. A success clears the keys.

The first lock-out of a key writes one ``security.lockout`` audit row naming the station and the
kind of key (an account is named only when it exists), which admins see as a banner: failures never
write rows under a name an attacker chose, so the audit cannot be flooded through this door.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from kiosk.errors import LockedOut
from kiosk.privacy.filemodes import replace_private
from kiosk.store.sqlite import Store

FREE_ATTEMPTS = 5
FIRST_DELAY_S = 30.0
MAX_DELAY_S = 15 * 60.0
FORGET_AFTER = dt.timedelta(days=1)  # a key with no failure for this long starts again from zero


def _now() -> dt.datetime:
    return dt.datetime.now()


def delay_after(failures: int) -> float:
    """Seconds a key stays locked after its ``failures``-th failure."""
    if failures < FREE_ATTEMPTS:
        return 0.0
    return min(FIRST_DELAY_S * 2 ** (failures - FREE_ATTEMPTS), MAX_DELAY_S)


def key(kind: str, value: str) -> str:
    """A key of reasonable size whatever was typed (a long attacker string is hashed)."""
    value = value.strip().casefold()
    if len(value) > 48:
        value = "#" + hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()[:32]
    return f"{kind}:{value}"


@dataclass(frozen=True)
class Failure:
    failures: int
    locked_until: dt.datetime


# -- in the store (the server, a PC with its own store) ---------------------------------------------
def check(store: Store, keys: list[str], now: dt.datetime | None = None) -> None:
    """LockedOut when any key is still locked."""
    now = now or _now()
    marks = ",".join("?" * len(keys))
    rows = store.conn.execute(f"SELECT locked_until FROM auth_failures WHERE key IN ({marks})", keys).fetchall()
    until = max((dt.datetime.fromisoformat(r[0]) for r in rows), default=now)
    if until > now:
        raise LockedOut((until - now).total_seconds())


def failed(store: Store, keys: list[str], *, actor: str, what: str, shown: dict[str, str] | None = None,
           now: dt.datetime | None = None) -> list[str]:
    """Count a failure against every key; returns the keys that became locked for the first time
    (audited as one ``security.lockout`` row naming each by ``shown``, or by its kind alone: never by
    what an attacker typed)."""
    from kiosk.security import audit

    now = now or _now()
    newly: list[str] = []
    with store.transaction() as db:
        db.execute("DELETE FROM auth_failures WHERE last_at < ?", ((now - FORGET_AFTER).isoformat(),))
        for k in keys:
            row = db.execute("SELECT failures FROM auth_failures WHERE key = ?", (k,)).fetchone()
            count = (row[0] if row else 0) + 1
            until = now + dt.timedelta(seconds=delay_after(count))
            if row:
                db.execute("UPDATE auth_failures SET failures = ?, locked_until = ?, last_at = ? WHERE key = ?",
                           (count, until.isoformat(), now.isoformat(), k))
            else:
                db.execute("INSERT INTO auth_failures(key, failures, locked_until, last_at) VALUES (?, ?, ?, ?)",
                           (k, count, until.isoformat(), now.isoformat()))
            if count == FREE_ATTEMPTS:
                newly.append(k)
        if newly:  # one row per lock-out, naming every key it locked
            names = ", ".join((shown or {}).get(k, k.split(":")[0]) for k in newly)
            audit.append(store, actor, "security.lockout", detail=f"{what}: {names}")
    return newly


def succeeded(store: Store, keys: list[str]) -> None:
    with store.transaction() as db:
        for k in keys:
            db.execute("DELETE FROM auth_failures WHERE key = ?", (k,))


def recent_lockouts(store: Store, since: dt.datetime) -> list[tuple[dt.datetime, str, str]]:
    """(when, station, what) of the lock-outs since ``since``: the admins' banner."""
    rows = store.conn.execute("SELECT at, actor, detail FROM audit_events WHERE action = 'security.lockout' "
                              "AND at >= ? ORDER BY id DESC LIMIT 50", (since.isoformat(),)).fetchall()
    return [(dt.datetime.fromisoformat(r[0]), r[1], r[2]) for r in rows]


# -- in a file (a kiosk PC's exit PIN, checked on that PC) -------------------------------------------
class FileCounter:
    """The same policy for one secret kept in a 0600 JSON file on this PC."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict:
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def _write(self, state: dict) -> None:
        replace_private(self.path, json.dumps(state))

    def check(self, now: dt.datetime | None = None) -> None:
        now = now or _now()
        until = self._read().get("locked_until")
        if until and dt.datetime.fromisoformat(until) > now:
            raise LockedOut((dt.datetime.fromisoformat(until) - now).total_seconds())

    def failed(self, now: dt.datetime | None = None) -> int:
        now = now or _now()
        state = self._read()
        count = int(state.get("failures", 0)) + 1
        state.update(failures=count, locked_until=(now + dt.timedelta(seconds=delay_after(count))).isoformat())
        self._write(state)
        return count

    def succeeded(self) -> None:
        state = self._read()
        if state.get("failures"):
            state.update(failures=0, locked_until="")
            self._write(state)
