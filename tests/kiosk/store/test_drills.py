"""Disk and database drills: another process holding the lock, a full disk while a visit is
written, a damaged file at start, and the backups that get a clinic out of it."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from kiosk import checkin, icd10, patients, visits
from kiosk.cli import main as cli
from kiosk.erx import catalogue
from kiosk.errors import CorruptStore, DiskFull, StoreError
from kiosk.facade import Clinic
from kiosk.identify import identity_from_payload
from kiosk.sandbox import demo
from kiosk.sandbox.people import make_people
from kiosk.settings import Settings
from kiosk.store import backup
from kiosk.store.opening import open_configured, open_store
from scanner.payloads import parse_payload

DEPARTMENT = {"code": "K01", "name": "Khám Nội", "rooms": ["101"]}


def _patient(store, index: int = 0):
    person = [p for p in make_people(1, 60) if p.card_state == "000"][index]
    return patients.register(store, identity_from_payload(parse_payload(person.cccd_qr)))


def _draft_visit(store, index: int = 0) -> int:
    icd10.ensure_starter(store)
    patient = _patient(store, index)
    ticket = checkin.check_in(store, patient.id, DEPARTMENT).ticket
    ticket = checkin.call_next(store, "K01", ticket.room)
    visit = visits.start(store, ticket, "01013")
    visit["data"].update({"diagnoses": [{"code": "J00", "name": "Viêm mũi họng cấp", "is_main": True}],
                          "prescription": [catalogue.line_from_drug(visits.demo_drug(store, "Paracetamol"), dose=1,
                                                                    times_per_day=3, days=3)]})
    visits.save_draft(store, visit["id"], visit["data"])
    return visit["id"]


def _hold_lock(path: Path, seconds: float) -> subprocess.Popen:
    """Another process (a second station) holding the write lock for ``seconds``."""
    code = textwrap.dedent(f"""
        import sqlite3, sys, time
        conn = sqlite3.connect({str(path)!r}, isolation_level=None)
        conn.execute("BEGIN EXCLUSIVE")
        print("locked", flush=True)
        time.sleep({seconds})
        conn.execute("COMMIT")
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def test_a_short_lock_is_waited_out(tmp_path: Path) -> None:
    store = open_store(tmp_path / "c.db", busy_timeout=5)
    patient = _patient(store)
    holder = _hold_lock(store.path, 1.0)
    start = time.monotonic()
    ticket = checkin.check_in(store, patient.id, DEPARTMENT).ticket  # waits for the other station
    assert time.monotonic() - start >= 0.5 and ticket.number == 1
    holder.communicate(timeout=10)
    store.close()


def test_a_long_lock_gives_a_clear_message_and_nothing_half_written(tmp_path: Path) -> None:
    store = open_store(tmp_path / "c.db", busy_timeout=0.5)
    patient = _patient(store)
    holder = _hold_lock(store.path, 4.0)
    with pytest.raises(StoreError) as err:
        checkin.check_in(store, patient.id, DEPARTMENT)
    assert "đang bận" in err.value.vi and "busy" in err.value.en and "0.5" in err.value.en
    holder.communicate(timeout=10)
    assert store.conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == 0
    assert checkin.check_in(store, patient.id, DEPARTMENT).ticket.number == 1  # trying again works
    store.close()


def test_busy_timeout_comes_from_the_settings(kiosk_home: Path) -> None:
    settings = Settings()
    settings.set_user("store.busy_timeout", "2.5")
    with open_configured(settings) as store:
        assert store.busy_timeout == 2.5
        assert store.conn.execute("PRAGMA busy_timeout").fetchone()[0] == 2500


def test_full_database_while_finalising_leaves_the_draft_whole(kiosk_home: Path) -> None:
    store = open_store(Settings().db_path())
    visit_id = _draft_visit(store)
    draft = visits.get(store, visit_id)
    draft["data"]["exam_notes"] = "Họng đỏ, amidan sưng, không có giả mạc. " * 400  # a long note: new pages
    visits.save_draft(store, visit_id, draft["data"])
    pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
    store.conn.execute(f"PRAGMA max_page_count = {pages}")  # the file may not grow: SQLITE_FULL
    with pytest.raises(DiskFull) as err:
        visits.finalise(store, visit_id, "01013")
    assert "đầy" in err.value.vi and "full" in err.value.en and "nothing was saved" in err.value.en
    assert visits.get(store, visit_id) == draft  # still the same draft, not half final
    assert store.conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 0
    store.conn.execute("PRAGMA max_page_count = 1073741823")  # space freed: the same action now works
    assert visits.finalise(store, visit_id, "01013")["status"] == "final"
    assert store.conn.execute("SELECT COUNT(*) FROM outbox WHERE kind = 'claim'").fetchone()[0] == 1
    store.close()


