"""The sandbox gateway's HTTP side (Flask, served by waitress).

Same endpoints and quirks as the BHXH gateway (DOMAIN.md §3–4):

* ``POST /api/token/take`` — form or JSON ``username`` + upper-case MD5 ``password``.
* ``POST /api/egw/KQNhanLichSuKCB2024`` — query-string auth, JSON or form body (the real gateway takes both,
  DOMAIN.md §13); card check.
* ``POST /api/egw/Lskcb2025`` — query-string auth, **form** body (JSON is refused with 205).
* ``POST /api/qd130/checkInKcbQd3176`` / ``…Qd4750`` — header auth, form body, XML0 in base64.
* ``POST /api/qd130/guiHoSoXmlQD3176`` / ``…QD4750`` / ``…QD130`` — header auth, GIAMDINHHS envelope.
  Claims and check-ins must carry the facility's XML-DSig signature in CHUKYDONVI (``SIGNATURE_REFUSED`` otherwise);
  a claim's money must add up by the validator's money rules (``MONEY_REFUSED`` otherwise, with the reasons).
* ``POST /api/skdt/tra-cuu`` — header auth, form ``soCCCD``: the health-book content (QĐ 1332
  shape) of the sandbox's own health-book source.
* The national prescription system's calls (DOMAIN.md §11), served by ``erx_standin`` on the same app.

Tokens expire (``token_ttl``); an expired or unknown token gets HTTP 401 with an empty body.
``/_admin/…`` (loopback tests only) sets faults, expires tokens, reads counters and resets.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import random
import secrets
import threading
import time
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, jsonify, request

from kiosk.sandbox import erx_standin
from kiosk.sandbox.people import SyntheticPatient, make_people
from scanner.payloads import PROVINCE_CODES

CARD_PROVINCES = frozenset(code[1:] for code in PROVINCE_CODES)  # "001" -> "01"

DEFAULT_USERNAME = "01013_BV"
DEFAULT_PASSWORD = "sandbox-demo"
# Staff registered with the sandbox for lookups (hoTenCb / cccdCb): CV 1923's named-user list.
DEFAULT_STAFF = {"001085001234": "Nguyễn Thị Lan", "079190004321": "Trần Văn Minh"}
# The sandbox's catalogue of facilities (demo data): a name for every facility code its people carry
# (kiosk.sandbox.people.FACILITIES). Fictional names; the registered facility's name goes into tenDKBDMoi.
FACILITY_CATALOGUE = {"01013": "Phòng khám Đa khoa An Bình", "01001": "Bệnh viện Đa khoa Sông Hồng",
                      "01832": "Trạm Y tế Phường Ba Đình", "79024": "Bệnh viện Quận Bến Thành",
                      "48011": "Bệnh viện Đa khoa Hải Châu", "92002": "Trung tâm Y tế Ninh Kiều"}


def md5_upper(password: str) -> str:
    return hashlib.md5(password.encode("utf-8")).hexdigest().upper()  # noqa: S324 - the gateway's scheme


def fold(text: str) -> str:
    """Compare names as the gateway does: case, spacing and Unicode form do not matter."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


@dataclass
class Faults:
    latency_ms: float = 0.0
    error_rate: float = 0.0  # answer with ``error_status``
    error_status: int = 503
    timeout_rate: float = 0.0  # hold the request for ``timeout_s`` before answering
    timeout_s: float = 15.0
    drop_rate: float = 0.0  # cut the connection mid-answer
    malformed_rate: float = 0.0  # answer text that is not JSON
    wrong_code_rate: float = 0.0  # answer a maKetQua the spec does not have
    paths: list[str] = field(default_factory=list)  # only these path prefixes (empty: all)

    def applies(self, path: str) -> bool:
        return not self.paths or any(path.startswith(p) for p in self.paths)


@dataclass
class Submission:
    ma_lk: str
    digest: str
    transaction: str
    received_at: str
    kind: str  # "checkin" or "claim"


