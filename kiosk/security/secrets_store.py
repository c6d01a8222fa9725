"""Secrets kept out of settings files: the gateway password (upper-case MD5, as the gateway wants it).

Looked up in the environment (``CLINIC_KIOSK_GATEWAY_PASSWORD``, for services and CI) and then in
the OS keyring (service ``clinic-kiosk``), never in a TOML file.
"""

from __future__ import annotations

import hashlib
import logging
import os

log = logging.getLogger("kiosk.secrets")

ENV_PASSWORD = "CLINIC_KIOSK_GATEWAY_PASSWORD"
KEYRING_SERVICE = "clinic-kiosk"


def md5_upper(password: str) -> str:
    return hashlib.md5(password.encode("utf-8")).hexdigest().upper()  # noqa: S324 - the gateway's scheme


def gateway_password_md5(username: str) -> str | None:
    password = os.environ.get(ENV_PASSWORD)
    if password:
        return md5_upper(password)
    try:
        import keyring
        from keyring.errors import KeyringError

        try:
            stored = keyring.get_password(KEYRING_SERVICE, f"gateway:{username}")
        except KeyringError:
            stored = None
    except ImportError:  # pragma: no cover - keyring is a dependency
        stored = None
    return md5_upper(stored) if stored else None
