"""Personal data at rest is readable by its owner only, and spools do not keep it forever.

* ``private_umask()`` is called first thing by every entry point (the command line, the station
  windows, the server): whatever the program creates is then 0600 / 0700.
* Files and folders that hold personal data are also created 0600 / 0700 explicitly
  (``private_dir``, ``private_file``, ``write_private``), so they are private even where the umask
  was not set (tests, a library caller).
* ``fix_modes(settings)`` brings an existing installation up to that (files written by an older
  version were 0644): it walks the known personal-data files and folders only, never follows a
  symbolic link, and is cheap and idempotent — the store calls it whenever it opens.
* ``kiosk.retention.housekeep_files(settings)`` purges what is past its retention (``printing.spool_keep_days``,
  ``offline.keep_days``): the server's and the stations' periodic housekeeping call it.

On Windows the modes mean nothing (the profile folders are private already): all of this is a no-op
there except the purges.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol


class Settings(Protocol):
    """What this module reads of kiosk.settings.Settings (named here, not imported: the settings
    write their own files through this module)."""

    paths: Any

    def __getitem__(self, key: str) -> Any: ...
    def db_path(self) -> Path: ...
    def backup_dir(self) -> Path: ...
    def spool_dir(self) -> Path: ...

log = logging.getLogger("kiosk.filemodes")

FILE_MODE = 0o600
DIR_MODE = 0o700
UMASK = 0o077
POSIX = os.name == "posix"
DB_SIDE_SUFFIXES = ("-wal", "-shm", "-journal")


def private_umask() -> int | None:
    """Make everything this process creates from now on private (umask 077); returns the old umask."""
    if not POSIX:
        return None
    return os.umask(UMASK)


def _chmod(path: Path, mode: int, kind: int) -> bool:
    """chmod ``path`` to ``mode`` when it is (not a link to) a file/folder of ``kind`` that we own;
    True when its mode changed."""
    if not POSIX:
        return False
    try:
        st = os.lstat(path)
    except OSError:
        return False
    if stat.S_IFMT(st.st_mode) != kind or st.st_uid != os.getuid() or stat.S_IMODE(st.st_mode) == mode:
        return False
    try:
        os.chmod(path, mode)  # lstat said it is no symbolic link
    except OSError as exc:
        log.warning("cannot make %s private: %s", path, exc.strerror)
        return False
    return True


def private_file(path: Path) -> bool:
    """Make an existing regular file 0600 (a symbolic link or a missing file is left alone)."""
    return _chmod(Path(path), FILE_MODE, stat.S_IFREG)


def private_dir(path: Path, *, chmod_existing: bool = True) -> Path:
    """Create the folder (and missing parents) 0700; an existing one is made 0700 too unless
    ``chmod_existing`` is False (a folder the admin chose, e.g. a backup disk's mount point)."""
    path = Path(path)
    missing = []
    probe = path
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    for created in missing:  # mkdir's parents ignore ``mode``; the umask trims the leaf's
        _chmod(created, DIR_MODE, stat.S_IFDIR)
    if chmod_existing:
        _chmod(path, DIR_MODE, stat.S_IFDIR)
    return path


def create_private(path: Path) -> None:
    """Create an empty file 0600 if none exists (before SQLite opens it: its -wal and -shm then take
    the same mode), and make an existing one 0600."""
    path = Path(path)
    if POSIX:
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, FILE_MODE))
    private_file(path)


def write_private(path: Path, data: bytes | str) -> Path:
    """Write a whole file created 0600 (an existing file is made 0600 before it is written)."""
    path = Path(path)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags, FILE_MODE)
    try:
        if POSIX:
            os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb", closefd=False) as f:
            f.write(raw)
    finally:
        os.close(fd)
    return path


def replace_private(path: Path, data: bytes | str) -> Path:
    """Replace a whole file atomically with a 0600 one (written beside it, then renamed): a reader
    never sees half of it, a crash leaves the old or the new."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    os.replace(write_private(path.with_name(path.name + ".tmp"), data), path)
    return path


def private_db_files(db_path: Path) -> None:
    """The SQLite file and its -wal/-shm/-journal, 0600."""
    for suffix in ("", *DB_SIDE_SUFFIXES):
        private_file(db_path.with_name(db_path.name + suffix))


# -- fixing an existing installation --------------------------------------------------------------

def _walk_private(root: Path, *, chmod_root: bool = True) -> int:
    """Every file under ``root`` 0600 and every folder 0700; symbolic links are neither followed
    nor changed. Returns how many modes changed."""
    if not root.is_dir() or root.is_symlink():
        return 0
    changed = int(chmod_root and _chmod(root, DIR_MODE, stat.S_IFDIR))
    for folder, dirs, files in os.walk(root, followlinks=False):
        base = Path(folder)
        for name in dirs:
            changed += _chmod(base / name, DIR_MODE, stat.S_IFDIR)
        for name in files:
            changed += _chmod(base / name, FILE_MODE, stat.S_IFREG)
    return changed


def _db_family(folder: Path, names: Iterable[str]) -> int:
    """The database files named ``names`` in ``folder``, with their side files and the copies the
    program leaves next to them (``.broken-*`` after a restore, ``.restoring``, ``.part``)."""
    changed = 0
    if not folder.is_dir():
        return 0
    wanted = tuple(names)
    for entry in os.scandir(folder):
        if entry.name.startswith(wanted):
            changed += _chmod(Path(entry.path), FILE_MODE, stat.S_IFREG)
    return changed


def fix_modes(settings: Settings, *, db_path: Path | None = None) -> int:
    """Bring the personal-data files and folders of an installation to 0600 / 0700: the data and
    config folders, the database and its side files, offline.db, the backups, the print spool and
    the logs. Cheap (only known places) and idempotent; returns how many modes changed."""
    if not POSIX:
        return 0
    try:
        return _fix_modes(settings, db_path)
    except OSError as exc:  # a folder we may not list: the program still starts, the log says so
        log.warning("cannot check the modes of the personal-data files: %s", exc)
        return 0


def _fix_modes(settings: Settings, db_path: Path | None) -> int:
    paths = settings.paths
    changed = 0
    for folder in (paths.data_dir, paths.user_config_file.parent):
        if folder.is_dir():
            changed += _chmod(folder, DIR_MODE, stat.S_IFDIR)
    changed += private_file(paths.user_config_file)
    db = db_path or settings.db_path()
    changed += _db_family(db.parent, [db.name])
    changed += _db_family(paths.data_dir, ["offline.db", "server-settings.json"])
    # The backup folder and the spool: wholly ours when they are the defaults inside the data
    # folder; a folder the admin chose keeps its own mode, what we wrote in it is made private.
    backups = settings.backup_dir()
    own_backups = not settings["backup.folder"]
    if own_backups:
        changed += _walk_private(backups)
    elif backups.is_dir():
        for entry in os.scandir(backups):
            if entry.name.startswith("clinic-") and entry.name.endswith((".db", ".db.part")):  # backup.NAME
                changed += _chmod(Path(entry.path), FILE_MODE, stat.S_IFREG)
    spool = settings.spool_dir()
    changed += _walk_private(spool, chmod_root=not settings["printing.output_dir"])
    changed += _walk_private(paths.log_dir)
    if changed:
        log.info("made %s file(s)/folder(s) of personal data private (0600/0700)", changed)
    return changed
