"""The clinic every use case runs in: its settings and store, who acts and with which role, the BHXH gateway
(or the built-in sandbox) and the health-book service, and the housekeeping a station runs now and then."""

from __future__ import annotations

import copy
import ipaddress
import json
import logging
import threading
from pathlib import Path
from typing import Self
from urllib.parse import urlsplit

from kiosk import clock, patients
from kiosk.bhxh import signing
from kiosk.bhxh.gateway import CardCheck, GatewayAuthError, GatewayClient
from kiosk.clock import ClockVerdict
from kiosk.errors import BadInput, KioskError
from kiosk.erx.client import ErxAuthError, ErxClient
from kiosk.healthbook import HealthBookService
from kiosk.model import Patient, Role, StaffUser
from kiosk.security.secrets_store import erx_password, gateway_password_md5, md5_upper
from kiosk.settings import Settings
from kiosk.store import backup
from kiosk.store.opening import open_configured
from kiosk.store.sqlite import Store

log = logging.getLogger("kiosk.facade")


def record_card_check(db, patient_id: int, key: str, card_check: CardCheck, by: str) -> None:  # noqa: ANN001
    """Keep a card check's answer (whoever made it: the desk, the doctor, the kiosk) for the desk and the audit."""
    db.execute(
        "INSERT INTO card_checks(patient_id, card_number, result_code, decision, response_json, checked_at, "
        "staff_username) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (patient_id, key, card_check.code, card_check.decision.value, json.dumps(card_check.response, ensure_ascii=False),
         card_check.checked_at.isoformat(timespec="seconds"), by),
    )


def _stand_in(url: str) -> bool:
    """Whether the BHXH gateway at ``url`` is a stand-in: none set (the built-in sandbox), or one on loopback."""
    if not url:
        return True
    host = (urlsplit(url).hostname or "").strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class UnknownPatient(BadInput):
    """An ID or card number this clinic has never seen, with nothing to register the patient from."""


