#!/usr/bin/env python3
"""Clinic-server benchmark: 20 stations on loopback at a busy hour, sped up ×50.

The server runs as its own process (``clinic-kiosk server``, TLS), once on the SQLite store and
once on PostgreSQL (a private server started here). 14 check-in stations (kiosk role) each take a
new patient — identify + check-in — every 30 s / 50 = 0.6 s; 6 doctor stations (signed in) each
call the next patient to their room at the same pace; 2 boards follow the queue by long-polling and
read the board after each change. Every station is a real ``kiosk.remote.client.RemoteClinic`` with its
own enrolment and pinned certificate.

Measured: each request's latency at the station (long-polls excluded), and the board lag: from the
moment a station got the answer to its check-in or call, to the moment a board showed the new
state. Baseline in the same run: ``GET /api/v1/hello`` (TLS + routing, no store).

Slow clients (SQLite store only): after the measured run, a second run of the same length with the
same stations while an attacker holds 50 silent connections open to the server the whole time —
plain TCP connections that send nothing (never start the TLS handshake), and a few that send the
first bytes of a TLS ClientHello (``160301``) and stop. The server drops a handshake unfinished
after 5 s, so the attacker reopens every connection the server closed. It connects from another
loopback address (127.0.0.2; the stations are on 127.0.0.1), since the server caps the open
connections per client address (32): the connections over the cap are refused at once, and the
attacker retries them after a short pause. Counted: connections closed by the server within 1 s
of opening (refused) and those it held longer.

The last line is JSON: ``p95_ms_sqlite``, ``p95_ms_postgres``, ``board_lag_p95_ms`` (the worse of
the two stores), ``p95_ms_with_slow_clients`` (SQLite, the slow-client run) with
``slow_clients_ratio`` (against ``p95_ms_sqlite`` of the same run), and details. Targets: p95 ≤ 50 ms
on both stores; board lag p95 ≤ 1 s; p95 with slow clients ≤ 50 ms.

Run: .venv/bin/python benchmarks/server.py [--seconds 60] [--stores sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import json
import os
import random
import selectors
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHECKIN_STATIONS, DOCTOR_STATIONS, BOARDS = 14, 6, 2
PERIOD_S = 30 / 50
ROOMS = [f"{101 + i}" for i in range(DOCTOR_STATIONS)]
SLOW_CLIENTS = 50  # silent connections the attacker keeps open during the slow-client run
PARTIAL_HELLOS = 5  # of which these send the start of a TLS ClientHello, then nothing
PARTIAL_HELLO = bytes.fromhex("160301")  # record type handshake, TLS 1.0 record version
ATTACKER_ADDRESS = "127.0.0.2"  # another loopback source than the stations' (the server caps per address)
REFUSED_WITHIN_S = 1.0  # closed by the server sooner than this after opening: counted as refused
RETRY_REFUSED_S = 0.1  # the attacker's pause before reopening a refused connection
SLOW_CLIENTS_TARGET_MS = 50


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def pct(values: list[float], q: float) -> float:
    import numpy as np

    return round(float(np.percentile(values, q)), 1) if values else 0.0


class Timed:
    """Wraps a station's transport to time every request (long-polls apart)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ms: list[float] = []

    def install(self, station) -> None:  # noqa: ANN001 - kiosk.remote.client.RemoteClinic
        original = station._request

        def timed(method: str, path: str, *args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            start = time.perf_counter()
            try:
                return original(method, path, *args, **kwargs)
            finally:
                if not path.startswith("/api/v1/changes"):
                    with self.lock:
                        self.ms.append((time.perf_counter() - start) * 1000)

        station._request = timed


class SilentClients:
    """An attacker thread that keeps ``count`` silent connections open to ``host:port`` from
    ``source``: it reopens each one the server closes (after ``RETRY_REFUSED_S`` if it was refused)."""

    def __init__(self, host: str, port: int, count: int = SLOW_CLIENTS, partial: int = PARTIAL_HELLOS,
                 source: str = ATTACKER_ADDRESS) -> None:
        self.target, self.count, self.partial, self.source = (host, port), count, partial, source
        self.stop = threading.Event()
        self.opened = self.refused = self.dropped = self.held_to_end = self.connect_errors = 0
        self._thread = threading.Thread(target=self._run, name="silent-clients", daemon=True)

    def __enter__(self) -> SilentClients:
        self._thread.start()
        deadline = time.perf_counter() + 5
        while self.opened < self.count and time.perf_counter() < deadline:
            time.sleep(0.01)  # every slot opened once before the measured period starts
        time.sleep(0.2)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self._thread.join(timeout=10)

    def _open(self, slot: int) -> socket.socket | None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind((self.source, 0))
            sock.settimeout(2)
            sock.connect(self.target)
            if slot < self.partial:
                sock.sendall(PARTIAL_HELLO)
            sock.setblocking(False)
        except OSError:
            sock.close()
            self.connect_errors += 1
            return None
        self.opened += 1
        return sock

    def _run(self) -> None:
        selector = selectors.DefaultSelector()
        reopen_at = [0.0] * self.count  # per slot: when to (re)open it; inf while it is open
        opened_at = [0.0] * self.count
        while not self.stop.is_set():
            now = time.perf_counter()
            for slot in range(self.count):
                if reopen_at[slot] <= now:
                    sock = self._open(slot)
                    if sock is None:
                        reopen_at[slot] = now + RETRY_REFUSED_S
                        continue
                    reopen_at[slot], opened_at[slot] = float("inf"), time.perf_counter()
                    selector.register(sock, selectors.EVENT_READ, slot)
            for key, _ in selector.select(timeout=0.05):
                sock, slot = key.fileobj, key.data
                try:
                    if sock.recv(4096):
                        continue  # e.g. a TLS alert before the close: wait for the close itself
                except BlockingIOError:
                    continue
                except OSError:
                    pass  # reset by the server: closed
                selector.unregister(sock)
                sock.close()
                now = time.perf_counter()
                if now - opened_at[slot] < REFUSED_WITHIN_S:
                    self.refused += 1
                    reopen_at[slot] = now + RETRY_REFUSED_S
                else:
                    self.dropped += 1
                    reopen_at[slot] = now
        for key in list(selector.get_map().values()):
            self.held_to_end += 1
            key.fileobj.close()
        selector.close()

    def report(self) -> dict:
        return {
            "connections": self.count, "partial_client_hellos": self.partial, "source": self.source,
            "opened": self.opened, "refused_by_server": self.refused,
            "held_then_dropped_by_server": self.dropped, "held_to_end": self.held_to_end,
            "connect_errors": self.connect_errors,
        }


def _attack(host: str, port: int, stop, results) -> None:  # noqa: ANN001 - multiprocessing Event, Queue
    with SilentClients(host, port) as attacker:
        results.put("ready")
        stop.wait()
    results.put(attacker.report())


class AttackerProcess:
    """The attacker in a process of its own, as it would be on another machine: its loop does not
    share the measuring stations' interpreter lock."""

    def __init__(self, host: str, port: int) -> None:
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        self._stop, self._results = context.Event(), context.Queue()
        self._process = context.Process(target=_attack, args=(host, port, self._stop, self._results), daemon=True)
        self._report: dict = {}

    def __enter__(self) -> AttackerProcess:
        self._process.start()
        assert self._results.get(timeout=30) == "ready"
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._report = self._results.get(timeout=30)
        self._process.join(timeout=10)

    def report(self) -> dict:
        return self._report


def run_store(store_kind: str, seconds: float, work: Path, pg_dsn: str = "", slow_clients: bool = False) -> dict:
    import tomli_w

    from kiosk.cli.server import enroll
    from kiosk.facade import Clinic
    from kiosk.model import DatePrecision, Identity, IdentitySource
    from kiosk.paths import AppPaths
    from kiosk.remote.client import RemoteClinic
    from kiosk.server import registry
    from kiosk.settings import Settings

    home = work / store_kind
    (home / "site").mkdir(parents=True)
    site = {"facility": {"departments": [{"code": "K01", "name": "Khám Nội", "rooms": ROOMS}]},
            "server": {"store": store_kind, "postgresql": pg_dsn}, "backup": {"daily": False}}
    (home / "site" / "settings.toml").write_text(tomli_w.dumps(site), encoding="utf-8")
    env = {**os.environ, "CLINIC_KIOSK_HOME": str(home), "PYTHONPATH": str(ROOT)}
    cli = [sys.executable, "-c", "import sys; from kiosk.cli import main; sys.exit(main())"]
    server_settings = Settings(AppPaths(home / "site" / "settings.toml", home / "config" / "settings.toml",
                                        home / "data", home / "log"))
    from kiosk.cli.server import open_server_clinic
    from kiosk.sandbox import demo

    admin: Clinic = open_server_clinic(server_settings)  # to hand out pairing codes, as `server pair` does
    demo.prepare(admin.store)  # the demo staff (a doctor signs in at each room)
    port = free_port()
    server = subprocess.Popen([*cli, "server", "--listen", f"127.0.0.1:{port}"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    url = server.stdout.readline().split(": ", 1)[1].strip()

    def station(kind: str, name: str) -> RemoteClinic:
        root = work / f"{store_kind}-{name}"
        paths = AppPaths(root / "site" / "settings.toml", root / "config" / "settings.toml", root / "data",
                         root / "log")
        enroll(Settings(paths), url, registry.new_pairing(admin.store, kind, name))
        clinic = RemoteClinic.open(Settings(paths))
        if kind == "doctor":
            clinic.sign_in("minh", "demo-minh-2026")
        return clinic

    desks = [station("kiosk", f"kiosk-{i}") for i in range(CHECKIN_STATIONS)]
    doctors = [station("doctor", f"room-{i}") for i in range(DOCTOR_STATIONS)]
    boards = [station("board", f"board-{i}") for i in range(BOARDS)]
    timed = Timed()
    for s in (*desks, *doctors, *boards):
        timed.install(s)
    baseline = []
    for _ in range(200):
        start = time.perf_counter()
        boards[0].http.get(url + "/api/v1/hello", timeout=10)
        baseline.append((time.perf_counter() - start) * 1000)

    stop = threading.Event()
    changes: list[tuple[float, float]] = []  # (request start, answer) of every change a station made
    shown: list[list[float]] = [[] for _ in boards]  # when each board showed a new state
    errors: list[str] = []
    lock = threading.Lock()
    counter = iter(range(10**9))  # shared by both runs: every patient is new

    def desk_loop(clinic: RemoteClinic, seed: int) -> None:
        rng = random.Random(seed)
        time.sleep(rng.uniform(0, PERIOD_S))
        next_at = time.perf_counter()
        while not stop.is_set():
            n = next(counter)
            identity = Identity(IdentitySource.MANUAL, id_number=f"0019{n % 100:02d}{n:06d}",
                                full_name=f"Người Thử {n}", date_of_birth=dt.date(1970 + n % 50, 1 + n % 12, 1),
                                dob_precision=DatePrecision.DAY)
            try:
                start = time.perf_counter()
                patient = clinic.identify(identity)
                clinic.record_consent(patient, {"care": True}, "reception")  # asked at the desk
                start = time.perf_counter()
                clinic.check_in(patient, "K01")
                with lock:
                    changes.append((start, time.perf_counter()))
            except Exception as exc:  # noqa: BLE001 - counted and shown
                errors.append(f"check-in: {type(exc).__name__}: {exc}")
            next_at += PERIOD_S * rng.uniform(0.8, 1.2)
            stop.wait(max(0.0, next_at - time.perf_counter()))

    def doctor_loop(clinic: RemoteClinic, room: str, seed: int) -> None:
        from kiosk.errors import KioskError

        rng = random.Random(seed)
        time.sleep(rng.uniform(0, PERIOD_S) + PERIOD_S)
        next_at = time.perf_counter()
        while not stop.is_set():
            start = time.perf_counter()
            try:
                clinic.call_next("K01", room)
                with lock:
                    changes.append((start, time.perf_counter()))
            except KioskError:
                pass  # nobody waiting in this room yet
            except Exception as exc:  # noqa: BLE001
                errors.append(f"call: {type(exc).__name__}: {exc}")
            next_at += PERIOD_S * rng.uniform(0.8, 1.2)
            stop.wait(max(0.0, next_at - time.perf_counter()))

    def board_loop(clinic: RemoteClinic, index: int) -> None:
        version = clinic.wait_for_change(0, timeout=0.1)
        while not stop.is_set():
            try:
                version = clinic.wait_for_change(version, timeout=5)
                clinic.board_state()
                shown[index].append(time.perf_counter())
            except Exception as exc:  # noqa: BLE001
                errors.append(f"board: {type(exc).__name__}: {exc}")

    def measure(seed: int) -> tuple[list[float], list[float], int, list[str]]:
        """One run of ``seconds``: the stations' latencies, the board lags, the changes and the errors."""
        stop.clear()
        with timed.lock:
            timed.ms = []
        changes.clear()
        errors.clear()
        for times in shown:
            times.clear()
        threads = [threading.Thread(target=desk_loop, args=(c, seed + i)) for i, c in enumerate(desks)]
        threads += [threading.Thread(target=doctor_loop, args=(c, ROOMS[i], seed + 100 + i))
                    for i, c in enumerate(doctors)]
        threads += [threading.Thread(target=board_loop, args=(c, i)) for i, c in enumerate(boards)]
        for t in threads:
            t.start()
        time.sleep(seconds)
        stop.set()
        for t in threads:
            t.join(timeout=15)
        lags = []
        for start, answered in changes:
            for times in shown:
                i = bisect.bisect_left(times, start)
                if i < len(times):
                    lags.append(max(0.0, times[i] - answered) * 1000)
        with timed.lock:
            return list(timed.ms), lags, len(changes), list(errors)

    ms, lags, changed, failures = measure(0)
    slow: dict = {}
    if slow_clients:
        with AttackerProcess("127.0.0.1", port) as attacker:
            slow_ms, slow_lags, slow_changed, slow_failures = measure(1000)
        slow = {
            "p95_ms": pct(slow_ms, 95), "median_ms": pct(slow_ms, 50), "max_ms": round(max(slow_ms, default=0), 1),
            "requests": len(slow_ms), "changes": slow_changed, "board_lag_p95_ms": pct(slow_lags, 95),
            "errors": len(slow_failures), "first_errors": slow_failures[:3],
            "ratio_to_p95_without": round(pct(slow_ms, 95) / max(pct(ms, 95), 0.1), 2),
            "attacker": attacker.report(),
        }
    # Numbers are per department per day (a run across midnight starts again at 1): duplicates within one.
    tickets = admin.store.conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0]
    duplicates = admin.store.conn.execute(
        "SELECT COALESCE(SUM(n - 1), 0) FROM (SELECT COUNT(*) AS n FROM tickets GROUP BY day, department_code, "
        "number HAVING COUNT(*) > 1) AS repeated").fetchone()[0]
    for s in (*desks, *doctors, *boards):
        s.close()
    admin.close()
    server.terminate()
    server.wait(timeout=20)
    server.stdout.close()
    result = {
        "p95_ms": pct(ms, 95), "median_ms": pct(ms, 50), "max_ms": round(max(ms, default=0), 1),
        "requests": len(ms), "changes": changed, "board_lag_p95_ms": pct(lags, 95),
        "board_lag_median_ms": pct(lags, 50), "tickets": tickets, "duplicate_numbers": int(duplicates),
        "errors": len(failures), "first_errors": failures[:3], "baseline_hello_p95_ms": pct(baseline, 95),
        "ratio_p95_to_baseline": round(pct(ms, 95) / max(pct(baseline, 95), 0.1), 1),
    }
    if slow:
        result["with_slow_clients"] = slow
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each store's run")
    parser.add_argument("--stores", default="sqlite,postgresql")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ck-server-bench-"))
    results: dict[str, dict] = {}
    for kind in args.stores.split(","):
        if kind == "postgresql":
            from tests.kiosk.pg_server import PrivatePostgres

            pg = PrivatePostgres()
            reason = pg.why_not()
            if reason:
                results[kind] = {"skipped": reason}
                continue
            pg.start()
            try:
                results[kind] = run_store(kind, args.seconds, work, pg.create_database("clinic_bench"))
            finally:
                pg.stop()
        else:
            results[kind] = run_store(kind, args.seconds, work, slow_clients=True)
        print(f"{kind}: {json.dumps(results[kind], ensure_ascii=False)}", file=sys.stderr)
    lags = [r["board_lag_p95_ms"] for r in results.values() if "board_lag_p95_ms" in r]
    slow = results.get("sqlite", {}).get("with_slow_clients", {})
    summary = {
        "p95_ms_sqlite": results.get("sqlite", {}).get("p95_ms"),
        "p95_ms_postgres": results.get("postgresql", {}).get("p95_ms"),
        "board_lag_p95_ms": max(lags) if lags else None,
        "p95_ms_with_slow_clients": slow.get("p95_ms"),
        "p95_ms_with_slow_clients_target_ms": SLOW_CLIENTS_TARGET_MS,
        "slow_clients_ratio": slow.get("ratio_to_p95_without"),
        "slow_clients": slow.get("attacker"),
        "stations": {"check_in": CHECKIN_STATIONS, "doctors": DOCTOR_STATIONS, "boards": BOARDS},
        "period_s": PERIOD_S,
        "stores": results,
    }
    print(json.dumps(summary, ensure_ascii=False))
    failed = any(r.get("errors") or r.get("duplicate_numbers") or r.get("with_slow_clients", {}).get("errors")
                 for r in results.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
