"""The server's own TLS certificate, made on first start, and the pairing proofs that let a station
pin it without a certificate authority.

Pairing (a station is enrolled once): the server shows a short code; the station connects, reads the
certificate's SHA-256 fingerprint, and sends HMAC(code, "enroll|fingerprint|nonce|name") — never the
code itself. The server checks the proof against its own fingerprint: a machine in the middle with
another certificate yields another fingerprint, so its proof fails; it cannot forge one without the
code. The server answers with its own proof, HMAC(code, "server|fingerprint|nonce"), so the station
knows it talked to the holder of the code, and pins that fingerprint for every later request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import os
import secrets
import socket
import ssl
from pathlib import Path

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed by hand


def ensure_certificate(folder: Path, *, hostnames: list[str] | None = None) -> tuple[Path, Path]:
    """The server's (certificate, key) files, created once (ECDSA P-256, ten years, the PC's names)."""
    cert_path, key_path = folder / "server-cert.pem", folder / "server-key.pem"
    if cert_path.exists() and key_path.exists():
        return cert_path, key_path
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())  # fast handshakes; as strong as RSA 3072
    names = sorted({"localhost", socket.gethostname(), *(hostnames or [])})
    alt: list[x509.GeneralName] = [x509.DNSName(n) for n in names]
    alt += [x509.IPAddress(ipaddress.ip_address(a)) for a in ("127.0.0.1", "::1")]
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"clinic-kiosk server {socket.gethostname()}")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.SubjectAlternativeName(alt), critical=False)
            .sign(key, hashes.SHA256()))
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path


def fingerprint_of_pem(cert_path: Path) -> str:
    der = ssl.PEM_cert_to_DER_cert(cert_path.read_text(encoding="ascii"))
    return hashlib.sha256(der).hexdigest()


def fingerprint_of_server(host: str, port: int, timeout: float = 5.0) -> str:
    """The SHA-256 fingerprint of the certificate a server presents (no verification: that is the
    point of pairing)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection((host, port), timeout=timeout) as raw, \
            context.wrap_socket(raw, server_hostname=host) as tls:
        der = tls.getpeercert(binary_form=True)
    assert der is not None
    return hashlib.sha256(der).hexdigest()


def new_code() -> str:
    """A pairing code like ``K7QM-2XWD`` (40 bits; valid for minutes, once)."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


def normalise_code(code: str) -> str:
    raw = "".join(ch for ch in code.upper() if ch.isalnum())
    return f"{raw[:4]}-{raw[4:]}"


def proof(code: str, *parts: str) -> str:
    message = "|".join(parts).encode("utf-8")
    return hmac.new(normalise_code(code).encode("ascii"), message, hashlib.sha256).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
