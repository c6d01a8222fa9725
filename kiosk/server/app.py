"""The clinic server's HTTP API (Flask, called by the front of front.py, served by Hypercorn over TLS;
see run.py).

- ``POST /api/v1/enroll``: a station's pairing proof → its token (tls.py explains the proofs).
- ``POST /api/v1/call/<use case>``: ``{"args": {...}}`` → ``{"result": ...}`` (kiosk.remote.wire), or
  ``{"error": {"type", "vi", "en", "exit_code"}}`` with HTTP 400/403/401.
- ``POST /api/v1/sign-in``: a staff member signs in at a staff station → a session token.
- ``GET /api/v1/changes?since=N&timeout=S``: long-poll; answers as soon as the queue changed (served by
  the front, on its event loop, not here).
- ``GET /api/v1/settings``: the settings every station shares (facility, departments, …).
- ``POST /api/v1/offline/take-in``: check-ins a station made while it could not reach the server,
  numbered from its own series (kiosk.remote.offline), handed in when it is back; each taken in once.

Every request but enrolment carries ``Authorization: Bearer <station token>``; staff stations add
``X-Clinic-Session``. The role of a request is the station's machine role (kiosk, board) or the
signed-in user's; the gate in api.py and the facade's own role checks both apply.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import inspect
import json
import logging
import math
import secrets
import threading
import typing
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from kiosk import roles, staff
from kiosk.errors import BadInput, KioskError, LockedOut, NotEnrolled
from kiosk.facade import Clinic
from kiosk.model import Role, StaffUser
from kiosk.privacy import textcheck
from kiosk.remote import wire
from kiosk.remote.api import EXPOSED
from kiosk.remote.handin import OfflineCheckIn
from kiosk.server import registry

log = logging.getLogger("kiosk.server")

SESSION_HOURS = 12
LONG_POLL_MAX_S = 30.0


class ChangeFeed:
    """A version number that moves on every change to the queue; waiters wake at once. Writes by
    other processes on the same SQLite file (the CLI) are seen through ``PRAGMA data_version``."""

    def __init__(self, clinic: Clinic, poll_s: float = 0.1) -> None:
        self.version = 1
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._listeners: list = []
        self._clinic = clinic
        self._poll_s = poll_s
        self._thread = threading.Thread(target=self._watch, name="change-feed", daemon=True)
        self._thread.start()

    def bump(self) -> None:
        with self._cond:
            self.version += 1
            self._cond.notify_all()
        for listener in self._listeners:
            listener()

    def listen(self, callback) -> None:  # noqa: ANN001 - called with no argument on every change
        self._listeners.append(callback)

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def wait(self, since: int, timeout: float) -> int:
        with self._cond:
            self._cond.wait_for(lambda: self.version != since or self._stop.is_set(), timeout=timeout)
            return self.version

    def _watch(self) -> None:
        last = None
        while not self._stop.wait(self._poll_s):
            try:
                seen = self._clinic.store.data_version()
            except KioskError:
                continue
            if last is not None and seen != last:
                self.bump()
            last = seen

    def stop(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        for listener in self._listeners:
            listener()


class Sessions:
    """Signed-in staff, stored by the SHA-256 of their session token (a restart of the server keeps
    everyone signed in; a session ends on sign-out, after SESSION_HOURS, or with its account)."""

    def __init__(self, clinic: Clinic) -> None:
        self.store = clinic.store

    @staticmethod
    def _digest(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def open(self, user: StaffUser, station_id: int) -> str:
        token = secrets.token_urlsafe(32)
        expires = dt.datetime.now() + dt.timedelta(hours=SESSION_HOURS)
        with self.store.transaction() as db:
            db.execute("DELETE FROM sessions WHERE expires_at < ?", (dt.datetime.now().isoformat(),))
            db.execute("INSERT INTO sessions(token_sha256, username, station_id, expires_at) VALUES (?, ?, ?, ?)",
                       (self._digest(token), user.username, station_id, expires.isoformat()))
        return token

    def get(self, token: str, station_id: int) -> StaffUser | None:
        row = self.store.conn.execute("SELECT username FROM sessions WHERE token_sha256 = ? AND station_id = ? "
                                      "AND expires_at >= ?", (self._digest(token), station_id,
                                                              dt.datetime.now().isoformat())).fetchone()
        if row is None:
            return None
        return staff.active_user(self.store, row[0])

    def close(self, token: str) -> None:
        with self.store.transaction() as db:
            db.execute("DELETE FROM sessions WHERE token_sha256 = ?", (self._digest(token),))


@functools.cache
def _parameters(name: str) -> tuple[tuple[str, Any, bool], ...]:
    """(name, type, required) of a use case's parameters, read once from the facade's signature."""
    target = getattr(Clinic, name)
    hints = typing.get_type_hints(target)
    return tuple((p.name, hints.get(p.name, Any), p.default is inspect.Parameter.empty)
                 for p in list(inspect.signature(target).parameters.values())[1:])


MAX_DEPTH = 12  # the deepest argument (a visit draft) is 4 levels deep
MAX_STRING = 20_000  # characters in one text field (a doctor's notes fit many times)
MAX_INT = 2**63 - 1  # what the store can hold


def _check_value(value: Any, where: str, depth: int = 0) -> None:
    """Limits on what a client sends: depth, string lengths, integer size, and no control
    characters, bidi overrides or lone surrogates in any text (line breaks allowed)."""
    if depth > MAX_DEPTH:
        raise BadInput("Dữ liệu lồng nhau quá sâu", "The data is nested too deeply")
    if isinstance(value, str):
        if len(value) > MAX_STRING:
            raise BadInput(f"Trường {where} quá dài", f"The field {where} is too long")
        textcheck.check(value, where, multiline=True)
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int):
        if abs(value) > MAX_INT:
            raise BadInput(f"Số trong trường {where} quá lớn", f"The number in {where} is too large")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise BadInput(f"Số trong trường {where} không hợp lệ", f"The number in {where} is not valid")
    elif isinstance(value, list):
        for item in value:
            _check_value(item, where, depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_value(key, where, depth + 1)
            _check_value(item, f"{where}.{key}" if depth < 2 else where, depth + 1)


def _body() -> dict:
    """The request's JSON object, checked; BadInput (a JSON 400) for anything else."""
    raw = request.get_data(cache=True)
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise BadInput("Dữ liệu gửi lên không phải JSON hợp lệ", "The request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise BadInput("Dữ liệu gửi lên phải là một đối tượng JSON", "The request body must be a JSON object")
    _check_value(data, "body")
    return data


def _arguments(name: str, raw: Any) -> dict[str, Any]:
    """A use case's arguments from the wire, each as its declared type; BadInput naming the first
    one that is missing, unknown or of the wrong shape."""
    if not isinstance(raw, dict):
        raise BadInput("Tham số phải là một đối tượng", "The arguments must be an object")
    params = _parameters(name)
    unknown = set(raw) - {p for p, _, _ in params}
    if unknown:
        first = sorted(unknown)[0][:40]
        raise BadInput(f"Tham số không có: {first}", f"Unknown argument: {first}")
    args = {}
    for param, kind, required in params:
        if param not in raw:
            if required:
                raise BadInput(f"Thiếu tham số {param}", f"Missing argument {param}")
            continue
        try:
            args[param] = wire.load(kind, raw[param])
        except (TypeError, ValueError, KeyError, AttributeError, OverflowError, IndexError, RecursionError):
            raise BadInput(f"Tham số {param} không hợp lệ", f"The argument {param} is not valid") from None
    return args


_HTTP_VI = {400: "Yêu cầu không hợp lệ", 401: "Chưa xác thực", 403: "Không được phép", 404: "Không có địa chỉ này",
            405: "Phương thức không được phép", 413: "Yêu cầu quá lớn", 415: "Kiểu dữ liệu không được hỗ trợ"}


def _error(exc: KioskError, status: int) -> tuple[Response, int, dict[str, str]]:
    body = {"type": type(exc).__name__, "vi": exc.vi, "en": exc.en, "exit_code": exc.exit_code}
    if hasattr(exc, "problems"):  # VisitNotFinalisable: the form marks each problem
        body["problems"] = wire.dump(exc.problems)
    headers = {}
    if isinstance(exc, LockedOut):  # the station counts the wait down
        body["wait_s"] = round(exc.wait_s, 1)
        headers["Retry-After"] = str(max(1, round(exc.wait_s)))
    return jsonify({"error": body}), status, headers


def _status_for(exc: KioskError) -> int:
    if isinstance(exc, roles.AccessDenied):
        return 403
    if isinstance(exc, NotEnrolled):
        return 401
    if isinstance(exc, LockedOut):
        return 429
    return 400


def create_app(clinic: Clinic, fingerprint: str, feed: ChangeFeed) -> Flask:
    app = Flask("clinic-kiosk-server")
    sessions = Sessions(clinic)
    app.config["sessions"] = sessions

    def client_address() -> str:
        return request.remote_addr or ""

    def station() -> registry.Station:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            raise NotEnrolled("Máy trạm chưa được ghép nối", "The station is not enrolled")
        return registry.station_for(clinic.store, header[7:])

    def acting(st: registry.Station, *, session_free: bool = False) -> Clinic:
        if st.machine_role is not None:
            return clinic.session(st.machine_role, f"{st.kind}:{st.name}")
        token = request.headers.get("X-Clinic-Session", "")
        user = sessions.get(token, st.id) if token else None
        if user is None:
            if session_free:
                return clinic.session(Role.BOARD, f"{st.kind}:{st.name}")  # reads nothing personal
            raise roles.AccessDenied(Role.BOARD, "sign_in")
        return clinic.session(user.role, user.username, user)

    @app.errorhandler(KioskError)
    def kiosk_error(exc: KioskError):  # noqa: ANN202
        return _error(exc, _status_for(exc))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):  # noqa: ANN202 - 404, 405, … as JSON too
        code = exc.code or 400
        body = {"type": type(exc).__name__, "vi": _HTTP_VI.get(code, "Yêu cầu không hợp lệ"),
                "en": exc.name, "exit_code": 2}
        return jsonify({"error": body}), code

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):  # noqa: ANN202 - a fault here: logged by type, answered as JSON
        log.error("server fault in %s: %s", request.path[:80], type(exc).__name__, exc_info=exc)
        body = {"type": "ServerFault", "vi": "Máy chủ gặp lỗi khi xử lý yêu cầu này (đã ghi nhật ký)",
                "en": "The server failed on this request (logged)", "exit_code": 2}
        return jsonify({"error": body}), 500

    @app.get("/api/v1/hello")
    def hello() -> Response:
        return jsonify({"server": "clinic-kiosk", "fingerprint": fingerprint,
                        "time": dt.datetime.now().isoformat(timespec="seconds")})

    @app.post("/api/v1/enroll")
    def enroll() -> Response:
        body = _body()
        st, token, server_proof = registry.enroll(clinic.store, fingerprint, str(body.get("nonce", ""))[:200],
                                                  str(body.get("proof", ""))[:200], address=client_address())
        log.info("station enrolled: %s (%s)", st.name, st.kind)
        return jsonify({"token": token, "station": st.name, "kind": st.kind, "server_proof": server_proof})

    @app.get("/api/v1/settings")
    def shared_settings() -> Response:
        st = station()
        return jsonify({"settings": wire.dump(clinic.settings.shared()), "station": st.name, "kind": st.kind,
                        "station_id": st.id})

    @app.post("/api/v1/sign-in")
    def sign_in() -> Response:
        st = station()
        if st.machine_role is not None:
            raise roles.AccessDenied(st.machine_role, "sign_in")
        body = _body()
        user = staff.authenticate(clinic.store, str(body.get("username", "")), str(body.get("password", "")),
                                  station=st.name, address=client_address())
        token = sessions.open(user, st.id)
        return jsonify({"session": token, "user": wire.dump(user)})

    @app.post("/api/v1/sign-out")
    def sign_out() -> Response:
        st = station()
        view = acting(st)
        view.sign_out()
        sessions.close(request.headers.get("X-Clinic-Session", ""))
        return jsonify({"ok": True})

    @app.post("/api/v1/unlock")
    def unlock() -> Response:
        st = station()
        view = acting(st)
        pin = str(_body().get("pin", ""))[:64]
        return jsonify({"result": view.signed_in is not None and staff.unlock(
            clinic.store, view.signed_in.username, pin, station=st.name, address=client_address())})

    @app.post("/api/v1/call/<name>")
    def call(name: str) -> Response:
        exposed = EXPOSED.get(name)
        if exposed is None or name in ("unlock", "sign_out"):
            raise BadInput(f"Không có chức năng {name}", f"No use case {name}")
        st = station()
        view = acting(st, session_free=exposed.session_free)
        if exposed.gate is not None:
            roles.require(view.role, exposed.gate)
        method = getattr(view, name)
        args = _arguments(name, _body().get("args", {}))
        if name in ("lookup", "retry_pending_card_checks") and "staff" in args:
            args["staff"] = view.lookup_staff()  # the signed-in user's, never what the station sent
        if name == "lookup_staff":
            args = {}  # one's own name and CCCD only, never a colleague's
        result = method(**args)
        if exposed.changes:
            feed.bump()
        return jsonify({"result": wire.dump(result)})

    @app.post("/api/v1/offline/take-in")
    def take_in() -> Response:
        st = station()
        view = acting(st)
        roles.require(view.role, "check_in")
        try:
            items = wire.load(list[OfflineCheckIn], _body().get("items", []))
        except (TypeError, ValueError, KeyError, AttributeError, OverflowError):
            raise BadInput("Danh sách tiếp đón ngoại tuyến không hợp lệ", "The offline check-ins are not valid") \
                from None
        results = [registry.take_in(view, st, item) for item in items]
        if results:
            feed.bump()
        return jsonify({"results": wire.dump(results)})

    @app.after_request
    def seen(response: Response) -> Response:
        response.headers["Cache-Control"] = "no-store"
        return response

    return app
