"""``clinic-kiosk sandbox`` and ``clinic-kiosk lookup``."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from typing import Any

from kiosk import roles
from kiosk.bhxh.card_codes import Decision, usable
from kiosk.bhxh.gateway import CardCheck
from kiosk.errors import BadInput
from kiosk.facade import Clinic, Lookup, UnknownPatient
from kiosk.identify import identity_from_payload
from kiosk.model import DatePrecision, HealthBook, Identity, IdentitySource, InsuranceCard
from kiosk.settings import Settings
from scanner.errors import PayloadError
from scanner.payloads import parse_date, parse_payload

EXIT_USABLE, EXIT_NOT_USABLE, EXIT_NO_ANSWER, EXIT_BAD_INPUT = 0, 2, 3, 1


def cmd_sandbox(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.sandbox.runner import serve_forever
    from kiosk.sandbox.server import SandboxWorld, listing_lines

    if args.list:
        for line in listing_lines(SandboxWorld(args.seed, args.patients)):
            print(line)
        return 0
    serve_forever(args.seed, args.patients, args.host, args.port)
    return 0


def _identity(args: argparse.Namespace) -> Identity:
    if args.qr is not None:
        payload = parse_payload(args.qr)
        if not payload.ok or payload.kind not in ("cccd", "bhyt"):
            raise BadInput(f"Mã QR không dùng được: {payload.error}", f"Unusable QR code: {payload.error}")
        return identity_from_payload(payload)
    birth, precision = (None, "day")
    if args.dob:
        try:
            birth, precision = parse_date(args.dob, "dob")
        except PayloadError as exc:
            raise BadInput("Ngày sinh không hợp lệ (dd/mm/yyyy)", "Invalid date of birth (dd/mm/yyyy)") from exc
    return Identity(IdentitySource.MANUAL, id_number=args.cccd or "", card_number=(args.card or "").upper(),
                    full_name=args.name or "", date_of_birth=birth, dob_precision=DatePrecision(precision))


def _card_json(card: InsuranceCard | None) -> dict[str, Any] | None:
    if card is None:
        return None
    return {"card_number": card.card_number, "holder_name": card.holder_name,
            "date_of_birth": card.date_of_birth.isoformat() if card.date_of_birth else None,
            "registered_facility": card.registered_facility,
            "valid_from": card.valid_from.isoformat() if card.valid_from else None,
            "valid_to": card.valid_to.isoformat() if card.valid_to else None,
            "five_year_date": card.five_year_date.isoformat() if card.five_year_date else None,
            "area_code": card.area_code}


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _book_json(book: HealthBook) -> dict[str, Any]:
    return {
        "visits": [{"source": v.provenance.source.value, "as_of": _iso(v.provenance.as_of),
                    "facility": v.facility_code, "admitted_at": _iso(v.admitted_at),
                    "diagnosis": v.diagnosis_text, "record_id": v.record_id} for v in book.visits],
        "allergies": [{"substance": a.substance, "reaction": a.reaction, "severity": a.severity,
                       "source": a.provenance.source.value} for a in book.allergies],
        "chronic_conditions": [{"code": c.code, "name": c.name, "source": c.provenance.source.value}
                               for c in book.chronic_conditions],
        "medications": [{"name": m.name, "strength": m.strength, "dose": m.dose, "start": _iso(m.start),
                         "days": m.days, "end": _iso(m.end)} for m in book.medications],
        "lab_results": [{"code": r.indicator_code, "name": r.name, "value": r.value, "unit": r.unit,
                         "taken_at": _iso(r.taken_at)} for r in book.lab_results],
        "vaccinations": [{"vaccine": v.vaccine, "given_on": _iso(v.given_on)} for v in book.vaccinations],
        "notices": [{"source": n.source.value, "vi": n.message_vi, "en": n.message_en, "as_of": _iso(n.as_of)}
                    for n in book.notices],
    }


def lookup_json(result: Lookup) -> dict[str, Any]:
    check: CardCheck = result.card_check
    return {
        "decision": check.decision.value, "code": check.code, "message_vi": check.message_vi,
        "message_en": check.message_en, "checked_at": _iso(check.checked_at),
        "card": _card_json(check.card), "new_card": _card_json(check.new_card),
        "card_for_visit": _card_json(check.card_for_visit),
        "patient": {"patient_code": result.patient.patient_code, "full_name": result.patient.full_name,
                    "date_of_birth": _iso(result.patient.date_of_birth)},
        "health_book": _book_json(result.health_book),
    }


def _print_human(result: Lookup) -> None:
    check, book = result.card_check, result.health_book
    print(f"{result.patient.full_name} ({result.patient.patient_code})")
    print(f"Thẻ / card: [{check.code or '—'}] {check.decision.value}: {check.message_vi} / {check.message_en}")
    card = check.card_for_visit
    if card is not None:
        print(f"  {card.card_number}  {card.valid_from} → {card.valid_to}  KCBBĐ {card.registered_facility}")
    print(f"Dị ứng / allergies: {', '.join(a.substance for a in book.allergies) or '—'}")
    print(f"Bệnh mạn tính / chronic: {', '.join(c.name for c in book.chronic_conditions) or '—'}")
    print(f"Lượt khám / visits: {len(book.visits)}")
    for visit in book.visits[:10]:
        print(f"  {visit.admitted_at:%d/%m/%Y %H:%M}  {visit.facility_code}  {visit.diagnosis_text}  "
              f"[{visit.provenance.source.value}]")
    for notice in book.notices:
        print(f"! {notice.message_vi} / {notice.message_en}")


def cmd_lookup(args: argparse.Namespace, settings: Settings) -> int:
    identity = _identity(args)
    clinic = Clinic.open(settings, gateway_url=args.gateway)
    try:
        roles.require(clinic.role, "view_health_book")  # a kiosk or board PC: refused before anything is read
        try:
            patient = clinic.identify(identity)
        except UnknownPatient:
            patient = None
        if patient is None or patient.date_of_birth is None:
            print("clinic-kiosk: lỗi: cần họ tên và ngày sinh (--name, --dob) cho người bệnh chưa có hồ sơ / "
                  "error: a new patient needs --name and --dob", file=sys.stderr)
            return EXIT_BAD_INPUT
        result = clinic.lookup(patient, clinic.lookup_staff(args.staff))
        if clinic.demo_mode:
            print("# DỮ LIỆU DEMO: cổng BHXH giả lập tích hợp / DEMO DATA: built-in sandbox gateway", file=sys.stderr)
    finally:
        clinic.close()
    if args.json:
        print(json.dumps(lookup_json(result), ensure_ascii=False))
    else:
        _print_human(result)
    if result.card_check.decision is Decision.RETRY:
        return EXIT_NO_ANSWER
    return EXIT_USABLE if usable(result.card_check.decision) else EXIT_NOT_USABLE


def add_commands(commands: argparse._SubParsersAction) -> None:
    sandbox = commands.add_parser("sandbox", help="run the sandbox BHXH gateway with synthetic patients")
    sandbox.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    sandbox.add_argument("--port", type=int, default=8750, help="port (default 8750; 0 = any free port)")
    sandbox.add_argument("--seed", type=int, default=1, help="seed of the synthetic patients (default 1)")
    sandbox.add_argument("--patients", type=int, default=60, help="how many synthetic patients (default 60)")
    sandbox.add_argument("--list", action="store_true", help="print the patients as JSON lines and exit")
    sandbox.set_defaults(handler=cmd_sandbox)

    lookup = commands.add_parser("lookup", help="check a BHYT card and show the health book; exit 0 usable, "
                                                "2 not usable, 3 gateway could not answer")
    who = lookup.add_mutually_exclusive_group(required=True)
    who.add_argument("--qr", metavar="TEXT", help="a CCCD/VNeID or BHYT QR text")
    who.add_argument("--cccd", metavar="N", help="12-digit personal ID number")
    who.add_argument("--card", metavar="CODE", help="15-character card code or 10-digit BHXH number")
    lookup.add_argument("--name", help="full name, for a patient not yet in this clinic's records")
    lookup.add_argument("--dob", help="date of birth dd/mm/yyyy (or yyyy), for a new patient")
    lookup.add_argument("--json", action="store_true", help="print one JSON object")
    lookup.add_argument("--gateway", metavar="URL", help="gateway base URL (default: settings, else built-in sandbox)")
    lookup.add_argument("--staff", metavar="USERNAME", help="staff account doing the lookup (default: first active)")
    lookup.set_defaults(handler=cmd_lookup)
