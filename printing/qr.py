"""The back-link QR drawn as vector squares (sharp on thermal heads and laser printers alike)."""

from __future__ import annotations

import segno
from reportlab.graphics.shapes import Drawing, Rect
from reportlab.pdfgen.canvas import Canvas


def _matrix(text: str) -> list[bytearray]:
    return list(segno.make_qr(text, error="m").matrix)


def draw_qr(canvas: Canvas, text: str, x: float, y: float, size: float) -> None:
    matrix = _matrix(text)
    cell = size / len(matrix)
    canvas.setFillColorRGB(0, 0, 0)
    for row, line in enumerate(matrix):
        for col, dark in enumerate(line):
            if dark:
                canvas.rect(x + col * cell, y + size - (row + 1) * cell, cell, cell, stroke=0, fill=1)


def qr_drawing(text: str, size: float) -> Drawing:
    """The same QR as a platypus-friendly Drawing (quiet zone included)."""
    matrix = _matrix(text)
    n = len(matrix) + 8
    cell = size / n
    drawing = Drawing(size, size)
    for row, line in enumerate(matrix):
        for col, dark in enumerate(line):
            if dark:
                drawing.add(Rect((col + 4) * cell, size - (row + 5) * cell, cell, cell, fillColor="black",
                                 strokeColor=None, strokeWidth=0))
    return drawing
