"""The clinic's store: one SQLite file through sqlite-utils, WAL mode, versioned migrations.

Every use case that writes runs inside ``Store.transaction()`` — one ``BEGIN IMMEDIATE`` … ``COMMIT``
— so a crash leaves either all of it or none of it, and two processes on the same file (a reception
window and a board) wait for each other (busy timeout) instead of failing.
"""

from __future__ import annotations

import contextlib
import secrets
import sqlite3
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import sqlite_utils
from sqlite_utils import Migrations

from kiosk import filemodes
from kiosk.errors import CorruptStore, DiskFull, StoreError

if TYPE_CHECKING:
    from kiosk.settings import Settings

BUSY_TIMEOUT_S = 10.0
MAX_IDLE_CONNECTIONS = 8

migrations = Migrations("clinic-kiosk")


@migrations()
def m001_core(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE patients (
            id INTEGER PRIMARY KEY,
            patient_code TEXT NOT NULL UNIQUE,
            full_name TEXT NOT NULL,
            date_of_birth TEXT,
            dob_precision TEXT NOT NULL DEFAULT 'day',
            sex TEXT,
            id_number TEXT UNIQUE,
            card_number TEXT,
            address TEXT NOT NULL DEFAULT '',
            phone TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL
        );
        CREATE INDEX patients_card ON patients(card_number);

        CREATE TABLE card_checks (
            id INTEGER PRIMARY KEY,
            patient_id INTEGER REFERENCES patients(id),
            card_number TEXT NOT NULL,
            result_code TEXT,
            decision TEXT NOT NULL,
            response_json TEXT NOT NULL DEFAULT '{}',
            checked_at TEXT NOT NULL,
            staff_username TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX card_checks_patient ON card_checks(patient_id, checked_at);

        CREATE TABLE queue_counters (
            day TEXT NOT NULL,
            department_code TEXT NOT NULL,
            last_number INTEGER NOT NULL,
            PRIMARY KEY (day, department_code)
        );

        CREATE TABLE tickets (
            id INTEGER PRIMARY KEY,
            patient_id INTEGER NOT NULL REFERENCES patients(id),
            day TEXT NOT NULL,
            department_code TEXT NOT NULL,
            number INTEGER NOT NULL,
            room TEXT NOT NULL DEFAULT '',
            service TEXT NOT NULL DEFAULT '',
            priority TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'waiting',
            issued_at TEXT NOT NULL,
            called_at TEXT,
            station TEXT NOT NULL DEFAULT '',
            UNIQUE (day, department_code, number),
            UNIQUE (day, department_code, patient_id)
        );
        CREATE INDEX tickets_queue ON tickets(day, department_code, status);

        CREATE TABLE visits (
            id INTEGER PRIMARY KEY,
            ma_lk TEXT NOT NULL,
            version INTEGER NOT NULL DEFAULT 1,
            patient_id INTEGER NOT NULL REFERENCES patients(id),
            ticket_id INTEGER REFERENCES tickets(id),
            status TEXT NOT NULL DEFAULT 'draft',
            started_at TEXT NOT NULL,
            finalised_at TEXT,
            data_json TEXT NOT NULL DEFAULT '{}',
            UNIQUE (ma_lk, version)
        );
        CREATE INDEX visits_patient ON visits(patient_id, started_at);

        CREATE TABLE staff (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL UNIQUE,
            full_name TEXT NOT NULL,
            cccd TEXT NOT NULL,
            role TEXT NOT NULL,
            active INTEGER NOT NULL DEFAULT 1,
            password_hash TEXT NOT NULL DEFAULT '',
            pin_hash TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL
        );

        CREATE TABLE audit_events (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            patient_ref TEXT NOT NULL DEFAULT '',
            detail TEXT NOT NULL DEFAULT '',
            reason TEXT NOT NULL DEFAULT '',
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        );

        CREATE TABLE healthbook_cache (
            patient_id INTEGER NOT NULL REFERENCES patients(id),
            source TEXT NOT NULL,
            fetched_at TEXT NOT NULL,
            payload_json TEXT NOT NULL,
            PRIMARY KEY (patient_id, source)
        );
        """
    )


@migrations()
def m002_installation(db: sqlite_utils.Database) -> None:
    """Per-installation values shared by every station on this store (e.g. the slip-signing key)."""
    db.execute("CREATE TABLE installation (name TEXT PRIMARY KEY, value TEXT NOT NULL)")


@migrations()
def m003_ticket_card_status(db: sqlite_utils.Database) -> None:
    """Check-in works while the gateway is down: the card check is then pending and retried."""
    db.executescript(
        """
        ALTER TABLE tickets ADD COLUMN card_decision TEXT NOT NULL DEFAULT '';
        ALTER TABLE tickets ADD COLUMN card_pending INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE tickets ADD COLUMN recalled_at TEXT;
        CREATE INDEX tickets_pending ON tickets(card_pending) WHERE card_pending = 1;
        CREATE TABLE print_jobs (
            id INTEGER PRIMARY KEY,
            document TEXT NOT NULL,
            ticket_id INTEGER REFERENCES tickets(id),
            visit_id INTEGER REFERENCES visits(id),
            pdf_path TEXT NOT NULL,
            printer TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL,
            message TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL
        );
        """
    )


@migrations()
def m004_catalogue_and_outbox(db: sqlite_utils.Database) -> None:
    """The ICD-10 catalogue, and the outbox of documents bound for the BHXH portal."""
    db.executescript(
        """
        CREATE TABLE icd10 (
            code TEXT PRIMARY KEY,
            name_vi TEXT NOT NULL,
            name_en TEXT NOT NULL DEFAULT '',
            name_folded TEXT NOT NULL,
            not_main INTEGER NOT NULL DEFAULT 0,
            sex TEXT NOT NULL DEFAULT ''
        );
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            ma_lk TEXT NOT NULL,
            version INTEGER NOT NULL,
            visit_id INTEGER REFERENCES visits(id),
            payload BLOB NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending',
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT NOT NULL,
            lease_until TEXT,
            last_error TEXT NOT NULL DEFAULT '',
            transaction_id TEXT NOT NULL DEFAULT '',
            received_at TEXT,
            created_at TEXT NOT NULL,
            UNIQUE (kind, ma_lk, version)
        );
        CREATE INDEX outbox_due ON outbox(status, next_attempt_at);
        """
    )


@migrations()
def m005_consent(db: sqlite_utils.Database) -> None:
    """Consent per purpose, as given (never pre-ticked), with the text version, time and channel."""
    db.executescript(
        """
        CREATE TABLE consents (
            id INTEGER PRIMARY KEY,
            patient_id INTEGER NOT NULL REFERENCES patients(id),
            purpose TEXT NOT NULL,
            granted INTEGER NOT NULL,
            text_version TEXT NOT NULL,
            text_sha256 TEXT NOT NULL,
            channel TEXT NOT NULL,
            recorded_by TEXT NOT NULL,
            recorded_at TEXT NOT NULL
        );
        CREATE INDEX consents_patient ON consents(patient_id, purpose, recorded_at);
        """
    )


@migrations()
def m006_stations(db: sqlite_utils.Database) -> None:
    """The clinic server's enrolled stations, their pairing codes, staff sessions (by the digest of
    their token; they outlive a server restart), and which offline check-ins have been taken in."""
    db.executescript(
        """
        CREATE TABLE stations (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            token_sha256 TEXT NOT NULL UNIQUE,
            enrolled_at TEXT NOT NULL,
            last_seen TEXT,
            active INTEGER NOT NULL DEFAULT 1
        );
        CREATE TABLE pairing_codes (
            code TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            name TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            used INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE sessions (
            token_sha256 TEXT PRIMARY KEY,
            username TEXT NOT NULL,
            station_id INTEGER NOT NULL REFERENCES stations(id),
            expires_at TEXT NOT NULL
        );
        CREATE TABLE offline_checkins (
            station_id INTEGER NOT NULL REFERENCES stations(id),
            local_id TEXT NOT NULL,
            ticket_id INTEGER REFERENCES tickets(id),
            outcome TEXT NOT NULL,
            received_at TEXT NOT NULL,
            PRIMARY KEY (station_id, local_id)
        );
        """
    )


@migrations()
def m007_print_context(db: sqlite_utils.Database) -> None:
    """Two identifiers on paper: each print job names the patient of its own record and the
    station context (station, user, context number) that printed it. A visit draft names the
    station that has it open, so a second station does not open the same patient unasked."""
    db.executescript(
        """
        ALTER TABLE print_jobs ADD COLUMN patient_id INTEGER REFERENCES patients(id);
        ALTER TABLE print_jobs ADD COLUMN context TEXT NOT NULL DEFAULT '';
        ALTER TABLE visits ADD COLUMN opened_by TEXT NOT NULL DEFAULT '';
        """
    )


@migrations()
def m008_auth_failures(db: sqlite_utils.Database) -> None:
    """Failed passwords, PINs and pairing codes, counted per account, station and client address,
    for the lock-out and back-off (kiosk.lockout)."""
    db.executescript(
        """
        CREATE TABLE auth_failures (
            key TEXT PRIMARY KEY,
            failures INTEGER NOT NULL,
            locked_until TEXT NOT NULL,
            last_at TEXT NOT NULL
        );
        """
    )


SCHEMA_VERSION = len(migrations._migrations)


class Store:
    """An open clinic database."""

    kind = "sqlite"

    def __init__(self, path: Path | str, *, busy_timeout: float = BUSY_TIMEOUT_S,
                 backup_dir: Path | None = None) -> None:
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self.backup_dir = backup_dir or self.path.parent / "backups"
        self._by_thread: dict[int, sqlite_utils.Database] = {}
        self._owner = threading.get_ident()  # the opening thread keeps its connection
        self._lock = threading.Lock()
        self._closed = False
        self._private = False
        self.db  # noqa: B018 - open (and check) the file now, on the opening thread

    def _connect(self) -> sqlite_utils.Database:
        try:
            if not self._private:  # personal data: the file 0600 before SQLite opens it (-wal, -shm follow)
                filemodes.private_dir(self.path.parent, chmod_existing=False)
                filemodes.create_private(self.path)
                filemodes.private_db_files(self.path)
                self._private = True
            conn = sqlite3.connect(str(self.path), timeout=self.busy_timeout, check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout * 1000)}")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as exc:
            if not isinstance(exc, sqlite3.OperationalError) or "malformed" in str(exc):
                raise self.corrupt(exc) from exc
            raise self.translate(exc) from exc
        except OSError as exc:
            raise StoreError(
                f"Không mở được cơ sở dữ liệu {self.path}: {exc}",
                f"Cannot open the database {self.path}: {exc}",
            ) from exc
        return sqlite_utils.Database(conn, execute_plugins=False)

    @property
    def db(self) -> sqlite_utils.Database:
        """This thread's connection: each thread has its own, so one thread's transaction never
        interleaves with another's (WAL lets them read and write the file side by side).

        Connections are keyed by thread id, not kept in a ``threading.local``: a Qt pool thread gets
        a fresh Python thread state for every job, so a thread-local connection would be opened
        (and kept) once per background job — a leak in a station that runs for days."""
        ident = threading.get_ident()
        with self._lock:  # under the lock, so a connection is never closed between this get and its use
            db = self._by_thread.get(ident)
        if db is None:
            if self._closed:
                raise StoreError("Cơ sở dữ liệu đã đóng", "The database is closed")
            db = self._connect()
            with self._lock:
                if len(self._by_thread) >= MAX_IDLE_CONNECTIONS:
                    busy = sys._current_frames()  # threads running Python now may be inside a transaction
                    for other in [t for t in self._by_thread if t not in busy and t != self._owner]:
                        self._by_thread.pop(other).close()
                self._by_thread[ident] = db
        return db

    @property
    def conn(self) -> sqlite3.Connection:
        return self.db.conn

    def close(self) -> None:
        self._closed = True
        with self._lock:
            for db in self._by_thread.values():
                db.close()
            self._by_thread.clear()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def corrupt(self, exc: Exception) -> CorruptStore:
        """The error for a damaged file: what happened, and the last good backup to restore."""
        from kiosk.backup import latest

        newest = latest(self.backup_dir)
        if newest is None:
            hint_vi = f"chưa có bản sao lưu nào trong {self.backup_dir}"
            hint_en = f"there is no backup in {self.backup_dir}"
        else:
            hint_vi = f"bản sao lưu gần nhất: {newest} (khôi phục: clinic-kiosk db restore {newest})"
            hint_en = f"last good backup: {newest} (restore: clinic-kiosk db restore {newest})"
        return CorruptStore(f"Tệp cơ sở dữ liệu {self.path} bị hỏng ({exc}); {hint_vi}",
                            f"The database file {self.path} is damaged ({exc}); {hint_en}", self.path, newest)

    def translate(self, exc: sqlite3.Error) -> StoreError:
        """A typed, explained error for what SQLite raised."""
        text = str(exc)
        if "disk is full" in text:  # SQLITE_FULL: "database or disk is full"
            return DiskFull(f"Ổ đĩa chứa cơ sở dữ liệu đã đầy ({self.path.parent}): thao tác chưa được lưu, dữ liệu "
                            "trên màn hình vẫn giữ nguyên; hãy giải phóng dung lượng rồi thử lại",
                            f"The disk holding the database is full ({self.path.parent}): nothing was saved, what "
                            "is on screen is kept; free some space and try again")
        if "locked" in text or "busy" in text:
            return StoreError(
                f"Cơ sở dữ liệu đang bận (máy khác đang ghi quá {self.busy_timeout:g} giây); hãy thử lại",
                f"The database is busy (another station has been writing for over {self.busy_timeout:g} s); "
                "try again")
        if not isinstance(exc, sqlite3.OperationalError) or "malformed" in text or "not a database" in text:
            return self.corrupt(exc)
        return StoreError(f"Lỗi cơ sở dữ liệu {self.path}: {exc}", f"Database error {self.path}: {exc}")

    def check(self) -> None:
        """A quick integrity check (station and server start, ``db check``): a damaged file is
        reported at once, with the backup to restore, instead of failing in the middle of a visit."""
        try:
            rows = self.conn.execute("PRAGMA quick_check").fetchall()
        except sqlite3.DatabaseError as exc:
            raise self.corrupt(exc) from exc
        verdict = "; ".join(str(r[0]) for r in rows[:3])
        if verdict != "ok":
            raise self.corrupt(Exception(verdict))

    def migrate(self) -> int:
        """Create or upgrade the schema; return the schema version."""
        try:
            applied = {m.name for m in migrations.applied(self.db)}
            if any(name not in {m.name for m in migrations._migrations} for name in applied):
                raise StoreError(
                    f"Cơ sở dữ liệu {self.path} do phiên bản mới hơn tạo ra; hãy cập nhật chương trình",
                    f"The database {self.path} was written by a newer version; update the program",
                )
            with self._immediate():
                migrations.apply(self.db)
                self.conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except sqlite3.DatabaseError as exc:
            raise self.translate(exc) from exc
        return self.schema_version()

    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def data_version(self) -> int:
        """Moves on whenever another connection (another thread or process) commits a change."""
        try:
            return int(self.conn.execute("PRAGMA data_version").fetchone()[0])
        except sqlite3.DatabaseError as exc:
            raise self.translate(exc) from exc

    def journal_mode(self) -> str:
        return str(self.conn.execute("PRAGMA journal_mode").fetchone()[0])

    def installation_secret(self, name: str) -> bytes:
        """A random 32-byte secret of this installation, created on first use (e.g. "slip_key")."""
        row = self.conn.execute("SELECT value FROM installation WHERE name = ?", (name,)).fetchone()
        if row is not None:
            return bytes.fromhex(row[0])
        with self.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO installation(name, value) VALUES (?, ?)", (name, secrets.token_hex(32))
            )
            value = db.execute("SELECT value FROM installation WHERE name = ?", (name,)).fetchone()[0]
        return bytes.fromhex(value)

    @contextlib.contextmanager
    def _immediate(self) -> Iterator[None]:
        if self.conn.in_transaction:
            with self.db.atomic():
                yield
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite_utils.Database]:
        """One use case's writes: all or nothing. Nested calls become savepoints."""
        try:
            with self._immediate():
                yield self.db
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, _CALLERS_ERRORS):  # a constraint or a bug: the caller's to handle
                raise
            raise self.translate(exc) from exc


