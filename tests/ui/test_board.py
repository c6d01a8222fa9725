"""The waiting-hall board: a call made by another process shows within a second."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiosk.identify import identity_from_payload
from kiosk.sandbox.people import make_people
from scanner.payloads import parse_payload
from tests.ui.conftest import widget_texts
from ui.board import BoardWindow

pytestmark = pytest.mark.gui

CALL = r"""
import sys
from kiosk import checkin
from kiosk.store.opening import open_store
store = open_store(sys.argv[1])
checkin.call_next(store, "K01", "102")
"""


def test_call_from_another_process_reaches_the_board_within_a_second(qtbot, clinic, artifacts: Path) -> None:
    people = make_people(1, 5)
    for p in people[:3]:
        patient = clinic.identify(identity_from_payload(parse_payload(p.cccd_qr)))
        clinic.check_in(patient, "K01")
    board = BoardWindow(clinic)
    qtbot.addWidget(board)
    board.resize(1366, 768)
    board.show()
    qtbot.waitUntil(lambda: board.state is not None, timeout=3000)
    assert board.current.text() == "—"
    assert "3 người chờ" in widget_texts(board)
    subprocess.run([sys.executable, "-c", CALL, str(clinic.store.path)], check=True)
    called_at = time.monotonic()
    qtbot.waitUntil(lambda: board.current.text().startswith("002"), timeout=3000)
    assert time.monotonic() - called_at < 1.5
    assert "102" in board.current.text()
    assert "Mời số 2 vào phòng 102" in board.notice.text()
    texts = widget_texts(board)
    for p in people[:3]:
        assert p.full_name not in texts and p.full_name.upper() not in texts, "numbers only, never names"
    board.grab().save(str(artifacts / "board-1366x768.png"))


def test_board_shows_the_vneid_guide_between_calls(qtbot, clinic) -> None:
    board = BoardWindow(clinic)
    qtbot.addWidget(board)
    assert "Sổ sức khỏe điện tử" in board.notice.text()
