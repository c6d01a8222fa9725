"""Staff accounts: argon2id password hashes, a short PIN to unlock a locked station, the name and CCCD
the BHXH gateway needs with every lookup (hoTenCb, cccdCb), and a doctor's practising-certificate number
(printed with the name under every document the doctor signs) and liên thông code at the national prescription
system. Every change is audited."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from kiosk.errors import BadInput, KioskError
from kiosk.model import Role, StaffUser
from kiosk.security import audit, lockout
from kiosk.store.sqlite import Store

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
STAFF_ROLES = (Role.RECEPTIONIST, Role.DOCTOR, Role.ADMIN)


class AuthError(KioskError):
    """Wrong user name, password or PIN, or a disabled account."""


def _check_new(password: str, pin: str | None) -> None:
    if len(password) < 8:
        raise BadInput("Mật khẩu cần ít nhất 8 ký tự", "The password needs at least 8 characters")
    if pin is not None and not (pin.isdigit() and 4 <= len(pin) <= 8):
        raise BadInput("Mã PIN gồm 4–8 chữ số", "The PIN is 4–8 digits")


# Certificate numbers as issued: "001234/HN-CCHN", "0012345/BYT-CCHN", "000123/HCM-GPHN" — digits, letters,
# slashes, dashes, dots and spaces, at most 40 characters.
_CERT = re.compile(r"^[0-9A-Za-zĐđ][0-9A-Za-zĐđ/.\- ]{0,39}$")


def _check_cert(cert: str) -> str:
    cert = cert.strip()
    if cert and not _CERT.match(cert):
        raise BadInput("Số chứng chỉ hành nghề chỉ gồm chữ, số, «/», «-», «.» (tối đa 40 ký tự)",
                       "The practising-certificate number takes letters, digits, '/', '-', '.' (40 at most)")
    return cert


def _check_erx_code(code: str) -> str:
    """A doctor's liên thông code at the national prescription system (it looks like the certificate number)."""
    code = code.strip()
    if code and not _CERT.match(code):
        raise BadInput("Mã liên thông đơn thuốc chỉ gồm chữ, số, «/», «-», «.» (tối đa 40 ký tự)",
                       "The e-prescription interconnection code takes letters, digits, '/', '-', '.' (40 at most)")
    return code


def add(store: Store, actor: str, username: str, full_name: str, cccd: str, role: str, password: str,
        pin: str | None = None, cert: str = "", erx_code: str = "") -> StaffUser:
    cert = _check_cert(cert)
    erx_code = _check_erx_code(erx_code)
    if role not in {r.value for r in STAFF_ROLES}:
        raise BadInput(f"Vai trò {role} không hợp lệ", f"Role {role} is not one of receptionist, doctor, admin")
    if not (len(cccd) == 12 and cccd.isdigit()):
        raise BadInput("Số CCCD của nhân viên phải có 12 chữ số", "The staff member's CCCD must have 12 digits")
    _check_new(password, pin)
    with store.transaction() as db:
        if db.execute("SELECT 1 FROM staff WHERE username = ?", (username,)).fetchone():
            raise BadInput(f"Tài khoản {username} đã có", f"The account {username} exists already")
        db.execute("INSERT INTO staff(username, full_name, cccd, role, password_hash, pin_hash, created_at, "
                   "practising_cert, erx_code) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (username, full_name, cccd, role, _hasher.hash(password), _hasher.hash(pin) if pin else "",
                    dt.datetime.now().isoformat(timespec="seconds"), cert, erx_code))
        audit.append(store, actor, "staff.add", detail=f"{username} ({role})" + (" with certificate" if cert else "")
                     + (" with e-prescription code" if erx_code else ""))
    return get(store, username)


def get(store: Store, username: str) -> StaffUser:
    row = store.conn.execute("SELECT id, username, full_name, cccd, role, active FROM staff WHERE username = ?",
                             (username,)).fetchone()
    if row is None:
        raise BadInput(f"Không có tài khoản {username}", f"No account {username}")
    return StaffUser(row[0], row[1], row[2], row[3], Role(row[4]), bool(row[5]))


def active_user(store: Store, username: str) -> StaffUser | None:
    """The account if it still exists and is active (a disabled account's sessions end with it)."""
    try:
        user = get(store, username)
    except BadInput:
        return None
    return user if user.active else None


def has_admin(store: Store) -> bool:
    return store.conn.execute("SELECT 1 FROM staff WHERE active = 1 AND role = 'admin'").fetchone() is not None


def all_staff(store: Store) -> list[StaffUser]:
    rows = store.conn.execute("SELECT id, username, full_name, cccd, role, active FROM staff ORDER BY username")
    return [StaffUser(r[0], r[1], r[2], r[3], Role(r[4]), bool(r[5])) for r in rows]


