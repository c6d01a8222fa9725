"""The queue: check-in with a ticket for today, the board, calling, status and transfers between rooms."""

from __future__ import annotations

import dataclasses
import datetime as dt

from kiosk import checkin, consent, roles
from kiosk.bhxh.card_codes import Decision, needs_confirmation
from kiosk.bhxh.gateway import CardCheck
from kiosk.checkin import CheckIn
from kiosk.errors import CardNotUsable, ConsentNeeded
from kiosk.facade.base import ClinicBase
from kiosk.model import Patient, Role, Ticket
from kiosk.privacy.masking import mask_name
from kiosk.security import audit


class QueueCases(ClinicBase):
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

    def tickets_today(self, patient: Patient) -> list[Ticket]:
        roles.require(self.role, "read_patient")
        return checkin.tickets_of(self.store, self._stored(patient.id).id, dt.date.today())

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
