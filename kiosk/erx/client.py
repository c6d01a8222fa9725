"""Client of the national prescription system (đơn thuốc quốc gia, QĐ 808/QĐ-BYT; DOMAIN.md §11).

The clinic logs in with its liên thông code and password; every prescribing doctor logs in with his own code and
password at that clinic, after the clinic added him once (``them-bac-si``). Prescriptions are sent with the
doctor's token (``Authorization: bearer <token>``).

One ``requests.Session``, explicit connect/read timeouts, tokens cached per account until shortly before they
expire (the system gives 7 days; its answer says nothing of it), one re-login on HTTP 401, and a doctor whose login
is refused as "not added to the clinic" is added with the clinic's token once and logged in again. Passwords come
from the caller (``clinic_password`` and the ``doctor_password`` callable): this room does not know the keyring's
keys nor the sandbox. Nothing secret — password, token, the prescription body — is put in a log line or an error.
"""

from __future__ import annotations

import logging
import threading
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from kiosk import __version__
from kiosk.errors import KioskError

log = logging.getLogger("kiosk.erx")

CLINIC_LOGIN_PATH = "api/auth/dang-nhap-co-so-kham-chua-benh"
DOCTOR_LOGIN_PATH = "api/auth/dang-nhap-bac-si"
ADD_DOCTOR_PATH = "api/v1/them-bac-si"
SEND_PATH = "api/v1/gui-don-thuoc"
TOKEN_LIFETIME_S = 7 * 24 * 3600.0  # QĐ 808: a token is valid 7 days
TOKEN_MARGIN_S = 3600.0  # logged in again this long before the token would end
MAX_ANSWER = 1024 * 1024  # no real answer is near this: anything bigger is garbage
MAX_FIELDS, MAX_MESSAGES, MAX_MESSAGE = 100, 20, 500

# Words the system's refusals are recognised by, compared without accents or case.
_NOT_ADDED = ("chua duoc them", "chua them", "khong thuoc co so", "chua duoc dang ky", "not added")
_ALREADY_ADDED = ("da duoc them", "da them", "da ton tai", "da co trong", "already")
_DUPLICATE = ("da ton tai", "da duoc su dung", "trung ma", "already exist", "already used", "duplicate")


class ErxError(KioskError):
    """The national prescription system could not be used for this request."""


class ErxUnavailable(ErxError):
    """Down, slow, cut off, failing (5xx) or answering nonsense: keep the prescription and send it later."""

    exit_code = 3


class ErxAuthError(ErxError):
    """An account (the clinic's or a doctor's) was refused, or its password is missing."""

    exit_code = 4


class ErxRefused(ErxError):
    """The system refused the prescription (HTTP 422): ``fields`` holds its messages per field (nested fields are
    named like ``thong_tin_don_thuoc.0.ma_thuoc``; general messages under ``""``). ``duplicate`` is true when the
    only refusal is that the code was used before — after an answer that was lost, the earlier send got through."""

    exit_code = 4

    def __init__(self, fields: dict[str, list[str]]) -> None:
        self.fields = fields
        self.duplicate = _is_duplicate(fields)
        shown = "; ".join(f"{name or '*'}: {' '.join(messages)}" for name, messages in list(fields.items())[:5])
        more = f" (+{len(fields) - 5})" if len(fields) > 5 else ""
        if self.duplicate:
            super().__init__("Mã đơn thuốc đã được gửi trước đó (hệ thống đơn thuốc quốc gia đã có mã này)",
                             "The prescription code was sent before (the national system has it already)")
        else:
            super().__init__(f"Hệ thống đơn thuốc quốc gia từ chối đơn thuốc: {shown}{more}",
                             f"The national prescription system refused the prescription: {shown}{more}")


@dataclass(frozen=True)
class SendResult:
    message: str  # the system's words ("Gửi đơn thuốc thành công")
    checksum: str  # as the system answered it ("" when it gave none)
    answer: dict[str, Any] = field(default_factory=dict, repr=False)  # its whole answer, to keep


