"""``clinic-kiosk erx …``: the national prescription system's passwords, and a check of every account."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable

from kiosk.cli.admin import require
from kiosk.errors import BadInput
from kiosk.erx.client import ErxAuthError, ErxClient, ErxUnavailable
from kiosk.security.secrets_store import erx_password, set_erx_password
from kiosk.settings import Settings
from kiosk.store.opening import open_configured

EXIT_OK, EXIT_UNREACHABLE, EXIT_REFUSED = 0, 3, 4


def _read_password() -> str:
    """Twice, unseen, on a terminal; one line from standard input otherwise (scripts, services)."""
    if sys.stdin is not None and sys.stdin.isatty():
        first = getpass.getpass("Mật khẩu / password: ")
        if getpass.getpass("Nhập lại / again: ") != first:
            raise BadInput("Hai lần nhập không khớp", "The two entries differ")
        return first
    return (sys.stdin.readline() if sys.stdin is not None else "").rstrip("\r\n")


def _erx_codes(settings: Settings) -> list[tuple[str, str]]:
    """(username, liên thông code) of every active staff account that has a code."""
    with open_configured(settings) as store:
        rows = store.conn.execute("SELECT username, erx_code FROM staff WHERE erx_code != '' AND active = 1 "
                                  "ORDER BY username").fetchall()
    return [(str(r[0]), str(r[1]).strip()) for r in rows if str(r[1]).strip()]


def cmd_set_password(args: argparse.Namespace, settings: Settings) -> int:
    require(settings, "manage_staff")
    username = args.username
    code = ""
    if username is not None:
        with open_configured(settings) as store:
            row = store.conn.execute("SELECT erx_code FROM staff WHERE username = ?", (username,)).fetchone()
        if row is None:
            raise BadInput(f"Không có tài khoản {username}", f"No account {username}")
        code = str(row[0] or "")
    set_erx_password(username, _read_password())
    if username is None:
        print("mật khẩu đơn thuốc của cơ sở đã lưu vào kho khoá / the clinic's prescription-system password is stored "
              "in the OS keyring")
    else:
        note = f" (mã liên thông / code {code})" if code else " (chưa có mã liên thông / no liên thông code yet)"
        print(f"{username}: mật khẩu đơn thuốc đã lưu vào kho khoá / prescription-system password stored{note}")
    return 0


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    require(settings, "manage_staff")
    doctors = _erx_codes(settings)
    by_code = {code: username for username, code in doctors}
    url = args.url or settings["erx.url"]
    sandbox = None
    known: dict[str, str] = {}
    if not url:  # the built-in stand-in and its demo accounts: no keyring needed
        from kiosk.sandbox.runner import start_sandbox

        sandbox = start_sandbox(patients=1)
        url, facility, clinic_password = sandbox.url, sandbox.erx_facility, sandbox.erx_password
        known = dict(sandbox.erx_doctor_passwords)
        print("# DỮ LIỆU DEMO: hệ thống đơn thuốc quốc gia giả lập tích hợp / DEMO: built-in prescription-system "
              "sandbox", file=sys.stderr)
    else:
        facility, clinic_password = settings["erx.facility_code"], erx_password(None)

    def doctor_password(code: str) -> str | None:
        username = by_code.get(code)
        return known.get(code) or (erx_password(username) if username else None)

    verify: bool | str = settings["erx.ca_bundle"] or True
    client = ErxClient(url, facility, clinic_password, doctor_password=doctor_password,
                       connect_timeout=settings["erx.connect_timeout"], read_timeout=settings["erx.read_timeout"],
                       verify=verify)
    unreachable = refused = False
    try:
        checks: list[tuple[str, Callable[[], object]]] = [(f"cơ sở / clinic {facility or '?'}", client.login_clinic)]
        checks += [(f"{username} {code}", lambda code=code: client.login_doctor(code)) for username, code in doctors]
        for label, check in checks:
            if unreachable:
                print(f"--    {label}: chưa kiểm tra / not checked")
                continue
            try:
                check()
            except ErxUnavailable as exc:
                unreachable = True
                print(f"LỖI  {label}: {exc.vi} / {exc.en}")
            except (ErxAuthError, BadInput) as exc:
                refused = True
                print(f"LỖI  {label}: {exc.vi} / {exc.en}")
            else:
                print(f"OK    {label}")
        if not doctors:
            print("--    không tài khoản nhân viên nào có mã liên thông đơn thuốc / no staff account has a "
                  "prescription-system code")
    finally:
        client.close()
        if sandbox is not None:
            sandbox.stop()
    return EXIT_UNREACHABLE if unreachable else EXIT_REFUSED if refused else EXIT_OK


def add_commands(commands: argparse._SubParsersAction) -> None:
    erx = commands.add_parser("erx", help="the national prescription system (đơn thuốc quốc gia): passwords, check")
    acts = erx.add_subparsers(dest="erx_command", metavar="ACTION", required=True)
    secret = acts.add_parser("set-password", help="store a prescription-system password in the OS keyring: the "
                                                  "clinic's, or a staff account's (read twice on a terminal, one "
                                                  "line from standard input otherwise)")
    secret.add_argument("username", nargs="?", metavar="USERNAME", help="staff account (default: the clinic)")
    secret.set_defaults(handler=cmd_set_password)
    check = acts.add_parser("check", help="log the clinic and every doctor with a prescription-system code in; "
                                          "exit 0 all ok, 3 unreachable, 4 refused")
    check.add_argument("--url", metavar="URL", help="system base URL (default: erx.url, else the built-in sandbox)")
    check.set_defaults(handler=cmd_check)
