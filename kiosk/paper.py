"""Paper: the documents of a visit or a ticket, written as PDFs, dispatched where the settings say,
and logged (PDF kept, one ``print_jobs`` row) so that anything can be reprinted.

The PDFs are kept in the print spool (``output_dir``), one folder per day (``YYYY-MM-DD``), private
to this user (0700 folders, 0600 files), for ``printing.spool_keep_days`` days (``purge_spool``)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
import shutil
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from kiosk import checkin, patients, staff, visits
from kiosk.errors import BadInput, WrongPatient
from kiosk.erx import prescriptions, rules
from kiosk.erx.body import CHILD_MONTHS, age_months
from kiosk.model import DatePrecision, Patient, Sex, Ticket
from kiosk.privacy import filemodes
from kiosk.privacy.masking import mask_name
from kiosk.settings import Settings
from kiosk.store.sqlite import Store
from printing.dispatch import PrintOutcome, dispatch
from printing.documents import WRITERS, Facility, Page, PatientInfo, PrescriptionPaper, VisitCosts, VisitInfo
from printing.ticket import TicketDoc, write_ticket
from scanner.payloads import make_slip

DOCUMENTS = ("ticket", "appointment", "referral", "prescription", "visit-summary")
log = logging.getLogger("kiosk.paper")
DAY_FOLDER = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SLIP_KIND = {"ticket": "ticket", "appointment": "appointment", "referral": "referral", "prescription": "prescription",
             "visit-summary": "visit"}


# The 34 provinces and centrally-run cities (from 1 July 2025), as an address ends with them.
PROVINCES = ("Hà Nội", "Huế", "Hải Phòng", "Đà Nẵng", "Hồ Chí Minh", "Cần Thơ", "Lai Châu", "Điện Biên", "Sơn La",
             "Lạng Sơn", "Quảng Ninh", "Thanh Hóa", "Nghệ An", "Hà Tĩnh", "Cao Bằng", "Tuyên Quang", "Lào Cai",
             "Thái Nguyên", "Phú Thọ", "Bắc Ninh", "Hưng Yên", "Ninh Bình", "Quảng Trị", "Quảng Ngãi", "Gia Lai",
             "Khánh Hòa", "Lâm Đồng", "Đắk Lắk", "Đồng Nai", "Tây Ninh", "Vĩnh Long", "Đồng Tháp", "Cà Mau", "An Giang")


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
    return " ".join("".join(ch for ch in text if unicodedata.category(ch) != "Mn").split())


def authority(settings: Settings) -> str:
    """The governing authority above the facility's name: the setting, else «SỞ Y TẾ» and the province that ends
    the facility's address, else none (the header starts with the facility's name)."""
    chosen = settings["facility.authority"].strip()
    if chosen:
        return chosen.upper()
    last = _plain(settings["facility.address"].rsplit(",", 1)[-1])
    for prefix in ("thanh pho ", "tp. ", "tp ", "tinh "):
        last = last.removeprefix(prefix)
    province = next((p for p in PROVINCES if _plain(p) == last), "")
    if not province:
        return ""
    return f"SỞ Y TẾ {'THÀNH PHỐ ' if province == 'Hồ Chí Minh' else ''}{province.upper()}"


def facility(settings: Settings) -> Facility:
    return Facility(settings["facility.code"], settings["facility.name"], settings["facility.address"],
                    settings["facility.phone"], authority(settings))


def patient_info(patient: Patient, card: dict[str, Any], today: dt.date) -> PatientInfo:
    d = patient.date_of_birth
    born = "" if d is None else {DatePrecision.DAY: d.strftime("%d/%m/%Y"), DatePrecision.MONTH: d.strftime("%m/%Y"),
                                 DatePrecision.YEAR: str(d.year)}[patient.dob_precision]
    age = patient.age_on(today)
    if d is not None and age is not None and age < 6:  # under 72 months: age in months (TT 26/2025)
        months = (today.year - d.year) * 12 + today.month - d.month - (today.day < d.day)
        age_text = f"{months} tháng tuổi"
    else:
        age_text = f"{age} tuổi" if age is not None else ""
    valid = ""
    if card.get("valid_from") or card.get("valid_to"):
        fmt = lambda s: dt.date.fromisoformat(s).strftime("%d/%m/%Y") if s else "…"  # noqa: E731
        valid = f"{fmt(card.get('valid_from'))} - {fmt(card.get('valid_to'))}"
    sex = {Sex.MALE: "Nam", Sex.FEMALE: "Nữ"}.get(patient.sex, "")
    return PatientInfo(patient.full_name, born, age_text, sex, patient.address, patient.id_number,
                       card.get("card_number", ""), valid, patient.patient_code)


def doctor_of(store: Store | None, data: dict[str, Any]) -> tuple[str, str]:
    """The name and practising-certificate number of the doctor who signs the visit's documents: the
    account that recorded the visit (``doctor_username``), else the account holding the visit's doctor code
    (MA_BAC_SI), else what the visit itself says."""
    code = str(data.get("doctor_code") or "").strip()
    found = staff.signer(store, username=str(data.get("doctor_username") or ""), cert=code) if store else None
    if found is None:
        return str(data.get("doctor_name") or ""), code
    return found.full_name, found.cert or code


def prescription_papers(store: Store, visit: dict[str, Any]) -> list[PrescriptionPaper]:
    """The visit's prescriptions as printed: one per code, drugs named as TT 26 wants (active ingredient first,
    the trade name in brackets), quantities with a leading 0 (narcotics also in words), the usage under each."""
    given = {p.kind: p for p in prescriptions.for_episode(store, visit["ma_lk"])}
    papers = []
    for kind, lines in rules.split_by_kind(visit["data"].get("prescription", [])).items():
        found = given.get(kind)
        if found is None:
            continue
        period = ""
        plan = found.body.get("dot_dung_thuoc")
        if isinstance(plan, dict) and kind != "c":
            period = f"Đợt {plan.get('dot', 1)}, từ {plan.get('tu_ngay', '')} đến {plan.get('den_ngay', '')}"
        papers.append(PrescriptionPaper(found.code, kind, [
            {"name": rules.display_name(line),
             "quantity_text": rules.quantity_text(float(line.get("quantity") or 0), line.get("unit", ""), kind),
             "usage": rules.usage_text(line)} for line in lines], replaces=found.replaces, period=period))
    return papers


def visit_costs(data: dict[str, Any]) -> VisitCosts | None:
    """The costs a finalised visit keeps (its ``money`` summary, kiosk.visits.summary), in whole VND; None before."""
    summary = data.get("money")
    if not isinstance(summary, dict):
        return None
    try:
        amount = {k: Decimal(str(summary.get(k) or 0)) for k in ("t_tongchi_bv", "t_bhtt", "t_bncct", "t_bntt")}
        level = int(summary.get("muc_huong") or 0)
    except (ArithmeticError, ValueError):
        return None
    whole = {k: int(v.quantize(Decimal(1), ROUND_HALF_UP)) for k, v in amount.items()}
    return VisitCosts(whole["t_tongchi_bv"], whole["t_bhtt"], whole["t_bncct"] + whole["t_bntt"],
                      100 - level if whole["t_bncct"] and 0 < level < 100 else 0)


def visit_info(visit: dict[str, Any], settings: Settings, store: Store | None = None,
               patient: Patient | None = None) -> VisitInfo:
    data = visit["data"]
    dep = settings.department(data.get("department_code", "")) or {"name": data.get("department_code", "")}
    doctor, cert = doctor_of(store, data)
    months = age_months(patient.date_of_birth, dt.date.fromisoformat((visit["finalised_at"] or visit["started_at"])[:10])) \
        if patient is not None else None
    child = months is not None and months < CHILD_MONTHS
    weight = (data.get("vitals") or {}).get("weight")
    guardian = data.get("guardian") or {}
    return VisitInfo(
        ma_lk=visit["ma_lk"], started_at=dt.datetime.fromisoformat(visit["started_at"]),
        finalised_at=dt.datetime.fromisoformat(visit["finalised_at"] or visit["started_at"]),
        reason=data.get("reason", ""), exam_notes=data.get("exam_notes", ""), vitals=data.get("vitals") or {},
        diagnoses=data.get("diagnoses", []), prescription=data.get("prescription", []), labs=data.get("labs", []),
        advice=data.get("advice", ""),
        re_exam_on=dt.date.fromisoformat(data["re_exam_on"]) if data.get("re_exam_on") else None,
        referral=data.get("referral"), prescription_code=data.get("prescription_code", ""),
        doctor=doctor, doctor_cert=cert, department=dep["name"],
        prescriptions=prescription_papers(store, visit) if store is not None else [],
        weight_kg=float(weight) if child and weight not in (None, "") else None,
        guardian=dict(guardian) if child and any(guardian.values()) else None, costs=visit_costs(data))


def ticket_doc(store: Store, settings: Settings, ticket: Ticket) -> TicketDoc:
    patient = patients.get(store, ticket.patient_id)
    dep = settings.department(ticket.department_code) or {"name": ticket.department_code}
    key = store.installation_secret("slip_key")
    code = settings["facility.code"]
    return TicketDoc(settings["facility.name"], code, ticket.number, ticket.label, dep["name"], ticket.room,
                     ticket.service, dt.datetime.now(), mask_name(patient.full_name) if patient else "", ticket.priority,
                     make_slip(key, code, "ticket", f"{ticket.day:%Y%m%d}-{ticket.department_code}-{ticket.number}"),
                     patient.patient_code if patient else "")


def render(store: Store, settings: Settings, document: str, *, ticket_id: int | None = None,
           visit_id: int | None = None, out: Path, width_mm: int | None = None) -> Path:
    """Write one document as a PDF at ``out`` (0600: it holds personal data)."""
    try:
        path = _render(store, settings, document, ticket_id=ticket_id, visit_id=visit_id, out=out, width_mm=width_mm)
    except BaseException:
        if out.is_file() and not out.is_symlink() and out.stat().st_size == 0:  # new_pdf_path's placeholder
            out.unlink(missing_ok=True)
        raise
    filemodes.private_file(path)
    return path


def _render(store: Store, settings: Settings, document: str, *, ticket_id: int | None, visit_id: int | None,
            out: Path, width_mm: int | None) -> Path:
    if document not in DOCUMENTS:
        raise BadInput(f"Không có loại giấy {document}", f"No document kind {document} ({', '.join(DOCUMENTS)})")
    if document == "ticket":
        if ticket_id is None:
            raise BadInput("Phiếu số thứ tự cần --ticket", "A ticket needs --ticket ID")
        ticket = checkin.get_ticket(store, ticket_id)
        if ticket is None:
            raise BadInput(f"Không có phiếu {ticket_id}", f"No ticket {ticket_id}")
        return write_ticket(ticket_doc(store, settings, ticket), out, width_mm or settings["printing.ticket_width_mm"])
    if visit_id is None:
        raise BadInput("Giấy tờ của lượt khám cần --visit", "Visit documents need --visit ID")
    visit = visits.get(store, visit_id)
    if visit["status"] != "final":
        raise BadInput("Lượt khám chưa hoàn tất", "The visit is not finalised")
    data = visit["data"]
    if document == "appointment" and not data.get("re_exam_on"):
        raise BadInput("Lượt khám không có hẹn tái khám", "The visit has no re-exam date")
    if document == "referral" and not data.get("referral"):
        raise BadInput("Lượt khám không chuyển tuyến", "The visit has no referral")
    if document == "prescription" and not data.get("prescription"):
        raise BadInput("Lượt khám không kê đơn", "The visit has no prescription")
    patient = patients.get(store, visit["patient_id"])
    assert patient is not None
    key = store.installation_secret("slip_key")
    slip = make_slip(key, settings["facility.code"], SLIP_KIND[document], visit["ma_lk"])
    own = settings["printing.documents"].get(document, {})
    return WRITERS[document](out, facility(settings), patient_info(patient, data.get("card") or {}, dt.date.today()),
                             visit_info(visit, settings, store, patient), slip, Page(own.get("paper", ""), float(own.get("margin_mm", 0))))


def printer_for(settings: Settings, document: str) -> str:
    own = settings["printing.documents"].get(document, {})
    if own.get("printer"):
        return own["printer"]
    return settings["printing.ticket_printer"] if document == "ticket" else settings["printing.document_printer"]


def copies_for(settings: Settings, document: str) -> int:
    return int(settings["printing.documents"].get(document, {}).get("copies", settings["printing.copies"]))


def output_dir(settings: Settings) -> Path:
    return settings.spool_dir()


def print_document(store: Store, settings: Settings, document: str, *, ticket_id: int | None = None,
                   visit_id: int | None = None, printer: str | None = None, expect_patient_id: int | None = None,
                   context: str = "", actor: str = "station") -> tuple[int, PrintOutcome]:
    """Render, dispatch and log; returns (job id, outcome). The PDF is kept for reprints."""
    check_patient(store, ticket_id, visit_id, expect_patient_id)
    pdf = render(store, settings, document, ticket_id=ticket_id, visit_id=visit_id, out=new_pdf_path(settings, document))
    doc = None
    if document == "ticket" and ticket_id is not None:
        ticket = checkin.get_ticket(store, ticket_id)
        doc = ticket_doc(store, settings, ticket) if ticket is not None else None
    outcome = deliver(settings, document, pdf, doc=doc, printer=printer)
    job = log_job(store, document, ticket_id, visit_id, outcome, context=context, actor=actor)
    return job, dataclasses.replace(outcome, log_id=job)


def new_pdf_path(settings: Settings, document: str) -> Path:
    """A new PDF's place in today's spool folder. The folders are made 0700 and the file is created
    empty 0600 here, so whoever writes the PDF into it (opening it with "wb" keeps the mode) writes
    a private file."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S%f")
    spool = output_dir(settings)
    filemodes.private_dir(spool, chmod_existing=not settings["printing.output_dir"])
    day = filemodes.private_dir(spool / dt.date.today().isoformat())
    path = day / f"{document}-{stamp}.pdf"
    filemodes.create_private(path)
    return path