def disable(store: Store, actor: str, username: str) -> None:
    get(store, username)
    with store.transaction() as db:
        db.execute("UPDATE staff SET active = 0 WHERE username = ?", (username,))
        audit.append(store, actor, "staff.disable", detail=username)


def set_certificate(store: Store, actor: str, username: str, cert: str) -> None:
    """Set (or, with an empty number, clear) the account's practising-certificate number."""
    get(store, username)
    cert = _check_cert(cert)
    with store.transaction() as db:
        db.execute("UPDATE staff SET practising_cert = ? WHERE username = ?", (cert, username))
        audit.append(store, actor, "staff.set_cert", detail=f"{username} {'set' if cert else 'cleared'}")


def set_erx_code(store: Store, actor: str, username: str, code: str) -> None:
    """Set (or, with an empty code, clear) the doctor's liên thông code at the national prescription system."""
    get(store, username)
    code = _check_erx_code(code)
    with store.transaction() as db:
        db.execute("UPDATE staff SET erx_code = ? WHERE username = ?", (code, username))
        audit.append(store, actor, "staff.set_erx_code", detail=f"{username} {'set' if code else 'cleared'}")


def erx_code(store: Store, username: str) -> str:
    row = store.conn.execute("SELECT erx_code FROM staff WHERE username = ?", (username,)).fetchone()
    return row[0] if row else ""


def certificate(store: Store, username: str) -> str:
    row = store.conn.execute("SELECT practising_cert FROM staff WHERE username = ?", (username,)).fetchone()
    return row[0] if row else ""


@dataclass(frozen=True)
class Signer:
    """Who signs a document: the name and practising-certificate number printed under the signature."""

    full_name: str
    cert: str


def signer(store: Store, *, username: str = "", cert: str = "") -> Signer | None:
    """The staff account that signs: by user name, else the account holding this certificate number."""
    row = None
    if username:
        row = store.conn.execute("SELECT full_name, practising_cert FROM staff WHERE username = ?",
                                 (username,)).fetchone()
    if row is None and cert.strip():
        row = store.conn.execute("SELECT full_name, practising_cert FROM staff WHERE practising_cert = ? "
                                 "ORDER BY active DESC, id LIMIT 1", (cert.strip(),)).fetchone()
    return Signer(row[0], row[1]) if row else None


def reset_password(store: Store, actor: str, username: str, password: str) -> None:
    get(store, username)
    _check_new(password, None)
    with store.transaction() as db:
        db.execute("UPDATE staff SET password_hash = ? WHERE username = ?", (_hasher.hash(password), username))
        audit.append(store, actor, "staff.reset_password", detail=username)


def _verify(stored: str, secret: str) -> bool:
    if not stored:
        return False
    try:
        return _hasher.verify(stored, secret)
    except (VerificationError, InvalidHashError):
        return False


def _attempt_keys(kind: str, username: str, station: str, address: str) -> list[str]:
    keys = [lockout.key(kind, username), lockout.key("station", station)]
    if address:
        keys.append(lockout.key("address", address))
    return keys


def _shown(keys: list[str], account: str, station: str, address: str) -> dict[str, str]:
    return dict(zip(keys, [account, f"station {station}", f"address {address}"], strict=False))


def authenticate(store: Store, username: str, password: str, *, station: str = "local", address: str = "") -> StaffUser:
    """The account, if the password is right. Repeated failures lock the account, the station and
    the client address out for a doubling delay (kiosk.security.lockout); failures are audited under the
    station's name, never under the user name typed."""
    username = username[:64]
    keys = _attempt_keys("account", username, station, address)
    lockout.check(store, keys)
    row = store.conn.execute("SELECT password_hash, active FROM staff WHERE username = ?", (username,)).fetchone()
    if row is None or not row[1] or not _verify(row[0], password[:256]):
        detail = f"account {username}" if row is not None else "unknown account"
        lockout.failed(store, keys, actor=f"station:{station}", what="sign-in", shown=_shown(keys, detail, station,
                                                                                               address))
        audit.append(store, f"station:{station}", "staff.sign_in_failed", detail=detail)
        raise AuthError("Sai tên đăng nhập hoặc mật khẩu", "Wrong user name or password")
    lockout.succeeded(store, keys)
    audit.append(store, username, "staff.sign_in", detail=f"station:{station}")
    return get(store, username)


def unlock(store: Store, username: str, pin: str, *, station: str = "local", address: str = "") -> bool:
    """Is ``pin`` the signed-in user's PIN? The same lock-out as passwords (its own counter)."""
    keys = _attempt_keys("pin", username, station, address)
    lockout.check(store, keys)
    row = store.conn.execute("SELECT pin_hash, active FROM staff WHERE username = ?", (username,)).fetchone()
    if bool(row and row[1] and _verify(row[0], pin[:64])):
        lockout.succeeded(store, keys)
        return True
    lockout.failed(store, keys, actor=f"station:{station}", what="unlock PIN",
                   shown=_shown(keys, f"account {username}", station, address))
    return False
