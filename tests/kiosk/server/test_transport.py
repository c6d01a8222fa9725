"""The clinic server against a hostile client on the LAN: silent and slow connections, too many
connections from one address, oversized bodies and long-poll floods, while real stations keep
working (a real server on loopback; the attacker uses other loopback addresses)."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from kiosk.cli.server import enroll
from kiosk.remote.client import pinned_session
from kiosk.server import registry
from kiosk.server.front import LONG_POLLS_PER_STATION
from kiosk.server.run import CONNECTIONS_PER_ADDRESS, HANDSHAKE_S
from kiosk.settings import Settings
from tests.kiosk.clinic_world import World, paths


@pytest.fixture
def world(tmp_path: Path, sandbox) -> Iterator[World]:
    w = World(tmp_path, sandbox.url, "remote")
    yield w
    w.close()


def _address(world: World) -> tuple[str, int]:
    parts = urlsplit(world.server.url)
    return parts.hostname, parts.port


def _connect_from(source: str, target: tuple[str, int]) -> socket.socket:
    sock = socket.socket()
    sock.bind((source, 0))
    sock.connect(target)
    return sock


def _closed_by_server(sock: socket.socket, within: float) -> bool:
    sock.settimeout(within)
    try:
        return sock.recv(1) == b""
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


def _timed(call) -> float:  # noqa: ANN001
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def test_silent_connections_cost_the_stations_nothing_and_are_dropped(world: World) -> None:
    desk = world.station("reception", "desk")
    silent = [_connect_from("127.0.0.2", _address(world)) for _ in range(20)]
    half = []
    for _ in range(5):  # a TLS client that stops in the middle of its handshake
        sock = _connect_from("127.0.0.2", _address(world))
        sock.sendall(bytes.fromhex("160301"))  # the start of a ClientHello, and nothing more
        half.append(sock)
    try:
        for _ in range(5):
            assert _timed(desk.board_state) < 1.0, "a call waited behind the silent connections"
        fresh = world.station("board", "board-after")  # enrolment, a new handshake, works too
        assert _timed(fresh.board_state) < 1.0
        assert all(_closed_by_server(s, HANDSHAKE_S + 3) for s in silent + half), \
            "a connection that never finishes its handshake is dropped after a few seconds"
    finally:
        for s in silent + half:
            s.close()


def test_a_client_that_trickles_its_request_holds_no_worker(world: World) -> None:
    desk = world.station("reception", "desk")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    slow = []
    for _ in range(20):  # more than the server's worker threads
        raw = _connect_from("127.0.0.2", _address(world))
        tls = context.wrap_socket(raw)
        tls.sendall(b"POST /api/v1/enroll HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{")
        slow.append(tls)
    try:
        for _ in range(3):
            assert _timed(desk.board_state) < 1.0
        answer = _read_all(slow[0])  # the body never came: refused, as JSON
        assert answer.startswith("HTTP/1.1 408") and '"TooSlow"' in answer
    finally:
        for s in slow:
            s.close()


def test_one_address_cannot_hold_more_than_its_share_of_connections(world: World) -> None:
    desk = world.station("reception", "desk")
    held = [_connect_from("127.0.0.3", _address(world)) for _ in range(CONNECTIONS_PER_ADDRESS)]
    time.sleep(0.3)
    extra = _connect_from("127.0.0.3", _address(world))
    try:
        assert _closed_by_server(extra, 2.0), "a connection over the per-address cap is closed at once"
        assert world.server.listener.refused >= 1
        assert _timed(desk.board_state) < 1.0, "stations at other addresses are not affected"
    finally:
        for s in [*held, extra]:
            s.close()
    deadline = time.monotonic() + 5
    while world.server.listener.open_count("127.0.0.3") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert world.server.listener.open_count("127.0.0.3") == 0, "closed connections give their places back"


def _tls_from(source: str, world: World) -> ssl.SSLSocket:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    return context.wrap_socket(_connect_from(source, _address(world)))


def _read_all(sock: ssl.SSLSocket, timeout: float = 15.0) -> str:
    sock.settimeout(timeout)
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except (TimeoutError, ConnectionResetError, ssl.SSLError):
            break
        if not chunk:
            break
        data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = [int(line.split(b":")[1]) for line in head.lower().split(b"\r\n") if line.startswith(b"content-length")]
        if length and len(body) >= length[0]:
            break
    return data.decode("utf-8", "replace")


def test_oversized_bodies_are_refused_before_they_are_read(world: World) -> None:
    declared = _tls_from("127.0.0.2", world)  # announces 400 MB, as in the review
    declared.sendall(b"POST /api/v1/enroll HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 419430400\r\n\r\n" + b"x" * 65536)
    answer = _read_all(declared)
    assert answer.startswith("HTTP/1.1 413") and '"TooLarge"' in answer and "quá lớn" in answer
    declared.close()
    streamed = _tls_from("127.0.0.2", world)  # no length given: counted as it arrives
    streamed.sendall(b"POST /api/v1/enroll HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
    try:
        for _ in range(40):
            streamed.sendall(b"10000\r\n" + b"y" * 65536 + b"\r\n")
    except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
        pass  # the server stopped reading: it has answered
    answer = _read_all(streamed)
    assert answer.startswith("HTTP/1.1 413") and "application/json" in answer
    streamed.close()
    session = pinned_session(world.server.fingerprint)
    normal = session.post(world.server.url + "/api/v1/enroll", json={"nonce": "n", "proof": "p"}, timeout=20)
    assert normal.status_code == 401 and "error" in normal.json(), "a small bad enrolment is a JSON 4xx"
    session.close()


def test_long_polls_neither_exhaust_the_workers_nor_pile_up_per_station(world: World, tmp_path: Path) -> None:
    board = world.station("board", "hall-board")
    desk = world.station("reception", "desk")
    session = pinned_session(world.server.fingerprint)
    headers = {"Authorization": f"Bearer {board._token}"}
    answers: list[int] = []
    time.sleep(0.5)  # the feed has seen the sign-in's writes
    version = board.wait_for_change(0, timeout=1)

    def poll() -> None:
        answer = session.get(world.server.url + "/api/v1/changes", params={"since": version, "timeout": 6},
                             headers=headers, timeout=20)
        answers.append(answer.status_code)

    flood = [threading.Thread(target=poll) for _ in range(20)]
    for t in flood:
        t.start()
    time.sleep(1.0)
    assert _timed(desk.board_state) < 1.0, "a reception call does not wait behind the long-polls"
    for t in flood:
        t.join()
    # many stations each with a long-poll open, more than the server's worker threads: no waiting
    for i in range(20):
        enroll(Settings(paths(tmp_path / f"b{i}")), world.server.url, registry.new_pairing(world.store, "board", f"b{i}"))

    def poll_as(token: str) -> None:
        session.get(world.server.url + "/api/v1/changes", params={"since": version, "timeout": 5},
                    headers={"Authorization": f"Bearer {token}"}, timeout=20)

    waiting = [threading.Thread(target=poll_as, args=(_token_of(tmp_path / f"b{i}"),)) for i in range(20)]
    for t in waiting:
        t.start()
    time.sleep(1.0)
    assert _timed(desk.board_state) < 1.0
    for t in waiting:
        t.join()
    assert answers.count(200) <= LONG_POLLS_PER_STATION
    assert answers.count(429) >= 20 - LONG_POLLS_PER_STATION, "the rest are told to come back later"
    session.close()


def _token_of(root: Path) -> str:
    from kiosk.remote.client import token_path

    return token_path(Settings(paths(root))).read_text(encoding="ascii").strip()


def test_a_station_idle_past_the_keep_alive_works_on_its_next_call(tmp_path: Path, sandbox, monkeypatch) -> None:
    from kiosk.remote import client as remote
    from kiosk.server import run

    # as if the desk stood idle for minutes: the server ends idle connections (even abruptly, on a
    # read timeout), the station drops its own idle ones before that and never sends on a dying one
    monkeypatch.setattr(run, "KEEP_ALIVE_S", 1.0)
    monkeypatch.setattr(run, "READ_S", 1)
    monkeypatch.setattr(remote, "IDLE_CONNECTION_S", 0.8)
    w = World(tmp_path, sandbox.url, "remote")
    try:
        desk = w.station("reception", "desk")
        went_offline: list[bool] = []
        desk.watch_connection(went_offline.append)
        for pause in (0.9, 1.2, 2.0):
            time.sleep(pause)
            assert desk.board_state() is not None
        assert went_offline == [] and desk.online, "never shown as offline for having been idle"
    finally:
        w.close()
