#!/usr/bin/env python3
"""Lookup benchmark: from a scanned QR text to the card decision and the assembled health book
(screen-ready objects), against the sandbox gateway on loopback; and the 500-visit health book
assembled from the local cache. The baseline, measured in the same run, is one bare card-check
HTTP call. Prints one JSON object (the last line).

Run: .venv/bin/python benchmarks/lookup.py [--rounds N]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.setdefault("CLINIC_KIOSK_HOME", tempfile.mkdtemp(prefix="ck-bench-"))

from kiosk.bhxh.gateway import LookupRequest  # noqa: E402
from kiosk.facade import Clinic  # noqa: E402
from kiosk.identify import identity_from_payload  # noqa: E402
from kiosk.sandbox import demo  # noqa: E402
from kiosk.sandbox.runner import start_sandbox  # noqa: E402
from kiosk.settings import Settings  # noqa: E402
from scanner.payloads import parse_payload  # noqa: E402


def pct(values: list[float]) -> dict[str, float]:
    return {"median_ms": round(float(np.median(values)), 2), "p95_ms": round(float(np.percentile(values, 95)), 2),
            "max_ms": round(max(values), 2), "n": len(values)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="passes over the sandbox patients")
    args = parser.parse_args()
    with start_sandbox(seed=1, patients=60) as sandbox:
        clinic = Clinic.open(Settings(), gateway_url=sandbox.url)
        demo.prepare(clinic.store)
        staff = clinic.lookup_staff()
        client = clinic.gateway()
        people = sandbox.world.people
        full, baseline, cache_500 = [], [], []
        for _ in range(args.rounds):
            for p in people:
                qr = p.cccd_qr if p.index % 2 else (p.bhyt_qr or p.cccd_qr)
                start = time.perf_counter()
                patient = clinic.identify(identity_from_payload(parse_payload(qr)))
                clinic.lookup(patient, staff)
                full.append((time.perf_counter() - start) * 1000)
                request = LookupRequest(p.card_number if p.has_card else p.id_number, p.full_name, p.date_of_birth)
                start = time.perf_counter()
                client.check_card(request, staff)
                baseline.append((time.perf_counter() - start) * 1000)
        big = next(p for p in people if p.history_length == 500)
        patient = clinic.identify(identity_from_payload(parse_payload(big.cccd_qr)))
        clinic.lookup(patient, staff)
        for _ in range(30):
            start = time.perf_counter()
            book = clinic.cached_health_book(patient)
            cache_500.append((time.perf_counter() - start) * 1000)
        assert len(book.visits) >= 500
        clinic.close()
    full_stats, base_stats, cache_stats = pct(full), pct(baseline), pct(cache_500)
    result = {
        "identify_to_healthbook": full_stats,
        "baseline_bare_card_check": base_stats,
        "healthbook_500_from_cache": cache_stats,
        "ratio_p95_full_vs_bare_check": round(full_stats["p95_ms"] / max(base_stats["p95_ms"], 1e-6), 2),
        "identify_to_healthbook_p95_ms": full_stats["p95_ms"],
        "healthbook_500_cache_ms": cache_stats["median_ms"],
        "targets_met": full_stats["p95_ms"] <= 150 and cache_stats["median_ms"] <= 50,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
