"""The waiting-hall board: a call made by another process shows within a second; the numbers are readable from the
back of the hall at 1280×720 and 1920×1080 with nothing cut or overlapping; calls are said one after another; the
board and the kiosk fill a screen that has no window manager."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiosk.identify import identity_from_payload
from kiosk.model import number_text
from kiosk.sandbox.people import make_people
from scanner.payloads import parse_payload
from tests.ui.conftest import widget_texts
from ui.board import BoardWindow
from ui.qt import QFontMetrics, QLabel, QRect, Qt

pytestmark = pytest.mark.gui

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                  reason="espeak-ng is not installed (scripts/setup.sh installs it)")

CALL = r"""
import sys
from kiosk import checkin
from kiosk.store.opening import open_store
store = open_store(sys.argv[1])
checkin.call_next(store, "K01", "102")
"""

LONG_NAME = "Chẩn đoán hình ảnh và thăm dò chức năng tim mạch, hô hấp"
DEPARTMENTS = [
    {"code": "K01", "name": "Khám bệnh", "name_en": "General examination", "rooms": ["101", "102"]},
    {"code": "K02", "name": LONG_NAME, "name_en": "Imaging", "rooms": ["201"]},
    {"code": "K10", "name": "Nhi", "name_en": "Paediatrics", "rooms": ["105"]},
]


def check_in(clinic, count: int, departments: tuple[str, ...] = ("K01",)) -> list:  # noqa: ANN001
    people = make_people(1, count)
    for i, p in enumerate(people):
        patient = clinic.identify(identity_from_payload(parse_payload(p.cccd_qr)))
        clinic.check_in(patient, departments[i % len(departments)])
    return people


def test_call_from_another_process_reaches_the_board_within_a_second(qtbot, clinic, artifacts: Path) -> None:
    people = check_in(clinic, 3)
    board = BoardWindow(clinic)
    qtbot.addWidget(board)
    board.resize(1366, 768)
    board.show()
    qtbot.waitUntil(lambda: board.state is not None, timeout=3000)
    assert board.current.text() == "—"
    assert "3 người chờ" in widget_texts(board)
    assert board.voice.pending == [], "calls made before the board started are not said again"
    subprocess.run([sys.executable, "-c", CALL, str(clinic.store.path)], check=True)
    called_at = time.monotonic()
    qtbot.waitUntil(lambda: board.current.text() == "002", timeout=3000)
    assert time.monotonic() - called_at < 1.5
    assert board.current_room.text() == "→ Phòng 102"
    assert board.notice.text() == "Mời số 002 đến phòng 102"
    assert board.voice.pending == ["Mời số không không hai, đến phòng một không hai."], "read digit by digit"
    texts = widget_texts(board)
    for p in people:
        assert p.full_name not in texts and p.full_name.upper() not in texts, "numbers only, never names"
    board.grab().save(str(artifacts / "board-1366x768.png"))


def test_board_shows_the_vneid_guide_between_calls(qtbot, clinic) -> None:
    board = BoardWindow(clinic)
    qtbot.addWidget(board)
    assert "Sổ sức khỏe điện tử" in board.notice.text()


def _cut(label: QLabel) -> str | None:
    """Why the label's text does not fit in its contentsRect as Qt draws it, or None: every line's advance within
    the width, the ink (accents stacked above Vietnamese capitals included) within the height."""
    fm = QFontMetrics(label.font())
    rect, text, align = label.contentsRect(), label.text(), label.alignment()
    if label.wordWrap():
        box = fm.boundingRect(rect, int(align) | int(Qt.TextFlag.TextWordWrap), text)
        first = text.split("\n")[0]
        ink_top = box.top() + fm.ascent() + fm.tightBoundingRect(first).top()
        if box.height() > rect.height() or box.width() > rect.width() or ink_top < rect.top():
            return f"wrapped text {box} (ink top {ink_top}) in {rect}"
        return None
    lines = text.split("\n")
    wide = [line for line in lines if fm.horizontalAdvance(line) > rect.width()]
    if wide:
        return f"{wide[0]!r} is {fm.horizontalAdvance(wide[0])} px wide in {rect.width()}"
    block = fm.height() + fm.lineSpacing() * (len(lines) - 1)
    if align & Qt.AlignmentFlag.AlignBottom:
        top = rect.bottom() + 1 - block
    elif align & Qt.AlignmentFlag.AlignTop:
        top = rect.top()
    else:
        top = rect.top() + (rect.height() - block) // 2
    ink_top = top + fm.ascent() + fm.tightBoundingRect(lines[0]).top()
    ink_bottom = top + fm.lineSpacing() * (len(lines) - 1) + fm.ascent() + fm.tightBoundingRect(lines[-1]).bottom()
    if ink_top < rect.top() or ink_bottom > rect.bottom() + 1:
        return f"ink {ink_top}..{ink_bottom} outside {rect.top()}..{rect.bottom()}"
    return None


@pytest.mark.parametrize("size", [(1920, 1080), (1280, 720)], ids=["1920x1080", "1280x720"])
def test_board_is_readable_from_the_back_of_the_hall(qtbot, clinic, artifacts: Path, size: tuple[int, int]) -> None:
    width, height = size
    clinic.settings.set_for_run("facility.departments", DEPARTMENTS)
    check_in(clinic, 12, ("K01", "K02", "K10"))
    for room in ("101", "102", "101"):
        clinic.call_next("K01", room)
    board = BoardWindow(clinic)
    qtbot.addWidget(board)
    board.resize(width, height)
    board.show()
    qtbot.waitUntil(lambda: board.state is not None and len(board.state.calls) == 3, timeout=3000)
    assert board.current.text() == number_text(board.state.calls[0].number)
    qtbot.waitUntil(lambda: board.size().height() == height)
    board.grab().save(str(artifacts / f"board-{width}x{height}.png"))

    current = QFontMetrics(board.current.font())
    assert current.tightBoundingRect(board.current.text()).height() >= 0.15 * height, "the called number's digits alone"
    assert board.current.font().pixelSize() >= 0.15 * height
    assert len(board.next_numbers) == 4 and len(board.waiting) == 3
    for label in board.next_numbers.values():
        assert label.font().pixelSize() >= 0.06 * height
    for label in board.waiting.values():
        assert label.font().pixelSize() >= 0.04 * height
    assert board.next_numbers[("K02", "201")].text() == "001  002  003"
    assert board.waiting["K01"].text() == "1 người chờ"

    labels = [w for w in board.findChildren(QLabel) if w.isVisible() and w.text()]
    window = QRect(0, 0, width, height)
    boxes = {}
    for label in labels:
        box = QRect(label.mapTo(board, label.contentsRect().topLeft()), label.contentsRect().size())
        assert window.contains(box), f"{label.text()!r} at {box} is off the {width}x{height} screen"
        assert _cut(label) is None, f"{label.text()!r}: {_cut(label)}"
        assert label.height() >= QFontMetrics(label.font()).height()
        boxes[label.text()] = box
    texts = list(boxes)
    for i, a in enumerate(texts):
        for b in texts[i + 1:]:
            assert not boxes[a].intersects(boxes[b]), f"{a!r} {boxes[a]} overlaps {b!r} {boxes[b]}"
    assert "TIẾP THEO" in boxes, "the heading with its stacked accent, checked above"

    department = next(w for w in board.labels if w.full_text() == LONG_NAME)
    assert department.text().endswith("…") and department.text() != LONG_NAME
    assert department.toolTip() == LONG_NAME
    assert next(w for w in board.labels if w.full_text() == "Nhi").toolTip() == ""

    used = QRect()
    for box in boxes.values():
        used = used.united(box)
    assert used.height() >= 0.85 * height and used.width() >= 0.9 * width, f"the screen used: {used}"


def test_a_queue_it_cannot_read_is_said_whole_until_it_reads_again(qtbot, clinic, monkeypatch) -> None:
    board = BoardWindow(clinic)
    qtbot.addWidget(board)
    board.resize(1280, 720)
    board.show()
    qtbot.waitUntil(lambda: board.state is not None, timeout=3000)
    working = clinic.board_state

    def broken():  # noqa: ANN202
        raise OSError("store gone")

    monkeypatch.setattr(clinic, "board_state", broken)
    board.refresh()
    qtbot.waitUntil(lambda: "Không đọc được hàng đợi" in board.notice.text(), timeout=3000)
    assert _cut(board.notice) is None
    board._show_notice()  # the notices' turn comes: the problem stays
    assert "Không đọc được hàng đợi" in board.notice.text()
    monkeypatch.setattr(clinic, "board_state", working)
    board.refresh()
    qtbot.waitUntil(lambda: "Không đọc được hàng đợi" not in board.notice.text(), timeout=3000)


@needs_espeak
def test_calls_are_said_one_after_another_in_order(qtbot, clinic) -> None:
    board = BoardWindow(clinic)
    qtbot.addWidget(board)
    voice = board.voice
    voice.announce("Mời số một", chime=False)
    qtbot.waitUntil(lambda: voice.now_playing is not None, timeout=5000)
    voice.announce("Mời số hai", chime=False)  # arrive while the first one plays
    voice.announce("Mời số ba", chime=False)
    assert voice.pending == ["Mời số một", "Mời số hai", "Mời số ba"]
    qtbot.waitUntil(lambda: len(voice.played) == 3, timeout=20_000)
    played = list(voice.played)
    assert [p.text for p in played] == ["Mời số một", "Mời số hai", "Mời số ba"]
    for p in played:  # times from the player's own playing and end-of-media signals
        assert p.ok and p.seconds > 0.5
        assert p.ended - p.started >= 0.9 * p.seconds, "played in real time"
    for before, after in zip(played, played[1:]):
        assert after.started >= before.ended, "no overlap"


@needs_espeak
def test_a_new_kiosk_prompt_replaces_one_not_yet_started(qtbot, clinic) -> None:
    board = BoardWindow(clinic)
    qtbot.addWidget(board)
    voice = board.voice
    voice.say("Xin chào")
    voice.say("Mời quét mã")
    voice.say("Mời chọn khoa")
    assert voice.pending == ["Xin chào", "Mời chọn khoa"]
    qtbot.waitUntil(lambda: len(voice.played) == 2, timeout=15_000)
    assert [p.text for p in voice.played] == ["Xin chào", "Mời chọn khoa"]


@pytest.mark.parametrize("station", ["board", "kiosk"])
def test_station_fills_a_screen_without_window_manager(kiosk_home: Path, station: str) -> None:
    """On a bare X server (no window manager) the real ``clinic-kiosk board|kiosk`` window has the screen's size."""
    if not (shutil.which("Xvfb") and shutil.which("xdotool")):
        pytest.skip("Xvfb and xdotool are needed (scripts/setup.sh installs them)")
    clinic_kiosk = Path(sys.executable).with_name("clinic-kiosk")
    read, write = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x720x24", "-nolisten", "tcp"],
                            pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    app = None
    try:
        with os.fdopen(read) as pipe:
            display = f":{pipe.readline().strip()}"
        env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}
        subprocess.run([str(clinic_kiosk), "demo", "prepare", "--no-video"], env=env, check=True, capture_output=True)
        app = subprocess.Popen([str(clinic_kiosk), station], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
        geometry = ""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and "1280x720" not in geometry:
            time.sleep(0.3)
            found = subprocess.run(["xdotool", "search", "--onlyvisible", "--class", "clinic-kiosk"],
                                   env=env, capture_output=True, text=True).stdout.split()
            if found:
                geometry = subprocess.run(["xdotool", "getwindowgeometry", found[0]], env=env, capture_output=True,
                                          text=True).stdout
        assert "Position: 0,0" in geometry and "Geometry: 1280x720" in geometry, geometry or "no window"
    finally:
        for process in (app, xvfb):
            if process is not None:
                process.kill()
                process.wait(timeout=10)
