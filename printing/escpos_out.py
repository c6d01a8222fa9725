"""Queue tickets on ESC/POS thermal printers (python-escpos): the ticket is drawn as one raster
image, so Vietnamese survives whatever code page the printer has."""

from __future__ import annotations

from PIL import Image, ImageDraw, ImageFont

from kiosk.model import number_text
from printing.fonts import FONTS_DIR
from printing.ticket import PRIORITY_LABELS, TicketDoc

DOTS = {80: 576, 58: 384}  # printable dots at 203 dpi


def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONTS_DIR / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")), size)


def ticket_image(doc: TicketDoc, width_mm: int = 80) -> Image.Image:
    import segno

    width = DOTS.get(width_mm, 576)
    scale = width / 576
    lines: list[tuple[str, int, bool]] = [
        (doc.facility_name, int(26 * scale), True), ("PHIẾU SỐ THỨ TỰ / QUEUE TICKET", int(20 * scale), False),
        (number_text(doc.number), int(150 * scale), True), (doc.department, int(30 * scale), True),
    ]
    if doc.room:
        lines.append((f"Phòng / Room {doc.room}", int(28 * scale), False))
    if doc.service:
        lines.append((doc.service, int(24 * scale), False))
    lines += [(doc.patient_line, int(24 * scale), False), (doc.issued_at.strftime("%H:%M  %d/%m/%Y"), int(22 * scale), False)]
    if doc.priority:
        vi, _ = PRIORITY_LABELS.get(doc.priority, (f"Ưu tiên: {doc.priority}", ""))
        lines.append((f"★ {vi} ★", int(24 * scale), True))
    qr = segno.make_qr(doc.slip_code or doc.label, error="m")  # offline: the number itself
    qr_side = int(200 * scale)
    height = sum(int(size * 1.35) for _, size, _ in lines) + qr_side + 40
    image = Image.new("1", (width, height), 1)
    draw = ImageDraw.Draw(image)
    y = 10
    for text, size, bold in lines:
        font = _font(size, bold)
        box = draw.textbbox((0, 0), text, font=font)
        draw.text(((width - (box[2] - box[0])) // 2, y), text, font=font, fill=0)
        y += int(size * 1.35)
    matrix = list(qr.matrix)
    cell = max(1, qr_side // (len(matrix) + 8))
    x0 = (width - cell * len(matrix)) // 2
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                draw.rectangle([x0 + c * cell, y + 10 + r * cell, x0 + (c + 1) * cell - 1, y + 10 + (r + 1) * cell - 1],
                               fill=0)
    return image


def print_ticket(printer, doc: TicketDoc, width_mm: int = 80) -> None:  # noqa: ANN001 - an escpos printer
    image = ticket_image(doc, width_mm)
    data = printer.profile.profile_data  # tell the profile the paper's width (else escpos prints a warning)
    printer.profile.profile_data = {**data, "media": {**data.get("media", {}),
                                                      "width": {"mm": width_mm, "pixels": image.width}}}
    printer.image(image, center=False)
    printer.cut()


def open_printer(spec: str):  # noqa: ANN201
    """``escpos-net:HOST[:PORT]``, ``escpos-usb:VID:PID``, ``escpos-file:/dev/usb/lp0``."""
    from escpos import printer

    kind, _, target = spec.partition(":")
    if kind == "escpos-net":
        host, _, port = target.partition(":")
        return printer.Network(host, port=int(port or 9100), timeout=5)
    if kind == "escpos-usb":
        vid, _, pid = target.partition(":")
        return printer.Usb(int(vid, 16), int(pid, 16))
    if kind == "escpos-file":
        return printer.File(target)
    raise ValueError(f"unknown ESC/POS printer {spec!r}")
