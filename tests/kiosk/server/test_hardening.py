"""The clinic server against a stolen kiosk token and a hostile client: what the kiosk and the board
receive (masked views only), what the audit names, lock-out and back-off, and malformed calls answered
as JSON 4xx (a real server on loopback, real stations)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.errors import BadInput, KioskError, LockedOut
from kiosk.identify import identity_from_payload
from kiosk.model import Identity, IdentitySource
from kiosk.remote.api import EXPOSED
from kiosk.remote.client import RemoteClinic, pinned_session
from kiosk.roles import AccessDenied
from kiosk.security import audit, kiosk_pin, lockout
from kiosk.settings import Settings
from scanner.payloads import parse_payload
from tests.kiosk.clinic_world import World, paths


@pytest.fixture
def world(tmp_path: Path, sandbox) -> Iterator[World]:
    w = World(tmp_path, sandbox.url, "remote")
    yield w
    w.close()


def _person(sandbox, index: int):  # noqa: ANN202
    return [p for p in sandbox.world.people if p.card_state == "000"][index]


def _identity(sandbox, index: int) -> Identity:
    return identity_from_payload(parse_payload(_person(sandbox, index).cccd_qr))


def _secrets_in(value: object, person) -> list[str]:  # noqa: ANN001
    """Which of a person's identifying texts appear anywhere in ``value`` (as sent on the wire)."""
    from kiosk.remote import wire

    text = json.dumps(wire.dump(value), ensure_ascii=False)
    found = []
    for label, secret in (("name", person.full_name), ("id", person.id_number), ("card", person.card_number),
                          ("address", person.address), ("dob", person.date_of_birth.isoformat())):
        if secret and secret.casefold() in text.casefold():
            found.append(label)
    return found


def test_the_kiosk_token_receives_masked_views_only(world: World, sandbox) -> None:
    person = _person(sandbox, 0)
    desk = world.station("reception", "desk")
    known = desk.identify(_identity(sandbox, 0))  # the desk registered the patient
    assert known.full_name.casefold() == person.full_name.casefold() and known.address
    kiosk, board = world.station("kiosk", "hall-kiosk"), world.station("board", "hall-board")
    seen = kiosk.identify(_identity(sandbox, 0))
    assert seen.id == known.id
    assert _secrets_in(seen, person) == [], "the kiosk gets initials and a masked ID, nothing else"
    assert seen.full_name.casefold().endswith(person.full_name.split()[-1].casefold()) and "*" in seen.id_number
    typed = kiosk.identify(Identity(IdentitySource.MANUAL, id_number=person.id_number))  # the keypad: CCCD only
    assert _secrets_in(typed, person) == []
    with pytest.raises(AccessDenied):
        kiosk.patient(known.id)  # a record by id is not a kiosk call
    done = kiosk.check_in(seen, "K01")
    assert done.ticket.patient_id == known.id
    for denied in (lambda: kiosk.tickets_today(seen), lambda: kiosk.consents(seen),
                   lambda: kiosk.record_consent(seen, {"care": False}, "kiosk")):
        with pytest.raises(AccessDenied):  # whether a patient came today, and their consents: staff only
            denied()
    answers = {"board_state": board.board_state(), "room_queue": kiosk.room_queue("K01", "101"),
               "kiosk_board": kiosk.board_state()}
    for name, value in answers.items():
        assert _secrets_in(value, person) == [], f"{name} gives nothing that identifies the patient"
    for name, exposed in EXPOSED.items():  # every call a machine role may make was looked at above
        if exposed.gate in ("identify", "check_in", "read_queue") and name not in (
                "identify", "check_in", "board_state", "room_queue"):
            pytest.fail(f"{name} is open to the kiosk or the board and not checked here")


def test_a_kiosk_scan_cannot_change_a_known_patients_card(world: World, sandbox) -> None:
    person = _person(sandbox, 1)
    desk = world.station("reception", "desk")
    known = desk.identify(_identity(sandbox, 1))
    kiosk = world.station("kiosk", "hall-kiosk")
    forged = dataclasses.replace(_identity(sandbox, 1), card_number="DN4019999999999", address="Nowhere")
    kiosk.identify(forged)
    stored = desk.patient(known.id)
    assert stored.card_number == known.card_number and stored.address.casefold() == person.address.casefold()
    rows = audit.show(world.store, patient=stored)
    assert [r.action for r in rows].count("patient.identify") == 2 and not any(
        r.action == "patient.update" for r in rows)


