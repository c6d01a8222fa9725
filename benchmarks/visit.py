#!/usr/bin/env python3
"""Visit benchmark: finalise (envelope built, validated and queued, the prescription given its code), the outbox
draining 1,000 finalised visits to the sandbox gateway on loopback, then their 1,000 prescriptions to the national
prescription system's stand-in, and the health-book view opening with 500 visits.

The last line is JSON with ``finalise_p95_ms``, ``drain_1000_s``, ``lost``, ``duplicated``, ``erx_drain_1000_s``,
``erx_lost``, ``erx_duplicated``, ``healthbook_500_open_ms``. Baselines in the same run: the bare claim submission
and the bare prescription send (one HTTP call each), and the drains' cost per item against them.

Run: .venv/bin/python benchmarks/visit.py [--visits N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["CLINIC_KIOSK_HOME"] = tempfile.mkdtemp(prefix="ck-visit-")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import requests  # noqa: E402

from kiosk import checkin, icd10, patients, visits  # noqa: E402
from kiosk.bhxh import outbox  # noqa: E402
from kiosk.erx import catalogue, delivery  # noqa: E402
from kiosk.erx.client import ErxClient  # noqa: E402
from kiosk.facade import Clinic  # noqa: E402
from kiosk.identify import identity_from_payload  # noqa: E402
from kiosk.model import DatePrecision, Identity, IdentitySource, Sex  # noqa: E402
from kiosk.sandbox import demo  # noqa: E402
from kiosk.sandbox.runner import start_sandbox  # noqa: E402
from kiosk.settings import Settings  # noqa: E402
from scanner.payloads import parse_payload  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=1000)
    args = parser.parse_args()
    settings = Settings()
    with start_sandbox(seed=1, patients=60) as sandbox:
        clinic = Clinic.open(settings, gateway_url=sandbox.url)
        store = clinic.store
        demo.prepare(store)
        icd10.ensure_starter(store)
        facility = settings["facility.code"]
        dep = settings["facility.departments"][0]
        paracetamol = visits.demo_drug(store, "Paracetamol")
        amlodipin = visits.demo_drug(store, "Amlodipin")
        finalise_ms, made = [], []
        for n in range(args.visits):
            identity = Identity(IdentitySource.MANUAL, id_number=f"001{(n % 2) * 1}{90 + n % 9:02d}{n:06d}",
                                full_name=f"Nguyễn Văn Thử {n}", date_of_birth=dt.date(1990 + n % 9, 1 + n % 12, 1),
                                dob_precision=DatePrecision.DAY, sex=Sex.MALE if n % 2 == 0 else Sex.FEMALE,
                                address="Số 1 Lê Lợi, Hà Nội")
            patient = patients.register(store, identity)
            ticket = checkin.check_in(store, patient.id, dep).ticket
            ticket = checkin.call_next(store, dep["code"], ticket.room)
            visit = visits.start(store, ticket, facility, card={"card_number": f"HC4010{n:09d}",
                                                                "registered_facility": "01013",
                                                                "valid_from": "2026-01-01", "valid_to": "2026-12-31"},
                                 doctor_code="001234/HN-CCHN",
                                 exam_fee={"code": "02.1896", "name": "Khám Nội", "unit_price": 38700, "quantity": 1})
            data = visit["data"]
            data.update({"reason": "Ho, sốt", "diagnoses": [{"code": "J02.9", "name": "Viêm họng cấp", "is_main": True}],
                         "prescription": [catalogue.line_from_drug(paracetamol, dose=1, times_per_day=3, days=5),
                                          catalogue.line_from_drug(amlodipin, dose=1, times_per_day=1, days=30)],
                         "advice": "Uống nhiều nước", "re_exam_on": (dt.date.today() + dt.timedelta(days=7)).isoformat()})
            visits.save_draft(store, visit["id"], data)
            start = time.perf_counter()
            final = visits.finalise(store, visit["id"], facility)
            finalise_ms.append((time.perf_counter() - start) * 1000)
            made.append(final["ma_lk"])
        client = clinic.gateway()
        client.check_card  # noqa: B018 - log in before timing
        client._current_token()
        start = time.perf_counter()
        counts = outbox.drain(store, client, facility, signer=clinic.signer())  # signed at send time, as in use
        drain_s = time.perf_counter() - start
        stats = requests.get(f"{sandbox.url}/_admin/stats", timeout=10).json()
        sent = {r["ma_lk"] for r in outbox.status(store) if r["kind"] == "claim" and r["status"] == "sent"}
        at_portal = {k.split(":", 1)[1] for k in stats["submissions"] if k.startswith("claim:")}
        lost = sum(1 for m in made if m not in sent or m not in at_portal)
        duplicated = stats["counters"].get("claim_repeated", 0) + stats["counters"].get("checkin_repeated", 0)
        # the prescriptions, to the national prescription system's stand-in (the same loopback server)
        erx = ErxClient(sandbox.url, sandbox.erx_facility, sandbox.erx_password,
                        doctor_password=sandbox.erx_doctor_passwords.get)
        erx.login_doctor(demo.DEMO_ERX_CODES["minh"])  # log in before timing
        start = time.perf_counter()
        erx_counts = outbox.drain(store, None, facility, senders={delivery.KIND: delivery.sender(erx)})
        erx_drain_s = time.perf_counter() - start
        national = requests.get(f"{sandbox.url}/_admin/erx/prescriptions", timeout=30).json()
        given = [r[0] for r in store.conn.execute("SELECT code FROM prescriptions").fetchall()]
        ours_sent = {r[0] for r in store.conn.execute("SELECT code FROM prescriptions WHERE status = 'sent'")}
        erx_lost = sum(1 for code in given if code not in ours_sent or code not in national["accepted"])
        erx_duplicated = sum(max(n - 1, 0) for n in national["sends"].values())
        body = json.loads(store.conn.execute("SELECT body_json FROM prescriptions LIMIT 1").fetchone()[0])
        erx_baseline = []
        for n in range(30):  # the bare send: one HTTP call with a fresh code each time
            fresh = dict(body, ma_don_thuoc=f"{facility}bench{n:02d}-c")
            t0 = time.perf_counter()
            erx.send(demo.DEMO_ERX_CODES["minh"], fresh)
            erx_baseline.append((time.perf_counter() - t0) * 1000)
        erx.close()

        baseline = []
        envelope = bytes(store.conn.execute("SELECT signed_payload FROM outbox WHERE kind = 'claim' AND signed_payload "
                                            "IS NOT NULL LIMIT 1").fetchone()[0])  # the portal takes signed claims only
        for _ in range(30):
            t0 = time.perf_counter()
            client.submit_claim(envelope, facility)
            baseline.append((time.perf_counter() - t0) * 1000)

        # the health-book view with 500 visits (the doctor's window, offscreen)
        from ui.healthbook_view import HealthBookView
        from ui.qt import QApplication

        app = QApplication.instance() or QApplication([])
        big = next(p for p in sandbox.world.people if p.history_length == 500)
        patient = clinic.identify(identity_from_payload(parse_payload(big.cccd_qr)))
        found = clinic.lookup(patient, clinic.lookup_staff())
        view = HealthBookView()
        view.resize(1066, 700)
        view.show()
        app.processEvents()
        open_ms = []
        for _ in range(10):
            t0 = time.perf_counter()
            book = clinic.cached_health_book(patient)
            view.show_book(book, found.card_check)
            app.processEvents()
            open_ms.append((time.perf_counter() - t0) * 1000)
        view.close()
        clinic.close()
    result = {
        "visits": len(made),
        "finalise_median_ms": round(float(np.median(finalise_ms)), 2),
        "finalise_p95_ms": round(float(np.percentile(finalise_ms, 95)), 2),
        "drain_counts": counts,
        "drain_1000_s": round(drain_s * 1000 / max(len(made), 1), 2),
        "drain_measured_s": round(drain_s, 2),
        "baseline_bare_claim_median_ms": round(float(np.median(baseline)), 2),
        "drain_ms_per_visit": round(drain_s * 1000 / max(len(made), 1), 2),
        "lost": lost,
        "duplicated": duplicated,
        "erx_drain_counts": erx_counts,
        "erx_drain_1000_s": round(erx_drain_s * 1000 / max(len(given), 1), 2),
        "erx_drain_measured_s": round(erx_drain_s, 2),
        "erx_prescriptions": len(given),
        "baseline_bare_erx_send_median_ms": round(float(np.median(erx_baseline)), 2),
        "erx_ms_per_prescription_vs_bare_send": round(erx_drain_s * 1000 / max(len(given), 1)
                                                      / max(float(np.median(erx_baseline)), 1e-6), 2),
        "erx_lost": erx_lost,
        "erx_duplicated": erx_duplicated,
        "healthbook_500_open_ms": round(float(np.median(open_ms)), 1),
        "healthbook_500_open_max_ms": round(max(open_ms), 1),
    }
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    code = main()
    os._exit(code)  # skip interpreter teardown of the offscreen Qt objects: the result is printed
