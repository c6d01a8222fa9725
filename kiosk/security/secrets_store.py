"""Secrets kept out of settings files: the gateway password (upper-case MD5, as the gateway wants it), the
passwords of the national prescription system (the clinic's and each prescribing doctor's), and the PIN of the
facility's signing token (or the password of its PKCS#12 file).

Looked up in the environment (``CLINIC_KIOSK_GATEWAY_PASSWORD``, ``CLINIC_KIOSK_ERX_PASSWORD`` for the clinic's
prescription account; for services and CI) and then in the OS keyring (service ``clinic-kiosk``), never in a TOML
file. A doctor's prescription password is in the keyring only (key ``erx:<username>``). The signing PIN:
``CLINIC_KIOSK_SIGNING_PIN``, then the keyring (key ``signing:pin``).
"""

from __future__ import annotations

import hashlib
import logging
import os

from kiosk.errors import BadInput, KioskError

log = logging.getLogger("kiosk.secrets")

ENV_PASSWORD = "CLINIC_KIOSK_GATEWAY_PASSWORD"
ENV_ERX_PASSWORD = "CLINIC_KIOSK_ERX_PASSWORD"
KEYRING_SERVICE = "clinic-kiosk"
ERX_CLINIC_KEY = "erx:clinic"
ENV_SIGNING_PIN = "CLINIC_KIOSK_SIGNING_PIN"
SIGNING_PIN_KEY = "signing:pin"
MAX_SECRET = 256


class NoKeyring(KioskError):
    """The OS has no keyring this program can write to."""


def _from_keyring(key: str) -> str | None:
    """A secret kept in the OS keyring (service ``clinic-kiosk``); None when there is none or no keyring."""
    try:
        import keyring
        from keyring.errors import KeyringError
    except ImportError:  # pragma: no cover - keyring is a dependency
        return None
    try:
        return keyring.get_password(KEYRING_SERVICE, key)
    except KeyringError:
        return None


def _to_keyring(key: str, secret: str, what: tuple[str, str], hint: tuple[str, str] = ("", "")) -> None:
    """Keep a secret in the OS keyring; NoKeyring, saying what could not be kept and where else it may go."""
    import keyring
    from keyring.errors import KeyringError

    try:
        keyring.set_password(KEYRING_SERVICE, key, secret)
    except KeyringError as exc:
        raise NoKeyring(f"Không có kho khoá của hệ điều hành để giữ {what[0]} ({type(exc).__name__}){hint[0]}",
                        f"No OS keyring to keep the {what[1]} in ({type(exc).__name__}){hint[1]}") from None


def md5_upper(password: str) -> str:
    return hashlib.md5(password.encode("utf-8")).hexdigest().upper()  # noqa: S324 - the gateway's scheme


def gateway_password_md5(username: str) -> str | None:
    password = os.environ.get(ENV_PASSWORD)
    if password:
        return md5_upper(password)
    stored = _from_keyring(f"gateway:{username}")
    return md5_upper(stored) if stored else None


def _erx_key(account: str | None) -> str:
    """The keyring key of a prescription-system password: the clinic's, or a staff account's."""
    if account is None:
        return ERX_CLINIC_KEY
    account = account.strip()
    if not account or len(account) > 64 or account.casefold() == "clinic" or any(c.isspace() for c in account):
        raise BadInput(f"Tên tài khoản không dùng được cho mật khẩu đơn thuốc: {account[:64]!r}",
                       f"This account name cannot hold a prescription-system password: {account[:64]!r}")
    return f"erx:{account}"


def erx_password(account: str | None) -> str | None:
    """The national prescription system's password of the clinic (``None``: the environment variable first, then
    the keyring) or of a staff account (``username``: the keyring only). ``None`` when there is none."""
    key = _erx_key(account)
    if account is None:
        from_env = os.environ.get(ENV_ERX_PASSWORD)
        if from_env:
            return from_env
    stored = _from_keyring(key)
    return stored or None


def set_erx_password(account: str | None, password: str) -> None:
    """Keep a prescription-system password in the OS keyring (``account`` ``None``: the clinic's)."""
    key = _erx_key(account)
    if not password or len(password) > MAX_SECRET or any(c in password for c in "\r\n\0"):
        raise BadInput(f"Mật khẩu trống, quá dài (tối đa {MAX_SECRET} ký tự) hoặc có ký tự xuống dòng",
                       f"The password is empty, too long ({MAX_SECRET} characters at most) or has a line break")
    hint_vi = f"; mật khẩu của cơ sở có thể đặt trong biến {ENV_ERX_PASSWORD}" if account is None else ""
    hint_en = f"; the clinic's password may be set in the {ENV_ERX_PASSWORD} variable" if account is None else ""
    _to_keyring(key, password, ("mật khẩu", "password"), (hint_vi, hint_en))
    log.info("prescription-system password stored in the OS keyring (%s)", key)


def signing_pin() -> str | None:
    """The signing token's PIN or the PKCS#12 file's password: the environment variable first, then the keyring."""
    from_env = os.environ.get(ENV_SIGNING_PIN)
    if from_env:
        return from_env
    stored = _from_keyring(SIGNING_PIN_KEY)
    return stored or None


def set_signing_pin(pin: str) -> None:
    """Keep the signing token's PIN (or the PKCS#12 file's password) in the OS keyring."""
    if not pin or len(pin) > MAX_SECRET or any(c in pin for c in "\r\n\0"):
        raise BadInput(f"Mã PIN trống, quá dài (tối đa {MAX_SECRET} ký tự) hoặc có ký tự xuống dòng",
                       f"The PIN is empty, too long ({MAX_SECRET} characters at most) or has a line break")
    _to_keyring(SIGNING_PIN_KEY, pin, ("mã PIN", "PIN"),
                (f"; có thể đặt trong biến {ENV_SIGNING_PIN}", f"; it may be set in the {ENV_SIGNING_PIN} variable"))
    log.info("signing PIN stored in the OS keyring (%s)", SIGNING_PIN_KEY)
