"""The visit in the doctor's room: open, save, release, finalise and correct it, the outbox to the BHXH portal, and
ICD-10 search."""

from __future__ import annotations

import logging

from kiosk import icd10, paper, patients, roles, visits
from kiosk.bhxh import outbox
from kiosk.bhxh.outbox import Sender
from kiosk.erx import catalogue, delivery, prescriptions
from kiosk.erx.catalogue import Drug
from kiosk.erx.client import ErxAuthError
from kiosk.erx.prescriptions import Prescription
from kiosk.facade.base import ClinicBase
from kiosk.model import InsuranceCard, Ticket
from kiosk.security import audit
from kiosk.visits import VisitMoney

log = logging.getLogger("kiosk.facade")


class VisitCases(ClinicBase):
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
        return visits.finalise(self.store, visit_id, self.settings["facility.code"],
                               chronic=self.settings["erx.chronic_icd10"],
                               base_salaries=self.settings["billing.base_salary"],
                               arrival_codes=self.settings["billing.arrival_codes"])

    def visit_money(self, visit_id: int, data: dict | None = None) -> VisitMoney:
        """What the visit costs and who pays it — BHYT, the patient (co-payment and what the fund does not cover) —
        with how the patient came and why the level is what it is; ``data``: the form as it stands (else the stored
        visit). The claim will say the same when the visit is finalised."""
        roles.require(self.role, "record_visit")
        return visits.money(self.store, visits.get(self.store, visit_id), data,
                            base_salaries=self.settings["billing.base_salary"],
                            arrival_codes=self.settings["billing.arrival_codes"])

    def correct_visit(self, visit_id: int) -> dict:
        return visits.correct(self.store, visit_id)

    def send_outbox(self) -> dict[str, int]:
        """Send what is due: claims and check-ins to the BHXH gateway, prescriptions to the national
        prescription system."""
        roles.require(self.role, "send_to_portal")
        senders: dict[str, Sender] = {}
        try:
            senders[delivery.KIND] = delivery.sender(self.erx_client())
        except ErxAuthError as exc:  # the prescriptions wait in the outbox; the claims still go
            log.warning("prescriptions not sent: %s", exc.en)
        return outbox.drain(self.store, self.gateway(), self.settings["facility.code"], senders=senders,
                            signer=self.signer())  # claims and check-ins signed at send time (signing.*)

    def prescriptions_of(self, visit_id: int) -> list[Prescription]:
        """The visit's current prescriptions with their codes and where they stand (sent, waiting, refused with
        the national system's reasons)."""
        roles.require(self.role, "record_visit")
        return prescriptions.for_episode(self.store, visits.get(self.store, visit_id)["ma_lk"])

    def search_drugs(self, text: str) -> list[Drug]:
        """The clinic's drug catalogue by active ingredient or trade name, with or without accents."""
        roles.require(self.role, "record_visit")
        return catalogue.search(self.store, text)

    def outbox_for(self, ma_lk: str) -> list[dict]:
        return [r for r in outbox.status(self.store) if r["ma_lk"] == ma_lk]

    def search_icd10(self, text: str) -> list[icd10.Icd]:
        return icd10.search(self.store, text)
