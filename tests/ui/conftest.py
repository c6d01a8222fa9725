from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.facade import Clinic
from kiosk.sandbox import demo
from kiosk.settings import Settings


@pytest.fixture
def clinic(kiosk_home) -> Iterator[Clinic]:
    from ui.background import wait_for_background

    clinic = Clinic.open(Settings())
    demo.prepare(clinic.store)
    yield clinic
    wait_for_background()
    clinic.close()


@pytest.fixture(scope="session")
def demo_video(tmp_path_factory) -> Path:
    """The demo camera video, made once for the session."""
    return demo.demo_camera_video(tmp_path_factory.mktemp("video") / "demo.avi", count=3)


def widget_texts(widget) -> str:  # noqa: ANN001
    """Every text a person could read in a window: labels, fields, buttons, tables."""
    from ui.qt import QLabel, QLineEdit, QPushButton, QTableWidget

    texts = [w.text() for cls in (QLabel, QLineEdit, QPushButton) for w in widget.findChildren(cls)]
    for table in widget.findChildren(QTableWidget):
        for r in range(table.rowCount()):
            for c in range(table.columnCount()):
                item = table.item(r, c)
                texts.append(item.text() if item else "")
    return "\n".join(texts)


def answer_consent(window, care: bool = True, **others: bool) -> None:  # noqa: ANN001
    """Click the patient's answers in the reception's consent box, as the receptionist would."""
    from PySide6.QtCore import Qt
    from pytestqt.qtbot import QtBot

    box = window.consent_box
    if not box.isVisible():
        return
    for key, agreed in {"care": care, **others}.items():
        button = (box.yes if agreed else box.no)[key]
        QtBot.mouseClick(button, Qt.MouseButton.LeftButton)
