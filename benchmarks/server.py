#!/usr/bin/env python3
"""Clinic-server benchmark: 20 stations on loopback at a busy hour, sped up ×50.

The server runs as its own process (``clinic-kiosk server``, TLS), once on the SQLite store and
once on PostgreSQL (a private server started here). 14 check-in stations (kiosk role) each take a
new patient — identify + check-in — every 30 s / 50 = 0.6 s; 6 doctor stations (signed in) each
call the next patient to their room at the same pace; 2 boards follow the queue by long-polling and
read the board after each change. Every station is a real ``kiosk.remote.RemoteClinic`` with its
own enrolment and pinned certificate.

Measured: each request's latency at the station (long-polls excluded), and the board lag: from the
moment a station got the answer to its check-in or call, to the moment a board showed the new
state. Baseline in the same run: ``GET /api/v1/hello`` (TLS + routing, no store).

The last line is JSON: ``p95_ms_sqlite``, ``p95_ms_postgres``, ``board_lag_p95_ms`` (the worse of
the two stores), and details. Targets: p95 ≤ 50 ms on both stores; board lag p95 ≤ 1 s.

Run: .venv/bin/python benchmarks/server.py [--seconds 60] [--stores sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import json
import os
import random
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

    def install(self, station) -> None:  # noqa: ANN001 - kiosk.remote.RemoteClinic
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


def run_store(store_kind: str, seconds: float, work: Path, pg_dsn: str = "") -> dict:
    import tomli_w

    from kiosk.facade import Clinic
    from kiosk.model import DatePrecision, Identity, IdentitySource
    from kiosk.paths import AppPaths
    from kiosk.remote import RemoteClinic
    from kiosk.server import registry
    from kiosk.server_commands import enroll
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
    from kiosk import demo
    from kiosk.server_commands import open_server_clinic

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
    counter = iter(range(10**9))

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

    threads = [threading.Thread(target=desk_loop, args=(c, i)) for i, c in enumerate(desks)]
    threads += [threading.Thread(target=doctor_loop, args=(c, ROOMS[i], 100 + i)) for i, c in enumerate(doctors)]
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
    numbers = admin.store.conn.execute("SELECT COUNT(*), COUNT(DISTINCT number) FROM tickets").fetchone()
    for s in (*desks, *doctors, *boards):
        s.close()
    admin.close()
    server.terminate()
    server.wait(timeout=20)
    server.stdout.close()
    return {
        "p95_ms": pct(timed.ms, 95), "median_ms": pct(timed.ms, 50), "max_ms": round(max(timed.ms, default=0), 1),
        "requests": len(timed.ms), "changes": len(changes), "board_lag_p95_ms": pct(lags, 95),
        "board_lag_median_ms": pct(lags, 50), "tickets": numbers[0], "duplicate_numbers": numbers[0] - numbers[1],
        "errors": len(errors), "first_errors": errors[:3], "baseline_hello_p95_ms": pct(baseline, 95),
        "ratio_p95_to_baseline": round(pct(timed.ms, 95) / max(pct(baseline, 95), 0.1), 1),
    }


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
            results[kind] = run_store(kind, args.seconds, work)
        print(f"{kind}: {json.dumps(results[kind], ensure_ascii=False)}", file=sys.stderr)
    lags = [r["board_lag_p95_ms"] for r in results.values() if "board_lag_p95_ms" in r]
    summary = {
        "p95_ms_sqlite": results.get("sqlite", {}).get("p95_ms"),
        "p95_ms_postgres": results.get("postgresql", {}).get("p95_ms"),
        "board_lag_p95_ms": max(lags) if lags else None,
        "stations": {"check_in": CHECKIN_STATIONS, "doctors": DOCTOR_STATIONS, "boards": BOARDS},
        "period_s": PERIOD_S,
        "stores": results,
    }
    print(json.dumps(summary, ensure_ascii=False))
    failed = any(r.get("errors") or r.get("duplicate_numbers") for r in results.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
