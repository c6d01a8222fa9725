"""A station's facade when the clinic's store lives on the clinic server: the same use cases as
``kiosk.facade.Clinic``, each one an HTTPS call (requests) to a server whose certificate this station
pinned when it was enrolled.

Printing stays here: the server renders the PDF, this station sends it to its own printer and the
server logs what happened. Losing the server: calls fail at once with ``ServerUnavailable`` (the
window says so and keeps what is on screen); check-ins go on offline (see ``offline.py``) and are
handed to the server when it answers again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import inspect
import json
import logging
import os
import ssl
import threading
import time
import typing
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from kiosk import clock, errors, paper
from kiosk.bhxh.gateway import CardCheck, Staff
from kiosk.checkin import CheckIn
from kiosk.clock import ClockVerdict
from kiosk.errors import BadInput, KioskError
from kiosk.facade import Clinic, Lookup, RenderedDocument, UnknownPatient
from kiosk.model import (
    HealthBook,
    Identity,
    IdentitySource,
    Patient,
    Role,
    Source,
    SourceNotice,
    StaffUser,
    Ticket,
)
from kiosk.privacy import filemodes
from kiosk.remote import wire
from kiosk.remote.api import EXPOSED
from kiosk.remote.handin import TakenIn
from kiosk.remote.offline import OfflineSpool
from kiosk.roles import AccessDenied
from kiosk.security import kiosk_pin
from kiosk.settings import Settings
from kiosk.visits import Problem
from printing.dispatch import PrintOutcome

log = logging.getLogger("kiosk.remote")

CONNECT_TIMEOUT_S = 3.0
READ_TIMEOUT_S = 30.0
TOKEN_FILE = "station-token"
IDLE_CONNECTION_S = 15.0  # below the server's keep-alive (kiosk.server.run.KEEP_ALIVE_S)


class ServerUnavailable(KioskError):
    """The clinic server cannot be reached (or answered nonsense)."""


class WrongServer(ServerUnavailable):
    """The server presented a certificate other than the one pinned at enrolment."""

    exit_code = 5


class PinnedAdapter(HTTPAdapter):
    """Accept exactly the server certificate whose SHA-256 fingerprint was pinned at enrolment."""

    def __init__(self, fingerprint: str) -> None:
        self.fingerprint = fingerprint
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["assert_fingerprint"] = self.fingerprint
        kwargs["ssl_context"] = _pinning_context()
        super().init_poolmanager(*args, **kwargs)


@functools.cache
def _pinning_context() -> ssl.SSLContext:
    """One TLS context for every connection to the server: no CA store to load (the fingerprint is
    the check), which would otherwise cost tens of milliseconds per new connection."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def pinned_session(fingerprint: str) -> requests.Session:
    session = requests.Session()
    session.verify = False  # no CA: the pinned fingerprint is checked instead (urllib3 assert_fingerprint)
    session.trust_env = False  # else REQUESTS_CA_BUNDLE would override verify (and a proxy could step in)
    session.mount("https://", PinnedAdapter(fingerprint))
    session.headers["User-Agent"] = "clinic-kiosk-station"
    return session


def token_path(settings: Settings) -> Path:
    return settings.paths.user_config_file.parent / TOKEN_FILE


def save_token(settings: Settings, token: str) -> Path:
    path = token_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(token)
    return path


def _error_class(name: str) -> type[KioskError]:
    from kiosk import visits

    known: dict[str, type[KioskError]] = {n: c for n, c in vars(errors).items()
                                          if isinstance(c, type) and issubclass(c, KioskError)}
    known.update({"UnknownPatient": UnknownPatient, "AccessDenied": AccessDenied,
                  "VisitNotFinalisable": visits.VisitNotFinalisable})
    return known.get(name, KioskError)


