"""Every station command opens its real main window."""

from __future__ import annotations

import pytest

from tests.ui.conftest import widget_texts
from ui.app import STATIONS, create_window
from ui.i18n import set_language

pytestmark = pytest.mark.gui


@pytest.mark.parametrize("station", STATIONS)
def test_each_station_opens_its_window(qtbot, clinic, station: str) -> None:
    window = create_window(station, clinic)
    qtbot.addWidget(window)
    window.show()
    assert window.isVisible()
    assert window.objectName() == f"{station}Window"
    if station != "kiosk":  # the kiosk shows the clinic only on its ticket
        qtbot.waitUntil(lambda: "Phòng khám Đa khoa An Bình" in widget_texts(window), timeout=3000)


def test_english_is_available(qtbot, clinic) -> None:
    set_language("en")
    try:
        window = create_window("reception", clinic)
        qtbot.addWidget(window)
        assert window.title_label.text() == "Reception desk"
        assert "Issue queue number" in widget_texts(window)
    finally:
        set_language("vi")
