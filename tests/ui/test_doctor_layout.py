"""The doctor's room at both desk sizes with a full visit on screen: no label or button text cut (the gallery's own
check, ui.gallery.inspect_window), nothing in both languages."""

from __future__ import annotations

import pytest

from tests.ui.test_doctor import add_drug, call_first
from ui.gallery import inspect_window
from ui.qt import Qt

pytestmark = pytest.mark.gui


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)], ids=["1366x768", "1920x1080"])
def test_a_filled_visit_has_nothing_cut_at_desk_sizes(qtbot, clinic, size: tuple[int, int]) -> None:
    window = call_first(qtbot, clinic, doctor=("minh", "demo-minh-2026"))
    window.resize(*size)
    window.tabs.setCurrentIndex(1)
    window.reason.setText("Sốt, ho 2 ngày, đau họng, mệt mỏi")
    for key, value in zip(["pulse", "temperature", "bp_sys", "bp_dia", "resp_rate", "weight", "height", "spo2"],
                          "82 37.2 165 95 18 58 155 97".split(), strict=True):
        window.vitals[key].setText(value)
    window.icd_search.setText("viem hong cap")
    window.add_diagnosis(True)
    qtbot.wait(200)
    texts, clipped, mixed = inspect_window(window, [])
    assert any("165/95" in t for t in texts), "the visit is on screen"
    assert not clipped, clipped
    assert not mixed, mixed
    for typed in ("paracetamol", "morphin", "oresol"):  # a narcotic's words, a long combination's name
        add_drug(window, typed)
    qtbot.wait(200)
    box = window.rx_box
    assert box.visibleRegion().boundingRect().height() > box.table.geometry().bottom(), "the lines are in sight"
    texts, clipped, mixed = inspect_window(window, [])
    assert any("được kê trên đơn riêng" in t for t in texts) and not clipped and not mixed, (clipped, mixed)
    assert box.table.item(1, 1).text() == "Gây nghiện"
    for row in range(box.table.rowCount()):  # a long name (Oresol's four ingredients) wraps in its row, never cut
        item, rect = box.table.item(row, 0), box.table.visualItemRect(box.table.item(row, 0))
        needed = box.table.fontMetrics().boundingRect(rect.adjusted(3, 0, -3, 0), int(Qt.TextFlag.TextWordWrap),
                                                      item.text())
        assert needed.height() <= rect.height() and needed.width() <= rect.width(), item.text()
    window.tabs.setCurrentIndex(0)
    window.health.tabs.setCurrentIndex(2)
    qtbot.wait(200)
    _, clipped, mixed = inspect_window(window, [])
    assert not clipped and not mixed, (clipped, mixed)
