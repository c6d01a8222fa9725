"""Health book assembly: every source with provenance, cache with "as of", failures never shown as "none"."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kiosk.bhxh.card_codes import Decision
from kiosk.facade import Clinic
from kiosk.identify import identity_from_payload
from kiosk.model import Source
from kiosk.settings import Settings
from scanner.payloads import parse_payload
from tests.kiosk.sandbox_fixtures import STAFF, faults


@pytest.fixture
def clinic(sandbox) -> Iterator[Clinic]:
    import requests

    requests.post(f"{sandbox.url}/_admin/reset", timeout=5)
    clinic = Clinic.open(Settings(), gateway_url=sandbox.url)
    clinic.settings.set_user("gateway.read_timeout", "2")
    yield clinic
    clinic.close()
    requests.post(f"{sandbox.url}/_admin/reset", timeout=5)


def rich_person(sandbox):
    """A patient with a usable card, history, and allergies in the health-book source."""
    for p in sandbox.world.people:
        book = p.health_book()
        if p.card_state == "000" and p.history_length >= 3 and book["diUng"] and book["xetNghiem"]:
            return p
    raise AssertionError("the sandbox has no such patient")


def scan(clinic: Clinic, qr: str):
    return clinic.identify(identity_from_payload(parse_payload(qr)))


def test_full_lookup_merges_every_source_with_provenance(sandbox, clinic) -> None:
    p = rich_person(sandbox)
    patient = scan(clinic, p.cccd_qr)
    result = clinic.lookup(patient, STAFF)
    assert result.card_check.decision is Decision.USABLE
    book = result.health_book
    assert len([v for v in book.visits if v.provenance.source is Source.BHXH]) == p.history_length
    assert {a.substance for a in book.allergies} == {a["tacNhan"] for a in p.health_book()["diUng"]}
    assert all(a.provenance.source is Source.HEALTH_BOOK for a in book.allergies)
    assert book.lab_results and book.vaccinations
    assert book.notices == []
    assert book.visits == sorted(book.visits, key=lambda v: v.admitted_at, reverse=True)
    assert result.patient.card_number == p.card_number, "the card number is learnt from the gateway"
    assert clinic.patient(patient.id).card_number == p.card_number, "and kept in the register"


def test_failed_source_shows_cached_data_with_its_time(sandbox, clinic) -> None:
    p = rich_person(sandbox)
    patient = scan(clinic, p.cccd_qr)
    first = clinic.lookup(patient, STAFF).health_book
    faults(sandbox, error_rate=1.0, paths=["/api/skdt"])
    second = clinic.lookup(patient, STAFF)
    assert second.card_check.decision is Decision.USABLE, "the card check still works"
    assert [a.substance for a in second.health_book.allergies] == [a.substance for a in first.allergies]
    (notice,) = second.health_book.notices
    assert notice.source is Source.HEALTH_BOOK and notice.as_of is not None
    assert "as of" in notice.message_en and "lúc" in notice.message_vi


def test_failed_source_without_cache_is_not_shown_as_none(sandbox, clinic) -> None:
    p = rich_person(sandbox)
    patient = scan(clinic, p.cccd_qr)
    faults(sandbox, error_rate=1.0, paths=["/api/skdt"])
    book = clinic.lookup(patient, STAFF).health_book
    assert book.allergies == []
    (notice,) = book.notices
    assert "does not mean there is none" in notice.message_en
    assert "Không có nghĩa là không có dữ liệu" in notice.message_vi


def test_gateway_down_keeps_the_desk_working(sandbox, clinic) -> None:
    p = rich_person(sandbox)
    patient = scan(clinic, p.bhyt_qr)
    clinic.lookup(patient, STAFF)
    faults(sandbox, error_rate=1.0)
    result = clinic.lookup(patient, STAFF)
    assert result.card_check.decision is Decision.RETRY
    assert result.card_check.card is not None and result.card_check.card.card_number == p.card_number
    assert "will be checked again" in result.card_check.message_en
    assert len(result.health_book.notices) == 3
    assert len(result.health_book.visits) == p.history_length, "history from the cache"


def test_slow_source_is_cut_off_and_noticed(sandbox, clinic) -> None:
    p = rich_person(sandbox)
    patient = scan(clinic, p.cccd_qr)
    faults(sandbox, timeout_rate=1.0, timeout_s=4.0, paths=["/api/egw/Lskcb2025"])
    result = clinic.lookup(patient, STAFF)
    assert result.card_check.decision is Decision.USABLE
    assert any(n.source is Source.BHXH for n in result.health_book.notices)
    assert not [v for v in result.health_book.visits if v.provenance.source is Source.BHXH]


def test_cached_book_needs_no_network(sandbox, clinic) -> None:
    p = next(p for p in sandbox.world.people if p.history_length == 500 and p.card_state != "130")
    patient = scan(clinic, p.cccd_qr)
    clinic.lookup(patient, STAFF)
    faults(sandbox, error_rate=1.0)
    book = clinic.cached_health_book(patient)
    assert len([v for v in book.visits if v.provenance.source is Source.BHXH]) == 500
    assert book.notices == []


def test_same_person_by_card_then_by_id_card_is_one_patient(sandbox, clinic) -> None:
    p = rich_person(sandbox)
    by_card = scan(clinic, p.bhyt_qr)
    by_id = scan(clinic, p.cccd_qr)
    assert by_card.id == by_id.id and by_id.id_number == p.id_number


def test_built_in_sandbox_when_no_gateway_is_configured(kiosk_home, caplog) -> None:
    clinic = Clinic.open(Settings())
    try:
        with caplog.at_level("WARNING"):
            clinic.gateway()
        assert clinic.demo_mode
        assert "DEMO DATA" in caplog.text
    finally:
        clinic.close()
