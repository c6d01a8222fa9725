"""Demo data: what ``clinic-kiosk demo prepare`` puts in a new store so the program can be tried.

The demo staff member is the one the built-in sandbox has on its registered-user list (CV 1923), so
card lookups work out of the box. Patients come from the sandbox's synthetic people when scanned.
"""

from __future__ import annotations

import datetime as dt

from kiosk.sandbox.server import DEFAULT_STAFF
from kiosk.store import Store

DEMO_STAFF_USERNAME = "lan"


def prepare(store: Store) -> bool:
    """Idempotent; returns True when something was added."""
    cccd, name = next(iter(DEFAULT_STAFF.items()))
    with store.transaction() as db:
        cursor = db.execute(
            "INSERT OR IGNORE INTO staff(username, full_name, cccd, role, created_at) VALUES (?, ?, ?, ?, ?)",
            (DEMO_STAFF_USERNAME, name, cccd, "receptionist", dt.datetime.now().isoformat(timespec="seconds")),
        )
    return cursor.rowcount > 0
