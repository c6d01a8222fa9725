"""Demo data: what ``clinic-kiosk demo prepare`` puts in a new store so the program can be tried.

The demo staff member is the one the built-in sandbox has on its registered-user list (CV 1923), so
card lookups work out of the box. Patients come from the sandbox's synthetic people when scanned.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from kiosk.sandbox.server import DEFAULT_STAFF
from kiosk.store.sqlite import Store

DEMO_STAFF_USERNAME = "lan"
# Demo accounts (README): the sandbox has the two named people on its registered-user list.
DEMO_ACCOUNTS = (("lan", "receptionist", "demo-lan-2026", "1111"), ("minh", "doctor", "demo-minh-2026", "2222"),
                 ("admin", "admin", "demo-admin-2026", "0000"))
# The demo doctor's practising-certificate number (the demo visit's MA_BAC_SI), printed under his signature.
DEMO_CERTIFICATES = {"minh": "001234/HN-CCHN"}
# The demo doctor's liên thông code at the national prescription system (the sandbox stand-in knows it).
DEMO_ERX_CODES = {"minh": "001234/HN-CCHN"}


def prepare(store: Store) -> bool:
    """Idempotent; returns True when something was added."""
    from kiosk import staff
    from kiosk.security import kiosk_pin

    people = list(DEFAULT_STAFF.items())
    added = False
    for (username, role, password, pin), (cccd, name) in zip(DEMO_ACCOUNTS, [*people, people[0]], strict=True):
        if not store.conn.execute("SELECT 1 FROM staff WHERE username = ?", (username,)).fetchone():
            staff.add(store, "demo", username, name, cccd, role, password, pin, DEMO_CERTIFICATES.get(username, ""),
                      DEMO_ERX_CODES.get(username, ""))
            added = True
        elif DEMO_CERTIFICATES.get(username) and not staff.certificate(store, username):  # a store from before m009
            staff.set_certificate(store, "demo", username, DEMO_CERTIFICATES[username])
            added = True
    for username, code in DEMO_ERX_CODES.items():  # a store from before m010
        if staff.erx_code(store, username) == "" and store.conn.execute(
                "SELECT 1 FROM staff WHERE username = ?", (username,)).fetchone():
            staff.set_erx_code(store, "demo", username, code)
            added = True
    from kiosk.erx import catalogue

    if catalogue.ensure_demo(store):
        added = True
    from kiosk.bhxh import prices

    if prices.ensure_demo(store):  # the demo price list of services, when the store has none
        added = True
    if not kiosk_pin.has_pin(store):
        kiosk_pin.set_pin(store, kiosk_pin.DEMO_PIN)
    return added


# The demo facility's signing certificate (DOMAIN.md §12): self-signed RSA 2048 for the demo facility, in a PKCS#12
# file in the data folder whose password the demo knows, so a demo claim is signed with no set-up. Never a real
# facility's: the portal does not know it. Its certificate alone (public) sits beside it in PEM, for whoever checks
# demo signatures (``SSL_CERT_FILE=… xmlsec1 --verify --enabled-key-data x509 F``, or the system's trust store).
DEMO_SIGNING_FILE = "demo-signing.p12"
DEMO_SIGNING_CERT = "demo-signing-certificate.pem"
DEMO_SIGNING_PASSWORD = "demo-signing-01013"
DEMO_SIGNING_FACILITY = "01013"
DEMO_SIGNING_DAYS = 730
DEMO_SIGNING_RENEW_DAYS = 30


def _demo_certificate(now: dt.datetime) -> tuple[Any, Any]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, "Hà Nội"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Phòng khám Đa khoa An Bình (DEMO)"),
        x509.NameAttribute(NameOID.USER_ID, f"MA_CSKCB:{DEMO_SIGNING_FACILITY}"),
        x509.NameAttribute(NameOID.COMMON_NAME, f"DEMO {DEMO_SIGNING_FACILITY} - chữ ký số thử nghiệm, không dùng thật"),
    ])
    public = key.public_key()
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=DEMO_SIGNING_DAYS))
            # an end entity that may sign documents and nothing else: trusting it lets no one issue certificates
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .sign(key, hashes.SHA256()))
    return key, cert


def ensure_demo_certificate(data_dir: Path, now: dt.datetime | None = None) -> Path:
    """The demo signing certificate's PKCS#12 file in ``data_dir`` (0600): an existing one is kept, one that ends
    within 30 days (or cannot be read) is made anew. Returns its path."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    from kiosk.privacy import filemodes

    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    path = data_dir / DEMO_SIGNING_FILE
    if path.exists():
        try:
            _, cert, _ = pkcs12.load_key_and_certificates(path.read_bytes(), DEMO_SIGNING_PASSWORD.encode())
        except (ValueError, OSError):
            cert = None
        if cert is not None and cert.not_valid_after_utc - now > dt.timedelta(days=DEMO_SIGNING_RENEW_DAYS) \
                and cert.not_valid_before_utc <= now:
            if not (data_dir / DEMO_SIGNING_CERT).exists():
                filemodes.write_private(data_dir / DEMO_SIGNING_CERT, cert.public_bytes(serialization.Encoding.PEM))
            return path
    key, cert = _demo_certificate(now)
    blob = pkcs12.serialize_key_and_certificates(
        b"clinic-kiosk demo signing", key, cert, None,
        serialization.BestAvailableEncryption(DEMO_SIGNING_PASSWORD.encode()))
    filemodes.private_dir(data_dir, chmod_existing=False)
    for target, data in ((data_dir / DEMO_SIGNING_CERT, cert.public_bytes(serialization.Encoding.PEM)), (path, blob)):
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        filemodes.write_private(tmp, data)
        os.replace(tmp, target)  # whole or not at all: a reader never meets half a file
    return path


