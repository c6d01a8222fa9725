"""``clinic-kiosk print …``: sample documents, one document, the print log, reprints, a test page."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from kiosk import paper
from kiosk.errors import BadInput
from kiosk.settings import Settings
from kiosk.store.opening import open_configured

SAMPLE_FILES = ("ticket-80mm.pdf", "ticket-58mm.pdf", "appointment.pdf", "referral.pdf", "prescription.pdf",
                "visit-summary.pdf")


def cmd_sample(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.cli.visit import demo_visit_id

    out = Path(args.out)
    with open_configured(settings) as store:
        visit_id = demo_visit_id(store, settings)
        ticket_id = store.conn.execute("SELECT ticket_id FROM visits WHERE id = ?", (visit_id,)).fetchone()[0]
        paper.render(store, settings, "ticket", ticket_id=ticket_id, out=out / "ticket-80mm.pdf", width_mm=80)
        paper.render(store, settings, "ticket", ticket_id=ticket_id, out=out / "ticket-58mm.pdf", width_mm=58)
        for document in ("appointment", "referral", "prescription", "visit-summary"):
            paper.render(store, settings, document, visit_id=visit_id, out=out / f"{document}.pdf")
    for name in SAMPLE_FILES:
        print(out / name)
    return 0


def cmd_document(args: argparse.Namespace, settings: Settings) -> int:
    if (args.ticket is None) == (args.visit is None):
        raise BadInput("Cần --ticket hoặc --visit", "Give --ticket ID or --visit ID")
    with open_configured(settings) as store:
        if args.out:
            path = paper.render(store, settings, args.document, ticket_id=args.ticket, visit_id=args.visit,
                                out=Path(args.out))
            print(path)
            return 0
        job, outcome = paper.print_document(store, settings, args.document, ticket_id=args.ticket,
                                            visit_id=args.visit, printer=args.printer, context="cli", actor="cli")
    print(f"job {job}: {outcome.message_vi} / {outcome.message_en}")
    return 0 if outcome.printed else 4


def cmd_log(args: argparse.Namespace, settings: Settings) -> int:
    with open_configured(settings) as store:
        for job in paper.jobs(store, args.limit):
            target = f"ticket {job['ticket_id']}" if job["ticket_id"] else f"visit {job['visit_id']}"
            print(f"{job['id']:>5} {job['created_at']} {job['document']:<13} {target:<11} {job['status']:<8} "
                  f"{job['printer'] or '-'}  {job['pdf_path']}  {job['context'] or '-'}")
    return 0


def cmd_reprint(args: argparse.Namespace, settings: Settings) -> int:
    with open_configured(settings) as store:
        job, outcome = paper.reprint(store, settings, args.job, args.printer, context="cli", actor="cli")
    print(f"job {job}: {outcome.message_vi} / {outcome.message_en}")
    return 0 if outcome.printed else 4


def cmd_test_page(args: argparse.Namespace, settings: Settings) -> int:
    from printing.dispatch import dispatch
    from printing.documents import Facility
    from printing.test_page import write_test_page

    facility = Facility(settings["facility.code"], settings["facility.name"], settings["facility.address"],
                        settings["facility.phone"])
    printer = args.printer if args.printer is not None else settings["printing.document_printer"]
    pdf = write_test_page(paper.output_dir(settings) / f"test-page-{dt.datetime.now():%Y%m%d-%H%M%S}.pdf", facility,
                          printer)
    outcome = dispatch(pdf, printer)
    print(f"{outcome.message_vi} / {outcome.message_en}")
    return 0 if outcome.printed else 4


def add_commands(commands: argparse._SubParsersAction) -> None:
    printing = commands.add_parser("print", help="print documents (exit 4 when the printer did not take it)")
    docs = printing.add_subparsers(dest="print_command", metavar="ACTION", required=True)
    sample = docs.add_parser("sample", help="write every document from the demo data as PDFs")
    sample.add_argument("--out", required=True, metavar="DIR")
    sample.set_defaults(handler=cmd_sample)
    log = docs.add_parser("log", help="the last printed documents")
    log.add_argument("--limit", type=int, default=50)
    log.set_defaults(handler=cmd_log)
    again = docs.add_parser("reprint", help="print a logged document again from its kept PDF")
    again.add_argument("job", type=int, metavar="JOB")
    again.add_argument("--printer", metavar="NAME")
    again.set_defaults(handler=cmd_reprint)
    test = docs.add_parser("test-page", help="print a test page (Vietnamese text, sizes, a QR)")
    test.add_argument("--printer", metavar="NAME")
    test.set_defaults(handler=cmd_test_page)
    for document in paper.DOCUMENTS:
        one = docs.add_parser(document, help=f"print the {document} of a {'ticket' if document == 'ticket' else 'visit'}")
        one.add_argument("--ticket", type=int, metavar="ID")
        one.add_argument("--visit", type=int, metavar="ID")
        where = one.add_mutually_exclusive_group()
        where.add_argument("--printer", metavar="NAME")
        where.add_argument("--out", metavar="FILE", help="write the PDF there instead of printing")
        one.set_defaults(handler=cmd_document, document=document)
