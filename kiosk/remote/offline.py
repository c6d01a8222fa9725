"""Check-ins while the clinic server cannot be reached.

Design (README, "Offline check-in"): every enrolled station owns a series of queue numbers for the
times it cannot reach the server: station N numbers its offline check-ins N*10000 + 1, 2, … per
department per day, shown as its letter and a number (station 1: ``A01``, ``A02``; the server's own
numbers stay ``001``, ``002`` with no gap). Offline, a check-in takes the station's next number,
prints the ticket with an "offline" mark and waits here, in a small SQLite file on this PC. When
the server answers again, the station hands the check-ins in; the server files each once (by its
local id) under that number, and only a number of that station's series. No two tickets can ever
share a number; the queue is called in order of arrival, so an offline patient keeps their place.

The file holds names and ID numbers: it is 0600, deleted rows are overwritten (secure_delete), and
the check-ins handed in are purged after ``offline.keep_days`` with their tickets' PDFs (``purge``);
a check-in not yet handed in is never purged.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
import threading
from dataclasses import replace
from pathlib import Path

from kiosk import paper
from kiosk.checkin import CheckIn
from kiosk.errors import KioskError
from kiosk.model import OFFLINE_SERIES, Identity, Ticket, TicketStatus, number_text
from kiosk.privacy import filemodes
from kiosk.remote import wire
from kiosk.remote.handin import OfflineCheckIn
from kiosk.settings import Settings
from printing.dispatch import PrintOutcome
from printing.ticket import TicketDoc, write_ticket


class NoOfflineNumbers(KioskError):
    """Offline, and this station cannot number a check-in."""


class OfflineSpool:
    def __init__(self, path: Path) -> None:
        filemodes.private_dir(path.parent, chmod_existing=False)
        filemodes.create_private(path)  # before SQLite opens it: its -wal and -shm take its mode
        filemodes.private_db_files(path)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.executescript("""
            PRAGMA journal_mode=WAL;
            PRAGMA secure_delete=ON;
            CREATE TABLE IF NOT EXISTS counters (day TEXT NOT NULL, department_code TEXT NOT NULL,
                last_number INTEGER NOT NULL, PRIMARY KEY (day, department_code));
            CREATE TABLE IF NOT EXISTS station (id INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS pending (local_id TEXT PRIMARY KEY, item TEXT NOT NULL,
                created_at TEXT NOT NULL, handed_in INTEGER NOT NULL DEFAULT 0);
            CREATE TABLE IF NOT EXISTS prints (id INTEGER PRIMARY KEY, pdf TEXT NOT NULL, ticket TEXT NOT NULL);
        """)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def set_station(self, station_id: int) -> None:
        """The server's id of this station: its offline series (learnt at every connection)."""
        with self._lock:
            self._db.execute("DELETE FROM station")
            self._db.execute("INSERT INTO station(id) VALUES (?)", (station_id,))

    def station_id(self) -> int | None:
        with self._lock:
            row = self._db.execute("SELECT id FROM station").fetchone()
        return int(row[0]) if row else None

    def check_in(self, identity: Identity, department: dict, *, service: str = "", priority: str = "",
                 local_id: str, now: dt.datetime | None = None) -> CheckIn:
        now = now or dt.datetime.now().replace(microsecond=0)
        code = department["code"]
        station_id = self.station_id()
        if station_id is None:
            raise NoOfflineNumbers("Mất kết nối máy chủ (máy này chưa từng kết nối được): hãy ghi số tay và báo CNTT",
                                   "The server is unreachable (this station never reached it): write numbers by "
                                   "hand and call IT")
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("INSERT INTO counters(day, department_code, last_number) VALUES (?, ?, 1) "
                             "ON CONFLICT(day, department_code) DO UPDATE SET last_number = last_number + 1",
                             (now.date().isoformat(), code))
            n = self._db.execute("SELECT last_number FROM counters WHERE day = ? AND department_code = ?",
                                 (now.date().isoformat(), code)).fetchone()[0]
            if n >= OFFLINE_SERIES:
                self._db.execute("ROLLBACK")
                raise NoOfflineNumbers("Đã hết dãy số ngoại tuyến hôm nay", "No offline numbers left today")
            number = station_id * OFFLINE_SERIES + n
            item = OfflineCheckIn(local_id, identity, code, number, now, service, priority)
            self._db.execute("INSERT INTO pending(local_id, item, created_at) VALUES (?, ?, ?)",
                             (local_id, json.dumps(wire.dump(item), ensure_ascii=False), now.isoformat()))
            self._db.execute("COMMIT")
        rooms = list(department.get("rooms") or [])
        ticket = Ticket(0, 0, now.date(), code, number, rooms[0] if len(rooms) == 1 else "", service, priority,
                        TicketStatus.WAITING, now, "offline")
        return CheckIn(ticket, False)

    def pending(self) -> list:
        with self._lock:
            rows = self._db.execute("SELECT item FROM pending WHERE handed_in = 0 ORDER BY created_at").fetchall()
        return [wire.load(OfflineCheckIn, json.loads(r[0])) for r in rows]

    def handed_in(self, local_ids: list[str]) -> None:
        with self._lock:
            self._db.executemany("UPDATE pending SET handed_in = 1 WHERE local_id = ?", [(i,) for i in local_ids])

    def purge(self, keep_days: int, now: dt.datetime | None = None) -> int:
        """Delete the check-ins handed in to the server more than ``keep_days`` ago (by the time they
        were made), the printed tickets of those days with their PDFs, and old day counters. A
        check-in not handed in yet is never deleted, nor the print of its ticket. Returns how many
        check-ins went."""
        if keep_days < 1:
            raise ValueError(f"keep_days must be ≥ 1, got {keep_days}")
        cutoff = (now or dt.datetime.now()) - dt.timedelta(days=keep_days)
        with self._lock:
            waiting = set()
            for (item,) in self._db.execute("SELECT item FROM pending WHERE handed_in = 0"):
                data = json.loads(item)
                waiting.add((str(data["issued_at"])[:10], f"{data['department_code']}-{number_text(data['number'])}"))
            old_prints = []
            for job, pdf, ticket in self._db.execute("SELECT id, pdf, ticket FROM prints"):
                doc = json.loads(ticket)
                issued = dt.datetime.fromisoformat(doc["issued_at"])
                if issued < cutoff and (issued.date().isoformat(), doc["label"]) not in waiting:
                    old_prints.append((job, pdf))
            self._db.execute("BEGIN IMMEDIATE")
            try:
                gone = self._db.execute("DELETE FROM pending WHERE handed_in = 1 AND created_at < ?",
                                        (cutoff.isoformat(),)).rowcount
                self._db.executemany("DELETE FROM prints WHERE id = ?", [(job,) for job, _ in old_prints])
                self._db.execute("DELETE FROM counters WHERE day < ?", (cutoff.date().isoformat(),))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            if gone or old_prints:
                with contextlib.suppress(sqlite3.Error):  # the deleted rows' pages leave the WAL too
                    self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        for _, pdf in old_prints:
            path = Path(pdf)
            with contextlib.suppress(OSError):
                if path.is_file() and not path.is_symlink():
                    path.unlink()
        return gone

    def print_ticket(self, settings: Settings, ticket: Ticket) -> PrintOutcome:
        """The offline ticket, drawn on this PC (no patient name; marked offline)."""
        dep = settings.department(ticket.department_code) or {"name": ticket.department_code}
        doc = TicketDoc(settings["facility.name"], settings["facility.code"], ticket.number, ticket.label,
                        dep["name"], ticket.room, " · ".join(filter(None, [ticket.service, "NGOẠI TUYẾN / OFFLINE"])),
                        ticket.issued_at or dt.datetime.now(), "", ticket.priority, "")
        pdf = write_ticket(doc, paper.new_pdf_path(settings, "ticket"), settings["printing.ticket_width_mm"])
        outcome = paper.deliver(settings, "ticket", pdf, doc=doc)
        with self._lock:
            job = self._db.execute("INSERT INTO prints(pdf, ticket) VALUES (?, ?)",
                                   (str(pdf), json.dumps(wire.dump(doc), ensure_ascii=False))).lastrowid
        return replace(outcome, log_id=-int(job))

    def reprint(self, settings: Settings, job_id: int) -> PrintOutcome:
        with self._lock:
            row = self._db.execute("SELECT pdf, ticket FROM prints WHERE id = ?", (-job_id,)).fetchone()
        if row is None:
            raise KioskError("Không còn phiếu này", "That ticket is gone")
        outcome = paper.deliver(settings, "ticket", Path(row[0]), doc=wire.load(TicketDoc, json.loads(row[1])))
        return replace(outcome, log_id=job_id)