def fold(text: str) -> str:
    """Lower case without accents (đ -> d): how refusals are recognised."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).casefold().split())


def _has(text: str, markers: tuple[str, ...]) -> bool:
    folded = fold(text)
    return any(m in folded for m in markers)


def _is_duplicate(fields: dict[str, list[str]]) -> bool:
    messages = [(name, m) for name, ms in fields.items() for m in ms]
    return bool(messages) and all(
        _has(m, _DUPLICATE) and (name == "ma_don_thuoc" or _has(m, ("ma don thuoc",))) for name, m in messages)


def _message(value: Any) -> str:
    text = value if isinstance(value, str) else str(value)
    return " ".join(text.split())[:MAX_MESSAGE]


def refusals(data: Any) -> dict[str, list[str]]:
    """A 422 answer's messages per field: ``{error: {field: [..]}}`` or ``{danh_sach_cac_loi: [..]}`` (under
    ``""``), bounded in size; an answer of another shape gives its ``message`` or nothing."""
    found: dict[str, list[str]] = {}
    if not isinstance(data, dict):
        return found
    error = data.get("error")
    if isinstance(error, dict):
        for name, messages in list(error.items())[:MAX_FIELDS]:
            items = messages if isinstance(messages, list) else [messages]
            found[_message(name)[:100]] = [_message(m) for m in items[:MAX_MESSAGES]]
    elif isinstance(error, str):
        found[""] = [_message(error)]
    general = data.get("danh_sach_cac_loi")
    if isinstance(general, list):
        found.setdefault("", []).extend(_message(m) for m in general[:MAX_MESSAGES])
    elif isinstance(general, str | dict):
        found.setdefault("", []).append(_message(general))
    if not found and isinstance(data.get("message"), str):
        found[""] = [_message(data["message"])]
    return found


def _mask_code(code: Any) -> str:
    """A prescription code opens the prescription at any pharmacy: logs keep its facility part and type only."""
    text = code if isinstance(code, str) else ""
    return f"{text[:5]}…{text[-2:]}" if len(text) >= 8 else "?"


class ErxClient:
    def __init__(
        self,
        base_url: str,
        facility_code: str,
        clinic_password: str | None,
        *,
        doctor_password: Callable[[str], str | None],
        connect_timeout: float = 3.05,
        read_timeout: float = 15.0,
        verify: bool | str = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self.facility_code = facility_code
        self._clinic_password = clinic_password
        self._doctor_password = doctor_password
        self.timeout = (connect_timeout, read_timeout)
        self._clock = clock
        self._tokens: dict[str | None, tuple[str, float]] = {}  # doctor code (None: the clinic) -> token, expiry
        self._lock = threading.RLock()  # one login per account at a time
        self.session = requests.Session()
        self.session.verify = verify  # verification is never turned off; a CA bundle path may be given
        self.session.headers["User-Agent"] = f"clinic-kiosk/{__version__}"
        self.logins = 0  # successful logins, clinic and doctors

    def __repr__(self) -> str:  # never the password nor a token
        return f"ErxClient({self.base_url!r}, facility_code={self.facility_code!r})"

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> ErxClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transport -------------------------------------------------------------------------------------------------
    def _post(self, path: str, body: dict[str, Any], token: str | None = None) -> requests.Response:
        headers = {"Accept": "application/json"}
        if token is not None:
            headers["Authorization"] = f"bearer {token}"
        try:
            return self.session.post(self.base_url + path, json=body, headers=headers, timeout=self.timeout)
        except requests.Timeout:
            log.warning("erx %s: timed out", path)
            raise ErxUnavailable("Hệ thống đơn thuốc quốc gia không trả lời kịp (quá thời gian chờ)",
                                 "The national prescription system did not answer in time (timeout)") from None
        except requests.RequestException as exc:  # never str(exc): it may carry the URL
            log.warning("erx %s: %s", path, type(exc).__name__)
            raise ErxUnavailable(f"Không kết nối được hệ thống đơn thuốc quốc gia ({type(exc).__name__})",
                                 f"Cannot reach the national prescription system ({type(exc).__name__})") from None

    @staticmethod
    def _data(path: str, response: requests.Response) -> Any:
        if len(response.content) > MAX_ANSWER:
            log.warning("erx %s: answer too big (%d bytes)", path, len(response.content))
            raise ErxUnavailable("Hệ thống đơn thuốc quốc gia trả dữ liệu hỏng",
                                 "The national prescription system answered garbage")
        try:
            return response.json()
        except (ValueError, RecursionError):
            return None

    def _ok(self, path: str, response: requests.Response) -> dict[str, Any]:
        """The JSON object of a 200 answer; any other status the callers did not handle is 'unavailable'."""
        status = response.status_code
        if status != 200:
            log.warning("erx %s: HTTP %s", path, status)
            what_vi = "đang lỗi" if status >= 500 else "không nhận yêu cầu"
            what_en = "is failing" if status >= 500 else "did not take the request"
            raise ErxUnavailable(f"Hệ thống đơn thuốc quốc gia {what_vi} (HTTP {status})",
                                 f"The national prescription system {what_en} (HTTP {status})")
        data = self._data(path, response)
        if not isinstance(data, dict):
            log.warning("erx %s: answer is not a JSON object", path)
            raise ErxUnavailable("Hệ thống đơn thuốc quốc gia trả dữ liệu hỏng",
                                 "The national prescription system answered garbage")
        return data

    # -- tokens ----------------------------------------------------------------------------------------------------
    def _keep_token(self, account: str | None, path: str, response: requests.Response) -> str:
        data = self._ok(path, response)
        token = data.get("token") or data.get("access_token")
        if not isinstance(token, str) or not token.strip() or len(token) > 8192:
            log.warning("erx %s: the answer holds no token", path)
            raise ErxUnavailable("Hệ thống đơn thuốc quốc gia trả phiên đăng nhập hỏng",
                                 "The national prescription system returned a broken session token")
        lifetime = data.get("expires_in")
        if not isinstance(lifetime, int | float) or isinstance(lifetime, bool) or lifetime <= 0:
            lifetime = TOKEN_LIFETIME_S
        expires = self._clock() + max(float(lifetime) - TOKEN_MARGIN_S, float(lifetime) * 0.5)
        self._tokens[account] = (token.strip(), expires)
        self.logins += 1
        return token.strip()

    def _cached(self, account: str | None) -> str | None:
        held = self._tokens.get(account)
        return held[0] if held is not None and held[1] > self._clock() else None

    def _forget(self, account: str | None, token: str) -> None:
        with self._lock:
            if self._tokens.get(account, ("",))[0] == token:
                del self._tokens[account]

    def login_clinic(self) -> None:
        """Log the clinic in (again) and keep its token."""
        with self._lock:
            if not self._clinic_password or not self.facility_code:
                raise ErxAuthError(
                    "Chưa có mã liên thông hoặc mật khẩu của cơ sở tại hệ thống đơn thuốc quốc gia "
                    "(erx.facility_code; clinic-kiosk erx set-password hoặc biến CLINIC_KIOSK_ERX_PASSWORD)",
                    "No interconnection code or password of the clinic at the national prescription system "
                    "(erx.facility_code; clinic-kiosk erx set-password or CLINIC_KIOSK_ERX_PASSWORD)")
            path = CLINIC_LOGIN_PATH
            response = self._post(path, {"ma_lien_thong_co_so_kham_chua_benh": self.facility_code,
                                         "password": self._clinic_password})
            if response.status_code in (401, 403, 422):
                log.error("erx clinic login refused for %s (HTTP %s)", self.facility_code, response.status_code)
                why = self._why(path, response)
                raise ErxAuthError(
                    f"Hệ thống đơn thuốc quốc gia từ chối tài khoản của cơ sở {self.facility_code}: "
                    f"kiểm tra mã liên thông và mật khẩu{why}",
                    f"The national prescription system refused the clinic account {self.facility_code}: "
                    f"check the interconnection code and the password{why}")
            self._keep_token(None, path, response)
            log.info("erx clinic login ok (%s)", self.facility_code)

    def _clinic_token(self) -> str:
        with self._lock:
            token = self._cached(None)
            if token is None:
                self.login_clinic()
                token = self._cached(None) or ""
            return token

    def _why(self, path: str, response: requests.Response) -> str:
        messages = [m for ms in refusals(self._data(path, response)).values() for m in ms][:3]
        return f" ({'; '.join(messages)})" if messages else ""

    def add_doctor(self, doctor_code: str) -> bool:
        """Add a doctor to the clinic (once for ever): True when added now, False when he was already."""
        path = ADD_DOCTOR_PATH
        response = self._in_session(None, path, {"ma_lien_thong_bac_si": doctor_code})
        if response.status_code == 422:
            found = refusals(self._data(path, response))
            messages = [m for ms in found.values() for m in ms]
            if messages and all(_has(m, _ALREADY_ADDED) for m in messages):
                log.info("erx doctor %s was already added to the clinic", doctor_code)
                return False
            log.error("erx adding doctor %s refused", doctor_code)
            shown = "; ".join(messages[:3])
            raise ErxAuthError(f"Hệ thống đơn thuốc quốc gia không thêm bác sĩ {doctor_code} vào cơ sở"
                               + (f" ({shown})" if shown else ""),
                               f"The national prescription system did not add doctor {doctor_code} to the "
                               f"clinic" + (f" ({shown})" if shown else ""))
        self._ok(path, response)
        log.info("erx doctor %s added to the clinic", doctor_code)
        return True

    def _in_session(self, account: str | None, path: str, body: dict[str, Any]) -> requests.Response:
        """POST with the session of ``account`` (None: the clinic, else a doctor's code), logging in once more
        when the system no longer takes the token (HTTP 401); a second 401 is the account refused."""
        for attempt in (1, 2):
            token = self._clinic_token() if account is None else self._doctor_token(account)
            response = self._post(path, body, token)
            if response.status_code != 401:
                return response
            self._forget(account, token)
            if attempt == 1:
                log.info("erx %s: %s session refused, logging in again", path, "clinic" if account is None else
                         "doctor")
        if account is None:
            raise ErxAuthError("Hệ thống đơn thuốc quốc gia không chấp nhận phiên đăng nhập của cơ sở",
                               "The national prescription system refused the clinic's session")
        raise ErxAuthError("Hệ thống đơn thuốc quốc gia không chấp nhận phiên đăng nhập của bác sĩ",
                           "The national prescription system refused the doctor's session")

    def login_doctor(self, doctor_code: str) -> None:
        """Log a doctor in (again); a doctor the clinic has not added yet is added once and logged in again."""
        with self._lock:
            password = self._doctor_password(doctor_code)
            if not password:
                raise ErxAuthError(f"Chưa có mật khẩu hệ thống đơn thuốc quốc gia của bác sĩ {doctor_code} "
                                   "(clinic-kiosk erx set-password TÊN_TÀI_KHOẢN)",
                                   f"No national prescription system password for doctor {doctor_code} "
                                   "(clinic-kiosk erx set-password USERNAME)")
            path = DOCTOR_LOGIN_PATH
            body = {"ma_lien_thong_bac_si": doctor_code, "ma_lien_thong_co_so_kham_chua_benh": self.facility_code,
                    "password": password}
            for attempt in (1, 2):
                response = self._post(path, body)
                if response.status_code not in (401, 403, 422):
                    self._keep_token(doctor_code, path, response)
                    log.info("erx doctor login ok (%s)", doctor_code)
                    return
                messages = [m for ms in refusals(self._data(path, response)).values() for m in ms]
                if attempt == 1 and any(_has(m, _NOT_ADDED) for m in messages):
                    log.info("erx doctor %s is not added to the clinic yet: adding him", doctor_code)
                    self.add_doctor(doctor_code)
                    continue
                log.error("erx doctor login refused for %s (HTTP %s)", doctor_code, response.status_code)
                shown = "; ".join(messages[:3])
                raise ErxAuthError(f"Hệ thống đơn thuốc quốc gia từ chối tài khoản bác sĩ {doctor_code}"
                                   + (f" ({shown})" if shown else ": kiểm tra mật khẩu"),
                                   f"The national prescription system refused doctor {doctor_code}'s account"
                                   + (f" ({shown})" if shown else ": check the password"))
            raise AssertionError("unreachable")

    def _doctor_token(self, doctor_code: str) -> str:
        with self._lock:
            token = self._cached(doctor_code)
            if token is None:
                self.login_doctor(doctor_code)
                token = self._cached(doctor_code) or ""
            return token

    # -- use -------------------------------------------------------------------------------------------------------
    def send(self, doctor_code: str, body: dict[str, Any]) -> SendResult:
        """Send one prescription in the doctor's name. Raises :class:`ErxRefused` (keep it, fix it, send a new
        code), :class:`ErxUnavailable` (send the same body again later) or :class:`ErxAuthError`."""
        path, code = SEND_PATH, _mask_code(body.get("ma_don_thuoc"))
        response = self._in_session(doctor_code, path, body)
        if response.status_code in (400, 413, 422):
            found = refusals(self._data(path, response)) or {"": [f"HTTP {response.status_code}"]}
            refused = ErxRefused(found)
            log.warning("erx send %s refused%s: fields %s", code, " (code already used)" if refused.duplicate
                        else "", ", ".join(sorted(found))[:300])
            raise refused
        data = self._ok(path, response)
        message = data.get("success")
        if not isinstance(message, str) or not message.strip():
            log.warning("erx send %s: a 200 answer without success", code)
            raise ErxUnavailable("Hệ thống đơn thuốc quốc gia trả lời không rõ đã nhận đơn hay chưa",
                                 "The national prescription system's answer does not say the prescription "
                                 "was taken")
        checksum = data.get("checksum")
        result = SendResult(_message(message), checksum if isinstance(checksum, str) else "", data)
        log.info("erx send %s ok (doctor %s)", code, doctor_code)
        return result
