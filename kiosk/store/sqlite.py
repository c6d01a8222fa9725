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
from collections.abc import Callable, Iterator
from pathlib import Path

import sqlite_utils

from kiosk.errors import CorruptStore, DiskFull, StoreError
from kiosk.privacy import filemodes
from kiosk.store.schema import SCHEMA_VERSION, migrations

BUSY_TIMEOUT_S = 10.0
MAX_IDLE_CONNECTIONS = 8



class Store:
    """An open clinic database."""

    kind = "sqlite"

    def __init__(self, path: Path | str, *, busy_timeout: float = BUSY_TIMEOUT_S,
                 backup_dir: Path | None = None,
                 last_backup: Callable[[Path], Path | None] | None = None) -> None:
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self.backup_dir = backup_dir or self.path.parent / "backups"
        # Finds the newest good backup in a folder for the damaged-file message; given by whoever opens the store
        # (kiosk.store.opening), so the store itself does not depend on the backup policy.
        self.last_backup = last_backup
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
        newest = self.last_backup(self.backup_dir) if self.last_backup else None
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
