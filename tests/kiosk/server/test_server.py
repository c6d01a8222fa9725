"""The clinic server on the LAN: pairing and certificate pinning, station tokens and roles over
HTTP, live updates within a second, and check-ins while the server is away."""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from kiosk.cli.server import enroll
from kiosk.errors import BadInput, KioskError
from kiosk.identify import identity_from_payload
from kiosk.model import OFFLINE_SERIES, number_text
from kiosk.remote.client import RemoteClinic, ServerUnavailable, WrongServer, pinned_session
from kiosk.roles import AccessDenied
from kiosk.server import registry, tls
from kiosk.server.run import start_server
from kiosk.settings import Settings
from scanner.payloads import parse_payload
from tests.kiosk.clinic_world import World, paths


@pytest.fixture
def world(tmp_path: Path, sandbox) -> Iterator[World]:
    w = World(tmp_path, sandbox.url, "remote")
    yield w
    w.close()


def _qr(sandbox, index: int) -> str:
    return [p for p in sandbox.world.people if p.card_state == "000"][index].cccd_qr


def test_pairing_code_works_once_and_only_for_its_holder(world: World, tmp_path: Path) -> None:
    code = registry.new_pairing(world.store, "reception", "desk-9")
    with pytest.raises(KioskError, match="Wrong or expired pairing code"):
        enroll(Settings(paths(tmp_path / "a")), world.server.url, tls.new_code())
    with pytest.raises(BadInput, match="has 20 characters"):  # refused before connecting
        enroll(Settings(paths(tmp_path / "a")), world.server.url, "ZZZZ-ZZZZ")
    done = enroll(Settings(paths(tmp_path / "b")), world.server.url, code.lower().replace("-", ""))  # as typed
    assert done["station"] == "desk-9" and done["fingerprint"] == world.server.fingerprint
    token_file = tmp_path / "b" / "config" / "station-token"
    assert token_file.stat().st_mode & 0o077 == 0, "the token is readable by its owner only"
    with pytest.raises(KioskError, match="Wrong or expired"):
        enroll(Settings(paths(tmp_path / "c")), world.server.url, code)  # used up


def test_a_pairing_code_has_100_bits_and_reads_as_typed() -> None:
    code = tls.new_code()
    raw = code.replace("-", "")
    assert len(raw) * math.log2(len(tls.CODE_ALPHABET)) >= 100 and tls.code_bits() >= 100
    assert len(set(tls.CODE_ALPHABET)) == 32 and set(raw) <= set(tls.CODE_ALPHABET)
    assert re.fullmatch(r"[A-Z2-9]{4}(-[A-Z2-9]{4}){4}", code)
    assert tls.new_code() != code
    typed = [code.lower(), raw, raw.lower(), " ".join(raw[i:i + 4] for i in range(0, 20, 4)),
             f" {code.replace('-', ' - ')} ", "--" + code.replace("-", "--") + "-", raw[:7] + "-" + raw[7:]]
    for variant in typed:
        assert tls.normalise_code(variant) == code, variant
        assert tls.check_code(variant) == code
        assert tls.proof(variant, "enroll", "ab" * 32, "n") == tls.proof(code, "enroll", "ab" * 32, "n")
    for wrong, needle in ((raw[:-1], "has 20 characters"), (raw + "A", "has 20 characters"),
                          ("O" + raw[1:], "has no O"), ("1" + raw[1:], "has no 1")):
        with pytest.raises(BadInput, match=needle):
            tls.check_code(wrong)


def test_a_proof_is_keyed_by_the_stretched_code_salted_by_the_nonce() -> None:
    code = tls.new_code()
    plain = hmac.new(code.encode(), b"enroll|fp|n1", hashlib.sha256).hexdigest()
    assert tls.proof(code, "enroll", "fp", "n1") != plain, "not a bare HMAC keyed with the code"
    assert tls.proof(code, "enroll", "fp", "n1") != tls.proof(code, "enroll", "fp", "n2")
    assert tls.proof(code, "enroll", "fp", "n1") != tls.proof(code, "server", "fp", "n1")
    assert tls.SCRYPT_N * tls.SCRYPT_R * 128 >= 16 * 1024 * 1024, "memory-hard: ≥ 16 MiB a guess"
    tls._stretched.cache_clear()
    started = time.perf_counter()
    tls.proof(tls.new_code(), "enroll", "fp", "n3")
    assert time.perf_counter() - started > 0.01, "each guess costs a key stretch"


