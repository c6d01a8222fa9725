"""The role matrix, enforced in the facade: every use case × every role."""

from __future__ import annotations

import pytest

from kiosk.facade import Clinic
from kiosk.identify import identity_from_payload
from kiosk.model import Role
from kiosk.roles import USE_CASES, AccessDenied, allowed
from kiosk.sandbox import demo
from kiosk.settings import Settings
from scanner.payloads import parse_payload
from tests.scanner.test_payloads import CCCD

EXPECTED = {
    Role.KIOSK: {"identify", "check_in", "print_ticket", "read_queue", "check_own_card"},
    Role.BOARD: {"read_queue"},
    Role.RECEPTIONIST: {"identify", "read_patient", "record_consent", "check_in", "print_ticket", "read_queue", "lookup_card",
                        "check_own_card", "view_health_book",
                        "print_documents"},
    Role.DOCTOR: {"identify", "read_patient", "read_queue", "lookup_card", "view_health_book", "call_patient", "record_visit",
                  "print_documents", "send_to_portal"},
    Role.ADMIN: set(USE_CASES) - {"record_visit"},
}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("use_case", sorted(USE_CASES))
def test_matrix(role: Role, use_case: str) -> None:
    assert allowed(role, use_case) == (use_case in EXPECTED[role])


@pytest.fixture
def clinic(kiosk_home):
    clinic = Clinic.open(Settings())
    demo.prepare(clinic.store)
    yield clinic
    clinic.close()


def test_kiosk_cannot_read_history_through_the_facade(clinic) -> None:
    patient = clinic.identify(identity_from_payload(parse_payload(CCCD)))
    clinic.act_as(Role.KIOSK, "kiosk")
    assert clinic.identify(identity_from_payload(parse_payload(CCCD))).id == patient.id
    assert clinic.check_in(patient, "K01").ticket.number == 1
    with pytest.raises(AccessDenied) as err:
        clinic.cached_health_book(patient)
    assert "kiosk" in err.value.en and "view_health_book" in err.value.en
    with pytest.raises(AccessDenied):
        clinic.lookup(patient, clinic.lookup_staff())
    with pytest.raises(AccessDenied):
        clinic.call_next("K01", "101")


def test_board_reads_the_queue_only(clinic) -> None:
    patient = clinic.identify(identity_from_payload(parse_payload(CCCD)))
    clinic.act_as(Role.BOARD, "board")
    assert clinic.board_state().waiting == {}
    with pytest.raises(AccessDenied):
        clinic.check_in(patient, "K01")
    with pytest.raises(AccessDenied):
        clinic.identify(identity_from_payload(parse_payload(CCCD)))


def test_only_doctors_record_visits(clinic) -> None:
    patient = clinic.identify(identity_from_payload(parse_payload(CCCD)))
    ticket = clinic.check_in(patient, "K01").ticket
    clinic.act_as(Role.RECEPTIONIST, "reception")
    with pytest.raises(AccessDenied):
        clinic.start_visit(ticket, None)
    clinic.act_as(Role.DOCTOR, "doctor")
    called = clinic.call_next("K01", ticket.room)
    assert clinic.start_visit(called, None)["status"] == "draft"


def test_kiosk_pc_cannot_read_history_through_the_cli(kiosk_home) -> None:
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    exe = Path(sys.executable).with_name("clinic-kiosk")
    env = os.environ.copy()

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(exe), *args], capture_output=True, text=True, env=env, timeout=120)

    assert run("demo", "prepare", "--no-video").returncode == 0
    person = json.loads(run("sandbox", "--list").stdout.splitlines()[0])
    assert run("lookup", "--qr", person["cccd_qr"]).returncode == 0, "a staff PC may"
    assert run("config", "set", "station.role", "kiosk").returncode == 0
    for args in (("lookup", "--qr", person["cccd_qr"]), ("patient", "export", person["cccd"], "--out", "x.json"),
                 ("audit", "show"), ("outbox", "status")):
        result = run(*args)
        assert result.returncode == 5, (args, result.stderr)
        assert "Role kiosk may not" in result.stderr