class ClinicBase:
    def __init__(self, settings: Settings, store: Store, *, gateway_url: str | None = None) -> None:
        self.settings = settings
        self.store = store
        self._gateway_url = gateway_url
        self._gateway: GatewayClient | None = None
        self._erx: ErxClient | None = None
        self._sandbox = None
        self._healthbook: HealthBookService | None = None
        self._demo_signing_told = False
        self._lock = threading.Lock()
        self.demo_mode = False
        self.actor = "station"  # who acts: a signed-in user name, or the station's machine role
        self.role = Role.ADMIN  # the CLI's default; each station sets its own (kiosk, board, …)
        self.signed_in: StaffUser | None = None
        self._root: ClinicBase | None = None  # set on a per-request view (session) of this clinic

    def session(self, role: Role, actor: str, signed_in: StaffUser | None = None) -> Self:
        """The same clinic (store, gateway, caches) acting for one request's user: the clinic server
        makes one per request, so one station's user never acts under another's role."""
        view = copy.copy(self)
        view.role, view.actor, view.signed_in = role, actor, signed_in
        view._root = self._root or self  # the gateway session and health-book workers stay shared
        return view

    def act_as(self, role: Role, actor: str) -> None:
        """Run the following use cases as ``actor`` with ``role`` (a signed-in user, or a machine role)."""
        self.role, self.actor = role, actor

    @classmethod
    def open(cls, settings: Settings | None = None, db_path: Path | None = None, *,
             gateway_url: str | None = None, check: bool = False) -> Self:
        settings = settings or Settings()
        clinic = cls(settings, open_configured(settings, path=db_path, check=check), gateway_url=gateway_url)
        if settings["station.role"]:  # a public kiosk or board PC: everything on it runs under that role
            clinic.act_as(Role(settings["station.role"]), f"{settings['station.role']}-station")
        return clinic

    @property
    def location(self) -> str:
        """Where the clinic's data is, for the status bar: the database file."""
        return str(self.store.path)

    def close(self) -> None:
        if self._healthbook is not None:
            self._healthbook.close()
        if self._gateway is not None:
            self._gateway.close()
        if self._erx is not None:
            self._erx.close()
        if self._sandbox is not None:
            self._sandbox.stop()
        self.store.close()

    def gateway(self) -> GatewayClient:
        """The BHXH gateway client; with no gateway configured, the built-in sandbox on loopback."""
        if self._root is not None:
            return self._root.gateway()
        with self._lock:
            if self._gateway is not None:
                return self._gateway
            s = self.settings
            url = self._gateway_url or s["gateway.url"]
            username = s["gateway.username"]
            password_md5 = gateway_password_md5(username) if username else None
            if not url:
                sandbox = self._demo_sandbox()
                url, username = sandbox.url, sandbox.username
                password_md5 = md5_upper(sandbox.password)
                log.warning("no BHXH gateway configured: using DEMO DATA from the built-in sandbox at %s", url)
            elif not username or password_md5 is None:
                from kiosk.sandbox.server import DEFAULT_PASSWORD, DEFAULT_USERNAME

                if username and username != DEFAULT_USERNAME:
                    raise GatewayAuthError(
                        "Chưa có mật khẩu cổng BHXH (biến CLINIC_KIOSK_GATEWAY_PASSWORD hoặc keyring)",
                        "No BHXH gateway password (CLINIC_KIOSK_GATEWAY_PASSWORD or the OS keyring)")
                username, password_md5 = DEFAULT_USERNAME, md5_upper(DEFAULT_PASSWORD)
                log.warning("no gateway account configured: trying the sandbox demo account on %s", url)
            verify: bool | str = s["gateway.ca_bundle"] or True
            self._gateway = GatewayClient(url, username, password_md5, connect_timeout=s["gateway.connect_timeout"],
                                          read_timeout=s["gateway.read_timeout"], verify=verify)
            return self._gateway

    def _demo_sandbox(self):  # noqa: ANN202 - the running sandbox (kiosk.sandbox.runner.RunningSandbox)
        """The built-in sandbox with demo data (started once, with the lock held): the stand-in of whatever
        national system has no address in the settings."""
        if self._sandbox is None:
            from kiosk.sandbox.runner import start_sandbox

            self._sandbox = start_sandbox()
            self.demo_mode = True
        return self._sandbox

    def erx_client(self) -> ErxClient:
        """The national prescription system's client; with no ``erx.url``, the built-in sandbox's stand-in with its
        demo accounts. Passwords come from the OS keyring (or CLINIC_KIOSK_ERX_PASSWORD for the clinic)."""
        if self._root is not None:
            return self._root.erx_client()
        with self._lock:
            if self._erx is not None:
                return self._erx
            s = self.settings
            url, facility = s["erx.url"], s["erx.facility_code"]
            clinic_password = erx_password(None)

            def doctor_password(code: str) -> str | None:
                row = self.store.conn.execute("SELECT username FROM staff WHERE erx_code = ? ORDER BY active DESC, "
                                              "id LIMIT 1", (code,)).fetchone()
                return erx_password(row[0]) if row else None

            if not url:
                sandbox = self._demo_sandbox()
                url, facility, clinic_password = sandbox.url, sandbox.erx_facility, sandbox.erx_password
                known = dict(sandbox.erx_doctor_passwords)

                def doctor_password(code: str) -> str | None:  # noqa: F811 - the stand-in's demo doctors
                    return known.get(code)

                log.warning("no prescription system configured: using the built-in sandbox's stand-in at %s", url)
            elif not facility or not clinic_password:
                raise ErxAuthError("Chưa cài mã liên thông hoặc mật khẩu của cơ sở với hệ thống đơn thuốc quốc gia "
                                   "(erx.facility_code; clinic-kiosk erx set-password)",
                                   "No interconnection code or password of the clinic for the national prescription system "
                                   "(erx.facility_code; clinic-kiosk erx set-password)")
            self._erx = ErxClient(url, facility, clinic_password, doctor_password=doctor_password,
                                  connect_timeout=s["erx.connect_timeout"], read_timeout=s["erx.read_timeout"],
                                  verify=s["erx.ca_bundle"] or True)
            return self._erx

    def signer(self) -> signing.Signer | signing.Unsigned:
        """Who signs the claims and check-ins sent to the BHXH portal (the ``signing.*`` settings): the facility's
        token (PKCS#11) or PKCS#12 file; the demo certificate (made in the data folder when missing) for
        ``signing.source = demo``, or ``auto`` with a stand-in gateway (the built-in sandbox, or a sandbox on this
        machine: the real portal is never on a loopback address). Nothing is opened here: the token is asked
        at each signing, so a token plugged in later is used then."""
        if self._root is not None:
            return self._root.signer()
        s = self.settings
        source = s["signing.source"]
        if source == "auto":
            source = "demo" if _stand_in(self._gateway_url or s["gateway.url"]) else "unset"
        if source != "demo":
            return signing.from_settings(s, source)
        from kiosk.sandbox import demo

        if not self._demo_signing_told:
            self._demo_signing_told = True
            log.warning("signing claims with the DEMO certificate in %s (not a real facility's)", s.paths.data_dir)
        return demo.demo_signer(s.paths.data_dir)

    def healthbook_service(self) -> HealthBookService:
        if self._root is not None:
            return self._root.healthbook_service()
        if self._healthbook is None:
            self._healthbook = HealthBookService(self.store, self.gateway(),
                                                 wait_s=self.settings["gateway.read_timeout"])
        return self._healthbook

    def _stored(self, patient_id: int | None) -> Patient:
        """The record as this store has it: what a station sends about a patient is never trusted
        beyond its id (the audit names what was really read)."""
        found = patients.get(self.store, patient_id) if patient_id is not None else None
        if found is None:
            raise UnknownPatient(f"Không có người bệnh {patient_id}", f"No patient {patient_id}")
        return found

    def department(self, code: str) -> dict:
        dep = self.settings.department(code)
        if dep is None:
            raise KioskError(f"Không có khoa {code} trong cài đặt", f"No department {code} in the settings")
        return dep

    def clock_verdict(self) -> ClockVerdict:
        """Is this PC's clock right (release date, times already in the store, the gateway's clock)?"""
        skew = self._gateway.clock_skew_s if self._gateway is not None else None
        return clock.check_store(self.store, gateway_skew_s=skew)

    def daily_backup(self) -> Path | None:
        """Take today's backup if none exists yet (stations and the server call this now and then)."""
        if not self.settings["backup.daily"] or getattr(self.store, "kind", "sqlite") != "sqlite":
            return None  # a PostgreSQL store is backed up by its own tools (pg_dump), not from here
        return backup.daily(self.store, self.settings.backup_dir(), keep=self.settings["backup.keep"])
