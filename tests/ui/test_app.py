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


@pytest.mark.parametrize("station", ["reception", "doctor"])
def test_staff_stations_open_maximised_to_the_screen(qtbot, clinic, station: str) -> None:
    """The walk-through: the doctor's room opened at 950×567 on a 1366×768 screen without a window manager."""
    from ui.app import show_station_window

    window = create_window(station, clinic)
    qtbot.addWidget(window)
    show_station_window(window, station)
    qtbot.waitExposed(window)
    available = window.screen().availableGeometry()
    assert window.isMaximized() and not window.isFullScreen()
    assert available.size() in (window.frameGeometry().size(), window.geometry().size()), \
        (window.geometry(), available)


def test_the_signed_in_doctor_is_named_in_the_header(qtbot, clinic) -> None:
    from kiosk.sandbox import demo  # noqa: F401 - the demo accounts come with demo.prepare

    clinic.sign_in("minh", "demo-minh-2026")
    window = create_window("doctor", clinic)
    qtbot.addWidget(window)
    window.show()
    assert window.user_label.isVisible() and window.user_label.text() == "Bác sĩ: Trần Văn Minh"
