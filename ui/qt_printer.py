"""Qt's printer as a dispatch backend (``qt:NAME``), for machines without CUPS such as Windows:
the PDF's pages are rendered (pypdfium2) and painted onto a QPrinter. ``qt:file:PATH`` prints to
a PDF file through the same path (what the tests use)."""

from __future__ import annotations

from pathlib import Path

from printing import dispatch as dispatch_module
from printing.dispatch import PrintOutcome
from ui.qt import QImage, QPainter, QPrinter, QPrinterInfo, Qt


def print_with_qt(pdf_path: Path, target: str, copies: int = 1, dpi: int = 200) -> PrintOutcome:
    import pypdfium2

    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    if target.startswith("file:"):
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(target[len("file:"):])
    else:
        names = [p.printerName() for p in QPrinterInfo.availablePrinters()]
        if target and target not in names:
            return PrintOutcome(False, pdf_path, f"qt:{target}", f"Không có máy in {target}: đã lưu PDF {pdf_path}",
                                f"No printer {target}: PDF saved as {pdf_path}")
        if target:
            printer.setPrinterName(target)
    printer.setCopyCount(copies)
    printer.setFullPage(True)
    document = pypdfium2.PdfDocument(str(pdf_path))
    painter = QPainter()
    if not painter.begin(printer):
        document.close()
        return PrintOutcome(False, pdf_path, f"qt:{target}", f"Máy in {target} không sẵn sàng: đã lưu PDF {pdf_path}",
                            f"Printer {target} is not ready: PDF saved as {pdf_path}")
    try:
        for index in range(len(document)):
            if index:
                printer.newPage()
            bitmap = document[index].render(scale=dpi / 72).to_pil().convert("RGB")
            data = bitmap.tobytes()
            image = QImage(data, bitmap.width, bitmap.height, bitmap.width * 3, QImage.Format.Format_RGB888)
            area = painter.viewport()
            scaled = image.scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                  Qt.TransformationMode.SmoothTransformation)
            painter.drawImage(0, 0, scaled)
    finally:
        painter.end()
        document.close()
    return PrintOutcome(True, pdf_path, f"qt:{target}", f"Đã gửi tới máy in {target or 'mặc định'}",
                        f"Sent to printer {target or 'default'}")


def register() -> None:
    dispatch_module.BACKENDS["qt"] = print_with_qt
