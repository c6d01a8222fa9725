"""The reception window at the desk's real sizes: in every state a receptionist meets, no text is cut
and no two texts lie on top of each other."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QAbstractScrollArea, QLabel, QWidget

from kiosk.facade import Clinic
from kiosk.sandbox.people import make_people
from scanner.live import Scan
from scanner.payloads import parse_payload
from tests.ui.conftest import answer_consent
from ui.reception import ReceptionWindow

pytestmark = pytest.mark.gui

PEOPLE = make_people(1, 60)  # the built-in sandbox's patients
SIZES = [(1366, 768), (1920, 1080), (1366, 690)]  # 690: 768 less a title bar and a taskbar


def _heavy_person():
    """Allergies, chronic conditions and a card the gateway does not accept: the most to show."""
    from kiosk.bhxh.card_codes import describe, needs_confirmation

    return max((p for p in PEOPLE if needs_confirmation(describe(p.card_state).decision)),
               key=lambda p: (len(p.health_book()["diUng"]) + len(p.health_book()["benhManTinh"]), len(p.full_name)))


def _is_viewport(widget: QWidget) -> bool:
    parent = widget.parentWidget()
    return isinstance(parent, QAbstractScrollArea) and parent.viewport() is widget


def _shown_rect(label: QLabel, window: QWidget) -> QRect:
    """Where the label can be seen in the window: its rectangle cut by every ancestor's."""
    rect = QRect(label.mapTo(window, label.rect().topLeft()), label.size())
    parent = label.parentWidget()
    while parent is not None and parent is not window:
        rect = rect.intersected(QRect(parent.mapTo(window, parent.rect().topLeft()), parent.size()))
        parent = parent.parentWidget()
    return rect


def _needed(label: QLabel, width: int) -> tuple[int, int]:
    """Width and height the label's text takes in its font, wrapped at ``width`` if it wraps."""
    text = label.text()
    rich = label.textFormat() == Qt.TextFormat.RichText or (
        label.textFormat() == Qt.TextFormat.AutoText and GuiQt.mightBeRichText(text))
    if rich:
        doc = QTextDocument()
        doc.setDefaultFont(label.font())
        doc.setDocumentMargin(0)
        doc.setHtml(text)
        if label.wordWrap():
            doc.setTextWidth(width)
        return int(doc.idealWidth() + 0.999), int(doc.size().height() + 0.999)
    metrics = label.fontMetrics()
    flags = int(label.alignment().value) | (int(Qt.TextFlag.TextWordWrap.value) if label.wordWrap() else 0)
    box = metrics.boundingRect(QRect(0, 0, width if label.wordWrap() else 100_000, 100_000), flags, text)
    return box.width(), box.height()


def layout_problems(window: QWidget) -> list[str]:
    """Every visible label whose text does not fit its box, lies outside what holds it, or overlaps another."""
    problems = []
    labels = [w for w in window.findChildren(QLabel) if w.isVisibleTo(window) and w.text() and w.width() > 0]
    for label in labels:
        name = label.objectName() or repr(label.text()[:40])
        box = label.contentsRect().adjusted(label.margin(), label.margin(), -label.margin(), -label.margin())
        width, height = _needed(label, box.width())
        if width > box.width() + 1 or height > box.height() + 1:
            problems.append(f"{name}: text needs {width}x{height}, has {box.width()}x{box.height()}: {label.text()!r}")
        widget: QWidget = label
        while widget.parentWidget() is not None and widget is not window and not _is_viewport(widget.parentWidget()):
            parent = widget.parentWidget()
            if not parent.rect().contains(QRect(widget.pos(), widget.size())):
                problems.append(f"{name}: sticks out of {parent.objectName() or type(parent).__name__}")
                break
            widget = parent
    shown = [(label, _shown_rect(label, window)) for label in labels]
    for i, (a, ra) in enumerate(shown):
        for b, rb in shown[i + 1:]:
            if ra.intersects(rb) and not (a.isAncestorOf(b) or b.isAncestorOf(a)):
                problems.append(f"{a.objectName() or a.text()[:30]!r} overlaps {b.objectName() or b.text()[:30]!r}")
    return problems


def open_window(qtbot, clinic: Clinic, size: tuple[int, int]) -> ReceptionWindow:
    window = ReceptionWindow(clinic, camera="97")  # no camera there: the camera-lost line shows
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    return window


def scan(window: ReceptionWindow, text: str) -> None:
    window.camera.scanned.emit(Scan(parse_payload(text), 0, 0.0, 1.0))


