"""``clinic-kiosk db backup|restore|check|backups``: the store's safety net from the command line."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from kiosk.errors import BadInput, StoreError
from kiosk.settings import Settings
from kiosk.store import backup
from kiosk.store.opening import open_configured


def _db(args: argparse.Namespace, settings: Settings) -> Path:
    return Path(args.db) if args.db else settings.db_path()


def _given(args: argparse.Namespace) -> Path | None:
    return Path(args.db) if args.db else None


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    folder = Path(args.to) if args.to else settings.backup_dir()
    with open_configured(settings, path=_given(args)) as store:
        path = backup.make(store, folder, keep=settings["backup.keep"])
    print(f"đã sao lưu / backed up: {path}")
    return 0


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    if settings["server.store"] == "postgresql" and not args.db:
        raise StoreError("Cơ sở dữ liệu PostgreSQL được khôi phục bằng pg_restore, không bằng lệnh này",
                         "A PostgreSQL store is restored with pg_restore, not with this command")
    source = Path(args.backup) if args.backup else backup.latest(settings.backup_dir())
    if source is None:
        raise BadInput(f"Không có bản sao lưu nào trong {settings.backup_dir()}",
                       f"There is no backup in {settings.backup_dir()}")
    aside = backup.restore(source, _db(args, settings))
    print(f"đã khôi phục từ / restored from: {source}")
    from kiosk.security import audit

    with open_configured(settings, path=_given(args)) as store:  # the trail is rightly shorter now: re-anchored
        audit.accept_head(store, "db restore", f"restored from the backup {source.name}")
    if aside is not None:
        print(f"tệp cũ được giữ tại / the previous file is kept at: {aside}")
    return 0


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    with open_configured(settings, path=_given(args), check=True) as store:
        version = store.schema_version()
        path = store.path
    newest = backup.latest(settings.backup_dir())
    print(json.dumps({"database": str(path), "ok": True, "schema_version": version,
                      "last_backup": str(newest) if newest else None}, ensure_ascii=False))
    return 0


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    for path in backup.backups(settings.backup_dir()):
        print(f"{backup.taken_at(path):%Y-%m-%d %H:%M:%S}  {path.stat().st_size // 1024:>8} KiB  {path}")
    return 0


def add_commands(db_commands: argparse._SubParsersAction) -> None:
    def db_option(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--db", metavar="PATH", help="database file (default: from settings)")

    make = db_commands.add_parser("backup", help="copy the database now (safe while stations run); keeps "
                                                 "the newest backup.keep")
    db_option(make)
    make.add_argument("--to", metavar="DIR", help="backup folder (default: backup.folder)")
    make.set_defaults(handler=cmd_backup)
    restore = db_commands.add_parser("restore", help="replace the database with a backup (close every station "
                                                     "first); the old file is kept beside it")
    db_option(restore)
    restore.add_argument("backup", nargs="?", metavar="BACKUP", help="backup file (default: the newest)")
    restore.set_defaults(handler=cmd_restore)
    check = db_commands.add_parser("check", help="check the database file; print JSON with the last backup")
    db_option(check)
    check.set_defaults(handler=cmd_check)
    listing = db_commands.add_parser("backups", help="list the backups, newest first")
    listing.set_defaults(handler=cmd_list)
