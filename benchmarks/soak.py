#!/usr/bin/env python3
"""Busy-day drill: K station processes on one store and the sandbox gateway, N patients, with
everything going wrong, and nothing lost.

Stations (in this order as K grows): reception, doctor, kiosk, board, then more receptions and
doctors. Reception, kiosk and doctor are headless processes driving the core's facade exactly as
their windows do (scan text → identify → card check → check-in → ticket; call → visit → finalise →
prescription → outbox); the board is the real board program (``clinic-kiosk board``, Qt offscreen),
the long-running station whose memory is watched.

While it runs: the sandbox injects latency, 5xx answers, timeouts and dropped connections; the
thermal ticket printer (ESC/POS over TCP) goes offline now and then; every few seconds one
reception, kiosk or doctor process is killed with SIGKILL and started again.

At the end it checks, from the store and the sandbox: every patient has exactly one ticket per
department per day; no queue number is duplicated; every finalised visit is accepted by the sandbox
exactly once or still pending with a reason; the audit chain verifies. The last line is JSON with
``patients``, ``visits_accepted``, ``visits_pending``, ``lost``, ``duplicated``, ``max_rss_mb`` (and
details); the exit status is 1 when ``lost`` or ``duplicated`` is not 0 or the drill timed out.

Run: .venv/bin/python benchmarks/soak.py --patients 500 --stations 4
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ROLES_IN_ORDER = ("reception", "doctor", "kiosk", "board")
DEPARTMENT = {"code": "K01", "name": "Khám Nội", "rooms": ["101", "102"]}
FAULTS = {"latency_ms": 30.0, "error_rate": 0.05, "timeout_rate": 0.02, "timeout_s": 2.5, "drop_rate": 0.03,
          "malformed_rate": 0.01}


def station_roles(k: int) -> list[str]:
    roles = list(ROLES_IN_ORDER[:k])
    extra = ("reception", "doctor")
    while len(roles) < k:
        roles.append(extra[(len(roles) - len(ROLES_IN_ORDER)) % 2])
    return roles


# -- the station processes ------------------------------------------------------------------------
def _clinic():  # noqa: ANN202
    from kiosk.facade import Clinic
    from kiosk.settings import Settings

    return Clinic.open(Settings(), gateway_url=os.environ["SOAK_GATEWAY"])


def _retrying(action, *, attempts: int = 20):  # noqa: ANN001, ANN202
    """A station shows a busy store and tries again; so does the drill."""
    from kiosk.errors import StoreError

    for n in range(attempts):
        try:
            return action()
        except StoreError:
            time.sleep(0.05 * (n + 1))
    return action()


def front_desk(role: str, index: int, count: int) -> None:
    """Reception (looks the card up, then checks in) or kiosk (checks in, card check pending)."""
    from kiosk.identify import identity_from_payload
    from kiosk.model import Role
    from scanner.payloads import parse_payload

    plan = json.loads(Path(os.environ["SOAK_PLAN"]).read_text(encoding="utf-8"))
    clinic = _clinic()
    if role == "kiosk":
        clinic.act_as(Role.KIOSK, "kiosk-station")
    else:
        clinic.sign_in("lan", "demo-lan-2026")
    staff = clinic.lookup_staff() if role == "reception" else None
    mine = [text for i, text in enumerate(plan) if i % count == index]
    for text in mine:
        patient = _retrying(lambda text=text: clinic.identify(identity_from_payload(parse_payload(text))))
        # done before this process was restarted? (the kiosk may not read a patient's tickets: its
        # check-in answers the same ticket again, marked reprint)
        if role != "kiosk" and _retrying(lambda p=patient: clinic.tickets_today(p)):
            continue
        card_check = clinic.lookup(patient, staff).card_check if staff is not None else None
        if role == "reception":  # the desk asks the consent on care before the check-in
            _retrying(lambda p=patient: clinic.record_consent(p, {"care": True}, "reception"))
        done = _retrying(lambda p=patient, c=card_check: clinic.check_in(p, DEPARTMENT["code"], station=role,
                                                                         card_check=c))
        if not done.reprint:
            _retrying(lambda t=done.ticket: clinic.print_ticket(t))
    while True:  # the morning rush is over: re-check the cards the kiosk could not
        if staff is not None:
            _retrying(lambda: clinic.retry_pending_card_checks(staff))
        time.sleep(1.0)


def doctor(index: int, count: int) -> None:
    from kiosk.errors import KioskError
    from kiosk.model import TicketStatus

    clinic = _clinic()
    clinic.sign_in("minh", "demo-minh-2026")
    staff = clinic.lookup_staff()
    from kiosk.erx.catalogue import line_from_drug

    paracetamol = _retrying(lambda: clinic.search_drugs("paracetamol"))[0]
    rooms = [r for i, r in enumerate(DEPARTMENT["rooms"]) if i % count == index] or DEPARTMENT["rooms"]
    rng = random.Random(index)
    while True:
        worked = False
        for room in rooms:
            queue = _retrying(lambda room=room: clinic.room_queue(DEPARTMENT["code"], room))
            ticket = next((e.ticket for e in queue if e.ticket.status in (TicketStatus.CALLED, TicketStatus.IN_ROOM)),
                          None)
            if ticket is None:
                try:
                    ticket = _retrying(lambda room=room: clinic.call_next(DEPARTMENT["code"], room))
                except KioskError:
                    continue  # nobody waiting here
            patient = clinic.patient(ticket.patient_id)
            card = clinic.lookup(patient, staff).card_check.card
            visit = _retrying(lambda t=ticket, c=card: clinic.start_visit(t, c, "001234/HN-CCHN"))
            if visit["status"] == "draft":
                data = visit["data"]
                data.update({"reason": "Ho, sốt", "advice": "Uống nhiều nước",
                             "diagnoses": [{"code": rng.choice(["J02.9", "J00", "I10"]), "name": "", "is_main": True}],
                             "prescription": [line_from_drug(paracetamol, dose=1, times_per_day=3, days=5)],
                             # a young child's prescription carries the weight and the guardian (TT 26)
                             "vitals": {"weight": 14.5},
                             "guardian": {"name": "Người Giám Hộ", "phone": "0912345678",
                                          "address": "Số 1 Lê Lợi, Hà Nội"}})
                _retrying(lambda v=visit, d=data: clinic.save_visit_draft(v["id"], d))
                _retrying(lambda v=visit: clinic.finalise_visit(v["id"]))
            printed = clinic.store.conn.execute("SELECT 1 FROM print_jobs WHERE visit_id = ? AND document = "
                                                "'prescription'", (visit["id"],)).fetchone()
            if not printed:
                _retrying(lambda v=visit: clinic.print_visit_document("prescription", v["id"]))
            _retrying(lambda t=ticket: clinic.set_ticket_status(t.id, "done"))
            worked = True
        try:
            clinic.send_outbox()
        except KioskError:
            pass  # the gateway is down: the outbox keeps everything for later
        if not worked:
            time.sleep(0.3)


def worker(role: str, index: int, count: int) -> int:
    import logging

    from kiosk.privacy.logs import setup_logging
    from kiosk.settings import Settings

    setup_logging(Settings().paths.log_dir, level=logging.WARNING, console=True)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    if role == "doctor":
        doctor(index, count)
    else:
        front_desk(role, index, count)
    return 0


# -- the drill -----------------------------------------------------------------------------------
class PrinterSink:
    """A thermal printer on TCP 9100-style: takes ESC/POS bytes; can be switched off and on."""

    def __init__(self) -> None:
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.online = False
        self.jobs = 0
        self._server: socket.socket | None = None
        self._thread: threading.Thread | None = None

    def switch(self, online: bool) -> None:
        if online == self.online:
            return
        self.online = online
        if online:
            self._server = socket.create_server(("127.0.0.1", self.port), reuse_port=True)
            self._thread = threading.Thread(target=self._serve, args=(self._server,), daemon=True)
            self._thread.start()
        elif self._server is not None:
            self._server.close()

    def _serve(self, server: socket.socket) -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                try:
                    while conn.recv(65536):
                        pass
                except OSError:
                    pass
            self.jobs += 1


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def write_settings(home: Path, sandbox_url: str, printer_port: int) -> None:
    import tomli_w

    (home / "site").mkdir(parents=True, exist_ok=True)
    settings = {
        "facility": {"departments": [DEPARTMENT]},
        "gateway": {"url": sandbox_url, "read_timeout": 2.0, "connect_timeout": 1.0},
        "printing": {"ticket_printer": f"escpos-net:127.0.0.1:{printer_port}",
                     "document_printer": f"folder:{home / 'printer-tray'}"},
    }
    (home / "site" / "settings.toml").write_text(tomli_w.dumps(settings), encoding="utf-8")


def station_command(role: str, index: int, count: int) -> list[str]:
    if role == "board":
        return [sys.executable, "-c", "import sys; from kiosk.cli import main; sys.exit(main())", "board"]
    return [sys.executable, __file__, "--worker", role, "--index", str(index), "--count", str(count)]


def verify(store, sandbox_stats: dict, n_patients: int) -> dict:  # noqa: ANN001
    from kiosk.security import audit

    conn = store.conn
    q = lambda sql, *a: conn.execute(sql, a).fetchall()  # noqa: E731
    patients_with_ticket = q("SELECT COUNT(DISTINCT patient_id) FROM tickets")[0][0]
    duplicate_tickets = q("SELECT COUNT(*) FROM (SELECT 1 FROM tickets GROUP BY day, department_code, patient_id "
                          "HAVING COUNT(*) > 1)")[0][0]
    duplicate_numbers = q("SELECT COUNT(*) FROM (SELECT 1 FROM tickets GROUP BY day, department_code, number "
                          "HAVING COUNT(*) > 1)")[0][0]
    duplicate_visits = q("SELECT COUNT(*) FROM (SELECT 1 FROM visits GROUP BY ticket_id HAVING "
                         "COUNT(DISTINCT ma_lk) > 1 OR SUM(version = 1) > 1)")[0][0]
    finalised = q("SELECT id, ma_lk FROM visits WHERE status = 'final'")
    claims = {ma_lk: (status, error, transaction) for ma_lk, status, error, transaction in
              q("SELECT ma_lk, status, last_error, transaction_id FROM outbox WHERE kind = 'claim'")}
    submissions = sandbox_stats["submissions"]
    accepted = pending = lost = mismatched = 0
    for _, ma_lk in finalised:
        status, error, transaction = claims.get(ma_lk, (None, "", ""))
        if status == "sent":
            if submissions.get(f"claim:{ma_lk}") == transaction:
                accepted += 1
            else:  # we hold a receipt the portal does not know: accepted twice, or never
                mismatched += 1
        elif status in ("pending", "sending") and error:
            pending += 1
        elif status in ("pending", "sending") and not error:
            pending += 1  # never tried yet: waiting its turn is a reason too
        else:
            lost += 1  # no envelope, or rejected
    portal_unknown = sum(1 for key in submissions if key.startswith("claim:") and
                         key.split(":", 1)[1] not in {m for _, m in finalised})
    chain = audit.verify(store)
    return {
        "patients": patients_with_ticket,
        "visits_finalised": len(finalised),
        "visits_accepted": accepted,
        "visits_pending": pending,
        "lost": lost + (n_patients - patients_with_ticket) + (n_patients - len(finalised)) + portal_unknown,
        "duplicated": duplicate_tickets + duplicate_numbers + duplicate_visits + mismatched,
        "duplicate_numbers": duplicate_numbers,
        "audit_chain_ok": chain.ok,
        "audit_rows": chain.rows,
        "print_failures": q("SELECT COUNT(*) FROM print_jobs WHERE status != 'printed'")[0][0],
        "prints": q("SELECT COUNT(*) FROM print_jobs")[0][0],
    }


def drill(args: argparse.Namespace) -> int:
    home = Path(tempfile.mkdtemp(prefix="ck-soak-"))
    os.environ["CLINIC_KIOSK_HOME"] = str(home)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from kiosk import icd10
    from kiosk.sandbox import demo
    from kiosk.sandbox.runner import start_sandbox
    from kiosk.settings import Settings
    from kiosk.store.opening import open_store

    rng = random.Random(args.seed)
    t0 = time.perf_counter()
    sandbox = start_sandbox(seed=args.seed, patients=args.patients, threads=16)
    printer = PrinterSink()
    printer.switch(True)
    write_settings(home, sandbox.url, printer.port)
    store = open_store(Settings().db_path())
    demo.prepare(store)
    icd10.ensure_starter(store)
    plan = [p.bhyt_qr if (p.index % 2 and p.bhyt_qr) else p.cccd_qr for p in sandbox.world.people]
    (home / "plan.json").write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
    env = {**os.environ, "SOAK_GATEWAY": sandbox.url, "SOAK_PLAN": str(home / "plan.json"),
           "PYTHONPATH": str(ROOT)}
    roles = station_roles(args.stations)
    counts = {r: roles.count(r) for r in set(roles)}
    slots: list[dict] = []
    n_front = counts.get("reception", 0) + counts.get("kiosk", 0)
    for role in roles:
        if role in ("reception", "kiosk"):  # receptions and kiosks share out the patients
            index, count = sum(1 for s in slots if s["role"] in ("reception", "kiosk")), n_front
        else:
            index, count = sum(1 for s in slots if s["role"] == role), counts[role]
        slots.append({"role": role, "cmd": station_command(role, index, count), "proc": None, "starts": 0})

    log_dir = home / "station-logs"
    log_dir.mkdir()

    def start(slot: dict) -> None:
        out = open(log_dir / f"{slot['role']}-{slots.index(slot)}.log", "ab")  # noqa: SIM115
        slot["proc"] = subprocess.Popen(slot["cmd"], env=env, stdout=out, stderr=subprocess.STDOUT)
        out.close()
        slot["starts"] += 1

    for slot in slots:
        start(slot)
    kills = crashes = 0
    max_rss = 0.0
    board_rss: list[float] = []
    next_kill = time.monotonic() + rng.uniform(3, 8)
    next_fault = time.monotonic()
    next_printer = time.monotonic() + rng.uniform(2, 5)
    deadline = time.monotonic() + args.max_minutes * 60
    timed_out = False
    killable = [s for s in slots if s["role"] != "board"]
    while True:
        time.sleep(0.25)
        now = time.monotonic()
        done = store.conn.execute("SELECT COUNT(*) FROM visits WHERE status = 'final'").fetchone()[0]
        for slot in slots:
            proc = slot["proc"]
            if proc.poll() is not None:  # died by itself: a crash, counted and restarted
                crashes += 1
                print(f"soak: {slot['role']} exited with {proc.returncode}; restarting", file=sys.stderr)
                start(slot)
                continue
            rss = rss_mb(proc.pid)
            max_rss = max(max_rss, rss)
            if slot["role"] == "board":
                board_rss.append(rss)
        if done >= args.patients:
            break
        if now > deadline:
            timed_out = True
            break
        if now >= next_fault:  # the gateway has a bad hour, then a good minute
            calm = rng.random() < 0.25
            sandbox.world.faults = type(sandbox.world.faults)(**({} if calm else FAULTS))
            next_fault = now + rng.uniform(2, 6)
        if now >= next_printer:
            printer.switch(not printer.online)
            next_printer = now + (rng.uniform(1, 3) if not printer.online else rng.uniform(4, 10))
        if now >= next_kill and killable:
            victim = rng.choice(killable)
            victim["proc"].send_signal(signal.SIGKILL)
            victim["proc"].wait()
            kills += 1
            start(victim)
            next_kill = now + rng.uniform(3, 8)
    # Closing time: the gateway recovers; the doctor's station sends what is due, then everyone stops.
    sandbox.world.faults = type(sandbox.world.faults)()
    printer.switch(True)
    settle_until = time.monotonic() + args.settle_seconds
    while time.monotonic() < settle_until:
        due = store.conn.execute("SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sending') AND "
                                 "next_attempt_at <= strftime('%Y-%m-%dT%H:%M:%f', 'now', 'localtime')").fetchone()[0]
        if not due:
            break
        time.sleep(0.5)
    for slot in slots:
        slot["proc"].send_signal(signal.SIGTERM)
    for slot in slots:
        try:
            slot["proc"].wait(timeout=10)
        except subprocess.TimeoutExpired:
            slot["proc"].kill()
    import requests

    stats = requests.get(f"{sandbox.url}/_admin/stats", timeout=10).json()
    result = verify(store, stats, args.patients)
    quarter = board_rss[len(board_rss) // 4:] or [0.0]
    result.update({
        "max_rss_mb": round(max_rss, 1),
        "board_rss_start_mb": round(quarter[0], 1),
        "board_rss_end_mb": round(board_rss[-1] if board_rss else 0.0, 1),
        "stations": roles,
        "kills": kills,
        "crashes": crashes,
        "gateway_faults": {k: v for k, v in stats["counters"].items() if k.startswith("fault:")},
        "printer_jobs": printer.jobs,
        "timed_out": timed_out,
        "seconds": round(time.perf_counter() - t0, 1),
        "home": str(home),
    })
    store.close()
    sandbox.stop()
    print(json.dumps(result, ensure_ascii=False))
    return 0 if result["lost"] == 0 and result["duplicated"] == 0 and not timed_out and result["audit_chain_ok"] else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=500)
    parser.add_argument("--stations", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-minutes", type=float, default=10.0, help="give up after this long")
    parser.add_argument("--settle-seconds", type=float, default=20.0,
                        help="at closing time, how long the outbox may still send what is due")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--index", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stations < 2:
        parser.error("--stations must be at least 2 (a reception and a doctor)")
    if args.worker:
        return worker(args.worker, args.index, args.count)
    return drill(args)


if __name__ == "__main__":
    sys.exit(main())