def settle(qtbot, window: ReceptionWindow, size: tuple[int, int]) -> None:
    qtbot.wait(50)
    assert (window.width(), window.height()) == size, "the window fits the screen it was made for"


@pytest.mark.parametrize(("size", "lang"), [*((size, "vi") for size in SIZES), ((1366, 768), "en")],
                         ids=lambda v: f"{v[0]}x{v[1]}" if isinstance(v, tuple) else v)
def test_nothing_is_cut_or_overlaps_in_any_state(qtbot, clinic, size: tuple[int, int], lang: str,
                                                 artifacts: Path) -> None:
    from ui import i18n

    i18n.set_language(lang)
    try:
        _walk_the_states(qtbot, clinic, size, f"{size[0]}x{size[1]}-{lang}", artifacts)
    finally:
        i18n.set_language("vi")


def _walk_the_states(qtbot, clinic: Clinic, size: tuple[int, int], tag: str, artifacts: Path) -> None:
    person = _heavy_person()
    window = open_window(qtbot, clinic, size)
    qtbot.waitUntil(lambda: bool(window.coaching.text()), timeout=5000)
    settle(qtbot, window, size)
    assert layout_problems(window) == [], "empty desk, camera lost"
    window.grab().save(str(artifacts / f"reception-layout-empty-{tag}.png"))

    scan(window, person.cccd_qr)
    qtbot.waitUntil(lambda: window.lookup_result is not None, timeout=15000)
    answer_consent(window)
    window.on_check_in()
    qtbot.waitUntil(lambda: window.last_print is not None, timeout=15000)
    settle(qtbot, window, size)
    assert layout_problems(window) == [], "after check-in"
    window.grab().save(str(artifacts / f"reception-layout-checked-in-{tag}.png"))

    window.clear_patient()
    scan(window, person.bhyt_qr)  # the same person comes back: already checked in today
    qtbot.waitUntil(lambda: window.lookup_result is not None, timeout=15000)
    settle(qtbot, window, size)
    english = tag.endswith("en")
    assert window.banner.allergies.isVisible() and ("ALLERGIES" if english else "DỊ ỨNG") in window.banner.allergies.text()
    safety = window.panel.safety.text()
    assert ("Chronic" in safety and "Already checked in today" in safety) if english else (
        "Bệnh mạn tính" in safety and "Đã tiếp đón hôm nay" in safety)
    assert window.card_notice.isVisible(), "the card warning shows"
    assert layout_problems(window) == [], "allergies, chronic conditions, checked in today, card warning"
    window.grab().save(str(artifacts / f"reception-layout-full-{tag}.png"))

    other = next(p for p in PEOPLE if p.card_state == "000" and p is not person)
    window.on_check_in()
    qtbot.waitUntil(lambda: window.last_print is not None, timeout=15000)
    scan(window, other.cccd_qr)
    qtbot.waitUntil(lambda: window.lookup_result is not None and window.lookup_result.patient.id_number
                    == other.id_number, timeout=15000)
    scan(window, person.cccd_qr)  # a card while the next one is under work: the switch question
    qtbot.waitUntil(lambda: window.switch_box.isVisible(), timeout=5000)
    settle(qtbot, window, size)
    assert layout_problems(window) == [], "the switch question"
    window.grab().save(str(artifacts / f"reception-layout-switch-{tag}.png"))


def test_the_check_finds_cut_text_and_overlapping_labels(qtbot) -> None:
    """The check above can fail: a squeezed label and two labels on top of each other are reported."""
    window = QWidget()
    qtbot.addWidget(window)
    window.resize(400, 200)
    squeezed = QLabel("Đủ 5 năm liên tục: 28/10/2025", window)
    squeezed.setObjectName("squeezed")
    squeezed.setGeometry(0, 0, 60, 20)
    wrapped = QLabel("Bệnh mạn tính: tăng huyết áp, đái tháo đường " * 3, window)
    wrapped.setObjectName("wrapped")
    wrapped.setWordWrap(True)
    wrapped.setGeometry(0, 150, 400, 18)
    first, second = QLabel("Mã thẻ", window), QLabel("Hạn thẻ", window)
    first.setObjectName("first")
    second.setObjectName("second")
    first.setGeometry(100, 40, 120, 60)
    second.setGeometry(150, 60, 120, 60)
    window.show()
    problems = "\n".join(layout_problems(window))
    assert "squeezed: text needs" in problems and "wrapped: text needs" in problems
    assert "'first' overlaps 'second'" in problems