def test_a_site_locked_server_pin_is_kept_by_enrolment(world: World, tmp_path: Path) -> None:
    site = tmp_path / "pinned" / "site" / "settings.toml"
    site.parent.mkdir(parents=True)
    site.write_text(f'[server]\nurl = "{world.server.url}/"\nfingerprint = "{world.server.fingerprint}"\n'
                    '[station]\nrole = "kiosk"\n', encoding="utf-8")
    settings = Settings(paths(tmp_path / "pinned"))
    done = enroll(settings, world.server.url, registry.new_pairing(world.store, "kiosk", "hall"))
    assert done["fingerprint"] == world.server.fingerprint
    assert not (tmp_path / "pinned" / "config" / "settings.toml").exists(), "nothing to write: the site pins both"
    RemoteClinic.open(Settings(paths(tmp_path / "pinned"))).close()
    site.write_text(f'[server]\nfingerprint = "{"ab" * 32}"\n', encoding="utf-8")
    code = registry.new_pairing(world.store, "kiosk", "hall-2")
    with pytest.raises(KioskError, match="locked by the site settings file"):
        enroll(Settings(paths(tmp_path / "pinned")), world.server.url, code)
    site.write_text('[server]\nurl = "https://clinic-server:8443"\n', encoding="utf-8")
    with pytest.raises(KioskError, match="locked by the site settings file"):
        enroll(Settings(paths(tmp_path / "pinned")), world.server.url, code)
    assert enroll(Settings(paths(tmp_path / "other")), world.server.url, code)["station"] == "hall-2", "unused"


def test_a_machine_in_the_middle_cannot_enrol(world: World) -> None:
    """A proof made over another certificate (what a station talking to an impostor would send)
    is refused, even with the right code."""
    code = registry.new_pairing(world.store, "kiosk", "hall")
    session = pinned_session(world.server.fingerprint)
    answer = session.post(world.server.url + "/api/v1/enroll", timeout=10, json={
        "nonce": "n1", "proof": tls.proof(code, "enroll", "ab" * 32, "n1")}).json()
    assert "error" in answer and "machine in the middle" in answer["error"]["en"]
    session.close()


def test_station_refuses_a_server_with_another_certificate(world: World, tmp_path: Path) -> None:
    station = world.station("board", "board-1")
    assert station.board_state().waiting == {}
    port = int(world.server.url.rsplit(":", 1)[1])
    world.server.stop()
    impostor = start_server(world.core, port=port, cert_dir=tmp_path / "other-tls")
    world.server = impostor
    assert impostor.fingerprint != station.fingerprint
    with pytest.raises(WrongServer) as err:
        station.board_state()
    assert "not the one pinned" in err.value.en
    station.close()


def test_requests_without_a_station_token_or_session_are_refused(world: World, tmp_path: Path) -> None:
    session = pinned_session(world.server.fingerprint)
    bare = session.post(world.server.url + "/api/v1/call/board_state", json={"args": {}}, timeout=10)
    assert bare.status_code == 401 and "not enrolled" in bare.json()["error"]["en"]
    forged = session.post(world.server.url + "/api/v1/call/board_state", json={"args": {}}, timeout=10,
                          headers={"Authorization": "Bearer made-up"})
    assert forged.status_code == 401
    session.close()
    desk = world.station("reception", "desk-1", sign_in=False)
    with pytest.raises(AccessDenied):  # a staff station does nothing before someone signs in
        desk.board_state()
    assert desk.has_admin() is True
    with pytest.raises(KioskError):
        desk.sign_in("lan", "wrong password")
    desk.sign_in("lan", "demo-lan-2026")
    assert desk.board_state().waiting == {}
    assert desk.lookup_staff("minh").username == "lan", "a colleague's CCCD is not handed out"
    desk.sign_out()
    with pytest.raises(AccessDenied):
        desk.board_state()