def purge_spool(settings: Settings, now: dt.datetime | None = None) -> int:
    """Delete the spool's day folders older than ``printing.spool_keep_days`` (with their PDFs);
    returns how many folders went. Only ``YYYY-MM-DD`` folders are touched, symbolic links never
    followed; the print log keeps its rows (a reprint then says the PDF is gone)."""
    keep = int(settings["printing.spool_keep_days"])
    oldest_kept = ((now or dt.datetime.now()) - dt.timedelta(days=keep)).date()
    spool = output_dir(settings)
    if not spool.is_dir():
        return 0
    purged = 0
    for entry in sorted(spool.iterdir()):
        if not DAY_FOLDER.match(entry.name) or entry.is_symlink() or not entry.is_dir():
            continue
        try:
            day = dt.date.fromisoformat(entry.name)
        except ValueError:
            continue
        if day < oldest_kept:
            shutil.rmtree(entry)  # rmtree does not follow symbolic links inside
            purged += 1
    if purged:
        log.info("print spool: %s day folder(s) older than %s day(s) deleted", purged, keep)
    return purged


def deliver(settings: Settings, document: str, pdf: Path, *, doc: TicketDoc | None = None,
            printer: str | None = None) -> PrintOutcome:
    """Send a rendered PDF to this station's printer for ``document`` (a ticket to an ESC/POS
    printer is drawn from ``doc``)."""
    target = printer_for(settings, document) if printer is None else printer
    if document == "ticket" and target.startswith("escpos-") and doc is not None:
        return escpos_ticket(target, doc, pdf, settings["printing.ticket_width_mm"])
    return dispatch(pdf, target, copies=copies_for(settings, document))


