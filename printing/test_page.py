"""A printer test page: Vietnamese text in every size used, a ruler, and a QR to scan back."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from printing.documents import Facility
from printing.fonts import initial_font, register
from printing.qr import draw_qr

SAMPLE = "Tiếng Việt: ă â đ ê ô ơ ư — Ắ Ằ Ẳ Ẵ Ặ Ấ Ầ Ẩ Ẫ Ậ Ế Ề Ể Ễ Ệ Ố Ồ Ổ Ỗ Ộ Ớ Ờ Ở Ỡ Ợ Ứ Ừ Ử Ữ Ự"


def write_test_page(path: Path, facility: Facility, printer: str) -> Path:
    regular, bold = register()
    path.parent.mkdir(parents=True, exist_ok=True)
    c = Canvas(str(path), pagesize=A4, initialFontName=initial_font())
    c.setTitle("Trang in thử")
    width, height = A4
    y = height - 25 * mm
    c.setFont(bold, 16)
    c.drawString(20 * mm, y, f"TRANG IN THỬ — {facility.name}")
    y -= 9 * mm
    c.setFont(regular, 10)
    c.drawString(20 * mm, y, f"Máy in: {printer or '(lưu PDF)'} · {dt.datetime.now():%H:%M %d/%m/%Y}")
    for size in (8, 10, 12, 16, 24):
        y -= size * 1.6
        c.setFont(regular, size)
        c.drawString(20 * mm, y, SAMPLE[: int(180 / size * 3)])
    y -= 12 * mm
    for i in range(0, 171, 10):  # a 170 mm ruler
        c.line(20 * mm + i * mm, y, 20 * mm + i * mm, y + (4 if i % 50 else 7) * mm)
    c.line(20 * mm, y, 190 * mm, y)
    draw_qr(c, f"TEST|{facility.code}|{dt.date.today():%Y%m%d}", 20 * mm, y - 45 * mm, 35 * mm)
    c.showPage()
    c.save()
    return path
