"""Opening the clinic's store: the SQLite file of one PC or, on a clinic server with ``server.store = "postgresql"``, its
PostgreSQL database; each with the settings' busy timeout and backup folder, and the backup finder the damaged-file
message names the last good backup with."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.privacy import filemodes
from kiosk.store import backup
from kiosk.store.sqlite import BUSY_TIMEOUT_S, Store

if TYPE_CHECKING:
    from kiosk.settings import Settings


def open_store(path: Path | str, *, migrate: bool = True, check: bool = False,
               busy_timeout: float = BUSY_TIMEOUT_S, backup_dir: Path | None = None) -> Store:
    store = Store(path, busy_timeout=busy_timeout, backup_dir=backup_dir, last_backup=backup.latest)
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
        from kiosk.store.postgres import open_pg_store

        store = open_pg_store(settings["server.postgresql"])
        store.audit_dir = settings.paths.data_dir  # the audit key and head live outside the database (kiosk.security.audit)
        return store  # type: ignore[return-value]
    return open_store(path or settings.db_path(), check=check, busy_timeout=settings["store.busy_timeout"],
                      backup_dir=settings.backup_dir())
