"""The PIN that takes the self-service kiosk out of kiosk mode, kept hashed (scrypt) in the store."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from kiosk.errors import BadInput
from kiosk.store import Store

NAME = "kiosk_exit_pin"
DEMO_PIN = "2468"


def _hash(pin: str, salt: bytes) -> bytes:
    return hashlib.scrypt(pin.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)


def set_pin(store: Store, pin: str) -> None:
    if not (pin.isdigit() and 4 <= len(pin) <= 12):
        raise BadInput("Mã PIN phải có 4–12 chữ số", "The PIN must have 4–12 digits")
    salt = secrets.token_bytes(16)
    with store.transaction() as db:
        db.execute("INSERT INTO installation(name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET "
                   "value = excluded.value", (NAME, salt.hex() + ":" + _hash(pin, salt).hex()))


def has_pin(store: Store) -> bool:
    return store.conn.execute("SELECT 1 FROM installation WHERE name = ?", (NAME,)).fetchone() is not None


def check_pin(store: Store, pin: str) -> bool:
    row = store.conn.execute("SELECT value FROM installation WHERE name = ?", (NAME,)).fetchone()
    if row is None:
        return False
    salt_hex, digest_hex = row[0].split(":")
    return hmac.compare_digest(_hash(pin, bytes.fromhex(salt_hex)), bytes.fromhex(digest_hex))
