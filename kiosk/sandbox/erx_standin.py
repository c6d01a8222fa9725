"""The sandbox's stand-in for the national prescription system (đơn thuốc quốc gia, QĐ 808/QĐ-BYT; DOMAIN.md §11).

Served by the same loopback app as the stand-in BHXH gateway (``server.create_app`` registers these routes):

* ``POST /api/auth/dang-nhap-co-so-kham-chua-benh`` — ``ma_lien_thong_co_so_kham_chua_benh`` + ``password``:
  200 ``{token, token_type: "bearer"}``; 422 on wrong credentials.
* ``POST /api/v1/them-bac-si`` / ``xoa-bac-si`` (clinic token) — ``ma_lien_thong_bac_si``: 200 ``{success}``;
  422 ``{danh_sach_cac_loi: [...]}`` (unknown doctor, already added, not added).
* ``POST /api/auth/dang-nhap-bac-si`` — doctor code, clinic code, password: 200 ``{token, token_type}``; 422 on
  wrong credentials or a doctor the clinic has not added.
* ``POST /api/v1/gui-don-thuoc`` (doctor token, ``Authorization: bearer <token>``) — the prescription, checked
  field by field: 200 ``{success: "Gửi đơn thuốc thành công", checksum}``; 422 ``{error: {field: [messages]}}``.
  A code already used is refused ("Mã đơn thuốc đã tồn tại") and the first copy is kept unchanged.

Tokens last :data:`TOKEN_TTL_S` (7 days) unless a test changes it; an unknown or expired token gets HTTP 401.
``/_admin/erx/…`` (loopback tests only) sets the token lifetime, expires tokens, adds doctors to the national
register, marks drugs as withdrawn from the national drug database (their lines are refused on ``ma_thuoc``) and
lists the prescriptions accepted with how many sends came per code.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, jsonify, request

# -- demo accounts (fictional) -------------------------------------------------------------------------------------
DEMO_CLINIC_CODE = "0101301"  # the clinic's liên thông code (7 characters)
DEMO_CLINIC_FACILITY = "01013"  # its BHYT facility code: the first 5 characters of its prescription codes
DEMO_CLINIC_PASSWORD = "erx-demo-0101301"
DEMO_DOCTOR_CODE = "001234/HN-CCHN"  # the demo doctor minh: his liên thông code is his certificate number
# The national register of doctors the stand-in knows: liên thông code -> password.
DEMO_DOCTORS = {DEMO_DOCTOR_CODE: "erx-demo-minh", "002468/HN-CCHN": "erx-demo-hoa",
                "000777/BYT-CCHN": "erx-demo-tuan"}
# The clinics the stand-in knows: liên thông code -> (password, BHYT facility code).
DEMO_CLINICS = {DEMO_CLINIC_CODE: (DEMO_CLINIC_PASSWORD, DEMO_CLINIC_FACILITY)}

TOKEN_TTL_S = 7 * 24 * 3600.0
MAX_BODY = 256 * 1024  # a prescription is a few kB; anything this big is refused before it is read

CLINIC_LOGIN_PATH = "/api/auth/dang-nhap-co-so-kham-chua-benh"
DOCTOR_LOGIN_PATH = "/api/auth/dang-nhap-bac-si"
ADD_DOCTOR_PATH = "/api/v1/them-bac-si"
REMOVE_DOCTOR_PATH = "/api/v1/xoa-bac-si"
SEND_PATH = "/api/v1/gui-don-thuoc"

WRONG_CREDENTIALS = "Mã liên thông hoặc mật khẩu không đúng"
NOT_ADDED = "Bác sĩ chưa được thêm vào cơ sở khám chữa bệnh này"
ALREADY_ADDED = "Bác sĩ đã được thêm vào cơ sở khám chữa bệnh này"
UNKNOWN_DOCTOR = "Không tìm thấy bác sĩ có mã liên thông này"
WITHDRAWN = "Thuốc đã bị rút số đăng ký lưu hành, không còn trong cơ sở dữ liệu dược quốc gia."
DUPLICATE = "Mã đơn thuốc đã tồn tại"
SENT = "Gửi đơn thuốc thành công"


def canonical(body: Any) -> bytes:
    """The body as the stand-in fingerprints it: sorted keys, no spaces, UTF-8."""
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def checksum(body: Any) -> str:
    return hashlib.sha256(canonical(body)).hexdigest()


# -- state -------------------------------------------------------------------------------------------------------
@dataclass
class _Token:
    clinic: str
    doctor: str | None  # None: the clinic's own token
    expires_at: float


@dataclass
class Accepted:
    code: str
    clinic: str
    doctor: str
    checksum: str
    received_at: str
    body: dict[str, Any]


@dataclass
class ErxState:
    """What the stand-in knows; every read and write goes through ``lock``."""

    token_ttl: float = TOKEN_TTL_S
    clinics: dict[str, tuple[str, str]] = field(default_factory=lambda: dict(DEMO_CLINICS))
    register: dict[str, str] = field(default_factory=lambda: dict(DEMO_DOCTORS))
    added: dict[str, set[str]] = field(default_factory=dict)  # clinic -> doctors it added
    tokens: dict[str, _Token] = field(default_factory=dict)
    accepted: dict[str, Accepted] = field(default_factory=dict)  # code -> the first copy
    sends: dict[str, int] = field(default_factory=dict)  # code -> how many sends named it
    # drugs whose registration was withdrawn (the national drug database no longer lists them): a clinic's
    # catalogue cannot know, so the system's refusal is the first the doctor hears of it
    withdrawn: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def reset(self) -> None:
        with self.lock:
            fresh = ErxState()
            self.token_ttl, self.clinics, self.register = fresh.token_ttl, fresh.clinics, fresh.register
            self.added, self.tokens, self.accepted, self.sends = fresh.added, fresh.tokens, fresh.accepted, fresh.sends
            self.withdrawn = fresh.withdrawn

    def issue(self, clinic: str, doctor: str | None) -> str:
        token = secrets.token_urlsafe(32)
        now = time.monotonic()
        with self.lock:
            for old in [k for k, t in self.tokens.items() if t.expires_at <= now]:
                del self.tokens[old]
            self.tokens[token] = _Token(clinic, doctor, now + self.token_ttl)
        return token

    def holder(self, token: str) -> _Token | None:
        with self.lock:
            held = self.tokens.get(token)
        return held if held is not None and held.expires_at > time.monotonic() else None

    def expire(self, kind: str = "all") -> int:
        with self.lock:
            hit = [t for t in self.tokens.values()
                   if kind == "all" or (kind == "doctor") == (t.doctor is not None)]
            for t in hit:
                t.expires_at = 0.0
        return len(hit)


# -- prescription checks -----------------------------------------------------------------------------------------
KINDS = ("c", "n", "h", "y")
CODE = re.compile(r"^[0-9A-Za-z]{5}[0-9a-z]{7}-[cnhy]$")
ICD10 = re.compile(r"^[A-Z][0-9]{2}(\.?[0-9A-Z]{1,4})?$")
TOP_FIELDS = frozenset({
    "loai_don_thuoc", "ma_don_thuoc", "ho_ten_benh_nhan", "ngay_sinh_benh_nhan", "ma_dinh_danh_y_te",
    "ma_dinh_danh_cong_dan", "can_nang", "gioi_tinh", "ma_so_the_bao_hiem_y_te", "thong_tin_nguoi_giam_ho",
    "dia_chi", "chan_doan", "luu_y", "hinh_thuc_dieu_tri", "dot_dung_thuoc", "thong_tin_don_thuoc", "loi_dan",
    "so_dien_thoai_nguoi_kham_benh", "ngay_tai_kham", "ngay_gio_ke_don", "signature"})
GUARDIAN_FIELDS = frozenset({"ho_ten", "so_dien_thoai", "dia_chi"})
DIAGNOSIS_FIELDS = frozenset({"ma_chan_doan", "ten_chan_doan", "ket_luan"})
DRUG_FIELDS = frozenset({"ma_thuoc", "biet_duoc", "ten_thuoc", "don_vi_tinh", "so_luong", "cach_dung"})
SUPPLY_FIELDS = frozenset({"dot", "tu_ngay", "den_ngay", "so_thang_thuoc"})
MAX_LINES = 100  # drugs or diagnoses on one prescription


class _Errors:
    def __init__(self) -> None:
        self.by_field: dict[str, list[str]] = {}

    def add(self, name: str, message: str) -> None:
        self.by_field.setdefault(name, []).append(message)


def _absent(value: Any) -> bool:
    return value is None or value == ""


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(errors: _Errors, name: str, value: Any, limit: int, *, required: bool) -> str | None:
    if _absent(value) or (isinstance(value, str) and not value.strip()):
        if required:
            errors.add(name, f"Trường {name} là bắt buộc.")
        return None
    if not isinstance(value, str):
        errors.add(name, f"Trường {name} phải là chuỗi ký tự.")
        return None
    if len(value) > limit:
        errors.add(name, f"Trường {name} không được dài quá {limit} ký tự.")
        return None
    return value


def _date(errors: _Errors, name: str, value: Any, *, required: bool) -> dt.date | None:
    text = _text(errors, name, value, 10, required=required)
    if text is None:
        return None
    if not re.fullmatch(r"\d{2}/\d{2}/\d{4}", text):
        errors.add(name, f"Trường {name} không đúng định dạng dd/mm/yyyy.")
        return None
    try:
        return dt.datetime.strptime(text, "%d/%m/%Y").date()
    except ValueError:
        errors.add(name, f"Trường {name} không phải là ngày hợp lệ.")
        return None


def _digits(errors: _Errors, name: str, value: Any, limit: int) -> None:
    text = _text(errors, name, value, limit, required=False)
    if text is not None and not (text.isascii() and text.isdigit()):
        errors.add(name, f"Trường {name} chỉ được gồm chữ số (tối đa {limit} chữ số).")


def _choice(errors: _Errors, name: str, value: Any, allowed: tuple[int, ...], *, required: bool) -> int | None:
    if _absent(value):
        if required:
            errors.add(name, f"Trường {name} là bắt buộc.")
        return None
    if not _is_int(value) or value not in allowed:
        errors.add(name, f"Trường {name} phải là một trong các giá trị {', '.join(map(str, allowed))}.")
        return None
    return int(value)


def _object(errors: _Errors, name: str, value: Any, known: frozenset[str]) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        errors.add(name, f"Trường {name} phải là một đối tượng.")
        return None
    for key in sorted(set(value) - known, key=str)[:20]:
        errors.add(f"{name}.{key}", f"Trường {name}.{key} không có trong đặc tả.")
    return value


def _months_between(born: dt.date, on: dt.date) -> int:
    return (on.year - born.year) * 12 + on.month - born.month - (1 if on.day < born.day else 0)


def _list(errors: _Errors, name: str, value: Any) -> list[Any]:
    if _absent(value) or value == []:
        errors.add(name, f"Trường {name} là bắt buộc và phải có ít nhất một mục.")
        return []
    if not isinstance(value, list):
        errors.add(name, f"Trường {name} phải là một danh sách.")
        return []
    if len(value) > MAX_LINES:
        errors.add(name, f"Trường {name} không được có quá {MAX_LINES} mục.")
        return []
    return value


def check_prescription(body: dict[str, Any], facility: str) -> dict[str, list[str]]:
    """Every refusal of the prescription per field (``{}``: acceptable), for the clinic of BHYT code ``facility``."""
    e = _Errors()
    for key in sorted(set(body) - TOP_FIELDS, key=str)[:20]:
        e.add(str(key)[:60], f"Trường {str(key)[:60]} không có trong đặc tả.")

    kind = body.get("loai_don_thuoc")
    if _absent(kind):
        e.add("loai_don_thuoc", "Trường loai_don_thuoc là bắt buộc.")
        kind = None
    elif kind not in KINDS:
        e.add("loai_don_thuoc", "Trường loai_don_thuoc phải là một trong các giá trị c, n, h, y.")
        kind = None

    code = _text(e, "ma_don_thuoc", body.get("ma_don_thuoc"), 14, required=True)
    if code is not None:
        if not CODE.match(code):
            e.add("ma_don_thuoc", "Trường ma_don_thuoc phải có dạng xxxxxyyyyyyy-z (14 ký tự).")
        else:
            if code[:5] != facility:
                e.add("ma_don_thuoc", "5 ký tự đầu của ma_don_thuoc phải là mã cơ sở khám chữa bệnh.")
            if kind is not None and code[-1] != kind:
                e.add("ma_don_thuoc", "Ký tự cuối của ma_don_thuoc phải trùng loai_don_thuoc.")

    _text(e, "ho_ten_benh_nhan", body.get("ho_ten_benh_nhan"), 500, required=True)
    born = _date(e, "ngay_sinh_benh_nhan", body.get("ngay_sinh_benh_nhan"), required=True)
    _text(e, "ma_dinh_danh_y_te", body.get("ma_dinh_danh_y_te"), 10, required=False)
    personal = body.get("ma_dinh_danh_cong_dan")
    if not _absent(personal) and not (isinstance(personal, str) and re.fullmatch(r"[0-9]{12}", personal)):
        e.add("ma_dinh_danh_cong_dan", "Trường ma_dinh_danh_cong_dan phải gồm đúng 12 chữ số.")
    weight = body.get("can_nang")
    if not _absent(weight) and not (_is_number(weight) and 0 < weight < 500):
        e.add("can_nang", "Trường can_nang phải là một số (kg) lớn hơn 0.")
    _choice(e, "gioi_tinh", body.get("gioi_tinh"), (1, 2, 3), required=True)
    _text(e, "ma_so_the_bao_hiem_y_te", body.get("ma_so_the_bao_hiem_y_te"), 10, required=False)
    _text(e, "dia_chi", body.get("dia_chi"), 500, required=True)
    _text(e, "luu_y", body.get("luu_y"), 2000, required=False)
    _text(e, "loi_dan", body.get("loi_dan"), 2000, required=False)
    _digits(e, "so_dien_thoai_nguoi_kham_benh", body.get("so_dien_thoai_nguoi_kham_benh"), 12)
    _text(e, "signature", body.get("signature"), 20000, required=False)

    revisit = body.get("ngay_tai_kham")
    if not _absent(revisit) and not (_is_int(revisit) and 0 <= revisit <= 365):
        e.add("ngay_tai_kham", "Trường ngay_tai_kham phải là số ngày (0–365) sau ngày kê đơn, không phải ngày tháng.")

    prescribed: dt.datetime | None = None
    when = _text(e, "ngay_gio_ke_don", body.get("ngay_gio_ke_don"), 19, required=True)
    if when is not None:
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", when):
                raise ValueError(when)
            prescribed = dt.datetime.strptime(when, "%Y-%m-%d %H:%M:%S")
        except ValueError:
            e.add("ngay_gio_ke_don", "Trường ngay_gio_ke_don không đúng định dạng yyyy-mm-dd HH:MM:SS.")
        else:
            if prescribed > dt.datetime.now() + dt.timedelta(days=1):
                e.add("ngay_gio_ke_don", "Trường ngay_gio_ke_don không được ở tương lai.")
    if born is not None and prescribed is not None and born > prescribed.date():
        e.add("ngay_sinh_benh_nhan", "Trường ngay_sinh_benh_nhan phải trước ngày kê đơn.")

    guardian = body.get("thong_tin_nguoi_giam_ho")
    young = born is not None and _months_between(born, (prescribed or dt.datetime.now()).date()) < 72
    if _absent(guardian) or guardian == {}:
        if young:
            e.add("thong_tin_nguoi_giam_ho",
                  "Trường thong_tin_nguoi_giam_ho là bắt buộc khi người bệnh dưới 72 tháng tuổi.")
    elif (g := _object(e, "thong_tin_nguoi_giam_ho", guardian, GUARDIAN_FIELDS)) is not None:
        _text(e, "thong_tin_nguoi_giam_ho.ho_ten", g.get("ho_ten"), 500, required=True)
        _text(e, "thong_tin_nguoi_giam_ho.dia_chi", g.get("dia_chi"), 500, required=True)
        if _absent(g.get("so_dien_thoai")):
            e.add("thong_tin_nguoi_giam_ho.so_dien_thoai", "Trường thong_tin_nguoi_giam_ho.so_dien_thoai là bắt buộc.")
        else:
            _digits(e, "thong_tin_nguoi_giam_ho.so_dien_thoai", g.get("so_dien_thoai"), 12)

    for i, item in enumerate(_list(e, "chan_doan", body.get("chan_doan"))):
        name = f"chan_doan.{i}"
        if (d := _object(e, name, item, DIAGNOSIS_FIELDS)) is None:
            continue
        icd = _text(e, f"{name}.ma_chan_doan", d.get("ma_chan_doan"), 20, required=True)
        if icd is not None and not ICD10.match(icd):
            e.add(f"{name}.ma_chan_doan", f"Trường {name}.ma_chan_doan không phải mã ICD-10 hợp lệ.")
        _text(e, f"{name}.ten_chan_doan", d.get("ten_chan_doan"), 500, required=True)
        _text(e, f"{name}.ket_luan", d.get("ket_luan"), 2000, required=False)

    treatment = body.get("hinh_thuc_dieu_tri")
    if kind == "c" and _absent(treatment):
        e.add("hinh_thuc_dieu_tri", "Trường hinh_thuc_dieu_tri là bắt buộc với đơn thuốc thông thường (c).")
    else:
        _choice(e, "hinh_thuc_dieu_tri", treatment, (1, 2), required=False)

    supply = body.get("dot_dung_thuoc")
    if _absent(supply) or supply == {}:
        if kind in ("n", "h", "y"):
            e.add("dot_dung_thuoc", f"Trường dot_dung_thuoc là bắt buộc với đơn thuốc loại {kind}.")
    elif (s := _object(e, "dot_dung_thuoc", supply, SUPPLY_FIELDS)) is not None:
        if not (_is_int(s.get("dot")) and 1 <= s["dot"] <= 100):
            e.add("dot_dung_thuoc.dot", "Trường dot_dung_thuoc.dot phải là số nguyên từ 1.")
        start = _date(e, "dot_dung_thuoc.tu_ngay", s.get("tu_ngay"), required=True)
        end = _date(e, "dot_dung_thuoc.den_ngay", s.get("den_ngay"), required=True)
        if start is not None and end is not None and start > end:
            e.add("dot_dung_thuoc.den_ngay", "Trường dot_dung_thuoc.den_ngay không được trước tu_ngay.")
        if not (_is_int(s.get("so_thang_thuoc")) and 0 <= s["so_thang_thuoc"] <= 1000):
            e.add("dot_dung_thuoc.so_thang_thuoc", "Trường dot_dung_thuoc.so_thang_thuoc phải là số nguyên không âm.")

    for i, item in enumerate(_list(e, "thong_tin_don_thuoc", body.get("thong_tin_don_thuoc"))):
        name = f"thong_tin_don_thuoc.{i}"
        if (d := _object(e, name, item, DRUG_FIELDS)) is None:
            continue
        _text(e, f"{name}.ma_thuoc", d.get("ma_thuoc"), 20, required=True)
        for key in ("biet_duoc", "ten_thuoc", "don_vi_tinh"):
            _text(e, f"{name}.{key}", d.get(key), 500, required=True)
        _text(e, f"{name}.cach_dung", d.get("cach_dung"), 2000, required=True)
        amount = d.get("so_luong")
        if _absent(amount):
            e.add(f"{name}.so_luong", f"Trường {name}.so_luong là bắt buộc.")
        elif not (_is_number(amount) and 0 < amount <= 100000):
            e.add(f"{name}.so_luong", f"Trường {name}.so_luong phải là một số lớn hơn 0.")
    return e.by_field


# -- HTTP --------------------------------------------------------------------------------------------------------
def _refuse_constant(name: str) -> Any:
    raise ValueError(f"JSON constant {name} is not accepted")


def _json_body() -> tuple[dict[str, Any] | None, Response | None]:
    """The request's JSON object, or the answer refusing it (too big, not JSON, not an object)."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        return None, _refusal({"body": [f"Nội dung gửi lên quá lớn (tối đa {MAX_BODY // 1024} KB)."]}, 413)
    raw = request.stream.read(MAX_BODY + 1)
    if len(raw) > MAX_BODY:
        return None, _refusal({"body": [f"Nội dung gửi lên quá lớn (tối đa {MAX_BODY // 1024} KB)."]}, 413)
    if request.mimetype != "application/json":
        return None, _refusal({"body": ["Content-Type phải là application/json."]})
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        return None, _refusal({"body": ["Nội dung gửi lên không phải JSON hợp lệ."]})
    if not isinstance(data, dict):
        return None, _refusal({"body": ["Nội dung gửi lên phải là một đối tượng JSON."]})
    return data, None