def test_machine_stations_get_their_role_only(world: World, sandbox) -> None:
    kiosk, board = world.station("kiosk", "hall-kiosk"), world.station("board", "hall-board")
    patient = kiosk.identify(identity_from_payload(parse_payload(_qr(sandbox, 0))))
    for denied in (lambda: kiosk.lookup(patient, None), lambda: kiosk.cached_health_book(patient),
                   lambda: kiosk.call_next("K01", "101"), lambda: kiosk.staff_accounts(),
                   lambda: board.identify(identity_from_payload(parse_payload(_qr(sandbox, 1)))),
                   lambda: board.check_in(patient, "K01"), lambda: board.patient(patient.id)):
        with pytest.raises(AccessDenied):
            denied()
    with pytest.raises(KioskError):  # a kiosk cannot sign a person in to lift its limits
        kiosk.sign_in("admin", "demo-admin-2026")
    assert kiosk.check_in(patient, "K01").ticket.number == 1


def test_board_hears_a_check_in_within_a_second(world: World, sandbox) -> None:
    board, desk = world.station("board", "board"), world.station("reception", "desk")
    version = board.wait_for_change(0, timeout=1)
    lags: list[float] = []
    woke = threading.Event()

    def listen() -> None:
        board.wait_for_change(version, timeout=20)
        lags.append(time.perf_counter())
        woke.set()

    listener = threading.Thread(target=listen)
    listener.start()
    time.sleep(0.3)
    patient = desk.identify(identity_from_payload(parse_payload(_qr(sandbox, 2))))
    desk.record_consent(patient, {"care": True}, "reception")  # the desk asks first
    start = time.perf_counter()
    desk.check_in(patient, "K01")
    assert woke.wait(5)
    listener.join()
    assert lags[0] - start < 1.0
    assert board.board_state().waiting == {"K01": 1}


def test_offline_check_in_then_reconnect_without_duplicate_numbers(world: World, sandbox, tmp_path: Path) -> None:
    states: list[bool] = []
    desk = world.station("reception", "desk-1")
    desk.watch_connection(states.append)
    first = desk.identify(identity_from_payload(parse_payload(_qr(sandbox, 0))))
    desk.record_consent(first, {"care": True}, "reception")
    assert desk.check_in(first, "K01").ticket.number == 1
    port = int(world.server.url.rsplit(":", 1)[1])
    world.server.stop()  # the server PC is switched off
    with pytest.raises(ServerUnavailable):
        desk.board_state()
    assert states == [False]
    walk_ins = []
    for index in (1, 2):
        patient = desk.identify(identity_from_payload(parse_payload(_qr(sandbox, index))))
        assert patient.id is None, "offline: known from the QR code only"
        done = desk.check_in(patient, "K01")
        assert done.ticket.station == "offline" and done.ticket.number // OFFLINE_SERIES > 0
        printed = desk.print_ticket(done.ticket)
        assert printed.pdf_path.exists()
        walk_ins.append(done.ticket.number)
    station_id = walk_ins[0] // OFFLINE_SERIES
    assert [number_text(n) for n in walk_ins] == [f"{chr(64 + station_id)}01", f"{chr(64 + station_id)}02"]
    # meanwhile the kiosk (online again first) and the server's own desk keep numbering 002, 003…
    world.server = start_server(world.core, port=port, cert_dir=tmp_path / "server-tls")  # same certificate
    deadline = time.monotonic() + 15
    while not desk.online and time.monotonic() < deadline:
        time.sleep(0.2)
    assert desk.online and states == [False, True]
    numbers = [r[0] for r in world.store.conn.execute("SELECT number FROM tickets ORDER BY id")]
    assert numbers == [1, *walk_ins], "handed in under the numbers printed on the tickets"
    assert desk.hand_in_offline() == [], "each offline check-in is taken in once"
    kiosk = world.station("kiosk", "hall")
    late = kiosk.identify(identity_from_payload(parse_payload(_qr(sandbox, 3))))
    assert kiosk.check_in(late, "K01").ticket.number == 2
    rows = world.store.conn.execute("SELECT COUNT(*), COUNT(DISTINCT number) FROM tickets").fetchone()
    assert rows[0] == rows[1] == 4
    order = [r[0] for r in world.store.conn.execute("SELECT number FROM tickets ORDER BY issued_at, number")]
    assert order == [1, *walk_ins, 2], "called in order of arrival: the offline patients keep their place"



