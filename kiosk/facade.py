"""The core's facade: every use case a station, the CLI or a test runs goes through ``Clinic``.

Later issues add identify, check card, health book, check-in, visit and print use cases here; the
windows in ui/ never touch SQL or HTTP themselves.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from kiosk import checkin, clock, consent, icd10, paper, patients, roles, staff, visits
from kiosk.bhxh import outbox
from kiosk.bhxh.card_codes import Decision, needs_confirmation
from kiosk.bhxh.gateway import CardCheck, GatewayAuthError, GatewayClient, LookupRequest, Staff
from kiosk.checkin import CheckIn
from kiosk.clock import ClockVerdict
from kiosk.errors import BadInput, CardNotUsable, ConsentNeeded, KioskError
from kiosk.healthbook import HealthBookService
from kiosk.model import HealthBook, Identity, InsuranceCard, Patient, Role, StaffUser, Ticket
from kiosk.privacy.masking import mask_name
from kiosk.security import audit, kiosk_pin, lockout
from kiosk.security.secrets_store import gateway_password_md5, md5_upper
from kiosk.settings import Settings
from kiosk.store import backup
from kiosk.store.opening import open_configured
from kiosk.store.sqlite import Store
from printing.dispatch import PrintOutcome
from printing.ticket import TicketDoc

log = logging.getLogger("kiosk.facade")


class UnknownPatient(BadInput):
    """An ID or card number this clinic has never seen, with nothing to register the patient from."""


@dataclass(frozen=True)
class RenderedDocument:
    filename: str
    pdf: bytes
    ticket: TicketDoc | None = None


@dataclass(frozen=True)
class Lookup:
    patient: Patient
    card_check: CardCheck
    health_book: HealthBook


class Clinic:
    def __init__(self, settings: Settings, store: Store, *, gateway_url: str | None = None) -> None:
        self.settings = settings
        self.store = store
        self._gateway_url = gateway_url
        self._gateway: GatewayClient | None = None
        self._sandbox = None
        self._healthbook: HealthBookService | None = None
        self._lock = threading.Lock()
        self.demo_mode = False
        self.actor = "station"  # who acts: a signed-in user name, or the station's machine role
        self.role = Role.ADMIN  # the CLI's default; each station sets its own (kiosk, board, …)
        self.signed_in: StaffUser | None = None
        self._root: Clinic | None = None  # set on a per-request view (session) of this clinic

    def session(self, role: Role, actor: str, signed_in: StaffUser | None = None) -> Clinic:
        """The same clinic (store, gateway, caches) acting for one request's user: the clinic server
        makes one per request, so one station's user never acts under another's role."""
        view = copy.copy(self)
        view.role, view.actor, view.signed_in = role, actor, signed_in
        view._root = self._root or self  # the gateway session and health-book workers stay shared
        return view

    def act_as(self, role: Role, actor: str) -> None:
        """Run the following use cases as ``actor`` with ``role`` (a signed-in user, or a machine role)."""
        self.role, self.actor = role, actor

    def sign_in(self, username: str, password: str) -> StaffUser:
        user = staff.authenticate(self.store, username, password)
        self.signed_in = user
        self.act_as(user.role, user.username)
        return user

    def unlock(self, pin: str) -> bool:
        return self.signed_in is not None and staff.unlock(self.store, self.signed_in.username, pin)

    def sign_out(self) -> None:
        if self.signed_in is not None:
            audit.append(self.store, self.signed_in.username, "staff.sign_out")
        self.signed_in = None

    @classmethod
    def open(cls, settings: Settings | None = None, db_path: Path | None = None, *,
             gateway_url: str | None = None, check: bool = False) -> Clinic:
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
        if self._sandbox is not None:
            self._sandbox.stop()
        self.store.close()

    # -- gateway -----------------------------------------------------------------------------
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
                from kiosk.sandbox.runner import start_sandbox

                self._sandbox = start_sandbox()
                url, username = self._sandbox.url, self._sandbox.username
                password_md5 = md5_upper(self._sandbox.password)
                self.demo_mode = True
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

    def healthbook_service(self) -> HealthBookService:
        if self._root is not None:
            return self._root.healthbook_service()
        if self._healthbook is None:
            self._healthbook = HealthBookService(self.store, self.gateway(),
                                                 wait_s=self.settings["gateway.read_timeout"])
        return self._healthbook

    def lookup_staff(self, username: str | None = None) -> Staff:
        """The staff member whose name and CCCD go with a gateway lookup (hoTenCb / cccdCb): the
        signed-in user at a staff station."""
        if username is None and self.signed_in is not None:
            username = self.signed_in.username
        sql = "SELECT full_name, cccd, username FROM staff WHERE active = 1 AND cccd != ''"
        args: tuple[str, ...] = ()
        if username:
            sql += " AND username = ?"
            args = (username,)
        row = self.store.conn.execute(sql + " ORDER BY id LIMIT 1", args).fetchone()
        if row is None:
            raise KioskError(
                "Chưa có tài khoản nhân viên (kèm số CCCD đã đăng ký với BHXH) để tra cứu thẻ",
                "No staff account (with the CCCD registered with BHXH) to look cards up with")
        return Staff(row[0], row[1], row[2])

    # -- use cases ---------------------------------------------------------------------------
    def identify(self, identity: Identity) -> Patient:
        """The patient this scan or typed identity belongs to: registered on the first visit when the
        identity carries a name (a QR code, or name + date of birth); a bare ID or card number must
        belong to someone already known.

        Staff see the record; the kiosk gets a masked view made here (initials, masked ID, nothing
        else), and a kiosk scan never changes a known patient's identity fields (only a gateway check
        or a member of staff does, audited)."""
        roles.require(self.role, "identify")
        machine = self.role in roles.MACHINE_ROLES
        if identity.full_name:
            found = patients.register(self.store, identity, update=not machine, actor=self.actor)
        else:
            found = patients.find(self.store, id_number=identity.id_number, card_number=identity.card_number)
        if found is None:
            raise UnknownPatient("Chưa có hồ sơ: quét mã QR hoặc nhập họ tên và ngày sinh",
                                 "No record yet: scan the QR code or enter the name and date of birth")
        audit.append(self.store, self.actor, "patient.identify", patient=found, detail=identity.source.value)
        return patients.public_view(found) if machine else found

    def patient(self, patient_id: int) -> Patient:
        """A patient's record by id, for staff (never the kiosk or the board)."""
        roles.require(self.role, "read_patient")
        found = self._stored(patient_id)
        audit.append(self.store, self.actor, "patient.read", patient=found)
        return found

    def _stored(self, patient_id: int | None) -> Patient:
        """The record as this store has it: what a station sends about a patient is never trusted
        beyond its id (the audit names what was really read)."""
        found = patients.get(self.store, patient_id) if patient_id is not None else None
        if found is None:
            raise UnknownPatient(f"Không có người bệnh {patient_id}", f"No patient {patient_id}")
        return found

    def has_admin(self) -> bool:
        return staff.has_admin(self.store)

    def create_first_admin(self, username: str, full_name: str, cccd: str, password: str, pin: str | None) -> StaffUser:
        """The first run's admin; refused once any admin exists (then an admin adds accounts)."""
        if staff.has_admin(self.store):
            raise roles.AccessDenied(self.role, "manage_staff")
        return staff.add(self.store, "first-run", username, full_name, cccd, "admin", password, pin)

    def check_kiosk_pin(self, pin: str) -> bool:
        """The kiosk's exit PIN, checked on this PC with lock-out (LockedOut after repeated misses)."""
        return kiosk_pin.check_local(self.settings, pin, self.store)

    def lookup(self, patient: Patient, staff: Staff) -> Lookup:
        """Card decision and health book, from every source; a failing source never stops the desk."""
        roles.require(self.role, "view_health_book")
        patient = self._stored(patient.id)
        if patient.date_of_birth is None:
            raise KioskError("Cần ngày sinh để tra cứu thẻ", "A date of birth is needed to look the card up")
        key = patient.card_number or patient.id_number
        request = LookupRequest(key, patient.full_name, patient.date_of_birth, patient.dob_precision)
        card_check, book = self.healthbook_service().lookup(patient, request, staff)
        audit.append(self.store, staff.username or self.actor, "healthbook.view", patient=patient,
                     detail=f"card {card_check.decision.value}")
        with self.store.transaction() as db:
            if card_check.card is not None and not patient.card_number:  # found by CCCD: learn the card
                db.execute("UPDATE patients SET card_number = ? WHERE id = ?",
                           (card_check.card.card_number, patient.id))
                patient.card_number = card_check.card.card_number
                audit.append(self.store, staff.username or self.actor, "patient.update", patient=patient,
                             detail="card_number (gateway)")
            db.execute(
                "INSERT INTO card_checks(patient_id, card_number, result_code, decision, response_json, checked_at, "
                "staff_username) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (patient.id, key, card_check.code, card_check.decision.value,
                 json.dumps(card_check.response, ensure_ascii=False),
                 card_check.checked_at.isoformat(timespec="seconds"), staff.username),
            )
        return Lookup(patient, card_check, book)

    # -- check-in and queues ------------------------------------------------------------------
    def department(self, code: str) -> dict:
        dep = self.settings.department(code)
        if dep is None:
            raise KioskError(f"Không có khoa {code} trong cài đặt", f"No department {code} in the settings")
        return dep

    def check_in(self, patient: Patient, department_code: str, *, service: str = "", priority: str = "",
                 station: str = "", card_check: CardCheck | None = None, bhyt_reason: str = "") -> CheckIn:
        """A queue number for today; the same ticket again if the patient already has one here.

        When the card could not be checked (gateway down or slow), check-in goes on and the card
        check is marked pending, to be retried in the background (NĐ 188 Art. 38). A card the
        gateway said cannot be used goes to an insurance service only with the receptionist's
        reason, which is audited. At the desk, the patient's answer on processing data for care
        (yes or no) must be on record first.
        """
        roles.require(self.role, "check_in")
        patient = self._stored(patient.id)
        if self.role is Role.RECEPTIONIST and "care" not in consent.current(self.store, patient):
            raise ConsentNeeded("Chưa có câu trả lời của người bệnh về xử lý dữ liệu để khám bệnh",
                                "The patient has not answered the consent to process data for care")
        reason = " ".join(bhyt_reason.split())[:200]
        if (card_check is not None and needs_confirmation(card_check.decision)
                and service in self.settings["queue.insurance_services"]):
            if not reason:
                raise CardNotUsable("Thẻ BHYT không dùng được: chọn Khám dịch vụ hoặc ghi lý do vẫn khám BHYT",
                                    "The BHYT card cannot be used: choose a fee-paying service or give the reason")
            audit.append(self.store, self.actor, "checkin.bhyt_override", patient=patient,
                         detail=f"card {card_check.decision.value} [{card_check.code}]: {reason}")
        pending = card_check is None or card_check.decision is Decision.RETRY
        return checkin.check_in(self.store, patient.id, self.department(department_code), service=service,
                                priority=priority, station=station,
                                card_decision=card_check.decision.value if card_check else "",
                                card_pending=pending)

    def print_ticket(self, ticket: Ticket, *, context: str = "") -> PrintOutcome:
        """Write the ticket PDF, send it to the ticket printer (or keep it), and log the job."""
        roles.require(self.role, "print_ticket")
        _, outcome = paper.print_document(self.store, self.settings, "ticket", ticket_id=ticket.id,
                                          expect_patient_id=ticket.patient_id, context=context, actor=self.actor)
        if not outcome.printed:
            log.warning("ticket %s not printed: %s", ticket.label, outcome.message_en)
        return outcome

    def render_document(self, document: str, ticket_id: int | None = None,
                        visit_id: int | None = None, patient_id: int | None = None) -> RenderedDocument:
        """A document as PDF bytes (and, for a ticket, what an ESC/POS printer draws), for a remote
        station to print on its own printer; refused when the record is not ``patient_id``'s."""
        roles.require(self.role, "print_ticket" if document == "ticket" else "print_documents")
        paper.check_patient(self.store, ticket_id, visit_id, patient_id)
        out = paper.new_pdf_path(self.settings, document)
        pdf = paper.render(self.store, self.settings, document, ticket_id=ticket_id, visit_id=visit_id, out=out)
        audit.append(self.store, self.actor, f"render.{document}",
                     patient=paper.record_patient(self.store, ticket_id, visit_id),
                     detail=f"ticket {ticket_id}" if ticket_id is not None else f"visit {visit_id}")
        doc = None
        if document == "ticket" and ticket_id is not None:
            ticket = checkin.get_ticket(self.store, ticket_id)
            doc = paper.ticket_doc(self.store, self.settings, ticket) if ticket is not None else None
        return RenderedDocument(pdf.name, pdf.read_bytes(), doc)

    def log_print(self, document: str, ticket_id: int | None, visit_id: int | None, outcome: PrintOutcome,
                  context: str = "") -> int:
        """Record what a station's printer did with a document (the print log and the audit)."""
        roles.require(self.role, "print_ticket" if document == "ticket" else "print_documents")
        return paper.log_job(self.store, document, ticket_id, visit_id, outcome, context=context, actor=self.actor)

    def print_visit_document(self, document: str, visit_id: int, printer: str | None = None, *,
                             patient_id: int | None = None, context: str = "") -> PrintOutcome:
        """Print a finalised visit's document; with ``patient_id``, only if the visit is that patient's."""
        roles.require(self.role, "print_documents")
        return paper.print_document(self.store, self.settings, document, visit_id=visit_id, printer=printer,
                                    expect_patient_id=patient_id, context=context, actor=self.actor)[1]

    def reprint(self, job_id: int, printer: str | None = None, *, patient_id: int | None = None,
                context: str = "") -> PrintOutcome:
        """Print a logged job's PDF again; with ``patient_id``, only if the job is that patient's."""
        return paper.reprint(self.store, self.settings, job_id, printer, expect_patient_id=patient_id,
                             context=context, actor=self.actor)[1]

    def board_state(self) -> checkin.BoardState:
        roles.require(self.role, "read_queue")
        return checkin.board_state(self.store, dt.date.today())

    def call_next(self, department_code: str, room: str) -> Ticket:
        roles.require(self.role, "call_patient")
        return checkin.call_next(self.store, department_code, room)

    def room_queue(self, department_code: str, room: str) -> list[checkin.QueueEntry]:
        roles.require(self.role, "read_queue")
        entries = checkin.room_queue(self.store, department_code, room, dt.date.today())
        if self.role in roles.MACHINE_ROLES:  # a public screen: a masked name at most
            entries = [dataclasses.replace(e, patient_name=mask_name(e.patient_name)) for e in entries]
        return entries

    def set_ticket_status(self, ticket_id: int, status: str) -> Ticket:
        return checkin.set_status(self.store, ticket_id, status)

    def transfer(self, ticket_id: int, department_code: str, room: str) -> Ticket:
        return checkin.transfer(self.store, ticket_id, self.department(department_code), room)

    # -- the visit ---------------------------------------------------------------------------
    def start_visit(self, ticket: Ticket, card: InsuranceCard | None, doctor_code: str = "", opened_by: str = "",
                    take_over: bool = False) -> dict:
        """The called ticket's visit, opened at the station ``opened_by``; a draft open at another
        station raises ``VisitOpenElsewhere`` unless the user chose to take it over."""
        roles.require(self.role, "record_visit")
        card_json = {}
        if card is not None:
            card_json = {"card_number": card.card_number, "registered_facility": card.registered_facility,
                         "valid_from": card.valid_from.isoformat() if card.valid_from else "",
                         "valid_to": card.valid_to.isoformat() if card.valid_to else "",
                         "five_year_date": card.five_year_date.isoformat() if card.five_year_date else "",
                         "area_code": card.area_code}
        fee = self.settings["billing.exam_fee"]
        if take_over:
            audit.append(self.store, self.actor, "visit.take_over", patient=patients.get(self.store, ticket.patient_id),
                         detail=f"ticket {ticket.id} at {opened_by}")
        return visits.start(self.store, ticket, self.settings["facility.code"], card=card_json,
                            doctor_code=doctor_code, exam_fee=dict(fee) if fee else None, opened_by=opened_by,
                            take_over=take_over)

    def release_visit(self, visit_id: int, opened_by: str) -> None:
        """The station closed the patient (next call, lock, sign-out): the visit is free to open elsewhere."""
        roles.require(self.role, "record_visit")
        visits.release(self.store, visit_id, opened_by)

    def save_visit_draft(self, visit_id: int, data: dict, opened_by: str = "") -> None:
        visits.save_draft(self.store, visit_id, data, opened_by)

    def finalise_visit(self, visit_id: int, patient_id: int | None = None) -> dict:
        """Lock the visit and queue its XML; with ``patient_id``, only if the visit is that patient's."""
        roles.require(self.role, "record_visit")
        paper.check_patient(self.store, None, visit_id, patient_id)
        return visits.finalise(self.store, visit_id, self.settings["facility.code"])

    def correct_visit(self, visit_id: int) -> dict:
        return visits.correct(self.store, visit_id)

    def send_outbox(self) -> dict[str, int]:
        roles.require(self.role, "send_to_portal")
        return outbox.drain(self.store, self.gateway(), self.settings["facility.code"])

    def outbox_for(self, ma_lk: str) -> list[dict]:
        return [r for r in outbox.status(self.store) if r["ma_lk"] == ma_lk]

    def search_icd10(self, text: str) -> list[icd10.Icd]:
        return icd10.search(self.store, text)

    def tickets_today(self, patient: Patient) -> list[Ticket]:
        roles.require(self.role, "read_patient")
        return checkin.tickets_of(self.store, self._stored(patient.id).id, dt.date.today())

    def retry_pending_card_checks(self, staff: Staff) -> int:
        """Re-check the cards of today's check-ins that were made while the gateway was down."""
        done = 0
        for ticket_id, patient_id in checkin.pending_card_checks(self.store):
            patient = patients.get(self.store, patient_id)
            if patient is None or patient.date_of_birth is None:
                continue
            result = self.lookup(patient, staff)
            if result.card_check.decision is not Decision.RETRY:
                checkin.set_card_result(self.store, ticket_id, result.card_check.decision.value, False)
                done += 1
        return done

    # -- staff administration ------------------------------------------------------------------
    def staff_accounts(self) -> list[StaffUser]:
        roles.require(self.role, "manage_staff")
        return staff.all_staff(self.store)

    def add_staff(self, username: str, full_name: str, cccd: str, role: str, password: str, pin: str | None) -> StaffUser:
        roles.require(self.role, "manage_staff")
        return staff.add(self.store, self.actor, username, full_name, cccd, role, password, pin)

    def disable_staff(self, username: str) -> None:
        roles.require(self.role, "manage_staff")
        staff.disable(self.store, self.actor, username)

    def security_alerts(self) -> list[tuple[dt.datetime, str, str]]:
        """Lock-outs of the last day (when, station, what): shown to admins as a banner."""
        roles.require(self.role, "manage_staff")
        return lockout.recent_lockouts(self.store, dt.datetime.now() - dt.timedelta(days=1))

    def consents(self, patient: Patient) -> dict[str, dict]:
        roles.require(self.role, "record_consent")
        return consent.current(self.store, self._stored(patient.id))

    def record_consent(self, patient: Patient, answers: dict[str, bool], channel: str) -> None:
        roles.require(self.role, "record_consent")
        consent.record(self.store, self._stored(patient.id), answers, channel=channel, recorded_by=self.actor)

    # -- housekeeping ----------------------------------------------------------------------------
    def clock_verdict(self) -> ClockVerdict:
        """Is this PC's clock right (release date, times already in the store, the gateway's clock)?"""
        skew = self._gateway.clock_skew_s if self._gateway is not None else None
        return clock.check_store(self.store, gateway_skew_s=skew)

    def daily_backup(self) -> Path | None:
        """Take today's backup if none exists yet (stations and the server call this now and then)."""
        if not self.settings["backup.daily"] or getattr(self.store, "kind", "sqlite") != "sqlite":
            return None  # a PostgreSQL store is backed up by its own tools (pg_dump), not from here
        return backup.daily(self.store, self.settings.backup_dir(), keep=self.settings["backup.keep"])

    def cached_health_book(self, patient: Patient) -> HealthBook:
        """The health book as last fetched: no network call, no gateway needed."""
        roles.require(self.role, "view_health_book")
        patient = self._stored(patient.id)
        service = (self._root or self)._healthbook or HealthBookService(self.store, None)
        audit.append(self.store, self.actor, "healthbook.view", patient=patient, detail="cached")
        return service.from_cache(patient)
