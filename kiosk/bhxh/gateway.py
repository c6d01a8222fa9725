"""Client of the BHXH gateway (DOMAIN.md §3–4): token, card check, visit history, check-in and
claim submission, and the health-book source of the sandbox.

One ``requests.Session``, explicit connect/read timeouts, the token cached until it expires and one
re-login on HTTP 401. Lookups (``/api/egw/…``) authenticate in the query string, submissions
(``/api/qd130/…``) in headers. Nothing secret — token, password hash, a URL with its query — is put
in a log line or an error message: errors are built from the path and the failure's kind only.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from kiosk import __version__
from kiosk.bhxh.card_codes import Decision, describe
from kiosk.clock import skew_from_date_header
from kiosk.errors import KioskError
from kiosk.model import DatePrecision, InsuranceCard, Sex

log = logging.getLogger("kiosk.gateway")

TOKEN_PATH = "api/token/take"
CARD_PATH = "api/egw/KQNhanLichSuKCB2024"
HISTORY_PATH = "api/egw/Lskcb2025"
CHECKIN_PATH = "api/qd130/checkInKcbQd3176"
CLAIM_PATH = "api/qd130/guiHoSoXmlQD3176"
HEALTH_BOOK_PATH = "api/skdt/tra-cuu"
TOKEN_MARGIN_S = 30.0


class GatewayError(KioskError):
    """The gateway could not be used for this request."""


class GatewayUnavailable(GatewayError):
    """Down, slow, cut off, or answering nonsense: the desk goes on and retries later."""


class GatewayAuthError(GatewayError):
    """The facility account was refused."""


@dataclass(frozen=True)
class Staff:
    """The staff member doing the lookup (hoTenCb / cccdCb, required since CV 1923)."""

    name: str
    cccd: str
    username: str = ""

    def __repr__(self) -> str:  # the CCCD stays out of reprs and tracebacks
        return f"Staff(username={self.username!r})"


@dataclass(frozen=True)
class LookupRequest:
    key: str  # 15-char card code, 10-digit BHXH number or 12-digit CCCD
    full_name: str
    date_of_birth: dt.date
    dob_precision: DatePrecision = DatePrecision.DAY

    def body(self, staff: Staff) -> dict[str, str]:
        d = self.date_of_birth
        birth = {DatePrecision.DAY: d.strftime("%d/%m/%Y"), DatePrecision.MONTH: d.strftime("%m/%Y"),
                 DatePrecision.YEAR: f"{d.year:04d}"}[self.dob_precision]
        return {"maThe": self.key, "hoTen": self.full_name, "ngaySinh": birth,
                "hoTenCb": staff.name, "cccdCb": staff.cccd}


def parse_gateway_date(value: Any) -> dt.date | None:
    if not isinstance(value, str) or not value.strip():
        return None
    for fmt in ("%d/%m/%Y", "%Y%m%d", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            continue
    return None


def parse_gateway_time(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    for fmt in ("%Y%m%d%H%M", "%Y%m%d%H%M%S"):
        try:
            return dt.datetime.strptime(value.strip(), fmt)
        except ValueError:
            continue
    return None


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


@dataclass(frozen=True)
class CardCheck:
    code: str
    decision: Decision
    message_vi: str
    message_en: str
    checked_at: dt.datetime
    card: InsuranceCard | None = None
    new_card: InsuranceCard | None = None
    note: str = ""  # the gateway's own ghiChu
    response: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def card_for_visit(self) -> InsuranceCard | None:
        """The card to bill: the new one on 003/004 when it is valid today (Inventec's rule)."""
        if self.new_card is not None and self.new_card.is_valid_on(self.checked_at.date()):
            return self.new_card
        return self.card

    @classmethod
    def from_response(cls, data: dict[str, Any], checked_at: dt.datetime) -> CardCheck:
        code = _text(data.get("maKetQua")) or "?"
        info = describe(code)
        card = None
        if _text(data.get("maThe")):
            sex_text = _text(data.get("gioiTinh")).casefold()
            card = InsuranceCard(
                card_number=_text(data.get("maThe")),
                holder_name=_text(data.get("hoTen")),
                date_of_birth=parse_gateway_date(data.get("ngaySinh")),
                sex=Sex.MALE if sex_text == "nam" else Sex.FEMALE if sex_text in ("nữ", "nu") else None,
                address=_text(data.get("diaChi")),
                registered_facility=_text(data.get("maDKBD")),
                valid_from=parse_gateway_date(data.get("gtTheTu")),
                valid_to=parse_gateway_date(data.get("gtTheDen")),
                five_year_date=parse_gateway_date(data.get("ngayDu5Nam")),
                area_code=_text(data.get("maKV")),
                bhxh_number=_text(data.get("maSoBHXH")),
            )
        new_card = None
        if card is not None and _text(data.get("maTheMoi")):
            new_card = InsuranceCard(
                card_number=_text(data.get("maTheMoi")),
                holder_name=card.holder_name, date_of_birth=card.date_of_birth, sex=card.sex,
                address=card.address,
                registered_facility=_text(data.get("maDKBDMoi")) or card.registered_facility,
                valid_from=parse_gateway_date(data.get("gtTheTuMoi")),
                valid_to=parse_gateway_date(data.get("gtTheDenMoi")),
                five_year_date=card.five_year_date, area_code=card.area_code, bhxh_number=card.bhxh_number,
            )
        return cls(code, info.decision, info.vi, info.en, checked_at, card, new_card, _text(data.get("ghiChu")),
                   data)

    @classmethod
    def unavailable(cls, error: GatewayError, checked_at: dt.datetime) -> CardCheck:
        """The check could not be made: care goes on (NĐ 188 Art. 38), the check is retried."""
        return cls("", Decision.RETRY, f"Chưa kiểm tra được thẻ: {error.vi}. Vẫn tiếp đón, sẽ kiểm tra lại.",
                   f"The card could not be checked: {error.en}. Carry on; it will be checked again.", checked_at)


@dataclass(frozen=True)
class Receipt:
    code: str
    transaction: str  # maGiaoDich: keep it, the portal forgets after 60 days
    received_at: dt.datetime | None
    message: str

    @property
    def accepted(self) -> bool:
        return self.code == "200" and bool(self.transaction)

    @classmethod
    def from_response(cls, data: dict[str, Any]) -> Receipt:
        return cls(_text(data.get("maKetQua")), _text(data.get("maGiaoDich")),
                   parse_gateway_time(data.get("thoiGianTiepNhan")), _text(data.get("thongDiep")))


class GatewayClient:
    def __init__(
        self,
        base_url: str,
        username: str,
        password_md5: str,
        *,
        connect_timeout: float = 3.05,
        read_timeout: float = 10.0,
        verify: bool | str = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self.username = username
        self._password_md5 = password_md5.upper()
        self.timeout = (connect_timeout, read_timeout)
        self._clock = clock
        self._token: tuple[str, str, float] | None = None  # access, id, expires (monotonic)
        self.session = requests.Session()
        self.session.verify = verify  # verification is never turned off; a CA bundle path may be given
        self.session.headers["User-Agent"] = f"clinic-kiosk/{__version__}"
        self.logins = 0
        self._login_lock = threading.Lock()
        self.clock_skew_s: float | None = None  # our clock minus the gateway's (its HTTP Date header)

    def __repr__(self) -> str:  # never show the password hash or the token
        return f"GatewayClient({self.base_url!r}, username={self.username!r})"

    def close(self) -> None:
        self.session.close()

    # -- transport ---------------------------------------------------------------------------
    def _post(self, path: str, **kwargs: Any) -> requests.Response:
        try:
            response = self.session.post(self.base_url + path, timeout=self.timeout, **kwargs)
            skew = skew_from_date_header(response.headers.get("Date"))  # a wrong PC clock is shown
            if skew is not None:
                self.clock_skew_s = skew
            return response
        except requests.Timeout:
            log.warning("gateway %s: timed out", path)
            raise GatewayUnavailable("Cổng BHXH không trả lời kịp (quá thời gian chờ)",
                                     "The BHXH gateway did not answer in time (timeout)") from None
        except requests.RequestException as exc:  # str(exc) holds the URL and its query: never used
            log.warning("gateway %s: %s", path, type(exc).__name__)
            raise GatewayUnavailable(f"Không kết nối được cổng BHXH ({type(exc).__name__})",
                                     f"Cannot reach the BHXH gateway ({type(exc).__name__})") from None

    @staticmethod
    def _json(path: str, response: requests.Response) -> dict[str, Any]:
        if response.status_code >= 500:
            log.warning("gateway %s: HTTP %s", path, response.status_code)
            raise GatewayUnavailable(f"Cổng BHXH đang lỗi (HTTP {response.status_code})",
                                     f"The BHXH gateway is failing (HTTP {response.status_code})")
        if response.status_code != 200:
            raise GatewayUnavailable(f"Cổng BHXH từ chối yêu cầu (HTTP {response.status_code})",
                                     f"The BHXH gateway refused the request (HTTP {response.status_code})")
        try:
            data = response.json()
        except (ValueError, RecursionError):  # not JSON, or nested deeper than any real answer
            log.warning("gateway %s: answer is not JSON", path)
            raise GatewayUnavailable("Cổng BHXH trả dữ liệu hỏng", "The BHXH gateway answered garbage") from None
        if not isinstance(data, dict):
            raise GatewayUnavailable("Cổng BHXH trả dữ liệu hỏng", "The BHXH gateway answered garbage")
        return data

    def _login(self) -> tuple[str, str, float]:
        path = TOKEN_PATH
        response = self._post(path, data={"username": self.username, "password": self._password_md5})
        data = self._json(path, response)
        key = data.get("APIKey")
        if _text(data.get("maKetQua")) != "200" or not isinstance(key, dict):
            log.error("gateway login refused for account %s (code %s)", self.username, data.get("maKetQua"))
            raise GatewayAuthError("Cổng BHXH từ chối tài khoản của cơ sở: kiểm tra tên/mật khẩu",
                                   "The BHXH gateway refused the facility account: check the username/password")
        access, id_token = _text(key.get("access_token")), _text(key.get("id_token"))
        try:
            lifetime = float(key.get("expires_in") or 600)
        except (TypeError, ValueError):
            lifetime = 600.0
        if not access or not id_token:
            raise GatewayUnavailable("Cổng BHXH trả token hỏng", "The BHXH gateway returned a broken token")
        self.logins += 1
        expires = self._clock() + max(lifetime - TOKEN_MARGIN_S, lifetime * 0.5)
        self._token = (access, id_token, expires)
        log.info("gateway login ok (token valid %.0f s)", lifetime)
        return self._token

    def _current_token(self) -> tuple[str, str, float]:
        with self._login_lock:  # the health book's parallel fetches share one login
            if self._token is None or self._token[2] <= self._clock():
                return self._login()
            return self._token

    def _call(self, path: str, *, query_auth: bool, **kwargs: Any) -> dict[str, Any]:
        for attempt in (1, 2):
            access, id_token, _ = self._current_token()
            if query_auth:
                auth = {"params": {"token": access, "id_token": id_token, "username": self.username,
                                   "password": self._password_md5}}
            else:
                auth = {"headers": {"accessToken": access, "tokenId": id_token, "passwordHash": self._password_md5}}
            response = self._post(path, **auth, **kwargs)
            if response.status_code == 401:
                self._token = None
                if attempt == 1:
                    log.info("gateway %s: token refused, logging in again", path)
                    continue
                raise GatewayAuthError("Cổng BHXH không chấp nhận phiên đăng nhập", "The BHXH gateway refused the session")
            return self._json(path, response)
        raise AssertionError("unreachable")

    # -- use ---------------------------------------------------------------------------------
    def check_card(self, request: LookupRequest, staff: Staff) -> CardCheck:
        data = self._call(CARD_PATH, query_auth=True, json=request.body(staff))
        check = CardCheck.from_response(data, dt.datetime.now())
        log.info("card check %s -> %s (%s)", request.key, check.code, check.decision)
        return check

    def history(self, request: LookupRequest, staff: Staff) -> tuple[str, list[dict[str, Any]]]:
        """(maKetQua, dsLichSuKCB2025 entries). The body must be form-encoded (CV 2746 quirk)."""
        data = self._call(HISTORY_PATH, query_auth=True, data=request.body(staff))
        code = _text(data.get("maKetQua"))
        visits = data.get("dsLichSuKCB2025") or []
        if not isinstance(visits, list):
            raise GatewayUnavailable("Lịch sử KCB trả về sai định dạng", "The visit history has the wrong shape")
        return code, [v for v in visits if isinstance(v, dict)]

    def health_book(self, key: str) -> dict[str, Any]:
        """The health-book source's content for a personal ID number (or, lacking it, a card number)."""
        field = "soCCCD" if len(key) == 12 and key.isdigit() else "maThe"
        return self._call(HEALTH_BOOK_PATH, query_auth=False, data={field: key})

    def _submit(self, path: str, kind: str, facility: str, xml: bytes) -> Receipt:
        import base64

        form = {"username": self.username, "loaiHoSo": kind, "maTinh": facility[:2], "maCSKCB": facility,
                "fileHSBase64": base64.b64encode(xml).decode("ascii")}
        data = self._call(path, query_auth=False, data=form)
        receipt = Receipt.from_response(data)
        log.info("gateway %s -> %s %s", path, receipt.code, receipt.transaction)
        return receipt

    def submit_checkin(self, xml0: bytes, facility: str) -> Receipt:
        return self._submit(CHECKIN_PATH, "0", facility, xml0)

    def submit_claim(self, envelope: bytes, facility: str) -> Receipt:
        return self._submit(CLAIM_PATH, "130", facility, envelope)
