"""The embedded font that covers Vietnamese (DejaVu Sans, bundled in resources/fonts).

Every PDF the program writes embeds every font it names. Reportlab starts each canvas (and each table cell) with
Helvetica, one of the 14 standard fonts it never embeds: a page that names it carries an unembedded font even when no
letter is drawn in it. Writers therefore start their canvas with ``initial_font()`` (``Canvas(...,
initialFontName=...)``, ``SimpleDocTemplate(..., initialFontName=...)``) and give every table a FONTNAME."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from reportlab import rl_config
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

rl_config.useA85 = 0  # binary streams: smaller files, and no slow base-85 pass per document

FONTS_DIR = Path(__file__).resolve().parent.parent / "resources" / "fonts"
REGULAR, BOLD = "DejaVuSans", "DejaVuSans-Bold"


@cache
def register() -> tuple[str, str]:
    """Register the fonts with reportlab once; returns (regular, bold) font names."""
    pdfmetrics.registerFont(TTFont(REGULAR, str(FONTS_DIR / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(FONTS_DIR / "DejaVuSans-Bold.ttf")))
    return REGULAR, BOLD


def initial_font() -> str:
    """The font a new canvas starts with: the embedded regular font, never reportlab's unembedded Helvetica."""
    return register()[0]