def _remote_call(name: str) -> Callable[..., Any]:
    target = getattr(Clinic, name)
    signature = inspect.signature(target)
    hints = typing.get_type_hints(target)
    returns = hints.get("return", Any)

    def call(self: RemoteClinic, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(self, *args, **kwargs)
        payload = {k: wire.dump(v) for k, v in list(bound.arguments.items())[1:]}
        return wire.load(returns, self._call(name, payload))

    call.__name__ = name
    call.__doc__ = target.__doc__
    call.__signature__ = signature  # type: ignore[attr-defined]
    return call


class RemoteClinic:
    """The facade of a station whose store is on the clinic server."""

    remote = True
    demo_mode = False

    def __init__(self, settings: Settings, url: str, fingerprint: str, token: str, *,
                 on_connection: Callable[[bool], None] | None = None) -> None:
        self.settings = settings
        self.url = url.rstrip("/")
        self.fingerprint = fingerprint
        self._token = token
        self._session_token = ""
        self.http = pinned_session(fingerprint)
        self.signed_in: StaffUser | None = None
        self.role = Role.BOARD
        self.actor = "station"
        self.station_kind = ""
        self.online = True
        self.clock_skew_s: float | None = None
        self._on_connection = on_connection
        self._lock = threading.Lock()
        self._local_prints: dict[int, tuple[str, int | None, int | None]] = {}  # job -> what to render again
        self._staff: Staff | None = None
        self._last_request = time.monotonic()
        self._scanned: dict[int, Identity] = {}  # the last patient's id -> the scan that found them
        self.spool = OfflineSpool(settings.paths.data_dir / "offline.db")
        self._reconnect: threading.Thread | None = None
        self._closed = threading.Event()
        cached = settings.paths.data_dir / "server-settings.json"
        try:
            hello = self._request("GET", "/api/v1/settings")
            filemodes.replace_private(cached, json.dumps(hello, ensure_ascii=False))
        except WrongServer:
            raise
        except ServerUnavailable:
            if not cached.exists():
                raise
            hello = json.loads(cached.read_text(encoding="utf-8"))  # start offline, as last seen
            log.warning("clinic server unreachable at start: working offline with its last settings")
        settings.apply_server(hello["settings"])
        self.station_kind = hello["kind"]
        self.spool.set_station(int(hello["station_id"]))
        if self.station_kind in ("kiosk", "board"):
            self.role = Role(self.station_kind)
            self.actor = f"{self.station_kind}-station"

    @classmethod
    def open(cls, settings: Settings, *, on_connection: Callable[[bool], None] | None = None) -> RemoteClinic:
        url, fingerprint = settings["server.url"], settings["server.fingerprint"]
        try:
            token = token_path(settings).read_text(encoding="ascii").strip()
        except OSError:
            token = ""
        if not url or not fingerprint or not token:
            raise KioskError("Máy trạm chưa ghép nối với máy chủ: chạy clinic-kiosk enroll --server URL --code MÃ",
                             "This station is not enrolled: run clinic-kiosk enroll --server URL --code CODE")
        return cls(settings, url, fingerprint, token, on_connection=on_connection)

    @property
    def location(self) -> str:
        return self.url

    def watch_connection(self, callback: Callable[[bool], None] | None) -> None:
        """``callback(online)`` whenever the server is lost or found again (from any thread)."""
        self._on_connection = callback

    # -- transport ---------------------------------------------------------------------------
    def _headers(self) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self._token}"}
        if self._session_token:
            headers["X-Clinic-Session"] = self._session_token
        return headers

    def _drop_idle_connections(self) -> None:
        """Connections idle longer than the server keeps them (20 s) are dropped here first, so a
        request never goes out on one the server is closing at that moment."""
        now = time.monotonic()
        if now - self._last_request > IDLE_CONNECTION_S:
            for adapter in self.http.adapters.values():
                adapter.poolmanager.clear()
        self._last_request = now

    def _request(self, method: str, path: str, body: dict | None = None, *, timeout: float = READ_TIMEOUT_S,
                 params: dict | None = None) -> Any:
        self._drop_idle_connections()
        try:
            response = self.http.request(method, self.url + path, json=body, params=params, headers=self._headers(),
                                         timeout=(CONNECT_TIMEOUT_S, timeout))
        except requests.exceptions.SSLError as exc:
            if "fingerprint" in str(exc).lower():
                log.error("server %s presented another certificate than the pinned one", self.url)
                raise WrongServer("Máy chủ có chứng chỉ khác với chứng chỉ đã ghép nối: không kết nối (hãy báo CNTT)",
                                  "The server's certificate is not the one pinned at enrolment: refusing to "
                                  "connect (call IT)") from None
            self._went_offline(exc)
            raise ServerUnavailable("Không kết nối được máy chủ phòng khám (TLS)",
                                    "Cannot reach the clinic server (TLS)") from None
        except requests.RequestException as exc:
            self._went_offline(exc)
            raise ServerUnavailable("Mất kết nối máy chủ phòng khám", "Lost the connection to the clinic server") \
                from None
        self._went_online(response)
        try:
            data = response.json()
        except ValueError:
            raise ServerUnavailable("Máy chủ trả lời không đọc được", "The server's answer cannot be read") from None
        if "error" in data:
            err = data["error"]
            cls = _error_class(err.get("type", ""))
            exc = cls.__new__(cls)  # the same type as on the server, with its words (not re-built)
            KioskError.__init__(exc, err.get("vi", "?"), err.get("en", "?"))
            exc.exit_code = int(err.get("exit_code", 2))
            if "problems" in err:  # a visit that cannot be finalised: each problem, for the form
                exc.problems = wire.load(list[Problem], err["problems"])
            if isinstance(err.get("wait_s"), (int, float)):  # locked out: how long to wait
                exc.wait_s = float(err["wait_s"])
            raise exc
        return data

    def _call(self, name: str, args: dict[str, Any]) -> Any:
        return self._request("POST", f"/api/v1/call/{name}", {"args": args})["result"]

    def _went_offline(self, exc: Exception) -> None:
        log.warning("clinic server unreachable: %s", type(exc).__name__)
        with self._lock:
            was, self.online = self.online, False
            start = self._reconnect is None or not self._reconnect.is_alive()
            if start and not self._closed.is_set():
                self._reconnect = threading.Thread(target=self._reconnect_loop, name="server-reconnect",
                                                   daemon=True)
                self._reconnect.start()
        if was and self._on_connection:
            self._on_connection(False)

    def _went_online(self, response: requests.Response) -> None:
        skew = clock.skew_from_date_header(response.headers.get("Date"))
        if skew is not None:
            self.clock_skew_s = skew
        self._back_online()

    def _back_online(self) -> None:
        with self._lock:
            was, self.online = self.online, True
        if not was and self._on_connection:
            self._on_connection(True)

    def _reconnect_loop(self) -> None:
        while not self._closed.wait(2.0):
            try:
                self.http.get(self.url + "/api/v1/hello", timeout=(CONNECT_TIMEOUT_S, 5))
            except requests.RequestException:  # TLS errors included: still away (or an impostor)
                continue
            try:
                self.hand_in_offline()
            except ServerUnavailable:
                continue
            except KioskError as exc:  # e.g. the session ended: the check-ins wait for the next sign-in
                log.warning("offline check-ins not handed in yet: %s", exc.en)
            self._back_online()
            return

    # -- session -----------------------------------------------------------------------------
    def act_as(self, role: Role, actor: str) -> None:
        self.role, self.actor = role, actor  # the server decides what a request may do; this is for the UI

    def sign_in(self, username: str, password: str) -> StaffUser:
        answer = self._request("POST", "/api/v1/sign-in", {"username": username, "password": password})
        self._session_token = answer["session"]
        user = wire.load(StaffUser, answer["user"])
        self.signed_in = user
        self.act_as(user.role, user.username)
        if self.spool.pending():
            try:
                self.hand_in_offline()
            except KioskError as exc:
                log.warning("offline check-ins not handed in yet: %s", exc.en)
        return user

    def unlock(self, pin: str) -> bool:
        return bool(self._request("POST", "/api/v1/unlock", {"pin": pin})["result"])

    def sign_out(self) -> None:
        if self._session_token:
            try:
                self._request("POST", "/api/v1/sign-out", {})
            except ServerUnavailable:
                pass
        self._session_token = ""
        self.signed_in = None

    def create_first_admin(self, *args: Any, **kwargs: Any) -> StaffUser:
        raise KioskError("Tạo quản trị viên đầu tiên trên máy chủ: clinic-kiosk staff add … --role admin",
                         "Create the first admin on the server: clinic-kiosk staff add … --role admin")

    def close(self) -> None:
        self._closed.set()
        self.http.close()
        self.spool.close()

    # -- what stays on this PC ----------------------------------------------------------------
    def check_kiosk_pin(self, pin: str) -> bool:
        """The kiosk's exit PIN is checked on this PC (never through the server)."""
        return kiosk_pin.check_local(self.settings, pin)

    def department(self, code: str) -> dict:
        dep = self.settings.department(code)
        if dep is None:
            raise KioskError(f"Không có khoa {code} trong cài đặt", f"No department {code} in the settings")
        return dep

    def daily_backup(self) -> None:
        return None  # the server backs the store up

    def clock_verdict(self) -> ClockVerdict:
        """This PC's clock against the server's, then the server's own verdict."""
        here = clock.check(dt.datetime.now(), gateway_skew_s=self.clock_skew_s, reference=clock.CLINIC_SERVER)
        if not here.ok:
            return here
        try:
            return wire.load(ClockVerdict, self._call("clock_verdict", {}))
        except ServerUnavailable:
            return here

    def wait_for_change(self, since: int, timeout: float = 25.0) -> int:
        """Long-poll the server: returns the queue's version as soon as it differs from ``since``."""
        answer = self._request("GET", "/api/v1/changes", params={"since": since, "timeout": timeout},
                               timeout=timeout + 10)
        return int(answer["version"])

    def _print(self, document: str, ticket_id: int | None, visit_id: int | None, printer: str | None, *,
               patient_id: int | None = None, context: str = "") -> PrintOutcome:
        rendered: RenderedDocument = wire.load(RenderedDocument, self._call(
            "render_document", {"document": document, "ticket_id": ticket_id, "visit_id": visit_id,
                                "patient_id": patient_id}))
        pdf = paper.new_pdf_path(self.settings, document)
        pdf.parent.mkdir(parents=True, exist_ok=True)
        pdf.write_bytes(rendered.pdf)
        outcome = paper.deliver(self.settings, document, pdf, doc=rendered.ticket, printer=printer)
        job = int(self._call("log_print", {"document": document, "ticket_id": ticket_id, "visit_id": visit_id,
                                           "outcome": wire.dump(outcome), "context": context}))
        self._local_prints[job] = (document, ticket_id, visit_id)
        return dataclasses.replace(outcome, log_id=job)

    def print_ticket(self, ticket: Ticket, *, context: str = "") -> PrintOutcome:
        if ticket.id == 0:  # an offline ticket: drawn and printed here
            return self.spool.print_ticket(self.settings, ticket)
        return self._print("ticket", ticket.id, None, None, patient_id=ticket.patient_id, context=context)

    def print_visit_document(self, document: str, visit_id: int, printer: str | None = None, *,
                             patient_id: int | None = None, context: str = "") -> PrintOutcome:
        return self._print(document, None, visit_id, printer, patient_id=patient_id, context=context)

    def reprint(self, job_id: int, printer: str | None = None, *, patient_id: int | None = None,
                context: str = "") -> PrintOutcome:
        if job_id in self._local_prints:
            document, ticket_id, visit_id = self._local_prints[job_id]
            return self._print(document, ticket_id, visit_id, printer, patient_id=patient_id, context=context)
        if job_id < 0:
            return self.spool.reprint(self.settings, job_id)
        raise BadInput("Phiếu này in ở máy khác: hãy in lại từ lượt khám", "That was printed elsewhere: print it again")

    # -- offline check-in ----------------------------------------------------------------------
    def _identify_online(self, identity: Identity) -> Patient:
        return wire.load(Patient, self._call("identify", {"identity": wire.dump(identity)}))

    def identify(self, identity: Identity) -> Patient:
        try:
            patient = self._identify_online(identity)
            if patient.id is not None:  # a kiosk gets a masked view: offline, the scan itself is handed in
                self._scanned = {patient.id: identity}  # the patient under work only, nobody before
            return patient
        except ServerUnavailable:
            if not identity.full_name:
                raise
            # Offline: the QR code carries the name and birth date; the server matches it later.
            return Patient(None, "", identity.full_name, identity.date_of_birth, identity.dob_precision, identity.sex,
                           identity.id_number, identity.card_number, identity.address)

    def check_in(self, patient: Patient, department_code: str, *, service: str = "", priority: str = "",
                 station: str = "", card_check: CardCheck | None = None, bhyt_reason: str = "") -> CheckIn:
        identity = self._scanned.get(patient.id) if patient.id is not None else None
        identity = identity or Identity(IdentitySource.MANUAL, id_number=patient.id_number,
                                        card_number=patient.card_number, full_name=patient.full_name,
                                        date_of_birth=patient.date_of_birth, dob_precision=patient.dob_precision,
                                        sex=patient.sex, address=patient.address)
        if self.online:
            try:
                if patient.id is None:  # found while offline: the server knows them now
                    patient = self._identify_online(identity)
                return wire.load(CheckIn, self._call("check_in", {
                    "patient": wire.dump(patient), "department_code": department_code, "service": service,
                    "priority": priority, "station": station, "card_check": wire.dump(card_check),
                    "bhyt_reason": bhyt_reason}))
            except ServerUnavailable:
                pass
        return self.spool.check_in(identity, self.department(department_code), service=service, priority=priority,
                                   local_id=uuid.uuid4().hex)

    def lookup(self, patient: Patient, staff: Staff | None) -> Lookup:
        """Card and health book from the server; offline, the patient as scanned, with the card check
        pending (retried by the server once the check-in is handed in)."""
        error: KioskError = ServerUnavailable("Mất kết nối máy chủ phòng khám", "Lost the connection to the clinic server")
        if patient.id is not None:
            try:
                return wire.load(Lookup, self._call("lookup", {"patient": wire.dump(patient),
                                                               "staff": wire.dump(staff)}))
            except ServerUnavailable as exc:
                error = exc
        book = HealthBook(patient, notices=[SourceNotice(
            Source.CLINIC, f"Ngoại tuyến: chưa xem được sổ sức khỏe ({error.vi})",
            f"Offline: the health book cannot be shown ({error.en})")])
        return Lookup(patient, CardCheck.unavailable(error, dt.datetime.now()), book)

    def lookup_staff(self, username: str | None = None) -> Staff | None:
        try:
            self._staff = wire.load(Staff, self._call("lookup_staff", {"username": username}))
        except ServerUnavailable:
            if self._staff is None:
                return None
        return self._staff

    def consents(self, patient: Patient) -> dict[str, dict] | None:
        """None offline: consent is asked and recorded when the server can keep it."""
        if patient.id is None:
            return None
        try:
            return wire.load(dict[str, dict], self._call("consents", {"patient": wire.dump(patient)}))
        except ServerUnavailable:
            return None

    def tickets_today(self, patient: Patient) -> list[Ticket]:
        if patient.id is None:
            return []
        return wire.load(list[Ticket], self._call("tickets_today", {"patient": wire.dump(patient)}))

    def hand_in_offline(self) -> list:
        """Give the server the check-ins made offline (each taken in once, under its printed number)."""
        items = self.spool.pending()
        if not items:
            return []
        answer = self._request("POST", "/api/v1/offline/take-in", {"items": [wire.dump(i) for i in items]})
        results = wire.load(list[TakenIn], answer["results"])
        self.spool.handed_in([r.local_id for r in results])
        self.spool.purge(self.settings["offline.keep_days"])
        log.info("handed %s offline check-in(s) to the server", len(results))
        return results


for _name in EXPOSED:
    if _name not in vars(RemoteClinic) and _name not in ("unlock", "sign_out"):
        setattr(RemoteClinic, _name, _remote_call(_name))
del _name