# SQLite errors that are about the statement, not the file: never turned into a StoreError.
_CALLERS_ERRORS = (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.InterfaceError, sqlite3.DataError,
                   sqlite3.NotSupportedError)


def open_store(path: Path | str, *, migrate: bool = True, check: bool = False,
               busy_timeout: float = BUSY_TIMEOUT_S, backup_dir: Path | None = None) -> Store:
    store = Store(path, busy_timeout=busy_timeout, backup_dir=backup_dir)
    try:
        if check:
            store.check()
        if migrate:
            store.migrate()
    except BaseException:
        store.close()
        raise
    return store


def open_configured(settings: Settings, *, check: bool = False, path: Path | None = None) -> Store:
    """The store the settings name, with their busy timeout and backup folder: on a clinic server
    with ``server.store = "postgresql"``, its PostgreSQL database (every command then works on it)."""
    filemodes.fix_modes(settings, db_path=path)  # files an older version left readable by others
    if settings["server.store"] == "postgresql" and path is None:
        from kiosk.pgstore import open_pg_store

        store = open_pg_store(settings["server.postgresql"])
        store.audit_dir = settings.paths.data_dir  # the audit key and head live outside the database (kiosk.audit)
        return store  # type: ignore[return-value]
    return open_store(path or settings.db_path(), check=check, busy_timeout=settings["store.busy_timeout"],
                      backup_dir=settings.backup_dir())
