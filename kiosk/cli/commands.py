"""The ``clinic-kiosk`` command.

Every command has ``--help``. Errors print one readable line (Vietnamese / English) and exit
non-zero; an unexpected failure writes a crash report and says where, never a bare traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from kiosk import __version__
from kiosk.errors import KioskError
from kiosk.privacy.filemodes import private_umask
from kiosk.privacy.logs import setup_logging, write_crash_report
from kiosk.settings import Settings
from kiosk.store.opening import open_configured

log = logging.getLogger("kiosk.cli")

STATIONS = {
    "reception": ("Quầy tiếp đón", "reception desk: scan, identify, check in, print the ticket"),
    "doctor": ("Phòng khám", "exam room: queue, health book, visit record"),
    "kiosk": ("Ki-ốt tự phục vụ", "self-service kiosk in the waiting hall (full screen)"),
    "board": ("Màn hình gọi số", "waiting-hall board for a TV (full screen)"),
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: lỗi / error: {message} (xem / see: {self.prog} --help)\n")


def cmd_config_show(args: argparse.Namespace, settings: Settings) -> int:
    if args.json:
        print(json.dumps({o.key: v for o, v, _ in settings.items()}, ensure_ascii=False, indent=2))
        return 0
    for option, value, origin in settings.items():
        print(f"{option.key} = {json.dumps(value, ensure_ascii=False)}    # {origin}: {option.help}")
    for warning in settings.warnings():
        print(f"# cảnh báo / warning: {warning}", file=sys.stderr)
    return 0


def cmd_config_path(args: argparse.Namespace, settings: Settings) -> int:
    paths = settings.paths
    print(f"site: {paths.site_config_file}")
    print(f"user: {paths.user_config_file}")
    print(f"database: {settings.db_path()}")
    print(f"log: {paths.log_dir}")
    return 0


def cmd_config_set(args: argparse.Namespace, settings: Settings) -> int:
    value = settings.set_user(args.key, args.value)
    print(f"{args.key} = {json.dumps(value, ensure_ascii=False)}  ({settings.paths.user_config_file})")
    return 0


def cmd_config_kiosk_pin(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.security import kiosk_pin

    path = kiosk_pin.set_local(settings, args.pin)  # on this (kiosk) PC, never on the server
    print(f"kiosk PIN set ({path})")
    return 0


def cmd_db_migrate(args: argparse.Namespace, settings: Settings) -> int:
    with open_configured(settings, path=Path(args.db).expanduser() if args.db else None) as store:
        print(f"schema version {store.schema_version()} ({store.journal_mode()}): {store.path}")
    return 0


def cmd_demo_prepare(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.sandbox import demo

    video = None if args.no_video else demo.demo_camera_video(settings.paths.data_dir / demo.DEMO_VIDEO_NAME)
    with open_configured(settings, path=Path(args.db).expanduser() if args.db else None) as store:
        added = demo.prepare(store)
        signing = demo.ensure_demo_certificate(settings.paths.data_dir)  # demo claims are signed with no set-up
        print(f"demo: database ready, schema version {store.schema_version()}"
              f"{', demo staff added' if added else ''}: {store.path}" + (f"; demo camera: {video}" if video else "")
              + f"; demo signing certificate: {signing}")
    return 0


def cmd_station(args: argparse.Namespace, settings: Settings) -> int:
    from ui.app import run_station  # Qt only for the windows

    if args.server:
        settings.set_for_run("server.url", args.server)
    return run_station(args.command, settings, Path(args.db) if args.db else None, demo=args.demo)


Handler = Callable[[argparse.Namespace, Settings], int]


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="clinic-kiosk",
        description="Tiếp đón, phòng khám và ki-ốt cho phòng khám Việt Nam / "
        "Check-in desk, exam room and kiosk for Vietnamese clinics",
    )
    parser.add_argument("--version", action="version", version=f"clinic-kiosk {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    config = commands.add_parser("config", help="show or change settings")
    config_commands = config.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    show = config_commands.add_parser("show", help="print every setting, its value and where it comes from")
    show.add_argument("--json", action="store_true", help="print the values as one JSON object")
    show.set_defaults(handler=cmd_config_show)
    config_commands.add_parser("path", help="print where settings, database and logs are").set_defaults(
        handler=cmd_config_path
    )
    setter = config_commands.add_parser("set", help="set KEY to VALUE in the user settings file")
    setter.add_argument("key", metavar="KEY")
    setter.add_argument("value", metavar="VALUE", help="lists and departments as JSON")
    setter.set_defaults(handler=cmd_config_set)

    pin = config_commands.add_parser("kiosk-pin", help="set the PIN that leaves kiosk mode (stored hashed)")
    pin.add_argument("pin", metavar="PIN", help="4 to 12 digits")
    pin.set_defaults(handler=cmd_config_kiosk_pin)

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    migrate = db_commands.add_parser("migrate", help="create or upgrade the database; print the schema version")
    migrate.add_argument("--db", metavar="PATH", help="database file (default: from settings)")
    migrate.set_defaults(handler=cmd_db_migrate)
    from kiosk.cli.db import add_commands as add_db_commands

    add_db_commands(db_commands)

    demo = commands.add_parser("demo", help="demo data")
    demo_commands = demo.add_subparsers(dest="demo_command", metavar="ACTION", required=True)
    prepare = demo_commands.add_parser("prepare", help="prepare the demo database (idempotent)")
    prepare.add_argument("--db", metavar="PATH", help="database file (default: from settings)")
    prepare.add_argument("--no-video", action="store_true", help="skip the demo camera video")
    prepare.set_defaults(handler=cmd_demo_prepare)
    from kiosk.cli.visit import cmd_demo_visit

    one = demo_commands.add_parser("visit", help="one demo visit through the reception and the doctor's room: two "
                                                 "catalogue drugs, finalised, its prescription queued")
    one.add_argument("--json", action="store_true", help='print {"visit_id": N, "prescription_code": "…"}')
    one.set_defaults(handler=cmd_demo_visit)

    from kiosk.cli.scan import add_commands as add_scan_commands

    add_scan_commands(commands)
    from kiosk.cli.gateway import add_commands as add_gateway_commands

    add_gateway_commands(commands)
    from kiosk.cli.erx import add_commands as add_erx_commands

    add_erx_commands(commands)
    from kiosk.cli.visit import add_commands as add_visit_commands

    add_visit_commands(commands)
    from kiosk.cli.signing import add_commands as add_signing_commands

    add_signing_commands(commands)  # xml set-signing-pin, check-signing, trust-demo-certificate
    from kiosk.cli.paper import add_commands as add_print_commands

    add_print_commands(commands)
    from kiosk.cli.admin import add_commands as add_admin_commands
    from kiosk.cli.admin import add_patient_commands

    add_admin_commands(commands)
    add_patient_commands(commands)
    from kiosk.cli.server import add_commands as add_server_commands

    add_server_commands(commands)
    from kiosk.cli.voice import add_commands as add_voice_commands

    add_voice_commands(commands)
    from kiosk.cli.screens import add_commands as add_screens_commands

    add_screens_commands(commands)

    for name, (vi, en) in STATIONS.items():
        station = commands.add_parser(name, help=f"{vi} / {en}")
        station.add_argument("--db", metavar="PATH", help="database file (default: from settings)")
        station.add_argument("--demo", action="store_true", help="use demo data and a demo camera")
        station.add_argument("--server", metavar="URL", help="use this clinic server (default: server.url; the "
                                                             "station must be enrolled with it)")
        station.set_defaults(handler=cmd_station)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    private_umask()  # first: everything this run writes (database, logs, PDFs, exports) is the user's only
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    settings: Settings | None = None
    try:
        settings = Settings()
        setup_logging(settings.paths.log_dir, level=logging.DEBUG if args.verbose else logging.INFO)
        for warning in settings.warnings():
            log.warning("%s", warning)
            if args.handler is not cmd_config_show:  # config show prints them itself
                print(f"clinic-kiosk: cảnh báo / warning: {warning}", file=sys.stderr)
        handler: Handler = args.handler
        return handler(args, settings)
    except KioskError as exc:
        log.error("%s failed: %s", args.command, exc)
        print(f"clinic-kiosk: lỗi: {exc.vi} / error: {exc.en}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `clinic-kiosk … | head`: the reader left; not an error
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        return 0
    except Exception as exc:  # the last net: a report, one line, no traceback on the console
        log.exception("%s crashed", args.command)
        crash_dir = settings.paths.crash_dir if settings else Path.cwd()
        report = write_crash_report(crash_dir, type(exc), exc, exc.__traceback__)
        print(
            f"clinic-kiosk: lỗi không mong muốn / unexpected error: {type(exc).__name__}; "
            f"báo cáo / report: {report}",
            file=sys.stderr,
        )
        return 70


if __name__ == "__main__":
    sys.exit(main())
