"""The queue: check-in with a ticket for today, the board, calling, status and transfers between rooms."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from kiosk import checkin, consent, roles
from kiosk.bhxh.card_codes import Decision, needs_confirmation
from kiosk.bhxh.gateway import CardCheck, GatewayError, LookupRequest
from kiosk.checkin import CheckIn
from kiosk.errors import CardNotUsable, ConsentNeeded, KioskError
from kiosk.facade.base import ClinicBase, record_card_check
from kiosk.model import Patient, Role, Ticket
from kiosk.privacy.masking import mask_name
from kiosk.security import audit


@dataclass(frozen=True)
class SelfServiceCard:
    """What the self-service kiosk may say about a patient's BHYT card: a plain verdict and what to do, never the
    card's details. ``insurance``: an insurance service (queue.insurance_services) may be chosen at the kiosk."""

    decision: str  # a card_codes.Decision value, or "" when there is no card to check
    insurance: bool
    message_vi: str
    message_en: str


# The kiosk's plain words for each decision (the desk sees the gateway's own message and code).
_SELF_SERVICE_WORDS: dict[str, tuple[bool, str, str]] = {
    Decision.USABLE: (True, "Thẻ BHYT của bạn dùng được hôm nay.", "Your BHYT card can be used today."),
    Decision.USABLE_NEW_CARD: (True, "Thẻ BHYT của bạn dùng được hôm nay (đã có thẻ mới).",
                               "Your BHYT card can be used today (a new card has been issued)."),
    Decision.NOT_USABLE: (False, "Thẻ BHYT của bạn không dùng được hôm nay. Bạn vẫn lấy số khám dịch vụ được, hoặc "
                                 "mời đến quầy tiếp đón để được hướng dẫn.",
                          "Your BHYT card cannot be used today. You can still take a number for a fee-paying "
                          "examination, or please go to the reception desk for help."),
    Decision.CHECK_PAPER: (False, "Thẻ BHYT của bạn cần được kiểm tra tại quầy. Mời mang thẻ và giấy tờ tùy thân đến "
                                  "quầy tiếp đón, hoặc lấy số khám dịch vụ.",
                           "Your BHYT card must be checked at the desk. Please take the card and an ID document to "
                           "the reception desk, or take a number for a fee-paying examination."),
    Decision.RETRY: (True, "Chưa kiểm tra được thẻ BHYT lúc này: bạn vẫn lấy số được, quầy tiếp đón sẽ kiểm tra lại.",
                     "The BHYT card could not be checked just now: you can still take a number, the desk will check "
                     "it again."),
}


class QueueCases(ClinicBase):
    def self_service_card(self, patient: Patient) -> SelfServiceCard:
        """Check the patient's BHYT card at the gateway for the self-service kiosk: the answer is kept like a desk
        check (the desk and the doctor see it), the kiosk gets only a plain verdict. A gateway that is down or slow
        never stops the kiosk: the card is then checked later, as at the desk."""
        roles.require(self.role, "check_own_card")
        patient = self._stored(patient.id)
        key = patient.card_number or patient.id_number
        if not key or patient.date_of_birth is None:
            return SelfServiceCard("", True, "Chưa có thông tin thẻ BHYT: mời lấy số, quầy tiếp đón sẽ kiểm tra thẻ.",
                                   "No BHYT card on record: take a number, the desk will check the card.")
        now = dt.datetime.now()
        try:
            staff = self.lookup_staff()  # the gateway wants a member of staff behind every lookup
            request = LookupRequest(key, patient.full_name, patient.date_of_birth, patient.dob_precision)
            card_check = self.gateway().check_card(request, staff)
        except GatewayError as exc:
            card_check = CardCheck.unavailable(exc, now)
        except KioskError:  # no staff account to look up with: the desk checks the card
            card_check = CardCheck.unavailable(GatewayError("Chưa tra cứu được thẻ", "The card was not looked up"), now)
        with self.store.transaction() as db:
            record_card_check(db, patient.id, key, card_check, self.actor)
        audit.append(self.store, self.actor, "card.self_service", patient=patient,
                     detail=f"card {card_check.decision.value}")
        insurance, vi, en = _SELF_SERVICE_WORDS[card_check.decision]
        return SelfServiceCard(card_check.decision.value, insurance, vi, en)

    def _todays_card_decision(self, patient_id: int) -> Decision | None:
        """The last card check of today for this patient (the kiosk's own check), if any."""
        row = self.store.conn.execute(
            "SELECT decision FROM card_checks WHERE patient_id = ? AND checked_at >= ? ORDER BY id DESC LIMIT 1",
            (patient_id, dt.date.today().isoformat())).fetchone()
        return Decision(row[0]) if row else None

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
        decision = card_check.decision if card_check is not None else None
        if card_check is None and self.role is Role.KIOSK:  # what the kiosk's own card check said today
            decision = self._todays_card_decision(patient.id)
            if (decision is not None and needs_confirmation(decision)
                    and service in self.settings["queue.insurance_services"]):
                raise CardNotUsable(*_SELF_SERVICE_WORDS[decision][1:])
        pending = decision is None or decision is Decision.RETRY
        return checkin.check_in(self.store, patient.id, self.department(department_code), service=service,
                                priority=priority, station=station,
                                card_decision=decision.value if decision is not None else "",
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
