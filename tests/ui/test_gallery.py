"""The screens gallery: ``clinic-kiosk screens --out DIR`` draws every named state of the four stations at its
station's size from demo data, and says for each whether a text is cut or shows both languages — the checks a
reviewer would otherwise make by eye, run here on every state."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from ui.gallery import SIZES, STATES, both_languages, text_cut
from ui.qt import QLabel, QPushButton

pytestmark = pytest.mark.gui


def test_a_cut_text_is_seen(qtbot) -> None:
    label = QLabel("Đã tiếp đón hôm nay: K01-001")
    qtbot.addWidget(label)
    label.resize(400, 40)
    label.show()
    assert not text_cut(label)
    label.resize(90, 40)  # half of it hidden
    assert text_cut(label)
    label.setWordWrap(True)
    label.setText("Bệnh mạn tính: Bệnh lý tăng huyết áp vô căn (nguyên phát), Bệnh đái tháo đường")
    label.resize(200, 18)  # wraps to lines it has no room for
    assert text_cut(label)
    label.resize(200, 200)
    assert not text_cut(label)
    button = QPushButton("Xác nhận")
    qtbot.addWidget(button)
    button.resize(30, 60)
    button.show()
    assert text_cut(button)


def test_both_languages_at_once_is_seen() -> None:
    assert both_languages("Đã lưu / Saved to the disk now")
    assert both_languages("Không có hồ sơ\nNo record of this patient yet")
    assert not both_languages("Đã tiếp đón hôm nay: K01-001")
    assert not both_languages("K01 / Phòng 101")


def test_every_state_is_drawn_at_its_station_size_with_nothing_cut(tmp_path: Path, artifacts: Path) -> None:
    out = artifacts / "screens"
    result = subprocess.run([sys.executable, "-m", "kiosk.cli", "screens", "--out", str(out)], capture_output=True,
                            text=True, timeout=300, cwd=tmp_path)
    index = json.loads((out / "index.json").read_text(encoding="utf-8"))
    states = {s["name"]: s for s in index["states"]}
    assert list(states) == STATES, "every named state, in order"
    problems = {name: (s["error"], s["clipped"], s["both_languages"]) for name, s in states.items()
                if s["error"] or s["clipped"] or s["both_languages"]}
    assert not problems, f"{problems}\n{result.stdout[-3000:]}"
    assert result.returncode == 0, result.stdout[-2000:]
    for name, state in states.items():
        width, height = (1280, 720) if name == "board-720p" else SIZES[state["station"]]
        with Image.open(out / state["file"]) as picture:
            assert picture.size == (width, height), name
            assert len(picture.convert("L").getcolors(1 << 16) or []) > 8, f"{name} is not a blank picture"
        assert state["texts"], name
    assert any("Chưa có hồ sơ" in t for t in states["kiosk-unknown"]["texts"])
    assert any("không dùng được" in t or "dùng được hôm nay" in t for t in states["kiosk-service"]["texts"])