def _refusal(fields: dict[str, list[str]], status: int = 422) -> Response:
    response = jsonify({"error": fields})
    response.status_code = status
    return response


def _errors(*messages: str) -> Response:
    response = jsonify({"danh_sach_cac_loi": list(messages)})
    response.status_code = 422
    return response


def _unauthorised() -> Response:
    response = jsonify({"message": "Unauthenticated."})
    response.status_code = 401
    return response


def _required(data: dict[str, Any], *names: str) -> dict[str, list[str]]:
    return {n: [f"Trường {n} là bắt buộc."] for n in names
            if not isinstance(data.get(n), str) or not data[n].strip() or len(data[n]) > 200}


def register(app: Flask, state: ErxState, count: Callable[[str], None]) -> None:
    """Add the stand-in's routes (and its ``/_admin/erx/…`` switches) to the sandbox's app."""

    def bearer() -> _Token | None:
        scheme, _, token = (request.headers.get("Authorization") or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return state.holder(token.strip())

    def token_answer(token: str) -> Response:
        return jsonify({"token": token, "token_type": "bearer"})

    @app.post(CLINIC_LOGIN_PATH)
    def erx_clinic_login() -> Response:
        data, refused = _json_body()
        if refused is not None:
            return refused
        if missing := _required(data, "ma_lien_thong_co_so_kham_chua_benh", "password"):
            return _refusal(missing)
        code = data["ma_lien_thong_co_so_kham_chua_benh"]
        with state.lock:
            clinic = state.clinics.get(code)
        if clinic is None or not secrets.compare_digest(clinic[0].encode(), data["password"].encode()):
            count("erx:login_failed")
            return _errors(WRONG_CREDENTIALS)
        count("erx:clinic_logins")
        return token_answer(state.issue(code, None))

    @app.post(DOCTOR_LOGIN_PATH)
    def erx_doctor_login() -> Response:
        data, refused = _json_body()
        if refused is not None:
            return refused
        if missing := _required(data, "ma_lien_thong_bac_si", "ma_lien_thong_co_so_kham_chua_benh", "password"):
            return _refusal(missing)
        doctor, clinic = data["ma_lien_thong_bac_si"], data["ma_lien_thong_co_so_kham_chua_benh"]
        with state.lock:
            known = state.register.get(doctor)
            clinic_known = clinic in state.clinics
            added = doctor in state.added.get(clinic, set())
        if known is None or not clinic_known or not secrets.compare_digest(known.encode(), data["password"].encode()):
            count("erx:login_failed")
            return _errors(WRONG_CREDENTIALS)
        if not added:
            count("erx:login_not_added")
            return _errors(NOT_ADDED)
        count("erx:doctor_logins")
        return token_answer(state.issue(clinic, doctor))

    def clinic_call(add: bool) -> Response:
        holder = bearer()
        if holder is None or holder.doctor is not None:
            count("erx:unauthorised")
            return _unauthorised()
        data, refused = _json_body()
        if refused is not None:
            return refused
        if missing := _required(data, "ma_lien_thong_bac_si"):
            return _refusal(missing)
        doctor = data["ma_lien_thong_bac_si"]
        with state.lock:
            members = state.added.setdefault(holder.clinic, set())
            if doctor not in state.register:
                problem = UNKNOWN_DOCTOR
            elif add and doctor in members:
                problem = ALREADY_ADDED
            elif not add and doctor not in members:
                problem = NOT_ADDED
            else:
                problem = ""
                if add:
                    members.add(doctor)
                else:
                    members.discard(doctor)
                    for t in state.tokens.values():  # a removed doctor's sessions at this clinic end
                        if t.clinic == holder.clinic and t.doctor == doctor:
                            t.expires_at = 0.0
        if problem:
            return _errors(problem)
        count("erx:doctors_added" if add else "erx:doctors_removed")
        return jsonify({"success": "Thêm bác sĩ thành công" if add else "Xóa bác sĩ thành công"})

    app.add_url_rule(ADD_DOCTOR_PATH, "erx_add_doctor", lambda: clinic_call(True), methods=["POST"])
    app.add_url_rule(REMOVE_DOCTOR_PATH, "erx_remove_doctor", lambda: clinic_call(False), methods=["POST"])

    @app.post(SEND_PATH)
    def erx_send() -> Response:
        holder = bearer()
        if holder is None or holder.doctor is None:
            count("erx:unauthorised")
            return _unauthorised()
        body, refused = _json_body()
        if refused is not None:
            count("erx:refused")
            return refused
        with state.lock:
            facility = state.clinics.get(holder.clinic, ("", ""))[1]
        errors = check_prescription(body, facility)
        with state.lock:
            withdrawn = set(state.withdrawn)
        drugs = body.get("thong_tin_don_thuoc")
        for i, item in enumerate(drugs if isinstance(drugs, list) else []):
            if isinstance(item, dict) and item.get("ma_thuoc") in withdrawn:
                errors.setdefault(f"thong_tin_don_thuoc.{i}.ma_thuoc", []).append(WITHDRAWN)
        code = body.get("ma_don_thuoc")
        sum_ = checksum(body)
        with state.lock:
            if isinstance(code, str) and CODE.match(code):
                state.sends[code] = state.sends.get(code, 0) + 1
                if code in state.accepted:
                    errors.setdefault("ma_don_thuoc", []).append(DUPLICATE)
            if not errors:
                state.accepted[code] = Accepted(code, holder.clinic, holder.doctor, sum_,
                                                dt.datetime.now().isoformat(timespec="seconds"), body)
        if errors:
            count("erx:duplicate" if list(errors) == ["ma_don_thuoc"] and DUPLICATE in errors["ma_don_thuoc"]
                  else "erx:refused")
            return _refusal(errors)
        count("erx:accepted")
        return jsonify({"success": SENT, "checksum": sum_})

    # -- admin (tests and drills) -------------------------------------------------------------------------------
    @app.post("/_admin/erx/token-ttl")
    def erx_token_ttl() -> Response:
        seconds = (request.get_json(silent=True) or {}).get("seconds", state.token_ttl)
        with state.lock:
            state.token_ttl = float(seconds)
        return jsonify({"token_ttl": state.token_ttl})

    @app.post("/_admin/erx/expire-tokens")
    def erx_expire() -> Response:
        kind = (request.get_json(silent=True) or {}).get("kind", "all")
        if kind not in ("all", "clinic", "doctor"):
            return jsonify({"error": "kind: all, clinic or doctor"}), 400
        return jsonify({"expired": state.expire(kind)})

    @app.post("/_admin/erx/doctor")
    def erx_known_doctor() -> Response:
        data = request.get_json(silent=True) or {}
        code, password = str(data.get("code", "")), str(data.get("password", ""))
        if not code or not password:
            return jsonify({"error": "code and password are required"}), 400
        with state.lock:
            state.register[code] = password
        return jsonify({"ok": True})

    @app.post("/_admin/erx/withdrawn")
    def erx_withdrawn() -> Response:
        codes = (request.get_json(silent=True) or {}).get("codes", [])
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            return jsonify({"error": "codes: a list of drug codes"}), 400
        with state.lock:
            state.withdrawn = set(codes)
        return jsonify({"withdrawn": sorted(codes)})

    @app.get("/_admin/erx/prescriptions")
    def erx_prescriptions() -> Response:
        with state.lock:
            accepted = {code: {"clinic": a.clinic, "doctor": a.doctor, "checksum": a.checksum,
                               "received_at": a.received_at, "body": a.body} for code, a in state.accepted.items()}
            added = {clinic: sorted(doctors) for clinic, doctors in state.added.items()}
            return jsonify({"accepted": accepted, "sends": dict(state.sends), "added": added})
