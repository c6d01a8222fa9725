"""One contract, two implementations: every use case a station runs gives the same answers through
the core's facade in-process and through the clinic server over HTTPS (kiosk.remote.client), with the same
role limits. (The PostgreSQL store runs the same contract: tests/kiosk/store/test_postgres.py.)"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.bhxh.card_codes import Decision
from kiosk.errors import ConsentNeeded, KioskError
from kiosk.erx import catalogue
from kiosk.facade import UnknownPatient
from kiosk.identify import identity_from_payload
from kiosk.model import Identity, IdentitySource, TicketStatus
from kiosk.roles import AccessDenied
from kiosk.visits import VisitNotFinalisable
from scanner.payloads import parse_payload
from tests.kiosk.clinic_world import World


@pytest.fixture(params=["local", "remote"])
def world(request, tmp_path: Path, sandbox) -> Iterator[World]:
    w = World(tmp_path, sandbox.url, request.param)
    yield w
    w.close()


def _person(sandbox, state: str = "000"):
    return next(p for p in sandbox.world.people if p.card_state == state)


def run_contract(world: World, sandbox) -> None:
    reception, doctor = world.station("reception"), world.station("doctor")
    kiosk, board = world.station("kiosk"), world.station("board")
    person = _person(sandbox)
    # reception: scan → patient → card and health book → ticket
    patient = reception.identify(identity_from_payload(parse_payload(person.cccd_qr)))
    assert patient.id is not None and patient.full_name.casefold() == person.full_name.casefold()
    assert reception.identify(Identity(IdentitySource.MANUAL, id_number=person.id_number)).id == patient.id
    with pytest.raises(UnknownPatient):
        reception.identify(Identity(IdentitySource.MANUAL, id_number="001099999999"))
    found = reception.lookup(patient, reception.lookup_staff())
    assert found.card_check.decision is Decision.USABLE and found.card_check.card is not None
    assert any(v.diagnoses for v in found.health_book.visits) or found.health_book.notices == []
    with pytest.raises(ConsentNeeded):  # the desk asks the patient first (an answer of no is an answer)
        reception.check_in(found.patient, "K01", card_check=found.card_check)
    reception.record_consent(found.patient, {"care": False}, "reception")
    first = reception.check_in(found.patient, "K01", card_check=found.card_check)
    assert first.ticket.number == 1 and not first.reprint and first.ticket.status is TicketStatus.WAITING
    again = reception.check_in(found.patient, "K01", card_check=found.card_check)
    assert again.reprint and again.ticket.number == 1
    printed = reception.print_ticket(first.ticket)
    assert printed.pdf_path.exists() and printed.log_id > 0
    assert [t.number for t in reception.tickets_today(found.patient)] == [1]
    # kiosk: a second patient checks in alone; no card or history reading
    other = [p for p in sandbox.world.people if p.card_state == "000"][1]
    walk_in = kiosk.identify(identity_from_payload(parse_payload(other.cccd_qr)))
    card = kiosk.self_service_card(walk_in)  # a plain verdict only: no card number, dates or facility
    assert (card.decision, card.insurance) == ("usable", True) and other.card_number not in repr(card)
    assert kiosk.check_in(walk_in, "K01", service="Khám BHYT").ticket.number == 2
    expired = kiosk.identify(identity_from_payload(parse_payload(
        next(p for p in sandbox.world.people if p.card_state == "010").cccd_qr)))
    assert not kiosk.self_service_card(expired).insurance
    with pytest.raises(KioskError, match="không dùng được"):  # held to its own card check, over HTTPS too
        kiosk.check_in(expired, "K01", service="Khám BHYT")
    with pytest.raises(AccessDenied):
        board.self_service_card(walk_in)
    with pytest.raises(AccessDenied):
        kiosk.lookup(walk_in, reception.lookup_staff())
    # the board: numbers only
    state = board.board_state()
    assert state.waiting == {"K01": 2} and sorted(sum(state.next_numbers.values(), [])) == [1, 2]
    with pytest.raises(AccessDenied):
        board.check_in(walk_in, "K01")
    # the doctor's room
    with pytest.raises(AccessDenied):
        reception.call_next("K01", first.ticket.room)
    called = doctor.call_next("K01", first.ticket.room)
    assert called.number == 1 and called.status is TicketStatus.CALLED
    assert board.board_state().calls[0].number == 1
    queue = doctor.room_queue("K01", called.room)
    assert queue[0].ticket.id == called.id and queue[0].patient_name
    visit = doctor.start_visit(called, found.card_check.card, "001234/HN-CCHN")
    with pytest.raises(VisitNotFinalisable) as refused:  # each problem reaches the form, remote too
        doctor.finalise_visit(visit["id"])
    assert any(p.field == "diagnoses" for p in refused.value.problems)
    data = visit["data"]
    data.update({"reason": "Ho", "diagnoses": [{"code": "J00", "name": "Viêm mũi họng cấp", "is_main": True}],
                 "prescription": [catalogue.line_from_drug(doctor.search_drugs("paracetamol")[0], dose=1,
                                                           times_per_day=3, days=3)],
                 "re_exam_on": (dt.date.today() + dt.timedelta(days=7)).isoformat()})
    doctor.save_visit_draft(visit["id"], data)
    money = doctor.visit_money(visit["id"], data)  # who pays what, as the doctor's room shows it (a 100 % card)
    assert (money.total, money.bhyt_pays, money.patient_pays, money.arrival) == (43200, 43200, 0, "registered")
    assert [c.code for c in doctor.search_icd10("J00")][:1] == ["J00"]
    final = doctor.finalise_visit(visit["id"])
    assert final["status"] == "final"
    with pytest.raises(KioskError, match="already finalised"):
        doctor.finalise_visit(visit["id"])
    assert {r["kind"] for r in doctor.outbox_for(final["ma_lk"])} == {"checkin", "claim"}
    [prescription] = doctor.prescriptions_of(visit["id"])
    assert prescription.code == final["data"]["prescription_code"] and prescription.status == "pending"
    sent = doctor.send_outbox()
    assert sent.get("sent", 0) >= 3
    assert [p.status for p in doctor.prescriptions_of(visit["id"])] == ["sent"]
    slip = doctor.print_visit_document("prescription", visit["id"])
    assert slip.pdf_path.exists() and slip.pdf_path.read_bytes().startswith(b"%PDF")
    book = doctor.cached_health_book(found.patient)
    assert book.patient.id == patient.id
    with pytest.raises(AccessDenied):
        doctor.add_staff("x", "Người Thử", "001099012345", "receptionist", "secret-pass-1", None)


def test_the_same_contract_holds_for_both_facades(world: World, sandbox) -> None:
    run_contract(world, sandbox)
