from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.errors import StoreError
from kiosk.store.opening import open_store
from kiosk.store.schema import SCHEMA_VERSION

WRITER = r"""
import sys
from kiosk.store.opening import open_store
store = open_store(sys.argv[1])
for i in range(int(sys.argv[2])):
    with store.transaction() as db:
        db.execute("INSERT INTO queue_counters(day, department_code, last_number) VALUES ('2026-11-22', 'K01', 1) "
                   "ON CONFLICT(day, department_code) DO UPDATE SET last_number = last_number + 1")
        number = db.execute("SELECT last_number FROM queue_counters WHERE department_code = 'K01'").fetchone()[0]
        print(number, flush=True)
"""


def test_migrate_creates_wal_database_with_current_version(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "clinic.db"
    with open_store(path) as store:
        assert store.schema_version() == SCHEMA_VERSION
        assert store.journal_mode() == "wal"
        assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    with open_store(path) as store:  # idempotent
        assert store.migrate() == SCHEMA_VERSION
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"patients", "tickets", "visits", "audit_events", "staff"} <= tables


def test_transaction_is_all_or_nothing(tmp_path: Path) -> None:
    with open_store(tmp_path / "c.db") as store:
        with pytest.raises(RuntimeError), store.transaction() as db:
            db["patients"].insert({"patient_code": "BN1", "full_name": "A", "created_at": "2026-11-22"})
            raise RuntimeError("crash mid-write")
        assert store.db["patients"].count == 0
        with store.transaction() as db:
            db["patients"].insert({"patient_code": "BN1", "full_name": "A", "created_at": "2026-11-22"})
            with store.transaction() as inner:  # nested: a savepoint
                inner["patients"].insert({"patient_code": "BN2", "full_name": "B", "created_at": "2026-11-22"})
        assert store.db["patients"].count == 2


def test_foreign_keys_are_enforced(tmp_path: Path) -> None:
    with open_store(tmp_path / "c.db") as store, pytest.raises(sqlite3.IntegrityError):
        with store.transaction() as db:
            db.execute("INSERT INTO tickets(patient_id, day, department_code, number, issued_at) "
                       "VALUES (999, '2026-11-22', 'K01', 1, 'x')")


def test_two_processes_write_the_same_file_at_once(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    open_store(path).close()
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), "150"], stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    numbers = [int(n) for out in outputs for n in out.split()]
    assert sorted(numbers) == list(range(1, 301)), "every increment seen exactly once"


def test_database_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    with open_store(path) as store:
        store.conn.execute(
            "INSERT INTO _sqlite_migrations(migration_set, name, applied_at) VALUES ('clinic-kiosk', 'm999_future', 'x')"
        )
        store.conn.commit()
    with pytest.raises(StoreError, match="newer version"):
        open_store(path)


def test_unopenable_path_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="Cannot open"):
        open_store(blocker / "clinic.db")


def test_garbage_file_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError):
        open_store(path)
