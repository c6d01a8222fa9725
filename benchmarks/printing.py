#!/usr/bin/env python3
"""Printing benchmark: time to write the ticket, prescription and referral PDFs (beside a baseline:
an empty reportlab page in the same run), and scan → ticket on the printer through a real CUPS
queue (a private cupsd with a cups-pdf printer; needs root with cups installed).

Prints one JSON object (the last line). Run: .venv/bin/python benchmarks/printing.py
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ["CLINIC_KIOSK_HOME"] = tempfile.mkdtemp(prefix="ck-print-")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from reportlab.pdfgen.canvas import Canvas  # noqa: E402

from kiosk import paper, patients  # noqa: E402
from kiosk.checkin import check_in  # noqa: E402
from kiosk.cli.visit import demo_visit_id  # noqa: E402
from kiosk.identify import identity_from_payload  # noqa: E402
from kiosk.sandbox import demo
from kiosk.sandbox.people import make_people  # noqa: E402
from kiosk.settings import Settings  # noqa: E402
from kiosk.store.opening import open_store  # noqa: E402
from scanner.cascade import Cascade  # noqa: E402
from scanner.payloads import parse_payload  # noqa: E402
from scanner.synth import Scene, render_scene  # noqa: E402
from tests.printing.cups_server import PrivateCups, cups_available  # noqa: E402


def timed(fn, n: int = 20) -> dict[str, float]:  # noqa: ANN001
    fn()  # warm-up: font registration, imports
    ms = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        ms.append((time.perf_counter() - t0) * 1000)
    return {"median_ms": round(float(np.median(ms)), 2), "p95_ms": round(float(np.percentile(ms, 95)), 2)}


def main() -> int:
    settings = Settings()
    out = Path(tempfile.mkdtemp(prefix="ck-pdf-"))
    store = open_store(settings.db_path())
    demo.prepare(store)
    visit_id = demo_visit_id(store, settings)
    ticket_id = store.conn.execute("SELECT ticket_id FROM visits WHERE id = ?", (visit_id,)).fetchone()[0]

    def empty_page() -> None:
        c = Canvas(str(out / "empty.pdf"))
        c.drawString(10, 10, "x")
        c.save()

    result: dict[str, object] = {
        "baseline_empty_pdf": timed(empty_page),
        "ticket_pdf": timed(lambda: paper.render(store, settings, "ticket", ticket_id=ticket_id, out=out / "t.pdf")),
        "prescription_pdf": timed(lambda: paper.render(store, settings, "prescription", visit_id=visit_id,
                                                       out=out / "p.pdf")),
        "referral_pdf": timed(lambda: paper.render(store, settings, "referral", visit_id=visit_id, out=out / "r.pdf")),
    }
    if cups_available():
        cups = PrivateCups(Path(tempfile.mkdtemp(prefix="ck-cups-")))
        try:
            cascade = Cascade()
            people = [p for p in make_people(2, 30)][:5]
            times = []
            for p in people:
                frame = render_scene(p.cccd_qr, Scene(seed=p.index))
                cups.out.mkdir(exist_ok=True)
                started = time.time() - 0.5
                t0 = time.perf_counter()
                text = cascade.decode_still(frame).text
                patient = patients.register(store, identity_from_payload(parse_payload(text)))
                ticket = check_in(store, patient.id, settings["facility.departments"][0]).ticket
                _, outcome = paper.print_document(store, settings, "ticket", ticket_id=ticket.id, printer=cups.printer)
                assert outcome.printed, outcome.message_en
                def fresh() -> list[Path]:
                    return [f for f in cups.out.glob("*.pdf") if f.stat().st_mtime >= started]  # noqa: B023

                while not fresh() and time.perf_counter() - t0 < 30:
                    time.sleep(0.02)
                times.append((time.perf_counter() - t0) * 1000)
                for produced in fresh():
                    produced.unlink()
            result["scan_to_ticket_on_printer_ms"] = {"median_ms": round(float(np.median(times)), 1),
                                                     "max_ms": round(max(times), 1), "n": len(times)}
        finally:
            cups.stop()
    else:
        result["scan_to_ticket_on_printer_ms"] = "skipped: needs root with cups and printer-driver-cups-pdf"
    store.close()
    result["ticket_pdf_ms"] = result["ticket_pdf"]["median_ms"]  # type: ignore[index]
    result["prescription_pdf_ms"] = result["prescription_pdf"]["median_ms"]  # type: ignore[index]
    result["referral_pdf_ms"] = result["referral_pdf"]["median_ms"]  # type: ignore[index]
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