def test_the_audit_names_the_patient_really_read_and_rendering_audits_itself(world: World, sandbox) -> None:
    desk = world.station("reception", "desk")
    first, second = desk.identify(_identity(sandbox, 2)), desk.identify(_identity(sandbox, 3))
    # a station sends the id of one patient dressed in another's name and ID
    disguised = dataclasses.replace(first, full_name=second.full_name, id_number=second.id_number)
    book = desk.cached_health_book(disguised)
    assert book.patient.id == first.id and book.patient.full_name == first.full_name
    views = [r for r in audit.show(world.store) if r.action == "healthbook.view"]
    assert views[-1].patient_ref == audit.patient_ref(world.store, first)
    assert views[-1].patient_ref != audit.patient_ref(world.store, second)
    desk.record_consent(first, {"care": True}, "reception")
    ticket = desk.check_in(first, "K01").ticket
    before = len(audit.show(world.store, patient=first))
    desk.print_ticket(ticket)
    renders = [r for r in audit.show(world.store, patient=first)[before:] if r.action == "render.ticket"]
    assert len(renders) == 1 and f"ticket {ticket.id}" in renders[0].detail


def test_wrong_passwords_lock_the_account_out_with_a_doubling_delay(world: World, monkeypatch) -> None:
    clock = [dt.datetime(2026, 12, 1, 9, 0)]
    monkeypatch.setattr(lockout, "_now", lambda: clock[0])
    desk = world.station("reception", "desk", sign_in=False)
    for _ in range(lockout.FREE_ATTEMPTS):
        with pytest.raises(KioskError, match="Wrong user name or password"):
            desk.sign_in("lan", "guess")
    with pytest.raises(LockedOut) as locked:  # even the right password waits now
        desk.sign_in("lan", "demo-lan-2026")
    assert "30 giây" in locked.value.vi
    assert 25 < locked.value.wait_s <= 30, "the station learns the wait, to count it down"
    clock[0] += dt.timedelta(seconds=31)
    with pytest.raises(KioskError, match="Wrong user name or password"):
        desk.sign_in("lan", "guess again")
    with pytest.raises(LockedOut) as longer:
        desk.sign_in("lan", "demo-lan-2026")
    assert "60 giây" in longer.value.vi, "the delay doubles"
    clock[0] += dt.timedelta(seconds=61)
    assert desk.sign_in("lan", "demo-lan-2026").username == "lan"
    rows = audit.show(world.store)
    lockouts = [r for r in rows if r.action == "security.lockout"]
    assert lockouts and all(r.actor == "station:desk" for r in lockouts)
    failed = [r for r in rows if r.action == "staff.sign_in_failed"]
    assert failed and all(r.actor == "station:desk" and "guess" not in r.detail for r in failed)
    admin = world.station("reception", "admin-desk", sign_in=False)
    admin.sign_in("admin", "demo-admin-2026")
    alerts = admin.security_alerts()
    assert alerts and alerts[0][1] == "station:desk"
    with pytest.raises(AccessDenied):
        desk.security_alerts()


def test_attacker_chosen_names_do_not_flood_the_audit(world: World, monkeypatch) -> None:
    clock = [dt.datetime(2026, 12, 1, 9, 0)]
    monkeypatch.setattr(lockout, "_now", lambda: clock[0])
    desk = world.station("reception", "desk", sign_in=False)
    before = len(audit.show(world.store))
    refused = 0
    for i in range(40):
        try:
            desk.sign_in(f"robert'); DROP TABLE staff;--{i}", "x")
        except LockedOut:
            refused += 1
        except KioskError:
            pass
    assert refused >= 40 - lockout.FREE_ATTEMPTS, "the station and its address lock out"
    added = audit.show(world.store)[before:]
    assert len(added) <= lockout.FREE_ATTEMPTS + 3
    assert not any("DROP" in r.actor or "DROP" in r.detail for r in added)


def test_the_unlock_pin_locks_out(world: World, monkeypatch) -> None:
    clock = [dt.datetime(2026, 12, 1, 9, 0)]
    monkeypatch.setattr(lockout, "_now", lambda: clock[0])
    desk = world.station("reception", "desk")
    assert [desk.unlock(f"{n:04d}") for n in range(lockout.FREE_ATTEMPTS)] == [False] * lockout.FREE_ATTEMPTS
    with pytest.raises(LockedOut):
        desk.unlock("1111")  # the right PIN, too late
    clock[0] += dt.timedelta(seconds=31)
    assert desk.unlock("1111") is True


def test_the_kiosk_exit_pin_is_checked_on_the_kiosk_pc(world: World, tmp_path: Path, monkeypatch) -> None:
    clock = [dt.datetime(2026, 12, 1, 9, 0)]
    monkeypatch.setattr(lockout, "_now", lambda: clock[0])
    assert "check_kiosk_pin" not in EXPOSED, "never through the server"
    kiosk = world.station("kiosk", "hall-kiosk")
    settings = Settings(paths(world.root / "hall-kiosk"))
    path = kiosk_pin.set_local(settings, "8642")
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert kiosk.check_kiosk_pin("8642") is True
    assert [kiosk.check_kiosk_pin("0000") for _ in range(lockout.FREE_ATTEMPTS)] == [False] * lockout.FREE_ATTEMPTS
    with pytest.raises(LockedOut):
        kiosk.check_kiosk_pin("8642")
    clock[0] += dt.timedelta(seconds=31)
    assert kiosk.check_kiosk_pin("8642") is True


