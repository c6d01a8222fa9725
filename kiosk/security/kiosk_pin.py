"""The PIN that takes the self-service kiosk out of kiosk mode, kept hashed (scrypt) on the kiosk PC
itself (``kiosk-exit-pin`` in its data folder, 0600) and checked there, with lock-out and back-off:
never through the clinic server, where anyone holding the kiosk's token could try PINs. A store of
its own (a single-PC clinic, the demo) may still hold it, as before."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.errors import BadInput
from kiosk.privacy.filemodes import replace_private
from kiosk.security.lockout import FREE_ATTEMPTS, FileCounter
from kiosk.store.sqlite import Store

if TYPE_CHECKING:
    from kiosk.settings import Settings

NAME = "kiosk_exit_pin"
DEMO_PIN = "2468"


def _hash(pin: str, salt: bytes) -> bytes:
    return hashlib.scrypt(pin.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)


def _valid(pin: str) -> None:
    if not (pin.isdigit() and 4 <= len(pin) <= 12):
        raise BadInput("Mã PIN phải có 4–12 chữ số", "The PIN must have 4–12 digits")


def _encoded(pin: str) -> str:
    salt = secrets.token_bytes(16)
    return salt.hex() + ":" + _hash(pin, salt).hex()


def _matches(encoded: str, pin: str) -> bool:
    salt_hex, digest_hex = encoded.split(":")
    return hmac.compare_digest(_hash(pin[:64], bytes.fromhex(salt_hex)), bytes.fromhex(digest_hex))


def local_path(settings: Settings) -> Path:
    return settings.paths.data_dir / "kiosk-exit-pin"


def set_local(settings: Settings, pin: str) -> Path:
    """Set this PC's kiosk exit PIN (``clinic-kiosk config kiosk-pin``, run on the kiosk PC)."""
    _valid(pin)
    path = replace_private(local_path(settings), _encoded(pin))
    FileCounter(path.with_name("kiosk-exit-pin.failures")).succeeded()
    return path


def check_local(settings: Settings, pin: str, store: Store | None = None) -> bool:
    """Is ``pin`` this kiosk's exit PIN? LockedOut after repeated wrong PINs (the delay doubles)."""
    path = local_path(settings)
    counter = FileCounter(path.with_name("kiosk-exit-pin.failures"))
    counter.check()
    try:
        encoded = path.read_text(encoding="ascii").strip()
    except OSError:
        encoded = ""
    if not encoded and store is not None:
        row = store.conn.execute("SELECT value FROM installation WHERE name = ?", (NAME,)).fetchone()
        encoded = row[0] if row else ""
    if encoded and _matches(encoded, pin):
        counter.succeeded()
        return True
    if counter.failed() == FREE_ATTEMPTS and store is not None:  # the admins' banner (a store on this PC)
        from kiosk.security import audit

        audit.append(store, "kiosk-station", "security.lockout", detail="kiosk exit PIN: this kiosk")
    return False


def set_pin(store: Store, pin: str) -> None:
    """The PIN in a store of the kiosk's own (a single-PC clinic, the demo)."""
    _valid(pin)
    with store.transaction() as db:
        db.execute("INSERT INTO installation(name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET "
                   "value = excluded.value", (NAME, _encoded(pin)))


def has_pin(store: Store) -> bool:
    return store.conn.execute("SELECT 1 FROM installation WHERE name = ?", (NAME,)).fetchone() is not None