def demo_signer(data_dir: Path) -> Any:
    """A signer (kiosk.bhxh.signing.Signer) with the demo certificate of ``data_dir`` (made when missing)."""
    from kiosk.bhxh import signing

    return signing.Signer(signing.Pkcs12Source(ensure_demo_certificate(data_dir), DEMO_SIGNING_PASSWORD),
                          name="demo certificate")


DEMO_VIDEO_NAME = "demo-camera.avi"
DEMO_VIDEO_FPS = 15.0


def demo_video_plan(seed: int = 1, count: int = 8) -> list[tuple[int, int, str]]:
    """(first frame, last frame, QR text) of each patient shown by the demo camera, in order."""
    from kiosk.sandbox.people import make_people

    people = make_people(seed, 60)[:count]
    plan, frame = [], 0
    gap, show = int(DEMO_VIDEO_FPS * 1.5), int(DEMO_VIDEO_FPS * 3)
    for i, p in enumerate(people):
        frame += gap
        text = p.bhyt_qr if (i % 2 and p.bhyt_qr) else p.cccd_qr
        plan.append((frame, frame + show - 1, text))
        frame += show
    return plan


def demo_camera_video(path: Path, seed: int = 1, count: int = 8) -> Path:
    """A video of the sandbox patients' QR codes on card- and phone-like backgrounds (1280×720).

    The demo camera of ``clinic-kiosk reception --demo``: scan → patient → ticket with no hardware.
    Written once; an existing file is kept.
    """
    import cv2

    from scanner.synth import Scene, empty_scene, render_scene

    if path.exists() and path.stat().st_size > 0:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.avi")
    writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"MJPG"), DEMO_VIDEO_FPS, (1280, 720))
    desk = empty_scene(1280, 720, seed=seed)
    frame = 0
    for i, (first, last, text) in enumerate(demo_video_plan(seed, count)):
        while frame < first:
            writer.write(desk)
            frame += 1
        scenes = [render_scene(text, Scene(style=("card", "phone")[i % 2], angle=(-8 + 4 * k) * (1 if i % 2 else -1),
                                           tilt=0.06, seed=seed * 100 + i * 10 + k, moire=0.3 * (i % 2),
                                           code_fraction=0.42)) for k in range(3)]
        while frame <= last:
            writer.write(scenes[(frame - first) * len(scenes) // (last - first + 1)])
            frame += 1
    for _ in range(int(DEMO_VIDEO_FPS)):
        writer.write(desk)
    writer.release()
    tmp.replace(path)
    return path
