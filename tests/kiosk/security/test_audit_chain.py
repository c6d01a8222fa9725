"""The keyed audit chain and its head kept outside the database: what a hostile database editor
(raw SQL on the file, no access to the data folder) tries, and what ``audit verify`` says."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import sqlite3
import stat
import sys
import threading
from pathlib import Path

import pytest

from kiosk import patients
from kiosk.errors import StoreError
from kiosk.model import DatePrecision, Identity, IdentitySource
from kiosk.security import audit
from kiosk.settings import Settings
from kiosk.store.opening import open_store
from kiosk.store.sqlite import Store
from tests.kiosk.cli.test_cli import run
from tests.kiosk.store.test_postgres import pg_store, postgres  # noqa: F401 - fixtures

_ids = itertools.count(1)


@pytest.fixture
def store(kiosk_home):
    s = open_store(Settings().db_path())
    yield s
    s.close()


def person(store: Store, n: int):
    return patients.register(store, Identity(IdentitySource.MANUAL, id_number=f"0010901{n:05d}",
                                             full_name=f"Người Thử {n}", date_of_birth=None,
                                             dob_precision=DatePrecision.DAY))


def fill(store: Store) -> tuple:
    """Eight rows: four about patient A, two about patient B, two about nobody."""
    a, b = person(store, 1), person(store, 2)
    for n in range(2):
        audit.append(store, "lan", "healthbook.view", patient=a, detail=f"view {n}")
        audit.append(store, "lan", "print.prescription", patient=b if n else a, detail=f"print {n}")
        audit.append(store, "minh", "healthbook.view", patient=b if n == 0 else a, detail=f"look {n}")
    audit.append(store, "cli", "staff.add", detail="mai (receptionist)")
    audit.append(store, "cli", "staff.disable", detail="mai")
    assert audit.verify(store).ok
    return a, b


def raw(store: Store, *statements: tuple) -> None:
    """What someone with write access to the database file (and nothing else) does."""
    conn = sqlite3.connect(store.path)
    for sql, *args in statements:
        conn.execute(sql, *args)
    conn.commit()
    conn.close()


def rows(store: Store) -> list[tuple]:
    conn = sqlite3.connect(store.path)
    found = conn.execute("SELECT id, at, actor, action, patient_ref, detail, reason FROM audit_events "
                         "ORDER BY id").fetchall()
    conn.close()
    return found


def rechain(store: Store, hasher) -> None:  # noqa: ANN001 - hasher(prev, *row) -> hex
    prev, updates = audit.GENESIS, []
    for rid, *row in rows(store):
        digest = hasher(prev, *row)
        updates.append((prev, digest, rid))
        prev = digest
    conn = sqlite3.connect(store.path)
    conn.executemany("UPDATE audit_events SET prev_hash = ?, hash = ? WHERE id = ?", updates)
    conn.commit()
    conn.close()


def test_untouched_chain_is_ok_and_keyed(store) -> None:
    fill(store)
    verdict = audit.verify(store)
    assert verdict.ok and verdict.rows == 8 and verdict.problem == ""
    assert "8 rows up to row 8" in verdict.head
    # each hash is the HMAC under the key in the data folder, not plain SHA-256
    key = (store.path.parent / "audit.key").read_bytes()
    rid, at, actor, action, ref, detail, reason = rows(store)[0]
    stored = store.conn.execute("SELECT hash FROM audit_events WHERE id = 1").fetchone()[0]
    assert stored != audit._row_hash(audit.GENESIS, at, actor, action, ref, detail, reason)
    assert stored == audit._keyed_hash(key, audit.GENESIS, at, actor, action, ref, detail, reason)
    assert "audit_key" in {r[0] for r in store.conn.execute("SELECT name FROM installation")}  # patient refs only
    assert key.hex() not in str(store.conn.execute("SELECT * FROM installation").fetchall())


def test_key_and_head_are_private_files_beside_the_database(store) -> None:
    fill(store)
    key, head = store.path.parent / "audit.key", store.path.parent / "audit-head.json"
    assert len(key.read_bytes()) == 32
    if sys.platform != "win32":
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        assert stat.S_IMODE(head.stat().st_mode) == 0o600
    assert not list(store.path.parent.glob(".audit*.tmp"))  # temporary files were renamed or removed


def test_deleting_the_last_rows_is_found(store) -> None:
    fill(store)
    raw(store, ("DELETE FROM audit_events WHERE id > 6",))
    verdict = audit.verify(store)
    assert not verdict.ok and verdict.broken_at == 7
    assert "last rows are missing" in verdict.problem and "8 rows up to row 8" in verdict.problem
    assert "mất các dòng cuối" in verdict.problem_vi
    # a later row does not cover it up: the mismatch was recorded when the head moved on
    audit.append(store, "lan", "healthbook.view", detail="after")
    verdict = audit.verify(store)
    assert not verdict.ok and verdict.broken_at == 7 and "row 8" in verdict.problem


def test_emptying_the_table_is_found(store) -> None:
    fill(store)
    raw(store, ("DELETE FROM audit_events",))
    verdict = audit.verify(store)
    assert not verdict.ok and verdict.rows == 0 and "no rows" in verdict.problem
    audit.append(store, "lan", "staff.sign_in")
    assert not audit.verify(store).ok


def test_emptied_table_with_head_file_gone_too_is_found(store) -> None:
    fill(store)
    raw(store, ("DELETE FROM audit_events",))
    (store.path.parent / "audit-head.json").unlink()
    verdict = audit.verify(store)
    assert not verdict.ok and "emptied" in verdict.problem


@pytest.mark.parametrize("how", ["plain", "guessed", "stolen"])
def test_removing_one_patients_rows_and_rechaining_is_found(store, how: str) -> None:
    a, _b = fill(store)
    ref = audit.patient_ref(store, a)
    raw(store, ("DELETE FROM audit_events WHERE patient_ref = ?", (ref,)))
    assert len(rows(store)) == 4
    if how == "plain":  # the old unkeyed way
        rechain(store, audit._row_hash)
    elif how == "guessed":
        guess = b"\x00" * 32
        rechain(store, lambda *row: audit._keyed_hash(guess, *row))
    else:  # even with the real key, the head outside the database still counts the rows
        key = (store.path.parent / "audit.key").read_bytes()
        rechain(store, lambda *row: audit._keyed_hash(key, *row))
    verdict = audit.verify(store)
    assert not verdict.ok, verdict
    if how == "plain":
        assert "unkeyed hash" in verdict.problem
    elif how == "guessed":
        assert "edited" in verdict.problem
    else:
        assert verdict.broken_at == 8 and "rewritten" in verdict.problem  # its hash is not the head's


def test_editing_a_rows_detail_is_found(store) -> None:
    fill(store)
    raw(store, ("UPDATE audit_events SET detail = 'nothing happened' WHERE id = 5",))
    verdict = audit.verify(store)
    assert not verdict.ok and verdict.broken_at == 5 and "edited" in verdict.problem


def test_a_missing_key_is_reported_and_never_replaced(store) -> None:
    fill(store)
    (store.path.parent / "audit.key").unlink()
    verdict = audit.verify(store)
    assert not verdict.ok and "audit key" in verdict.problem and "missing" in verdict.problem
    assert "thiếu khoá" in verdict.problem_vi
    with pytest.raises(StoreError, match="audit.key"):
        audit.append(store, "lan", "staff.sign_in")
    assert not (store.path.parent / "audit.key").exists()  # no new key over the old chain
    assert len(rows(store)) == 8  # and the refused append left nothing behind


def test_a_missing_head_is_reported_and_stays_reported(store) -> None:
    fill(store)
    (store.path.parent / "audit-head.json").unlink()
    verdict = audit.verify(store)
    assert not verdict.ok and "no record of this database" in verdict.problem
    audit.append(store, "lan", "staff.sign_in")
    verdict = audit.verify(store)
    assert not verdict.ok and verdict.broken_at == 9 and "no record of this chain" in verdict.problem


def _legacy(store: Store, n: int, *, break_at: int | None = None) -> None:
    """Rows as the old version wrote them: plain SHA-256, no key, no head."""
    prev = audit.GENESIS
    conn = sqlite3.connect(store.path)
    for i in range(1, n + 1):
        row = (f"2024-01-01T08:{i:02d}:00.000000", "lan", "healthbook.view", "", f"old {i}", "")
        digest = audit._row_hash(prev, *row)
        conn.execute("INSERT INTO audit_events(at, actor, action, patient_ref, detail, reason, prev_hash, hash) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (*row, prev, digest))
        prev = digest
    if break_at:
        conn.execute("UPDATE audit_events SET detail = 'changed' WHERE id = ?", (break_at,))
    conn.commit()
    conn.close()


def test_old_unkeyed_rows_are_rechained_once(store) -> None:
    _legacy(store, 5)
    folder = store.path.parent
    assert not (folder / "audit.key").exists()
    audit.append(store, "lan", "staff.sign_in")
    assert (folder / "audit.key").exists() and (folder / "audit-head.json").exists()
    keyed = audit.show(store)
    assert [e.action for e in keyed][-2:] == ["audit.keyed", "staff.sign_in"]
    assert "5 rows" in keyed[5].detail and "re-chained" in keyed[5].detail
    assert [e.detail for e in keyed[:5]] == [f"old {i}" for i in range(1, 6)]  # same rows, new hashes
    key = (folder / "audit.key").read_bytes()
    first = keyed[0]
    assert first.hash == hmac.new(key, audit._body(audit.GENESIS, first.at.isoformat(timespec="microseconds"),
                                                   first.actor, first.action, "", "old 1", ""),
                                  hashlib.sha256).hexdigest()
    verdict = audit.verify(store)
    assert verdict.ok and verdict.rows == 7
    audit.append(store, "lan", "staff.sign_out")
    assert audit.verify(store).ok
    assert sum(e.action == "audit.keyed" for e in audit.show(store)) == 1  # once


def test_verify_upgrades_too(store) -> None:
    _legacy(store, 3)
    verdict = audit.verify(store)
    assert verdict.ok and verdict.rows == 4
    assert audit.verify(store).ok and sum(e.action == "audit.keyed" for e in audit.show(store)) == 1


def test_two_processes_upgrading_at_once_rechain_once(store) -> None:
    _legacy(store, 40)
    others = [open_store(store.path) for _ in range(4)]
    errors: list[Exception] = []

    def work(s: Store, n: int) -> None:
        try:
            if n % 2:
                audit.append(s, "desk", "ticket.issue", detail=str(n))
            else:
                assert audit.verify(s).ok
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(s, n)) for n, s in enumerate(others)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in others:
        s.close()
    assert errors == []
    assert sum(e.action == "audit.keyed" for e in audit.show(store)) == 1
    verdict = audit.verify(store)
    assert verdict.ok and verdict.rows == 40 + 1 + 2, verdict


def test_a_broken_old_chain_is_not_rechained(store) -> None:
    _legacy(store, 4, break_at=2)
    verdict = audit.verify(store)
    assert not verdict.ok and verdict.broken_at == 2
    assert not (store.path.parent / "audit.key").exists()  # verify made nothing
    audit.append(store, "lan", "staff.sign_in")  # the clinic keeps working, on a keyed chain from here
    noted = [e for e in audit.show(store) if e.action == "audit.keyed"]
    assert len(noted) == 1 and "NOT re-chained" in noted[0].detail and "row 2" in noted[0].detail
    verdict = audit.verify(store)
    assert not verdict.ok and verdict.broken_at == 1 and "unkeyed" in verdict.problem


def test_cli_verify_exits_1_after_truncation(kiosk_home) -> None:
    with open_store(Settings().db_path()) as s:
        fill(s)
    ok = run("audit", "verify")
    assert ok.returncode == 0 and "audit chain OK (8 rows)" in ok.stdout and "audit head: 8 rows" in ok.stdout
    with open_store(Settings().db_path()) as s:
        raw(s, ("DELETE FROM audit_events WHERE id >= 7",))
    broken = run("audit", "verify")
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "audit chain BROKEN at row 7: the last rows are missing" in broken.stdout
    assert "BỊ HỎNG" in broken.stdout


def test_chain_and_head_on_postgresql(pg_store, kiosk_home) -> None:  # noqa: F811 - fixture
    for n in range(5):
        audit.append(pg_store, "desk", "ticket.issue", patient=person(pg_store, n))
    verdict = audit.verify(pg_store)
    assert verdict.ok and verdict.rows == 5, verdict
    folder = kiosk_home / "data"  # a PostgreSQL store has no file: the data folder keeps key and head
    assert (folder / "audit.key").exists() and "postgresql:clinic_test_" in (folder / "audit-head.json").read_text()
    with pg_store.transaction() as db:
        db.execute("DELETE FROM audit_events WHERE id > 3")
    verdict = audit.verify(pg_store)
    assert not verdict.ok and verdict.broken_at == 4 and "last rows are missing" in verdict.problem


def test_data_folder_is_where_a_configured_postgresql_store_keeps_them(tmp_path: Path, postgres) -> None:  # noqa: F811
    from kiosk.paths import AppPaths
    from kiosk.store.opening import open_configured

    paths = AppPaths(tmp_path / "site.toml", tmp_path / "user.toml", tmp_path / "elsewhere", tmp_path / "log")
    settings = Settings(paths)
    settings.set_for_run("server.store", "postgresql")
    settings.set_for_run("server.postgresql", postgres.create_database(f"clinic_audit_{next(_ids)}"))
    with open_configured(settings) as s:
        audit.append(s, "cli", "staff.add", detail="x")
        assert audit.verify(s).ok
    assert (tmp_path / "elsewhere" / "audit.key").exists()


def test_a_copy_of_the_database_without_its_key_is_refused(store, tmp_path: Path) -> None:
    fill(store)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    raw(store, ("VACUUM INTO ?", (str(elsewhere / "clinic.db"),)))
    with open_store(elsewhere / "clinic.db") as copy:
        verdict = audit.verify(copy)
        assert not verdict.ok and "audit key" in verdict.problem
        with pytest.raises(StoreError, match="audit.key"):
            audit.append(copy, "lan", "staff.sign_in")
    assert not (elsewhere / "audit.key").exists()


def test_a_restore_is_accepted_on_the_admins_word_and_later_tampering_still_shows(kiosk_home: Path) -> None:
    from kiosk.cli import main as cli
    from kiosk.store import backup

    settings = Settings()
    s = open_store(settings.db_path())
    fill(s)
    saved = backup.make(s, settings.backup_dir())
    audit.append(s, "lan", "healthbook.view", detail="after the backup")
    s.close()
    assert cli(["db", "restore", str(saved)]) == 0  # the trail is rightly shorter: re-anchored, audited
    s = open_store(settings.db_path())
    try:
        verdict = audit.verify(s)
        assert verdict.ok, verdict.problem
        last = rows(s)[-1]
        assert last[3] == "audit.accept_head" and "restored from the backup" in last[5] and "9 rows" in last[5]
        raw(s, ("DELETE FROM audit_events WHERE id = (SELECT MAX(id) FROM audit_events)",))
        assert not audit.verify(s).ok, "cutting the trail after the restore is still found"
        raw(s, ("UPDATE audit_events SET detail = 'x' WHERE id = 2",))
        audit.accept_head(s, "admin", "testing")
        verdict = audit.verify(s)
        assert not verdict.ok and verdict.broken_at == 2, "accepting a head never excuses an edited row"
        with pytest.raises(StoreError):
            audit.accept_head(s, "admin", "   ")
    finally:
        s.close()
