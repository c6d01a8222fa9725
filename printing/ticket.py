"""The queue ticket: a thermal-paper PDF (80 mm or 58 mm wide) with a big number, department and
room, time, masked name, priority mark and the back-link QR of the slip."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from kiosk.model import number_text
from printing.fonts import initial_font, register
from printing.qr import draw_qr

PRIORITY_LABELS = {
    "elderly": ("Ưu tiên: người cao tuổi", "Priority: elderly"),
    "young_child": ("Ưu tiên: trẻ em dưới 6 tuổi", "Priority: young child"),
    "pregnant": ("Ưu tiên: phụ nữ có thai", "Priority: pregnant"),
    "disabled": ("Ưu tiên: người khuyết tật", "Priority: disabled"),
    "merit": ("Ưu tiên: người có công", "Priority: merit"),
}


@dataclass(frozen=True)
class TicketDoc:
    facility_name: str
    facility_code: str
    number: int
    label: str  # K01-023
    department: str
    room: str
    service: str
    issued_at: dt.datetime
    masked_name: str
    priority: str
    slip_code: str  # back-link QR text
    patient_code: str = ""  # the second identifier beside the masked name (none on an offline ticket)

    @property
    def patient_line(self) -> str:
        return " · ".join(filter(None, [self.masked_name, self.patient_code]))


def write_ticket(doc: TicketDoc, path: Path, width_mm: int = 80) -> Path:
    regular, bold = register()
    width = width_mm * mm
    height = 120 * mm
    margin = 4 * mm
    path.parent.mkdir(parents=True, exist_ok=True)
    c = Canvas(str(path), pagesize=(width, height), pageCompression=1, initialFontName=initial_font())
    c.setTitle(f"Phiếu số thứ tự {doc.label}")
    c.setAuthor(doc.facility_name)
    centre = width / 2
    y = height - margin - 4 * mm
    c.setFont(bold, 10 if width_mm >= 80 else 8)
    c.drawCentredString(centre, y, doc.facility_name)
    y -= 5 * mm
    c.setFont(regular, 8)
    c.drawCentredString(centre, y, "PHIẾU SỐ THỨ TỰ / QUEUE TICKET")
    y -= 22 * mm
    c.setFont(bold, 54 if width_mm >= 80 else 42)
    c.drawCentredString(centre, y, number_text(doc.number))
    y -= 8 * mm
    c.setFont(bold, 11 if width_mm >= 80 else 9)
    c.drawCentredString(centre, y, doc.department)
    y -= 5.5 * mm
    c.setFont(regular, 10 if width_mm >= 80 else 8)
    if doc.room:
        c.drawCentredString(centre, y, f"Phòng / Room {doc.room}")
        y -= 5 * mm
    if doc.service:
        c.drawCentredString(centre, y, doc.service)
        y -= 5 * mm
    c.setFont(regular, 9 if width_mm >= 80 else 7.5)
    c.drawCentredString(centre, y, doc.patient_line)
    y -= 4.5 * mm
    c.drawCentredString(centre, y, doc.issued_at.strftime("%H:%M  %d/%m/%Y"))
    if doc.priority:
        y -= 6 * mm
        vi, en = PRIORITY_LABELS.get(doc.priority, (f"Ưu tiên: {doc.priority}", f"Priority: {doc.priority}"))
        c.setFont(bold, 9 if width_mm >= 80 else 7.5)
        c.drawCentredString(centre, y, f"★ {vi} ★")
        y -= 4 * mm
        c.setFont(regular, 7)
        c.drawCentredString(centre, y, en)
    qr_size = 24 * mm
    if doc.slip_code:  # an offline ticket has none: the station cannot sign one without the server
        draw_qr(c, doc.slip_code, centre - qr_size / 2, margin + 6 * mm, qr_size)
    c.setFont(regular, 6.5)
    c.drawCentredString(centre, margin + 2 * mm, f"{doc.label} · {doc.facility_code}")
    c.showPage()
    c.save()
    return path