class SandboxWorld:
    """Everything the sandbox knows: patients, accounts, tokens, faults, submissions."""

    def __init__(self, seed: int = 1, patients: int = 60, *, username: str = DEFAULT_USERNAME,
                 password: str = DEFAULT_PASSWORD, token_ttl: float = 600.0,
                 today: dt.date | None = None) -> None:
        self.seed = seed
        self.people = make_people(seed, patients, today)
        self.username = username
        self.password_md5 = md5_upper(password)
        self.token_ttl = token_ttl
        self.staff = dict(DEFAULT_STAFF)
        self.faults = Faults()
        self.lock = threading.Lock()
        self.tokens: dict[str, tuple[str, float]] = {}  # access_token -> (id_token, expires_at)
        self.submissions: dict[tuple[str, str], Submission] = {}  # (kind, MA_LK) -> first accepted
        self.counters: dict[str, int] = {}
        self.rng = random.Random(seed)
        self.erx = erx_standin.ErxState()  # the national prescription system's stand-in (its own lock)
        self._by_key: dict[str, SyntheticPatient] = {}
        for p in self.people:
            self._by_key[p.id_number] = p
            self._by_key[p.bhxh_number] = p
            if p.has_card:
                self._by_key[p.card_number] = p
            if p.new_card_number:
                self._by_key[p.new_card_number] = p

    def count(self, name: str, n: int = 1) -> None:
        with self.lock:
            self.counters[name] = self.counters.get(name, 0) + n

    def find(self, key: str) -> SyntheticPatient | None:
        return self._by_key.get(key.strip().upper())

    def issue_token(self) -> dict[str, Any]:
        access, id_token = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[access] = (id_token, time.monotonic() + self.token_ttl)
        self.count("tokens_issued")
        return {"access_token": access, "id_token": id_token, "token_type": "Bearer",
                "username": self.username, "expires_in": int(self.token_ttl)}

    def token_ok(self, access: str | None, id_token: str | None, username: str | None, password: str | None) -> bool:
        with self.lock:
            entry = self.tokens.get(access or "")
        return bool(entry and entry[0] == id_token and entry[1] > time.monotonic()
                    and username == self.username and (password or "").upper() == self.password_md5)

    def expire_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()