@pytest.fixture
def small_disk(tmp_path: Path):
    """A real 3 MB file system (tmpfs), where the test may mount one; else skipped with the reason."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if shutil.which("mount") is None or os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root and mount(8); the SQLITE_FULL drill above still runs")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], capture_output=True,
                          text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_real_disk_full_while_checking_in(small_disk: Path) -> None:
    store = open_store(small_disk / "clinic.db")
    visit_id = _draft_visit(store)
    filler = small_disk / "filler"
    with open(filler, "wb") as f:  # fill the disk to the last byte
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
    failures = 0
    for index in range(1, 40):  # writes fail once SQLite needs a page it cannot get
        try:
            visits.finalise(store, visit_id, "01013") if index == 1 else checkin.check_in(
                store, _patient(store, index % 20).id, {**DEPARTMENT, "code": f"D{index:02d}"})
        except DiskFull as exc:
            failures += 1
            assert "full" in exc.en
    assert failures > 0
    assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    filler.unlink()
    final = visits.get(store, visit_id)
    if final["status"] == "draft":
        final = visits.finalise(store, visit_id, "01013")
    assert final["status"] == "final"
    claims = store.conn.execute("SELECT COUNT(*) FROM outbox WHERE kind = 'claim' AND ma_lk = ?",
                                (final["ma_lk"],)).fetchone()[0]
    assert claims == 1  # a final visit always has its envelope, once
    store.close()


def _corrupt(path: Path, how: str) -> None:
    if how == "garbage":
        path.write_bytes(b"this is not a database, it was overwritten by mistake" * 100)
    else:  # truncated: the copy or the disk stopped half-way
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 3])


@pytest.mark.parametrize("how", ["garbage", "truncated"])
def test_damaged_file_at_start_names_the_last_good_backup(kiosk_home: Path, how: str, capsys) -> None:
    settings = Settings()
    with open_configured(settings) as store:
        demo.prepare(store)
        for n in range(40):
            checkin.check_in(store, _patient(store, n % 20).id, {**DEPARTMENT, "code": f"D{n:02d}"})
        good = backup.make(store, settings.backup_dir())
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    _corrupt(settings.db_path(), how)
    with pytest.raises(CorruptStore) as err:
        Clinic.open(settings, check=True)
    assert str(good) in err.value.vi and str(good) in err.value.en and "damaged" in err.value.en
    assert err.value.backup == good
    assert cli(["db", "check"]) == 4
    out = capsys.readouterr().err
    assert "bị hỏng" in out and str(good) in out and "clinic-kiosk db restore" in out
    assert cli(["db", "restore"]) == 0
    assert "restored from" in capsys.readouterr().out
    kept = [p for p in settings.db_path().parent.iterdir() if ".broken-" in p.name]
    assert kept, "the damaged file is kept, never deleted"
    assert cli(["db", "check"]) == 0
    with open_configured(settings, check=True) as store:
        assert store.conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == 40


def test_damaged_file_without_backup_says_so(kiosk_home: Path) -> None:
    settings = Settings()
    settings.db_path().parent.mkdir(parents=True)
    _corrupt(settings.db_path(), "garbage")
    with pytest.raises(CorruptStore) as err:
        open_configured(settings)
    assert "no backup" in err.value.en and err.value.backup is None


def test_daily_backup_once_a_day_keeps_the_newest(kiosk_home: Path) -> None:
    settings = Settings()
    folder = settings.backup_dir()
    with open_configured(settings) as store:
        demo.prepare(store)
        for day in range(1, 6):
            backup.make(store, folder, keep=3, now=dt.datetime(2026, 11, day, 7, 0))
        assert [p.name for p in backup.backups(folder)] == [f"clinic-202611{d:02d}-070000.db" for d in (5, 4, 3)]
        clinic = Clinic(settings, store)
        first = clinic.daily_backup()
        assert first is not None and backup.check_file(first) == "ok"
        assert clinic.daily_backup() is None  # one a day
        assert not list(folder.glob("*.part"))


def test_backup_while_another_station_writes_is_consistent(kiosk_home: Path) -> None:
    settings = Settings()
    store = open_configured(settings)
    demo.prepare(store)
    writer = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sqlite3, time
        conn = sqlite3.connect({str(settings.db_path())!r}, timeout=10, isolation_level=None)
        for n in range(300):
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO installation(name, value) VALUES (?, 'x')", (f"k{{n}}",))
            conn.execute("COMMIT")
    """)])
    taken = []
    while writer.poll() is None:
        taken.append(backup.make(store, settings.backup_dir(), keep=100, now=dt.datetime(2026, 11, 1) +
                                 dt.timedelta(seconds=len(taken))))
    assert writer.returncode == 0
    for path in taken:
        assert backup.check_file(path) == "ok"
    store.close()


def test_backup_to_a_full_or_missing_place_is_reported_not_fatal(kiosk_home: Path) -> None:
    settings = Settings()
    blocker = kiosk_home / "not-a-folder"
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("x")
    with open_configured(settings) as store:
        with pytest.raises(StoreError, match="Cannot back up"):
            backup.make(store, blocker / "backups")
        assert backup.daily(store, blocker / "backups") is None  # a station keeps working


def test_restore_refuses_a_damaged_backup(kiosk_home: Path, tmp_path: Path) -> None:
    bad = tmp_path / "clinic-20261101-070000.db"
    bad.write_bytes(b"nope" * 1000)
    assert cli(["db", "restore", str(bad)]) == 2


def test_a_plain_constraint_error_is_not_called_corruption(tmp_path: Path) -> None:
    with open_store(tmp_path / "c.db") as store, pytest.raises(sqlite3.IntegrityError):
        with store.transaction() as db:
            db.execute("INSERT INTO installation(name, value) VALUES ('a', NULL)")