def escpos_ticket(target: str, doc: TicketDoc, pdf: Path, width_mm: int) -> PrintOutcome:
    """A thermal ticket straight to an ESC/POS printer; a failure keeps the PDF and says why."""
    from printing import escpos_out

    try:
        printer = escpos_out.open_printer(target)
        escpos_out.print_ticket(printer, doc, width_mm)
        printer.close()
    except Exception as exc:  # python-escpos raises many kinds (socket, USB, device errors)
        return PrintOutcome(False, pdf, target, f"Máy in nhiệt {target} lỗi ({type(exc).__name__}): đã lưu PDF {pdf}",
                            f"Thermal printer {target} failed ({type(exc).__name__}): PDF saved as {pdf}")
    return PrintOutcome(True, pdf, target, f"Đã in trên máy in nhiệt {target}", f"Printed on thermal printer {target}")


def record_patient(store: Store, ticket_id: int | None, visit_id: int | None) -> Patient | None:
    """The patient a ticket or a visit belongs to (the record's own, never the screen's)."""
    if visit_id is not None:
        visit = visits.get(store, visit_id)
        return patients.get(store, visit["patient_id"]) if visit else None
    if ticket_id is not None:
        ticket = checkin.get_ticket(store, ticket_id)
        return patients.get(store, ticket.patient_id) if ticket else None
    return None