def _call(world: World, token: str, name: str, body: bytes | str, session_token: str = ""):  # noqa: ANN202
    http = pinned_session(world.server.fingerprint)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if session_token:
        headers["X-Clinic-Session"] = session_token
    try:
        return http.post(world.server.url + f"/api/v1/call/{name}", data=body if isinstance(body, bytes)
                         else body.encode("utf-8"), headers=headers, timeout=20)
    finally:
        http.close()


@pytest.mark.parametrize(("name", "body", "says"), [
    ("room_queue", '{"args": {"department_code": "K01", "room": 101}}', "room"),  # an int for a string
    ("set_ticket_status", '{"args": {"ticket_id": "1; DROP", "status": "done"}}', "ticket_id"),
    ("set_ticket_status", '{"args": {"ticket_id": 99999999999999999999999, "status": "done"}}', "quá lớn"),
    ("identify", '{"args": {"identity": {"source": "telepathy"}}}', "identity"),  # a wrong enum
    ("identify", '{"args": {"identity": {"source": "qr_cccd", "date_of_birth": "31/02/1990"}}}', "identity"),
    ("room_queue", '{"args": {"department_code": "K01"}}', "room"),  # a missing argument
    ("room_queue", '{"args": {"department_code": "K01", "room": "101", "extra": 1}}', "extra"),
    ("room_queue", '{"args": ' + "[" * 5000 + "]" * 5000 + "}", "JSON"),  # deep nesting
    ("room_queue", '{"args": {"department_code": "\\ud800", "room": "101"}}', "U+D800"),  # a lone surrogate
    ("room_queue", '{"args": ' + '{"a":' * 30 + "1" + "}" * 30 + "}", "sâu"),
    ("room_queue", "not json at all", "JSON"),
    ("room_queue", '["a list"]', "JSON"),
])
def test_malformed_calls_get_a_json_4xx_that_says_what_is_wrong(world: World, name: str, body: str, says: str) -> None:
    desk = world.station("doctor", "room-1")
    answer = _call(world, desk._token, name, body, desk._session_token)
    assert 400 <= answer.status_code < 500, answer.text[:200]
    error = answer.json()["error"]
    assert error["type"] == "BadInput" and error["vi"] and error["en"]
    assert says in error["vi"] + error["en"]
    assert desk.board_state() is not None, "the station stays online"


def test_unknown_paths_and_methods_are_json_too(world: World) -> None:
    http = pinned_session(world.server.fingerprint)
    missing = http.get(world.server.url + "/admin", timeout=10)
    wrong = http.get(world.server.url + "/api/v1/enroll", timeout=10)
    http.close()
    assert missing.status_code == 404 and missing.json()["error"]["vi"]
    assert wrong.status_code == 405 and wrong.json()["error"]["en"]


@pytest.mark.parametrize("name", ["Nguy\u0000ễn Văn A", "Nguyễn \u202eA nèV", "Trần\u2066 Thị B"])
def test_names_with_control_or_bidi_characters_are_refused(world: World, sandbox, name: str) -> None:
    desk = world.station("reception", "desk")
    identity = dataclasses.replace(_identity(sandbox, 4), full_name=name)
    with pytest.raises(BadInput) as refused:
        desk.identify(identity)
    assert "U+" in refused.value.vi
    assert world.store.conn.execute("SELECT COUNT(*) FROM patients WHERE full_name = ?", (name,)).fetchone()[0] == 0


def test_a_local_register_refuses_them_too(world: World, sandbox) -> None:
    from kiosk import patients

    identity = dataclasses.replace(_identity(sandbox, 4), address="Số 1\u0000 Lê Lợi")
    with pytest.raises(BadInput, match="address"):
        patients.register(world.store, identity)


def test_remote_kiosk_offline_hands_in_the_scan_not_the_masked_view(world: World, sandbox) -> None:
    kiosk: RemoteClinic = world.station("kiosk", "hall-kiosk")
    seen = kiosk.identify(_identity(sandbox, 5))
    kiosk.online = False  # the server went away between the scan and the check-in
    done = kiosk.check_in(seen, "K01")
    assert done.ticket.id == 0
    pending = kiosk.spool.pending()
    assert pending[0].identity.full_name.casefold() == _person(sandbox, 5).full_name.casefold(), \
        "the real scan waits to be handed in"
