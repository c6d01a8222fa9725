"""Backups of the clinic's store: a consistent copy taken while stations run (SQLite's online
backup), checked before it counts, one a day automatically, the last ``backup.keep`` kept.

A backup is written as ``*.part``, checked with ``PRAGMA integrity_check`` and only then renamed
to ``clinic-YYYYMMDD-HHMMSS.db``: a name of that form is always a whole, good copy. Restoring moves
the broken file aside (never deletes it) and puts a checked copy of the backup in its place.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import re
import sqlite3
from pathlib import Path

from kiosk.errors import StoreError
from kiosk.privacy import filemodes
from kiosk.store.sqlite import Store

log = logging.getLogger("kiosk.backup")

NAME = re.compile(r"^clinic-(\d{8}-\d{6})\.db$")


def backup_dir(data_dir: Path) -> Path:
    return data_dir / "backups"


def backups(folder: Path) -> list[Path]:
    """Good backups in ``folder``, newest first."""
    if not folder.is_dir():
        return []
    return sorted((p for p in folder.iterdir() if NAME.match(p.name)), key=lambda p: p.name, reverse=True)


def latest(folder: Path) -> Path | None:
    found = backups(folder)
    return found[0] if found else None


def taken_at(path: Path) -> dt.datetime:
    match = NAME.match(path.name)
    assert match is not None
    return dt.datetime.strptime(match.group(1), "%Y%m%d-%H%M%S")


def check_file(path: Path) -> str:
    """'ok', or what SQLite found wrong with the database file at ``path`` (read-only)."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = conn.execute("PRAGMA integrity_check").fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    result = "; ".join(str(r[0]) for r in rows[:5])
    return "ok" if result == "ok" else result


def make(store: Store, folder: Path, *, keep: int = 14, now: dt.datetime | None = None) -> Path:
    """Copy the open store to ``folder`` (consistent even while others write), check it, keep the
    newest ``keep``; returns the backup's path."""
    if getattr(store, "kind", "sqlite") != "sqlite":
        raise StoreError("Cơ sở dữ liệu PostgreSQL được sao lưu bằng pg_dump, không bằng lệnh này",
                         "A PostgreSQL store is backed up with pg_dump, not with this command")
    now = now or dt.datetime.now()
    target = folder / f"clinic-{now:%Y%m%d-%H%M%S}.db"
    part = target.with_name(target.name + ".part")
    try:
        # Personal data: the folder 0700 when we make it, the copy 0600 before SQLite writes it.
        filemodes.private_dir(folder, chmod_existing=False)
        part.unlink(missing_ok=True)
        filemodes.create_private(part)
        dest = sqlite3.connect(str(part))
        try:
            store.conn.backup(dest)
        finally:
            dest.close()
        verdict = check_file(part)
        if verdict != "ok":
            raise StoreError(f"Bản sao lưu bị lỗi ({verdict}); cơ sở dữ liệu có thể đã hỏng",
                             f"The backup copy is damaged ({verdict}); the database may be damaged")
        with open(part, "rb") as f:
            os.fsync(f.fileno())
        os.replace(part, target)
    except (OSError, sqlite3.Error) as exc:
        with contextlib.suppress(OSError):
            part.unlink(missing_ok=True)
        raise StoreError(f"Không sao lưu được vào {folder}: {exc}", f"Cannot back up to {folder}: {exc}") from exc
    for old in backups(folder)[keep:]:
        old.unlink(missing_ok=True)
    log.info("backup written: %s", target)
    return target


def due(folder: Path, now: dt.datetime | None = None) -> bool:
    """No backup has been taken today."""
    newest = latest(folder)
    return newest is None or taken_at(newest).date() < (now or dt.datetime.now()).date()


def daily(store: Store, folder: Path, *, keep: int = 14) -> Path | None:
    """The automatic daily backup: taken when none exists from today. Never raises: a station keeps
    working when the backup disk is full, and says so in the log."""
    if not due(folder):
        return None
    try:
        return make(store, folder, keep=keep)
    except StoreError as exc:
        log.error("daily backup failed: %s", exc.en)
        return None


def restore(backup: Path, db_path: Path) -> Path | None:
    """Put ``backup`` in place of the database at ``db_path`` (no station may have it open). The
    file it replaces is moved aside, never deleted; returns where it went (None if there was none)."""
    verdict = check_file(backup) if backup.is_file() else "no such file"
    if verdict != "ok":
        raise StoreError(f"Không khôi phục được từ {backup}: {verdict}", f"Cannot restore from {backup}: {verdict}")
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    aside = db_path.with_name(f"{db_path.name}.broken-{stamp}") if db_path.exists() else None
    part = db_path.with_name(db_path.name + ".restoring")
    try:
        filemodes.private_dir(db_path.parent, chmod_existing=False)
        part.unlink(missing_ok=True)
        filemodes.create_private(part)
        source = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
        dest = sqlite3.connect(str(part))
        try:
            source.backup(dest)
        finally:
            source.close()
            dest.close()
        if aside is not None:
            os.replace(db_path, aside)
        for suffix in ("-wal", "-shm"):  # the old file's journal belongs to it, not to the backup
            side = db_path.with_name(db_path.name + suffix)
            if side.exists():
                os.replace(side, aside.with_name(aside.name + suffix) if aside else side.with_suffix(".old"))
        os.replace(part, db_path)
    except (OSError, sqlite3.Error) as exc:
        with contextlib.suppress(OSError):
            part.unlink(missing_ok=True)
        raise StoreError(f"Không khôi phục được: {exc}", f"Cannot restore: {exc}") from exc
    log.warning("database restored from %s; the previous file was moved to %s", backup, aside)
    return aside
