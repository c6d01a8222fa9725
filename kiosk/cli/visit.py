"""``clinic-kiosk catalog``, ``clinic-kiosk xml`` and ``clinic-kiosk outbox``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from kiosk import icd10, visits
from kiosk.bhxh import outbox
from kiosk.bhxh.xml_validate import MAX_ENVELOPE_BYTES, check_envelope
from kiosk.erx import delivery, prescriptions
from kiosk.errors import BadInput
from kiosk.settings import Settings
from kiosk.store.opening import open_configured
from kiosk.store.sqlite import Store


def cmd_import_icd10(args: argparse.Namespace, settings: Settings) -> int:
    path = Path(args.file)
    if not path.exists():
        raise BadInput(f"Không có tệp {path}", f"No such file {path}")
    with open_configured(settings) as store:
        counts = icd10.import_workbook(store, path)
    print(f"ICD-10: {counts['codes']} codes, {counts['not_main']} not allowed as main diagnosis, "
          f"{counts['female_only']} female-only, {counts['male_only']} male-only")
    return 0


SHOWN_SKIPPED = 10  # skipped rows printed with their reason


def _print_import(what: str, counts: dict) -> None:
    """What an import did: counts, the columns the file lacks, and the first skipped rows with their reasons."""
    print(f"{what}: {counts['added']} added, {counts['updated']} updated, {counts['unchanged']} unchanged, "
          f"{counts['skipped']} skipped")
    if counts["missing_columns"]:
        print(f"Columns not in the file: {', '.join(counts['missing_columns'])}")
    for row in counts["skipped_rows"][:SHOWN_SKIPPED]:
        print(f"  dòng/row {row['row']}: {row['vi']} / {row['en']}")
    if counts["skipped"] > SHOWN_SKIPPED:
        print(f"  … {counts['skipped'] - SHOWN_SKIPPED} more skipped rows")


def cmd_import_drugs(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.erx import catalogue

    path = Path(args.file)
    if not path.exists():
        raise BadInput(f"Không có tệp {path}", f"No such file {path}")
    with open_configured(settings) as store:
        counts = catalogue.import_file(store, path)
    _print_import("Drugs", counts)
    return 0


def cmd_drugs(args: argparse.Namespace, settings: Settings) -> int:
    from dataclasses import asdict

    from kiosk.erx import catalogue, rules

    with open_configured(settings) as store:
        found = catalogue.search(store, args.text or "", limit=args.limit)
        total = catalogue.count(store)
    if args.json:
        print(json.dumps([asdict(d) for d in found], ensure_ascii=False))
        return 0
    for d in found:
        name = rules.display_name({"active_ingredient": d.active_ingredient, "trade_name": d.trade_name,
                                   "strength": d.strength})
        print(f"{d.code:<20} {d.kind} {name} | {d.unit} | {d.route} | {d.bhyt_price:g} | {d.bhyt_code}")
    if not total:
        print("clinic-kiosk: danh mục thuốc trống / the drug catalogue is empty: "
              "clinic-kiosk catalog import-drugs FILE", file=sys.stderr)
    return 0


def cmd_import_prices(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.bhxh import prices

    path = Path(args.file)
    if not path.exists():
        raise BadInput(f"Không có tệp {path}", f"No such file {path}")
    with open_configured(settings) as store:
        counts = prices.import_file(store, path)
    _print_import("Services", counts)
    return 0


def cmd_prices(args: argparse.Namespace, settings: Settings) -> int:
    from dataclasses import asdict

    from kiosk.bhxh import prices
    from printing.documents import vnd

    with open_configured(settings) as store:
        found = prices.search(store, args.text or "", limit=args.limit)
        total = prices.count(store)
    if args.json:
        print(json.dumps([asdict(s) for s in found], ensure_ascii=False))
        return 0
    for s in found:
        benefit = "BHYT" if s.in_benefit else "ngoài BHYT / outside BHYT"
        since = f" | từ/from {s.valid_from}" if s.valid_from else ""
        print(f"{s.code:<16} {s.group:>2} {s.kind:<9} {s.name} | {s.unit} | BH {vnd(s.price_bh)} | "
              f"BV {vnd(s.price_bv)} | {benefit}{since}")
    if not total:
        print("clinic-kiosk: bảng giá dịch vụ trống / the price list is empty: "
              "clinic-kiosk catalog import-prices FILE", file=sys.stderr)
    return 0


def demo_visit_id(store: Store, settings: Settings) -> int:
    """Build a full demo visit (a sandbox patient, checked in, called, examined, finalised)."""
    from kiosk import checkin, patients
    from kiosk.identify import identity_from_payload
    from kiosk.sandbox import demo
    from kiosk.sandbox.people import make_people
    from scanner.payloads import parse_payload

    demo.prepare(store)
    icd10.ensure_starter(store)
    person = next(p for p in make_people(1, 60) if p.card_state == "000")
    patient = patients.register(store, identity_from_payload(parse_payload(person.cccd_qr)))
    department = settings["facility.departments"][0]
    ticket = checkin.check_in(store, patient.id, department).ticket
    ticket = checkin.call_next(store, department["code"], ticket.room) if ticket.status.value == "waiting" else ticket
    card = {"card_number": person.card_number, "registered_facility": person.registered_facility,
            "valid_from": person.valid_from.isoformat(), "valid_to": person.valid_to.isoformat(),
            "five_year_date": person.five_year_date.isoformat(), "area_code": person.area_code}
    existing = store.conn.execute("SELECT id, status FROM visits WHERE ma_lk = ? ORDER BY version DESC LIMIT 1",
                                  (visits.ma_lk(settings["facility.code"], ticket),)).fetchone()
    if existing and existing[1] == "final":
        return existing[0]
    return visits.demo_visit(store, settings["facility.code"], ticket, card)["id"]


def demo_visit_through_the_rooms(settings: Settings) -> tuple[int, dict[str, str], dict]:
    """One new demo visit made the way the stations make it: the receptionist identifies the next sandbox patient,
    records the answer on data for care, looks the card up and checks in; the demo doctor calls exactly that ticket,
    records the visit (two catalogue drugs, services from the price list) and finalises it. Returns (visit id, the
    prescription codes, what the visit costs and who pays it)."""
    from kiosk import staff
    from kiosk.facade import Clinic
    from kiosk.identify import identity_from_payload
    from kiosk.model import Role
    from kiosk.sandbox import demo
    from kiosk.sandbox.people import make_people
    from scanner.payloads import parse_payload

    clinic = Clinic.open(settings)
    try:
        demo.prepare(clinic.store)
        icd10.ensure_starter(clinic.store)
        people = [p for p in make_people(1, 60) if p.card_state == "000"]
        done = clinic.store.conn.execute("SELECT COUNT(DISTINCT ma_lk) FROM visits").fetchone()[0]
        person = people[done % len(people)]
        clinic.act_as(Role.RECEPTIONIST, demo.DEMO_STAFF_USERNAME)
        patient = clinic.identify(identity_from_payload(parse_payload(person.cccd_qr)))
        clinic.record_consent(patient, {"care": True}, "demo")
        found = clinic.lookup(patient, clinic.lookup_staff(demo.DEMO_STAFF_USERNAME))
        department = settings["facility.departments"][0]
        ticket = clinic.check_in(patient, department["code"], service=settings["queue.insurance_services"][0],
                                 card_check=found.card_check).ticket
        clinic.act_as(Role.DOCTOR, "minh")
        clinic.signed_in = staff.get(clinic.store, "minh")
        called = clinic.set_ticket_status(ticket.id, "called")  # this patient's ticket, not whoever waits first
        visit = clinic.start_visit(called, found.card_check.card_for_visit, staff.certificate(clinic.store, "minh"),
                                   opened_by="cli-demo")
        data = visits.demo_visit_data(clinic.store, visit["data"])
        data.update(doctor_username="minh", doctor_name=clinic.signed_in.full_name)
        clinic.save_visit_draft(visit["id"], data, opened_by="cli-demo")
        final = clinic.finalise_visit(visit["id"], patient.id)
        money = clinic.visit_money(final["id"])
        return final["id"], final["data"].get("prescription_codes", {}), {
            "total": money.total, "bhyt_pays": money.bhyt_pays, "copay": money.copay, "own_pay": money.own_pay,
            "patient_pays": money.patient_pays, "muc_huong": money.muc_huong, "arrival": money.arrival,
            "ma_doituong_kcb": money.ma_doituong_kcb}
    finally:
        clinic.close()


def cmd_demo_visit(args: argparse.Namespace, settings: Settings) -> int:
    visit_id, codes, money = demo_visit_through_the_rooms(settings)
    code = codes.get("c") or next(iter(codes.values()), "")
    if args.json:
        print(json.dumps({"visit_id": visit_id, "prescription_code": code, "prescription_codes": codes,
                          "money": money}))
    else:
        from printing.documents import vnd

        print(f"visit {visit_id}: finalised; prescription {code} queued for the national prescription system "
              f"(clinic-kiosk outbox drain sends it); BHYT trả / pays {vnd(money['bhyt_pays'])}, người bệnh trả / "
              f"the patient pays {vnd(money['patient_pays'])}")
    return 0


def claim_payload(store: Store, visit_id: int) -> bytes:
    visit = visits.get(store, visit_id)
    row = store.conn.execute("SELECT payload FROM outbox WHERE kind = 'claim' AND ma_lk = ? AND version = ?",
                             (visit["ma_lk"], visit["version"])).fetchone()
    if row is None:
        raise BadInput("Lượt khám chưa hoàn tất nên chưa có hồ sơ XML", "The visit is not finalised: no XML yet")
    return bytes(row[0])


def cmd_xml_export(args: argparse.Namespace, settings: Settings) -> int:
    """A visit's claim envelope, signed: exactly the bytes sent when the portal has it, else signed now with the
    facility's signer (``--demo``: the demo certificate), as the outbox would sign it."""
    from kiosk.cli.admin import require

    require(settings, "send_to_portal")
    if args.demo == (args.visit_id is not None):
        raise BadInput("Cần VISIT_ID hoặc --demo", "Give VISIT_ID or --demo")
    from kiosk import patients
    from kiosk.facade import Clinic
    from kiosk.sandbox import demo
    from kiosk.security import audit

    clinic = Clinic.open(settings)
    try:
        store = clinic.store
        visit_id = demo_visit_id(store, settings) if args.demo else int(args.visit_id)
        data = claim_payload(store, visit_id)
        visit = visits.get(store, visit_id)
        row = store.conn.execute("SELECT status, signed_payload FROM outbox WHERE kind = 'claim' AND ma_lk = ? AND "
                                 "version = ?", (visit["ma_lk"], visit["version"])).fetchone()
        if row is not None and row[0] == "sent" and row[1] is not None:
            data, how = bytes(row[1]), "as sent"
        else:
            signer = demo.demo_signer(settings.paths.data_dir) if args.demo else clinic.signer()
            data, how = signer.sign(data), f"signed now ({signer.name})"
        audit.append(store, "cli", "xml.export", patient=patients.get(store, visit["patient_id"]),
                     detail=f"visit {visit_id} -> {args.out}")
    finally:
        clinic.close()
    from kiosk.privacy import filemodes

    out = Path(args.out)
    filemodes.private_dir(out.parent, chmod_existing=False)
    filemodes.write_private(out, data)  # 0600: a patient's claim (diagnoses, costs)
    print(f"visit {visit_id}: {out} ({len(data)} bytes, {how})")
    if "demo certificate" in how:
        pem = settings.paths.data_dir / demo.DEMO_SIGNING_CERT
        print(f"clinic-kiosk: ký bằng chứng thư DEMO / signed with the DEMO certificate; xmlsec1 --verify "
              f"--enabled-key-data x509 trusts it after 'clinic-kiosk xml trust-demo-certificate' (root) or with "
              f"SSL_CERT_FILE={pem}", file=sys.stderr)
    return 0