def check_patient(store: Store, ticket_id: int | None, visit_id: int | None, expect_patient_id: int | None) -> None:
    """Refuse to print a record for another patient than the one the station has in context."""
    if expect_patient_id is None:
        return
    patient = record_patient(store, ticket_id, visit_id)
    if patient is None or patient.id != expect_patient_id:
        raise WrongPatient("Giấy này thuộc người bệnh khác: không in", "This document belongs to another patient: "
                           "not printed")


def log_job(store: Store, document: str, ticket_id: int | None, visit_id: int | None, outcome: PrintOutcome,
            *, context: str = "", actor: str = "station") -> int:
    """One print-log row: the document, its record and that record's patient, the station context
    that printed it, what the printer did."""
    from kiosk.security import audit

    patient = record_patient(store, ticket_id, visit_id)
    with store.transaction() as db:
        cursor = db.execute(
            "INSERT INTO print_jobs(document, ticket_id, visit_id, pdf_path, printer, status, message, created_at, "
            "patient_id, context) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (document, ticket_id, visit_id, str(outcome.pdf_path), outcome.printer,
             "printed" if outcome.printed else ("failed" if outcome.printer else "saved"), outcome.message_en,
             dt.datetime.now().isoformat(timespec="seconds"), patient.id if patient else None, context))
        audit.append(store, actor, f"print.{document}", patient=patient,
                     detail=f"job {cursor.lastrowid} {'printed' if outcome.printed else 'not printed'}"
                            + (f" from {context}" if context else ""))
    return cursor.lastrowid


