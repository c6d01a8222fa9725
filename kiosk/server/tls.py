"""The server's own TLS certificate, made on first start, and the pairing proofs that let a station
pin it without a certificate authority.

Pairing (a station is enrolled once): the server shows a one-time code (20 characters of a 32-letter
alphabet, 100 bits, shown as ``XXXX-XXXX-XXXX-XXXX-XXXX`` and as a QR code); the station connects,
reads the certificate's SHA-256 fingerprint, and sends HMAC(K, "enroll|fingerprint|nonce") — never the
code itself — where K = scrypt(code, salt = the exchange's nonce), a key stretch that costs about 70 ms.
The server checks the proof against its own fingerprint: a machine in the middle with another
certificate yields another fingerprint, so its proof fails; it cannot forge one without the code. The
server answers with its own proof, HMAC(K, "server|fingerprint|nonce"), so the station knows it talked
to the holder of the code, and pins that fingerprint for every later request.

What an eavesdropper can do: the exchange runs inside TLS, but one who captures it anyway (a machine
in the middle that relays to the real server gets refused, yet keeps the station's proof) holds a
fingerprint, a nonce and a proof. It can test code guesses offline, each costing one scrypt; with 2^100
codes that is out of reach (even a billion guesses a second would take longer than the universe's age),
and the salt (the nonce) differs in every exchange, so nothing can be precomputed. What it cannot do:
learn the code, replay the proof against the server (the proof binds the server's real fingerprint, and
a code works once and expires in minutes), or make a station pin its own certificate.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import ipaddress
import math
import os
import secrets
import socket
import ssl
from pathlib import Path

from kiosk.errors import BadInput

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed by hand
CODE_LENGTH = 20  # 20 × log2(32) = 100 bits
CODE_GROUP = 4  # shown as XXXX-XXXX-XXXX-XXXX-XXXX
# scrypt over the code before every proof: ~70 ms and 24 MiB on a current PC (N = 2^14, r = 12, p = 1).
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 12, 1
_SCRYPT_MAXMEM = 64 * 1024 * 1024
_SALT_LABEL = b"clinic-kiosk pairing v2|"


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
    """A one-time pairing code like ``K7QM-2XWD-9RTA-HC4E-MZ5P`` (100 bits; valid for minutes, once)."""
    return normalise_code("".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)))


def code_bits() -> float:
    """The entropy of a code, in bits."""
    return CODE_LENGTH * math.log2(len(CODE_ALPHABET))


def normalise_code(code: str) -> str:
    """The canonical form of a code as people type it: any case, spaces, dashes missing or extra."""
    raw = "".join(ch for ch in code.upper() if ch.isascii() and ch.isalnum())
    return "-".join(raw[i:i + CODE_GROUP] for i in range(0, len(raw), CODE_GROUP))


def check_code(code: str) -> str:
    """``code`` in canonical form, or ``BadInput`` saying what is wrong with what was typed."""
    canonical = normalise_code(code)
    raw = canonical.replace("-", "")
    wrong = sorted({ch for ch in raw if ch not in CODE_ALPHABET})
    if wrong:
        listed = ", ".join(wrong)
        raise BadInput(f"Mã ghép nối không có các ký tự: {listed} (mã không dùng 0, 1, O, I)",
                       f"A pairing code has no {listed} (codes never use 0, 1, O or I)")
    if len(raw) != CODE_LENGTH:
        raise BadInput(f"Mã ghép nối có {CODE_LENGTH} ký tự (XXXX-XXXX-XXXX-XXXX-XXXX), không phải {len(raw)}",
                       f"A pairing code has {CODE_LENGTH} characters (XXXX-XXXX-XXXX-XXXX-XXXX), not {len(raw)}")
    return canonical


@functools.lru_cache(maxsize=16)  # one exchange's two proofs (station's, server's) stretch once
def _stretched(canonical_code: str, nonce: str) -> bytes:
    return hashlib.scrypt(canonical_code.encode("ascii"), salt=_SALT_LABEL + nonce.encode("utf-8", "surrogatepass"),
                          n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, maxmem=_SCRYPT_MAXMEM, dklen=32)


def proof(code: str, *parts: str) -> str:
    """HMAC-SHA256 over ``"|".join(parts)`` keyed with the stretched code; the last part is the
    exchange's nonce, the salt of the stretch."""
    message = "|".join(parts).encode("utf-8", "surrogatepass")  # any JSON string, even a lone surrogate
    key = _stretched(normalise_code(code), parts[-1] if parts else "")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass"))
