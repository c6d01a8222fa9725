"""The visit summary says what the visit cost, what BHYT pays and what the patient pays (read back with pdftotext)."""

from __future__ import annotations

import subprocess
import unicodedata
from pathlib import Path

from kiosk import checkin, paper, patients, visits
from kiosk.identify import identity_from_payload
from kiosk.sandbox import demo
from kiosk.sandbox.people import make_people
from kiosk.settings import Settings
from kiosk.store.opening import open_configured
from printing.documents import vnd
from scanner.payloads import parse_payload


def test_the_visit_summary_prints_the_costs(kiosk_home: Path, tmp_path: Path) -> None:
    settings = Settings()
    person = [p for p in make_people(1, 60) if p.card_state == "000"][1]  # the sandbox's 80 % card
    with open_configured(settings) as store:
        demo.prepare(store)
        patient = patients.register(store, identity_from_payload(parse_payload(person.cccd_qr)))
        dep = settings["facility.departments"][0]
        ticket = checkin.call_next(store, dep["code"], checkin.check_in(store, patient.id, dep).ticket.room)
        card = {"card_number": person.card_number, "registered_facility": person.registered_facility}
        visit = visits.demo_visit(store, "01013", ticket, card)
        pdf = paper.render(store, settings, "visit-summary", visit_id=visit["id"], out=tmp_path / "summary.pdf")
    text = unicodedata.normalize("NFC", subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                                                       text=True, check=True).stdout)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    assert "Chi phí:" in lines
    assert "Tổng chi phí: 415.700 đ" in lines and "BHYT trả: 332.560 đ" in lines
    assert "Người bệnh trả: 83.140 đ (cùng chi trả 20%)" in lines


def test_money_is_written_the_vietnamese_way() -> None:
    assert [vnd(v) for v in (0, 950, 38700, 430960, 1234567.5)] == ["0 đ", "950 đ", "38.700 đ", "430.960 đ",
                                                                    "1.234.568 đ"]
