"""``clinic-kiosk xml set-signing-pin``, ``xml check-signing`` and ``xml trust-demo-certificate``: the facility's
signature on what goes to the BHXH portal (kiosk/bhxh/signing.py)."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import os
import shutil
import subprocess
import sys
from pathlib import Path

from kiosk.cli.admin import require
from kiosk.errors import BadInput
from kiosk.settings import Settings

RENEW_WARNING_DAYS = 30
SYSTEM_TRUST_DIR = Path("/usr/local/share/ca-certificates")  # Debian/Ubuntu: update-ca-certificates reads it
TRUSTED_NAME = "clinic-kiosk-demo-signing.crt"
# A check-in with nothing in it: what check-signing signs to show that the key, the PIN and the certificate work
PROBE = (b'<?xml version="1.0" encoding="utf-8"?>\n<CHI_TIEU_TRANG_THAI_KCB><DSACH_TRANG_THAI_KCB><TRANG_THAI_KCB>'
         b"<MA_LK>KIEM-TRA-CHU-KY</MA_LK></TRANG_THAI_KCB></DSACH_TRANG_THAI_KCB><CHUKYDONVI/></CHI_TIEU_TRANG_THAI_KCB>")


def _read_pin() -> str:
    """Twice, unseen, on a terminal; one line from standard input otherwise (scripts, services)."""
    if sys.stdin is not None and sys.stdin.isatty():
        first = getpass.getpass("Mã PIN token / mật khẩu tệp .p12 — PIN / password: ")
        if getpass.getpass("Nhập lại / again: ") != first:
            raise BadInput("Hai lần nhập không khớp", "The two entries differ")
        return first
    return (sys.stdin.readline() if sys.stdin is not None else "").rstrip("\r\n")


def cmd_set_signing_pin(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.security.secrets_store import set_signing_pin

    require(settings, "manage_staff")
    set_signing_pin(_read_pin())
    print("mã PIN ký số đã lưu vào kho khoá / the signing PIN is stored in the OS keyring")
    return 0


def cmd_check_signing(args: argparse.Namespace, settings: Settings) -> int:
    """Sign a probe with what the settings name and show the certificate: the PIN, the token and the dates work."""
    from kiosk.bhxh import signing
    from kiosk.facade import Clinic

    require(settings, "send_to_portal")
    clinic = Clinic.open(settings)
    try:
        signer = clinic.signer()
    finally:
        clinic.close()
    if isinstance(signer, signing.Unsigned):
        print("signing.source = none: hồ sơ gửi đi KHÔNG ký số / documents are sent UNSIGNED")
        return 0
    cert = signing.verify(signer.sign(PROBE))
    info = signing.certificate_summary(cert)
    left = (cert.not_valid_after_utc - dt.datetime.now(dt.UTC)).days
    print(f"ký được / signing works: {signer.name}")
    print(f"  nơi cấp / issuer: {info['issuer']}")
    print(f"  số sê-ri / serial: {info['serial']}")
    print(f"  hiệu lực / valid: {info['valid_from']} → {info['valid_to']} ({left} ngày / days left)")
    print(f"  SHA-256: {info['sha256']}")
    if left < RENEW_WARNING_DAYS:
        print(f"clinic-kiosk: cảnh báo: chứng thư số hết hạn sau {left} ngày, hãy gia hạn / warning: the certificate "
              f"ends in {left} days, renew it", file=sys.stderr)
    return 0


def cmd_trust_demo_certificate(args: argparse.Namespace, settings: Settings) -> int:
    """Put the demo certificate (public part) in this machine's trust store, so that ``xmlsec1 --verify
    --enabled-key-data x509 F`` accepts demo exports: xmlsec1 trusts what OpenSSL's default store trusts."""
    from kiosk.sandbox import demo

    demo.ensure_demo_certificate(settings.paths.data_dir)
    pem = settings.paths.data_dir / demo.DEMO_SIGNING_CERT
    target = Path(args.trust_dir) / TRUSTED_NAME
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        print("Cần quyền root / needs root. Chạy / run:\n"
              f"  sudo install -m 644 {pem} {target}\n  sudo update-ca-certificates\n"
              f"hoặc chỉ cho một lệnh / or for one command only:  SSL_CERT_FILE={pem} xmlsec1 --verify "
              "--enabled-key-data x509 FILE")
        return 1
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(pem, target)
    os.chmod(target, 0o644)  # noqa: S103 - a public certificate, read by every user's OpenSSL
    tool = shutil.which("update-ca-certificates")
    if tool is None:
        print(f"{target} written; no update-ca-certificates here: add it to the system's trust store by hand")
        return 1
    subprocess.run([tool], check=True, capture_output=True)  # noqa: S603 - the system's own tool, no input
    print(f"demo certificate trusted on this machine ({target}); xmlsec1 --verify --enabled-key-data x509 now "
          "accepts demo exports. It is an end-entity certificate (CA:FALSE, signing only): trusting it lets no one "
          "issue certificates.")
    return 0


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Add the signing commands to the ``xml`` group (made by kiosk/cli/visit.py)."""
    xml = commands.choices["xml"]
    acts = next(a for a in xml._actions if isinstance(a, argparse._SubParsersAction))
    pin = acts.add_parser("set-signing-pin", help="store the signing token's PIN (or the .p12 file's password) in the "
                                                  "OS keyring (read twice on a terminal, one line from standard input "
                                                  "otherwise); CLINIC_KIOSK_SIGNING_PIN wins over it")
    pin.set_defaults(handler=cmd_set_signing_pin)
    check = acts.add_parser("check-signing", help="sign a test document with the signing.* settings and show the "
                                                  "certificate (issuer, dates, days left)")
    check.set_defaults(handler=cmd_check_signing)
    trust = acts.add_parser("trust-demo-certificate", help="(root) add the demo signing certificate to this "
                                                           "machine's trust store, so xmlsec1 --verify accepts demo "
                                                           "exports")
    trust.add_argument("--trust-dir", default=str(SYSTEM_TRUST_DIR), metavar="DIR",
                       help=f"where update-ca-certificates finds local certificates (default {SYSTEM_TRUST_DIR})")
    trust.set_defaults(handler=cmd_trust_demo_certificate)
