"""The back-link QR drawn as vector squares (sharp on thermal heads and laser printers alike):
dark modules merged into horizontal runs and filled as one path, so it costs a millisecond."""

from __future__ import annotations

import segno
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable


def _runs(text: str) -> tuple[int, list[tuple[int, int, int]]]:
    """(modules per side, [(row, first column, length)]) of the dark modules."""
    matrix = list(segno.make_qr(text, error="m").matrix)
    runs = []
    for r, line in enumerate(matrix):
        c = 0
        while c < len(line):
            if line[c]:
                start = c
                while c < len(line) and line[c]:
                    c += 1
                runs.append((r, start, c - start))
            else:
                c += 1
    return len(matrix), runs


def draw_qr(canvas: Canvas, text: str, x: float, y: float, size: float, quiet: int = 0) -> None:
    n, runs = _runs(text)
    cell = size / (n + 2 * quiet)
    path = canvas.beginPath()
    for r, c, length in runs:
        path.rect(x + (c + quiet) * cell, y + size - (r + quiet + 1) * cell, length * cell, cell)
    canvas.setFillColorRGB(0, 0, 0)
    canvas.drawPath(path, stroke=0, fill=1)


class QrFlowable(Flowable):
    """The QR for platypus documents (quiet zone of 4 modules included in its size)."""

    def __init__(self, text: str, size: float, quiet: int = 4) -> None:
        super().__init__()
        self.text = text
        self.width = self.height = size
        self.quiet = quiet

    def draw(self) -> None:
        draw_qr(self.canv, self.text, 0, 0, self.width, quiet=self.quiet)


def qr_drawing(text: str, size: float) -> QrFlowable:
    return QrFlowable(text, size)


def qr_with_symbol(text: str, symbol: float, quiet: int = 4) -> QrFlowable:
    """The QR whose symbol itself (without the quiet zone) is ``symbol`` points wide; the flowable is wider by the
    quiet zone of ``quiet`` modules each side, left blank."""
    n, _ = _runs(text)
    return QrFlowable(text, symbol * (n + 2 * quiet) / n, quiet)
