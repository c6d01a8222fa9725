"""Patients and their cards: identify a scan or typed identity, read a record, look the card and the health book up
at the gateway, and re-check the cards of check-ins made while the gateway was down."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk import checkin, patients, roles
from kiosk.bhxh.card_codes import Decision
from kiosk.bhxh.gateway import CardCheck, LookupRequest, Staff
from kiosk.errors import KioskError
from kiosk.facade.base import ClinicBase, UnknownPatient, record_card_check
from kiosk.healthbook import HealthBookService
from kiosk.model import HealthBook, Identity, Patient
from kiosk.security import audit


@dataclass(frozen=True)
class Lookup:
    patient: Patient
    card_check: CardCheck
    health_book: HealthBook


class PatientCases(ClinicBase):
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
            record_card_check(db, patient.id, key, card_check, staff.username)
        return Lookup(patient, card_check, book)

    def cached_health_book(self, patient: Patient) -> HealthBook:
        """The health book as last fetched: no network call, no gateway needed."""
        roles.require(self.role, "view_health_book")
        patient = self._stored(patient.id)
        service = (self._root or self)._healthbook or HealthBookService(self.store, None)
        audit.append(self.store, self.actor, "healthbook.view", patient=patient, detail="cached")
        return service.from_cache(patient)

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