def test_server_command_serves_and_pairs(tmp_path: Path, monkeypatch) -> None:
    """`clinic-kiosk server` and `server pair` as an admin runs them."""
    import subprocess
    import sys

    monkeypatch.setenv("CLINIC_KIOSK_HOME", str(tmp_path / "srv"))
    env = {**__import__("os").environ}
    subprocess.run([sys.executable, "-m", "kiosk.cli", "demo", "prepare", "--no-video"], env=env, check=True,
                   capture_output=True)
    server = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "server", "--listen", "127.0.0.1:0"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = server.stdout.readline().split(": ", 1)[1].strip()
        assert url.startswith("https://127.0.0.1:")
        fingerprint = server.stdout.readline().rsplit(" ", 1)[1].strip()
        paired = subprocess.run([sys.executable, "-m", "kiosk.cli", "server", "pair", "--kind", "board", "--name",
                                 "hall"], env=env, capture_output=True, text=True, check=True)
        code = paired.stdout.split("pairing code: ", 1)[1].split()[0]
        assert tls.check_code(code) == code and len(code) == 24
        assert "▀" in paired.stdout and "▄" in paired.stdout and "█" in paired.stdout, "the code as a QR block"
        assert "clinic-kiosk enroll --server https://" in paired.stdout and f"--code {code}" in paired.stdout
        station_env = {**env, "CLINIC_KIOSK_HOME": str(tmp_path / "board")}
        enrolled = subprocess.run([sys.executable, "-m", "kiosk.cli", "enroll", "--server", url, "--code", code],
                                  env=station_env, capture_output=True, text=True)
        assert enrolled.returncode == 0, enrolled.stderr
        assert fingerprint[:16] in enrolled.stdout
        settings = Settings(paths(tmp_path / "board"))
        assert settings["server.url"] == url and settings["server.fingerprint"] == fingerprint
        board = RemoteClinic.open(settings)
        assert board.board_state().waiting == {}
        board.close()
        with pytest.raises(requests.ConnectionError):  # plain HTTP is not served
            requests.get(url.replace("https", "http") + "/api/v1/hello", timeout=5)
    finally:
        server.terminate()
        server.wait(timeout=10)
        server.stdout.close()
        server.stderr.close()
    assert server.returncode == 0


def test_station_started_while_the_server_is_away_works_offline(world: World, sandbox, tmp_path: Path) -> None:
    world.station("kiosk", "hall").close()  # enrolled, and has seen the server once
    world.server.stop()
    again = RemoteClinic.open(Settings(paths(tmp_path / "hall")))
    assert not again.online and again.settings.department("K01") is not None
    patient = again.identify(identity_from_payload(parse_payload(_qr(sandbox, 0))))
    done = again.check_in(patient, "K01")
    assert done.ticket.station == "offline" and number_text(done.ticket.number).startswith(("A", "B", "C"))
    again.close()


def test_lookups_share_one_gateway_session_and_worker_pool(world: World, sandbox) -> None:
    desk = world.station("reception", "desk")
    before = {t for t in threading.enumerate() if t.name.startswith("healthbook")}  # other tests' pools, ending
    for index in range(4):
        patient = desk.identify(identity_from_payload(parse_payload(_qr(sandbox, index))))
        assert desk.lookup(patient, desk.lookup_staff()).card_check.card is not None
    workers = [t for t in threading.enumerate() if t.name.startswith("healthbook") and t not in before]
    assert len(workers) <= 3, "every request's view uses the server's one health-book pool"
    assert world.core.gateway().logins == 1