def cmd_xml_validate(args: argparse.Namespace, settings: Settings) -> int:
    """Violations (the official tables broken) exit 1; warnings (rules not in the official texts) are printed
    with a "warning:" prefix and exit 0."""
    path = Path(args.file)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_ENVELOPE_BYTES + 1)  # a larger file is refused by the checker, unread
    except OSError as exc:
        raise BadInput(f"Không đọc được {path}", f"Cannot read {path}: {exc.strerror}") from exc
    findings = check_envelope(data)
    violations = [f for f in findings if f.is_violation]
    warnings = [f for f in findings if not f.is_violation]
    for f in violations:
        print(f)
    for f in warnings:
        print(f"warning: {f}")
    if not violations:
        note = f", {len(warnings)} warning{'s' if len(warnings) != 1 else ''}" if warnings else ""
        print(f"{path}: OK (QĐ 4750 tables){note}")
    return 1 if violations else 0


def cmd_outbox_status(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.cli.admin import require

    require(settings, "send_to_portal")
    with open_configured(settings) as store:
        rows = outbox.status(store)
        given = {p.code: p for p in prescriptions.every(store)}
    for r in rows:  # a prescription's row says where the prescription stands and what the system answered
        found = given.get(r["ma_lk"]) if r["kind"] == delivery.KIND else None
        if found is not None:
            r["prescription"] = {"code": found.code, "type": found.kind, "status": found.status,
                                 "checksum": found.checksum, "answer": found.answer, "sent_at": found.sent_at,
                                 "replaces": found.replaces, "refused": found.refusals}
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
        return 0
    for r in rows:
        print(f"{r['id']:>5} {r['kind']:<8} {r['ma_lk']} v{r['version']} {r['status']:<9} "
              f"{r['transaction_id'] or ''} {r['last_error']}")
        if "prescription" in r:
            p = r["prescription"]
            print(f"      prescription {p['code']} ({p['type']}): {p['status']}"
                  + (f", sent at {p['sent_at']}, checksum {p['checksum']}" if p["status"] == "sent" else "")
                  + (f", replaces {p['replaces']}" if p["replaces"] else ""))
            for line in p["refused"]:
                print(f"      - {line}")
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    print(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "outbox empty", file=sys.stderr)
    return 0


def cmd_outbox_drain(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.cli.admin import require

    require(settings, "send_to_portal")
    from kiosk.facade import Clinic

    clinic = Clinic.open(settings, gateway_url=args.gateway)
    try:
        counts = clinic.send_outbox()  # claims to the BHXH gateway, prescriptions to the national system
    finally:
        clinic.close()
    print(json.dumps(counts))
    return 0


def add_commands(commands: argparse._SubParsersAction) -> None:
    catalog = commands.add_parser("catalog", help="code catalogues")
    catalog_commands = catalog.add_subparsers(dest="catalog_command", metavar="ACTION", required=True)
    icd = catalog_commands.add_parser("import-icd10", help="import the QĐ 4469 ICD-10 workbook (.xlsx)")
    icd.add_argument("file", metavar="FILE.xlsx")
    icd.set_defaults(handler=cmd_import_icd10)
    drugs_import = catalog_commands.add_parser(
        "import-drugs", help="import or update the clinic's drug list (.xlsx or .csv, Vietnamese or English headers)")
    drugs_import.add_argument("file", metavar="FILE")
    drugs_import.set_defaults(handler=cmd_import_drugs)
    drugs = catalog_commands.add_parser("drugs", help="search the drug catalogue (active ingredient or trade name, "
                                                      "with or without accents); all drugs without TEXT")
    drugs.add_argument("text", nargs="?", metavar="TEXT")
    drugs.add_argument("--limit", type=int, default=50, metavar="N")
    drugs.add_argument("--json", action="store_true")
    drugs.set_defaults(handler=cmd_drugs)
    prices_import = catalog_commands.add_parser(
        "import-prices", help="import or update the clinic's price list of services (examinations, tests, "
                              "procedures; .xlsx or .csv, Vietnamese or English headers)")
    prices_import.add_argument("file", metavar="FILE")
    prices_import.set_defaults(handler=cmd_import_prices)
    price_list = catalog_commands.add_parser("prices", help="search the price list of services (code or name, with "
                                                            "or without accents); all of it without TEXT")
    price_list.add_argument("text", nargs="?", metavar="TEXT")
    price_list.add_argument("--limit", type=int, default=100, metavar="N")
    price_list.add_argument("--json", action="store_true")
    price_list.set_defaults(handler=cmd_prices)

    xml = commands.add_parser("xml", help="XML 130/4750 data for the BHXH portal")
    xml_commands = xml.add_subparsers(dest="xml_command", metavar="ACTION", required=True)
    export = xml_commands.add_parser("export", help="write a visit's GIAMDINHHS envelope")
    export.add_argument("visit_id", nargs="?", metavar="VISIT_ID")
    export.add_argument("--demo", action="store_true", help="build a full demo visit first and export it")
    export.add_argument("--out", required=True, metavar="FILE")
    export.set_defaults(handler=cmd_xml_export)
    validate = xml_commands.add_parser("validate", help="check an envelope against the QĐ 4750 tables; exit 1 on "
                                                        "any violation")
    validate.add_argument("file", metavar="FILE")
    validate.set_defaults(handler=cmd_xml_validate)

    box = commands.add_parser("outbox", help="documents waiting for or sent to the BHXH portal and the national "
                                             "prescription system")
    box_commands = box.add_subparsers(dest="outbox_command", metavar="ACTION", required=True)
    show = box_commands.add_parser("status", help="every document with its status and receipt")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=cmd_outbox_status)
    drain = box_commands.add_parser("drain", help="send what is due now: claims to the BHXH gateway, prescriptions "
                                                  "to the national prescription system")
    drain.add_argument("--gateway", metavar="URL")
    drain.set_defaults(handler=cmd_outbox_drain)