def reprint(store: Store, settings: Settings, job_id: int, printer: str | None = None, *,
            expect_patient_id: int | None = None, context: str = "", actor: str = "station") -> tuple[int, PrintOutcome]:
    row = store.conn.execute("SELECT document, ticket_id, visit_id, pdf_path, printer FROM print_jobs WHERE id = ?",
                             (job_id,)).fetchone()
    if row is None:
        raise BadInput(f"Không có lệnh in {job_id}", f"No print job {job_id}")
    document, ticket_id, visit_id, pdf_path, old_printer = row
    check_patient(store, ticket_id, visit_id, expect_patient_id)
    pdf = Path(pdf_path)
    if not pdf.exists():
        raise BadInput(f"Tệp PDF của lệnh in {job_id} không còn: {pdf}", f"The PDF of job {job_id} is gone: {pdf}")
    outcome = dispatch(pdf, printer if printer is not None else (old_printer or printer_for(settings, document)),
                       copies=copies_for(settings, document))
    job = log_job(store, document, ticket_id, visit_id, outcome, context=context, actor=actor)
    return job, dataclasses.replace(outcome, log_id=job)


def jobs(store: Store, limit: int = 50) -> list[dict[str, Any]]:
    keys = ("id", "document", "ticket_id", "visit_id", "pdf_path", "printer", "status", "message", "created_at",
            "patient_id", "context")
    rows = store.conn.execute(f"SELECT {', '.join(keys)} FROM print_jobs ORDER BY id DESC LIMIT ?", (limit,))
    return [dict(zip(keys, r, strict=True)) for r in rows]
