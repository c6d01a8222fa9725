"""Dispatch to a real CUPS queue (private cupsd + cups-pdf), a stopped queue, a folder, ESC/POS."""

from __future__ import annotations

import time
from pathlib import Path

from escpos.printer import Dummy
from PIL import Image

from printing.dispatch import dispatch
from printing.escpos_out import print_ticket, ticket_image
from printing.ticket import TicketDoc, write_ticket

DOC = TicketDoc("Phòng khám Đa khoa An Bình", "01013", 23, "K01-023", "Khám bệnh", "101", "Khám BHYT",
                __import__("datetime").datetime(2026, 11, 22, 8, 30), "N. V. An", "elderly",
                "CK1:01013:T:20261122-K01-23:ABCDEFGHIJ")


def test_cups_queue_produces_the_file(cups, tmp_path: Path) -> None:
    out = Path(cups["out"])
    started = time.time() - 1
    pdf = write_ticket(DOC, tmp_path / f"ticket-cups-{time.time_ns()}.pdf")
    outcome = dispatch(pdf, cups["printer"])
    assert outcome.printed, outcome.message_en
    assert outcome.job.startswith("clinicpdf-")

    def fresh() -> list[Path]:  # cups-pdf may reuse a file name: look at the write time
        return [p for p in out.glob("*.pdf") if p.stat().st_mtime >= started] if out.exists() else []

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not fresh():
        time.sleep(0.2)
    produced = fresh()
    assert produced, "cups-pdf wrote the printed file"
    time.sleep(0.5)
    assert all(p.stat().st_size > 1000 and p.read_bytes().startswith(b"%PDF") for p in produced)
    for path in produced:
        path.unlink()


def test_stopped_queue_is_not_reported_as_printed(cups, tmp_path: Path) -> None:
    pdf = write_ticket(DOC, tmp_path / "t.pdf")
    outcome = dispatch(pdf, cups["stopped"])
    assert not outcome.printed and "stopped" in outcome.message_en and pdf.exists()


def test_unknown_printer_and_dead_server_surface_the_error(cups, tmp_path: Path) -> None:
    pdf = write_ticket(DOC, tmp_path / "t.pdf")
    missing = dispatch(pdf, f"cups:nosuch@{cups['server']}")
    assert not missing.printed and "Printing failed" in missing.message_en
    dead = dispatch(pdf, "cups:clinicpdf@127.0.0.1:1")
    assert not dead.printed and "PDF saved" in dead.message_en


def test_no_printer_keeps_the_pdf(tmp_path: Path) -> None:
    pdf = write_ticket(DOC, tmp_path / "t.pdf")
    outcome = dispatch(pdf, "")
    assert not outcome.printed and "No printer configured" in outcome.message_en


def test_folder_printer(tmp_path: Path) -> None:
    pdf = write_ticket(DOC, tmp_path / "t.pdf")
    outcome = dispatch(pdf, f"folder:{tmp_path / 'out'}", copies=2)
    assert outcome.printed and sorted(p.name for p in (tmp_path / "out").iterdir()) == ["t-1.pdf", "t-2.pdf"]


def test_escpos_ticket_is_one_raster_image_with_vietnamese(tmp_path: Path) -> None:
    image = ticket_image(DOC, 80)
    assert image.width == 576 and image.mode == "1"
    image58 = ticket_image(DOC, 58)
    assert image58.width == 384
    printer = Dummy()
    print_ticket(printer, DOC)
    data = printer.output
    assert b"\x1dv0" in data, "GS v 0: raster bit image"
    assert data.rstrip().endswith(b"\x1dVA\x00") or b"\x1dV" in data[-8:], "the paper is cut"
    assert isinstance(image, Image.Image)


def test_qt_printer_backend_prints_every_page(qtbot, tmp_path: Path) -> None:
    import pdfplumber

    from printing import dispatch as dispatch_module
    from ui.qt_printer import register

    register()
    try:
        pdf = write_ticket(DOC, tmp_path / "t.pdf")
        out = tmp_path / "through-qt.pdf"
        outcome = dispatch_module.dispatch(pdf, f"qt:file:{out}")
        assert outcome.printed
        with pdfplumber.open(out) as printed:
            assert len(printed.pages) == 1
            assert printed.pages[0].images, "the page arrives as a rendered image"
        missing = dispatch_module.dispatch(pdf, "qt:No Such Printer")
        assert not missing.printed and "No printer" in missing.message_en
    finally:
        dispatch_module.BACKENDS.pop("qt", None)


def test_per_document_paper_margins_copies_and_printer(kiosk_home, tmp_path: Path) -> None:
    import pdfplumber

    from kiosk import paper
    from kiosk.cli.visit import demo_visit_id
    from kiosk.settings import Settings
    from kiosk.store.opening import open_store

    settings = Settings()
    settings.set_user("printing.documents", '{"prescription": {"paper": "A4", "margin_mm": 20, "copies": 2, '
                                            f'"printer": "folder:{tmp_path / "rx"}"}}}}')
    with open_store(settings.db_path()) as store:
        visit_id = demo_visit_id(store, settings)
        job, outcome = paper.print_document(store, settings, "prescription", visit_id=visit_id)
    assert outcome.printed and job > 0
    copies = sorted((tmp_path / "rx").iterdir())
    assert len(copies) == 2
    with pdfplumber.open(copies[0]) as pdf:
        assert round(pdf.pages[0].width) == 595, "A4 instead of the form's A5"
        assert min(c["x0"] for c in pdf.pages[0].chars) > 20 * 2.83 - 1, "20 mm left margin"