# -- card check ----------------------------------------------------------------------------------
def _gateway_date(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def card_check(world: SandboxWorld, body: dict[str, str]) -> dict[str, Any]:
    card = (body.get("maThe") or "").strip().upper()
    name, birth = body.get("hoTen") or "", (body.get("ngaySinh") or "").strip()
    staff_cccd, staff_name = (body.get("cccdCb") or "").strip(), body.get("hoTenCb") or ""
    if not card or not name or not birth or not staff_cccd or not staff_name:
        return {"maKetQua": "205", "ghiChu": "Thiếu tham số bắt buộc"}
    if staff_cccd not in world.staff:
        return {"maKetQua": "054", "ghiChu": "CCCD cán bộ không có trong danh sách đăng ký"}
    if fold(world.staff[staff_cccd]) != fold(staff_name):
        return {"maKetQua": "055", "ghiChu": "Họ tên cán bộ không khớp CCCD"}
    if len(card) == 15:
        if not card[2].isdigit() or card[2] not in "12345":
            return {"maKetQua": "053", "ghiChu": "Mã quyền lợi BHYT (ký tự thứ 3) không đúng"}
        if card[3:5] not in CARD_PROVINCES:
            return {"maKetQua": "052", "ghiChu": "Mã tỉnh cấp thẻ BHYT (ký tự thứ 4,5) không đúng"}
    elif len(card) not in (10, 12) or not card.isdigit():
        return {"maKetQua": "051", "ghiChu": "Mã thẻ không đúng"}
    person = world.find(card)
    if person is None:
        return {"maKetQua": "050", "ghiChu": "Không có thông tin thẻ"}
    if fold(name) != fold(person.full_name):
        code = "061" if fold(name)[:1] == fold(person.full_name)[:1] else "060"
        return {"maKetQua": code, "ghiChu": "Họ tên không đúng"}
    dob = person.date_of_birth
    if birth not in {_gateway_date(dob), dob.strftime("%m/%Y"), str(dob.year)}:
        return {"maKetQua": "070", "ghiChu": "Ngày sinh không đúng"}
    if not person.has_card:
        return {"maKetQua": "130", "ghiChu": "Trẻ em chưa có thẻ BHYT"}
    sex = "Nam" if person.sex == "male" else "Nữ"
    answer: dict[str, Any] = {
        "maKetQua": person.card_state,
        "ghiChu": (f"Thẻ còn giá trị sử dụng! Họ tên: {person.full_name}, Ngày sinh: {_gateway_date(dob)}, "
                   f"Giới tính: {sex}! Địa chỉ: {person.address}; Nơi KCBBĐ: {person.registered_facility}; "
                   f"Hạn thẻ: {_gateway_date(person.valid_from)} - {_gateway_date(person.valid_to)}"),
        "maThe": person.card_number, "hoTen": person.full_name, "ngaySinh": _gateway_date(dob),
        "gioiTinh": sex, "diaChi": person.address, "maDKBD": person.registered_facility,
        "cqBHXH": "Bảo hiểm xã hội (sandbox)", "gtTheTu": _gateway_date(person.valid_from),
        "gtTheDen": _gateway_date(person.valid_to), "maKV": person.area_code,
        "ngayDu5Nam": _gateway_date(person.five_year_date), "maSoBHXH": person.bhxh_number,
        "maTheCu": None, "maTheMoi": None, "gtTheTuMoi": None, "gtTheDenMoi": None, "maDKBDMoi": None,
        "tenDKBDMoi": None, "dsLichSuKCB2018": None,  # history moved to Lskcb2025 (CV 2746)
        "dsLichSuKT2018": [{"userKT": world.username, "thoiGianKT": dt.datetime.now().strftime("%Y%m%d%H%M"),
                            "thongBao": "Tra cứu thẻ", "maLoi": person.card_state}],
    }
    if person.new_card_number:
        new_from = dt.date.today() - dt.timedelta(days=10)
        answer.update(maTheCu=person.card_number, maTheMoi=person.new_card_number,
                      gtTheTuMoi=_gateway_date(new_from), gtTheDenMoi=_gateway_date(dt.date(new_from.year, 12, 31)),
                      maDKBDMoi=person.registered_facility,
                      tenDKBDMoi=FACILITY_CATALOGUE.get(person.registered_facility, "Cơ sở KCB ban đầu (sandbox)"))
    return answer


def history(world: SandboxWorld, body: dict[str, str]) -> dict[str, Any]:
    check = card_check(world, body)
    if check["maKetQua"] not in {"000", "001", "002", "003", "004", "010", "110", "120", "121", "122", "123",
                                 "124", "130"}:
        return {"maKetQua": check["maKetQua"], "ghiChu": check.get("ghiChu", ""), "dsLichSuKCB2025": None}
    person = world.find(body["maThe"])
    visits = person.visits if person else []
    return {"maKetQua": "000", "ghiChu": "Thành công", "dsLichSuKCB2025": visits or None}


# -- submissions ---------------------------------------------------------------------------------
class BadFile(ValueError):
    pass


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise BadFile("Nội dung không phải base64 hợp lệ") from None


def _xml(data: bytes, what: str) -> ET.Element:
    if b"<!DOCTYPE" in data[:2048] or b"<!ENTITY" in data:
        raise BadFile(f"{what}: không chấp nhận DTD/ENTITY")
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        raise BadFile(f"{what}: XML sai cú pháp ({exc})") from None


def check_envelope(data: bytes, facility: str) -> str:
    """Validate a GIAMDINHHS envelope; return its MA_LK."""
    root = _xml(data, "GIAMDINHHS")
    if root.tag != "GIAMDINHHS":
        raise BadFile("Thẻ gốc phải là GIAMDINHHS")
    if (root.findtext("THONGTINDONVI/MACSKCB") or "").strip() != facility:
        raise BadFile("MACSKCB trong hồ sơ khác maCSKCB gửi kèm")
    files = root.findall("THONGTINHOSO/DANHSACHHOSO/HOSO/FILEHOSO")
    if not files:
        raise BadFile("Hồ sơ không có FILEHOSO nào")
    kinds = [(f.findtext("LOAIHOSO") or "").strip() for f in files]
    if "XML1" not in kinds:
        raise BadFile("Thiếu bảng XML1")
    links = set()
    for f, kind in zip(files, kinds, strict=True):
        inner = _xml(_b64(f.findtext("NOIDUNGFILE") or ""), kind)
        for node in inner.iter("MA_LK"):
            links.add((node.text or "").strip())
    if len(links) != 1 or "" in links:
        raise BadFile("MA_LK phải có và giống nhau ở mọi bảng")
    return links.pop()


def check_checkin(data: bytes) -> str:
    root = _xml(data, "XML0")
    if root.tag != "CHI_TIEU_TRANG_THAI_KCB":
        raise BadFile("Thẻ gốc phải là CHI_TIEU_TRANG_THAI_KCB")
    records = root.findall("DSACH_TRANG_THAI_KCB/TRANG_THAI_KCB")
    if not records or not (records[0].findtext("MA_LK") or "").strip():
        raise BadFile("Thiếu TRANG_THAI_KCB/MA_LK")
    return records[0].findtext("MA_LK").strip()


# The answer to a claim or check-in whose facility signature is missing, broken or does not match the content (the
# content was edited after signing): not "400" (a malformed file) so the clinic can tell them apart; "401" as the
# portal's code for a sender it cannot authenticate (DOMAIN.md §4) — here the document's signer.
SIGNATURE_REFUSED = "401"


def signature_refusal(data: bytes) -> str | None:
    """Why the facility signature in CHUKYDONVI of a claim envelope or XML0 check-in is refused (in Vietnamese, as
    the portal answers), or None when it verifies: the digest of the whole document, the RSA-SHA256 signature and
    the certificate's validity today. (The real portal also wants the certificate registered for the facility; the
    sandbox takes any.)"""
    from kiosk.bhxh import signing

    try:
        signing.verify(data)
    except signing.NotSigned:
        return "Hồ sơ chưa được ký số: thiếu chữ ký số của cơ sở trong CHUKYDONVI"
    except signing.SignatureInvalid as exc:
        return f"Chữ ký số không hợp lệ: {exc.vi}"
    return None


# The answer to a claim whose money does not add up (kiosk/bhxh/xml_validate.py's money rules: a line's amounts, XML1's
# totals against the lines). The portal's own code for a failed assessment rule is not documented (DOMAIN.md §4 names
# 200, 401, 403); "422" says "well-formed, but its content breaks a rule", apart from "400" (a file that cannot be
# read) and "401" (the signature).
MONEY_REFUSED = "422"
MONEY_REASONS_SHOWN = 5


def money_refusal(data: bytes) -> str | None:
    """Why a claim's money is refused (in Vietnamese, as the portal answers), or None when it adds up."""
    from kiosk.bhxh.xml_validate import money_violations

    found = money_violations(data)
    if not found:
        return None
    reasons = "; ".join(f"{f.table} {f.field}: {f.vi or f.message}" for f in found[:MONEY_REASONS_SHOWN])
    more = f" (và {len(found) - MONEY_REASONS_SHOWN} lỗi khác)" if len(found) > MONEY_REASONS_SHOWN else ""
    return f"Số tiền trong hồ sơ không khớp quy tắc thanh toán BHYT: {reasons}{more}"


def money_answer(world: SandboxWorld, kind: str, data: bytes) -> Response | None:
    """The portal's refusal of a claim whose money does not add up (a check-in carries no money), or None."""
    refusal = money_refusal(data) if kind == "claim" else None
    if refusal is None:
        return None
    world.count(f"{kind}_money_refused")
    return jsonify({"maKetQua": MONEY_REFUSED, "maGiaoDich": None, "thongDiep": refusal})


class DroppedConnection(Exception):
    """Raised inside a streamed answer so that waitress cuts the connection mid-answer."""


def _broken_stream():  # noqa: ANN202
    yield b'{"maKetQua": "0'
    raise DroppedConnection("sandbox fault: connection dropped")


# -- the app -------------------------------------------------------------------------------------
def create_app(world: SandboxWorld) -> Flask:
    app = Flask("clinic-kiosk-sandbox")
    app.config["MAX_CONTENT_LENGTH"] = 20 * 1024 * 1024

    def params() -> dict[str, str]:
        if request.is_json:
            data = request.get_json(silent=True)
            return {k: str(v) for k, v in data.items()} if isinstance(data, dict) else {}
        return request.form.to_dict()

    def query_auth() -> bool:
        a = request.args
        return world.token_ok(a.get("token"), a.get("id_token"), a.get("username"), a.get("password"))

    def header_auth() -> bool:
        h = request.headers
        return world.token_ok(h.get("accessToken"), h.get("tokenId"), world.username, h.get("passwordHash"))

    def unauthorised() -> Response:
        world.count("unauthorised")
        return Response(b"", status=401)

    @app.before_request
    def inject_faults() -> Response | None:
        path = request.path
        if path.startswith("/_admin"):
            return None
        world.count(f"requests:{path}")
        f = world.faults
        if not f.applies(path):
            return None
        with world.lock:
            roll = [world.rng.random() for _ in range(5)]
        if f.latency_ms:
            time.sleep(f.latency_ms / 1000)
        if roll[0] < f.timeout_rate:
            world.count("fault:timeout")
            time.sleep(f.timeout_s)
        if roll[1] < f.error_rate:
            world.count("fault:error")
            return Response("Service Unavailable", status=f.error_status)
        if roll[2] < f.drop_rate:
            world.count("fault:drop")
            return Response(_broken_stream(), status=200, mimetype="application/json")
        if roll[3] < f.malformed_rate:
            world.count("fault:malformed")
            return Response(b'{"maKetQua": "000", "hoTen": ', status=200, mimetype="application/json")
        if roll[4] < f.wrong_code_rate:
            world.count("fault:wrong_code")
            return jsonify({"maKetQua": "999", "ghiChu": "Mã lỗi không có trong tài liệu"})
        return None

    @app.post("/api/token/take")
    def token_take() -> Response:
        p = params()
        if p.get("username") != world.username or (p.get("password") or "").upper() != world.password_md5:
            world.count("login_failed")
            return jsonify({"maKetQua": "401", "APIKey": None, "thongBao": "Sai tài khoản hoặc mật khẩu"})
        return jsonify({"maKetQua": "200", "APIKey": world.issue_token()})

    @app.post("/api/egw/KQNhanLichSuKCB2024")
    def card() -> Response:
        if not query_auth():
            return unauthorised()
        if not request.is_json and not request.form:  # JSON (CV 1923's example) or a form, as real clients send it
            return jsonify({"maKetQua": "205", "ghiChu": "Body phải là JSON hoặc application/x-www-form-urlencoded"})
        world.count("card_checks")
        return jsonify(card_check(world, params()))

    @app.post("/api/egw/Lskcb2025")
    def lskcb() -> Response:
        if not query_auth():
            return unauthorised()
        if request.is_json or not request.form:
            return jsonify({"maKetQua": "205", "ghiChu": "Body phải là application/x-www-form-urlencoded"})
        world.count("history_lookups")
        return jsonify(history(world, params()))

    def submit(kind: str) -> Response:
        if not header_auth():
            return unauthorised()
        form = request.form
        facility = (form.get("maCSKCB") or "").strip()
        if form.get("username") != world.username or not facility:
            return jsonify({"maKetQua": "205", "thongDiep": "Thiếu username hoặc maCSKCB"})
        try:
            data = _b64(form.get("fileHSBase64") or "")
            ma_lk = check_checkin(data) if kind == "checkin" else check_envelope(data, facility)
        except BadFile as exc:
            world.count(f"{kind}_rejected")
            return jsonify({"maKetQua": "400", "maGiaoDich": None, "thongDiep": f"Hồ sơ không hợp lệ: {exc}"})
        refusal = signature_refusal(data)
        if refusal is not None:
            world.count(f"{kind}_signature_refused")
            return jsonify({"maKetQua": SIGNATURE_REFUSED, "maGiaoDich": None, "thongDiep": refusal})
        if (wrong_money := money_answer(world, kind, data)) is not None:
            return wrong_money
        digest = hashlib.sha256(data).hexdigest()
        now = dt.datetime.now().strftime("%Y%m%d%H%M%S")
        with world.lock:
            first = world.submissions.get((kind, ma_lk))
            if first is None:
                first = Submission(ma_lk, digest, f"GD{secrets.token_hex(8).upper()}", now, kind)
                world.submissions[(kind, ma_lk)] = first
                repeated = False
            else:
                repeated = True
        world.count(f"{kind}_repeated" if repeated else f"{kind}_accepted")
        message = "Hồ sơ đã được tiếp nhận trước đó" if repeated else "Tiếp nhận hồ sơ thành công"
        return jsonify({"maKetQua": "200", "maGiaoDich": first.transaction, "thoiGianTiepNhan": first.received_at,
                        "thongDiep": message})

    for path in ("/api/qd130/checkInKcbQd3176", "/api/qd130/checkInKcbQd4750"):
        app.add_url_rule(path, f"checkin:{path}", lambda: submit("checkin"), methods=["POST"])
    for path in ("/api/qd130/guiHoSoXmlQD3176", "/api/qd130/guiHoSoXmlQD4750", "/api/qd130/guiHoSoXmlQD130"):
        app.add_url_rule(path, f"claim:{path}", lambda: submit("claim"), methods=["POST"])

    @app.post("/api/skdt/tra-cuu")
    def health_book() -> Response:
        if not header_auth():
            return unauthorised()
        person = world.find(request.form.get("soCCCD") or request.form.get("maThe") or "")
        world.count("health_book_lookups")
        if person is None:
            return jsonify({"maKetQua": "050", "ghiChu": "Không có sổ sức khỏe cho số định danh này"})
        return jsonify({"maKetQua": "000", "ghiChu": "Thành công", **person.health_book()})

    # -- admin (tests and drills) -------------------------------------------------------------
    @app.post("/_admin/faults")
    def set_faults() -> Response:
        data = request.get_json(silent=True) or {}
        try:
            world.faults = Faults(**data)
        except TypeError as exc:
            return jsonify({"error": str(exc)}), 400
        return jsonify(world.faults.__dict__)

    @app.post("/_admin/expire-tokens")
    def expire() -> Response:
        world.expire_tokens()
        return jsonify({"ok": True})

    @app.post("/_admin/token-ttl")
    def token_ttl() -> Response:
        world.token_ttl = float((request.get_json(silent=True) or {}).get("seconds", world.token_ttl))
        return jsonify({"token_ttl": world.token_ttl})

    @app.post("/_admin/staff")
    def add_staff() -> Response:
        data = request.get_json(silent=True) or {}
        world.staff[str(data.get("cccd", ""))] = str(data.get("name", ""))
        return jsonify({"ok": True})

    @app.get("/_admin/stats")
    def stats() -> Response:
        with world.lock:
            submissions = {f"{k[0]}:{k[1]}": v.transaction for k, v in world.submissions.items()}
            return jsonify({"counters": dict(world.counters), "submissions": submissions})

    @app.post("/_admin/reset")
    def reset() -> Response:
        with world.lock:
            world.faults = Faults()
            world.counters.clear()
            world.submissions.clear()
            world.tokens.clear()
        world.erx.reset()
        return jsonify({"ok": True})

    erx_standin.register(app, world.erx, world.count)  # same app, same port, same fault switches
    return app


def listing_lines(world: SandboxWorld) -> list[str]:
    return [json.dumps(p.listing(), ensure_ascii=False) for p in world.people]
