"""Each station opens a real main window on the store (offscreen Qt)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.facade import Clinic
from ui.app import STATIONS, create_window
from ui.i18n import set_language
from ui.qt import QLabel

pytestmark = pytest.mark.gui

CALL_FROM_ANOTHER_PROCESS = r"""
import datetime as dt, sys
from kiosk.store import open_store
store = open_store(sys.argv[1])
today = dt.date.today().isoformat()
with store.transaction() as db:
    pid = db["patients"].insert({"patient_code": "BN000001", "full_name": "Lê Văn Cường",
                                 "created_at": today}).last_pk
    db["tickets"].insert({"patient_id": pid, "day": today, "department_code": "K01", "number": 23,
                          "room": "101", "status": "called", "issued_at": today})
    db["tickets"].insert({"patient_id": db["patients"].insert({"patient_code": "BN000002",
                          "full_name": "Phạm Thị Dung", "created_at": today}).last_pk,
                          "day": today, "department_code": "K01", "number": 24, "issued_at": today})
"""


def all_text(widget) -> str:
    texts = [label.text() for label in widget.findChildren(QLabel)]
    table = getattr(widget, "queue_table", None)
    if table is not None:
        for row in range(table.rowCount()):
            for col in range(table.columnCount()):
                item = table.item(row, col)
                texts.append(item.text() if item else "")
    return "\n".join(texts)


@pytest.mark.parametrize("station", STATIONS)
def test_station_window_opens_with_facility_and_departments(qtbot, clinic: Clinic, station: str,
                                                            artifacts: Path) -> None:
    window = create_window(station, clinic)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitUntil(lambda: window.queue_table.rowCount() == 3, timeout=3000)
    text = all_text(window)
    assert "Phòng khám Đa khoa An Bình" in text
    assert "Khám bệnh" in text and "Nhi" in text
    window.grab().save(str(artifacts / f"station-{station}-1366x768.png"))


def test_english_is_available(qtbot, clinic: Clinic) -> None:
    set_language("en")
    try:
        window = create_window("reception", clinic)
        qtbot.addWidget(window)
        assert window.title_label.text() == "Reception desk"
        qtbot.waitUntil(lambda: window.queue_table.rowCount() == 3, timeout=3000)
        assert "General examination" in all_text(window)
    finally:
        set_language("vi")


def test_board_shows_a_call_made_by_another_process(qtbot, clinic: Clinic) -> None:
    window = create_window("board", clinic)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.queue_table.rowCount() == 3, timeout=3000)
    subprocess.run([sys.executable, "-c", CALL_FROM_ANOTHER_PROCESS, str(clinic.store.path)], check=True)
    qtbot.waitUntil(lambda: "023 → 101" in all_text(window), timeout=2500)
    row = next(r for r in range(3) if window.queue_table.item(r, 0).text() == "Khám bệnh")
    assert window.queue_table.item(row, 3).text() == "1"
    assert "Cường" not in all_text(window), "the board shows numbers, not names"
