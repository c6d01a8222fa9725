"""``clinic-kiosk staff …`` and ``clinic-kiosk audit …``."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import sys

from kiosk import patients, staff
from kiosk.errors import BadInput
from kiosk.privacy.masking import mask_id
from kiosk.security import audit
from kiosk.settings import Settings
from kiosk.store.opening import open_configured

ACTOR = "cli"


def require(settings: Settings, use_case: str) -> None:
    """On a kiosk or board PC the command line runs under that machine role too."""
    from kiosk import roles
    from kiosk.model import Role

    roles.require(Role(settings["station.role"]) if settings["station.role"] else Role.ADMIN, use_case)


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Mật khẩu / password: ")
    if getpass.getpass("Nhập lại / again: ") != first:
        raise BadInput("Hai lần nhập không khớp", "The two entries differ")
    return first


def cmd_staff_add(args: argparse.Namespace, settings: Settings) -> int:
    require(settings, "manage_staff")
    with open_configured(settings) as store:
        user = staff.add(store, ACTOR, args.username, args.name, args.cccd, args.role, _password(args), args.pin,
                         args.cert or "", args.erx_code or "")
    print(f"{user.username}: {user.role.value}" + (f", certificate {args.cert.strip()}" if args.cert else "")
          + (f", e-prescription code {args.erx_code.strip()}" if args.erx_code else ""))
    return 0


def cmd_staff_list(args: argparse.Namespace, settings: Settings) -> int:
    require(settings, "manage_staff")
    with open_configured(settings) as store:
        for user in staff.all_staff(store):
            cert, erx = staff.certificate(store, user.username), staff.erx_code(store, user.username)
            print(f"{user.username:<16} {user.role.value:<13} {'active' if user.active else 'disabled':<9} "
                  f"{user.full_name}  CCCD {mask_id(user.cccd)}" + (f"  CCHN {cert}" if cert else "")
                  + (f"  ĐTQG {erx}" if erx else ""))
    return 0


def cmd_staff_set_cert(args: argparse.Namespace, settings: Settings) -> int:
    require(settings, "manage_staff")
    with open_configured(settings) as store:
        staff.set_certificate(store, ACTOR, args.username, args.number)
    print(f"{args.username}: certificate {args.number.strip()}" if args.number.strip()
          else f"{args.username}: certificate cleared")
    return 0


def cmd_staff_disable(args: argparse.Namespace, settings: Settings) -> int:
    require(settings, "manage_staff")
    with open_configured(settings) as store:
        staff.disable(store, ACTOR, args.username)
    print(f"{args.username}: disabled")
    return 0


def cmd_staff_reset(args: argparse.Namespace, settings: Settings) -> int:
    require(settings, "manage_staff")
    with open_configured(settings) as store:
        staff.reset_password(store, ACTOR, args.username, _password(args))
    print(f"{args.username}: password reset")
    return 0


def cmd_audit_verify(args: argparse.Namespace, settings: Settings) -> int:
    require(settings, "read_audit")
    with open_configured(settings) as store:
        verdict = audit.verify(store)
    if verdict.ok:
        print(f"audit chain OK ({verdict.rows} rows)")
        if verdict.head:  # to copy elsewhere (a printout, a backup): a rewrite of both files then shows
            print(f"audit head: {verdict.head}")
        return 0
    print(f"audit chain BROKEN at row {verdict.broken_at}: {verdict.problem}")
    if verdict.problem_vi:
        print(f"chuỗi nhật ký BỊ HỎNG tại dòng {verdict.broken_at}: {verdict.problem_vi}")
    if verdict.head:
        print(f"audit head: {verdict.head}")
    return 1


def cmd_audit_accept_head(args: argparse.Namespace, settings: Settings) -> int:
    require(settings, "read_audit")
    with open_configured(settings) as store:
        event = audit.accept_head(store, ACTOR, args.reason)
    print(f"audit head accepted: {event.detail}")
    return 0


def cmd_audit_show(args: argparse.Namespace, settings: Settings) -> int:
    require(settings, "read_audit")
    since = None
    if args.since:
        try:
            since = dt.datetime.fromisoformat(args.since)
        except ValueError as exc:
            raise BadInput("--since cần dạng YYYY-MM-DD", "--since takes YYYY-MM-DD") from exc
    with open_configured(settings) as store:
        patient = None
        if args.patient:
            patient = patients.find(store, id_number=args.patient) or store_patient_by_code(store, args.patient)
            if patient is None:
                raise BadInput("Không có người bệnh này", "No such patient")
        for event in audit.show(store, patient=patient, since=since):
            print(f"{event.id:>6} {event.at:%Y-%m-%d %H:%M:%S} {event.actor:<14} {event.action:<22} "
                  f"{event.patient_ref[:12] or '-':<12} {event.detail}")
    return 0


def store_patient_by_code(store, code: str):  # noqa: ANN001, ANN201
    row = store.conn.execute("SELECT id FROM patients WHERE patient_code = ?", (code,)).fetchone()
    return patients.get(store, row[0]) if row else None


def cmd_staff_set_erx_code(args: argparse.Namespace, settings: Settings) -> int:
    require(settings, "manage_staff")
    with open_configured(settings) as store:
        staff.set_erx_code(store, ACTOR, args.username, args.code)
    print(f"{args.username}: e-prescription code {args.code.strip()}" if args.code.strip()
          else f"{args.username}: e-prescription code cleared")
    return 0


def add_commands(commands: argparse._SubParsersAction) -> None:
    people = commands.add_parser("staff", help="staff accounts")
    acts = people.add_subparsers(dest="staff_command", metavar="ACTION", required=True)
    add = acts.add_parser("add", help="create an account (password asked, or --password-stdin)")
    add.add_argument("username")
    add.add_argument("--name", required=True, help="full name as registered with BHXH (hoTenCb)")
    add.add_argument("--cccd", required=True, help="12-digit CCCD registered with BHXH (cccdCb)")
    add.add_argument("--role", required=True, choices=[r.value for r in staff.STAFF_ROLES])
    add.add_argument("--pin", help="4-8 digit PIN to unlock a locked station")
    add.add_argument("--cert", metavar="NUMBER", help="practising-certificate number (số CCHN), printed under the "
                                                       "doctor's name on prescriptions and slips")
    add.add_argument("--erx-code", metavar="CODE", help="the doctor's liên thông code at the national prescription "
                                                         "system (its password: clinic-kiosk erx set-password USERNAME)")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.set_defaults(handler=cmd_staff_add)
    acts.add_parser("list", help="every account, CCCD masked").set_defaults(handler=cmd_staff_list)
    off = acts.add_parser("disable", help="disable an account")
    off.add_argument("username")
    off.set_defaults(handler=cmd_staff_disable)
    reset = acts.add_parser("reset-password", help="set a new password")
    reset.add_argument("username")
    reset.add_argument("--password-stdin", action="store_true")
    reset.set_defaults(handler=cmd_staff_reset)
    cert = acts.add_parser("set-cert", help="set a practising-certificate number (an empty NUMBER clears it)")
    cert.add_argument("username")
    cert.add_argument("number", metavar="NUMBER")
    cert.set_defaults(handler=cmd_staff_set_cert)
    erx = acts.add_parser("set-erx-code", help="set a doctor's liên thông code at the national prescription system "
                                               "(an empty CODE clears it)")
    erx.add_argument("username")
    erx.add_argument("code", metavar="CODE")
    erx.set_defaults(handler=cmd_staff_set_erx_code)

    trail = commands.add_parser("audit", help="the audit trail")
    trail_acts = trail.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    trail_acts.add_parser("verify", help="check the keyed hash chain and its head kept outside the database; "
                                          "exit 1 when a row was edited or deleted") \
        .set_defaults(handler=cmd_audit_verify)
    accept = trail_acts.add_parser("accept-head", help="anchor the chain at the database's present head after a "
                                                       "restore (audited; edited rows are still reported)")
    accept.add_argument("--reason", required=True, help="why (kept in the audit row and the head's history)")
    accept.set_defaults(handler=cmd_audit_accept_head)
    show = trail_acts.add_parser("show", help="audit rows, optionally for one patient or since a date")
    show.add_argument("--patient", metavar="CCCD|MA_BN")
    show.add_argument("--since", metavar="YYYY-MM-DD")
    show.set_defaults(handler=cmd_audit_show)


def cmd_patient_export(args: argparse.Namespace, settings: Settings) -> int:
    require(settings, "export_patient")
    import json
    from pathlib import Path

    from kiosk import patient_rights

    with open_configured(settings) as store:
        data = patient_rights.export(store, patient_rights.find(store, args.patient), ACTOR)
    from kiosk.privacy import filemodes

    out = Path(args.out)
    filemodes.private_dir(out.parent, chmod_existing=False)
    filemodes.write_private(out, json.dumps(data, ensure_ascii=False, indent=2))  # 0600: the patient's data
    print(f"{out}: {len(data['visits'])} visits, {len(data['tickets'])} tickets, {len(data['access_log'])} accesses")
    return 0


def cmd_patient_delete(args: argparse.Namespace, settings: Settings) -> int:
    require(settings, "export_patient")
    from kiosk import patient_rights

    with open_configured(settings) as store:
        patient_rights.delete(store, patient_rights.find(store, args.patient), ACTOR)
    print("deleted")
    return 0


def cmd_consent_show(args: argparse.Namespace, settings: Settings) -> int:
    require(settings, "view_health_book")
    from kiosk import consent, patient_rights

    text = consent.consent_text()
    with open_configured(settings) as store:
        answers = consent.current(store, patient_rights.find(store, args.patient))
    for purpose in text.purposes:
        given = answers.get(purpose.key)
        state = "không trả lời / not answered" if given is None else (
            f"{'ĐỒNG Ý / yes' if given['granted'] else 'KHÔNG / no'} ({given['recorded_at']}, {given['channel']}, "
            f"text {given['text_version']})")
        print(f"{purpose.key:<10} {state}  — {purpose.vi}")
    return 0


def cmd_gateway_password(args: argparse.Namespace, settings: Settings) -> int:
    require(settings, "manage_staff")
    import keyring
    from keyring.errors import KeyringError

    from kiosk.security.secrets_store import KEYRING_SERVICE

    username = settings["gateway.username"]
    if not username:
        raise BadInput("Chưa đặt gateway.username", "gateway.username is not set")
    password = _password(args)
    try:
        keyring.set_password(KEYRING_SERVICE, f"gateway:{username}", password)
    except KeyringError as exc:
        raise BadInput(f"Không có kho khoá của hệ điều hành ({type(exc).__name__}); dùng biến "
                       "CLINIC_KIOSK_GATEWAY_PASSWORD", f"No OS keyring here ({type(exc).__name__}); use the "
                       "CLINIC_KIOSK_GATEWAY_PASSWORD variable") from exc
    print(f"gateway password stored in the OS keyring for {username}")
    return 0


def add_patient_commands(commands: argparse._SubParsersAction) -> None:
    patient = commands.add_parser("patient", help="a patient's rights over their data")
    acts = patient.add_subparsers(dest="patient_command", metavar="ACTION", required=True)
    export = acts.add_parser("export", help="everything held about a patient, readable (JSON)")
    export.add_argument("patient", metavar="CCCD|MA_BN")
    export.add_argument("--out", required=True, metavar="FILE")
    export.set_defaults(handler=cmd_patient_export)
    delete = acts.add_parser("delete", help="delete a patient's data (refused inside the retention period)")
    delete.add_argument("patient", metavar="CCCD|MA_BN")
    delete.set_defaults(handler=cmd_patient_delete)
    agreed = commands.add_parser("consent", help="consent records")
    agreed_acts = agreed.add_subparsers(dest="consent_command", metavar="ACTION", required=True)
    show = agreed_acts.add_parser("show", help="the patient's answer per purpose")
    show.add_argument("patient", metavar="CCCD|MA_BN")
    show.set_defaults(handler=cmd_consent_show)
    gateway = commands.add_parser("gateway", help="BHXH gateway account")
    gateway_acts = gateway.add_subparsers(dest="gateway_command", metavar="ACTION", required=True)
    secret = gateway_acts.add_parser("set-password", help="store the gateway password in the OS keyring")
    secret.add_argument("--password-stdin", action="store_true")
    secret.set_defaults(handler=cmd_gateway_password)
