"""The waiting-hall board (for a TV): the numbers being called and to which room, the next numbers
per room and how many wait; a chime and a spoken call ("Mời số 23 vào phòng 5") on each new call;
the clinic's notices — by default the VNeID health-book guide — between calls. Numbers only."""

from __future__ import annotations

import datetime as dt

from kiosk.checkin import BoardState, Call
from kiosk.clock import ClockVerdict
from kiosk.facade import Clinic
from kiosk.model import Role, number_text
from kiosk.texts import vneid_guide
from ui.background import run_in_background, wait_for_background
from ui.housekeeping import Housekeeping
from ui.i18n import tr
from ui.live import LiveUpdates, ServerConnection
from ui.qt import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QSize,
    QTimer,
    QVBoxLayout,
    QWidget,
)
from ui.sound import Sounds
from ui.voice import Voice

STYLE = """
QWidget { background: #101820; color: #f2f2f2; font-size: 28px; }
QLabel#heading { font-size: 40px; font-weight: bold; color: #fee715; }
QLabel#current { font-size: 96px; font-weight: bold; color: #fee715; }
QLabel#callRow { font-size: 44px; }
QLabel#notice { font-size: 30px; color: #cfe8ff; }
"""
POLL_MS = 400


def call_text(call: Call) -> tuple[str, str]:
    return (f"Mời số {call.number} vào phòng {call.room}", f"Number {call.number}, please go to room {call.room}")


class BoardWindow(QMainWindow):
    station = "board"

    def __init__(self, clinic: Clinic, *, demo: bool = False) -> None:
        super().__init__()
        clinic.act_as(Role.BOARD, "board")
        self.clinic = clinic
        self.setObjectName("boardWindow")
        self.setWindowTitle(tr("Màn hình gọi số", "Waiting-hall board"))
        self.setStyleSheet(STYLE)
        self.sounds = Sounds(clinic.settings.paths.data_dir / "sounds", self)
        self.voice = Voice(clinic.settings["board.voice"], self)
        root = QWidget()
        layout = QVBoxLayout(root)
        layout.setContentsMargins(40, 30, 40, 30)
        title = QLabel(clinic.settings["facility.name"])
        title.setObjectName("heading")
        layout.addWidget(title)
        top = QHBoxLayout()
        layout.addLayout(top, 2)
        left = QVBoxLayout()
        top.addLayout(left, 3)
        self.calling_heading = QLabel(tr("ĐANG MỜI", "NOW CALLING"))
        self.calling_heading.setObjectName("heading")
        left.addWidget(self.calling_heading)
        self.current = QLabel("—")
        self.current.setObjectName("current")
        left.addWidget(self.current)
        self.recent = QLabel()
        self.recent.setObjectName("callRow")
        left.addWidget(self.recent)
        left.addStretch(1)
        side = QFrame()
        self.next_grid = QGridLayout(side)
        top.addWidget(side, 2)
        self.notice = QLabel()
        self.notice.setObjectName("notice")
        self.notice.setWordWrap(True)
        layout.addWidget(self.notice, 1)
        self.setCentralWidget(root)
        self.state: BoardState | None = None
        self._last_call: tuple[int, str, dt.datetime] | None = None
        self._busy = False
        self._notices = self._load_notices()
        self._notice_index = 0
        self._show_notice()
        self._notice_timer = QTimer(self)
        self._notice_timer.timeout.connect(self._show_notice)
        self._notice_timer.start(8000)
        self.live = LiveUpdates(clinic, self, POLL_MS)
        self.live.changed.connect(self.refresh)
        self.connection = ServerConnection(clinic, self)
        self.connection.state.connect(self._connection)
        self.refresh()
        self.housekeeping = Housekeeping(clinic, self, self._clock_checked)

    def _connection(self, online: bool) -> None:
        if not online:
            self.recent.setText(tr("Mất kết nối máy chủ — đang thử lại…", "Server unreachable — retrying…"))
        else:
            self.refresh()

    def _clock_checked(self, verdict: ClockVerdict) -> None:
        if not verdict.ok:  # the hall sees it too: the numbers and times on the tickets may be wrong
            self._notices = [tr(verdict.vi, verdict.en)]
            self._show_notice()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(1920, 1080)

    def _load_notices(self) -> list[str]:
        configured = self.clinic.settings["board.notices"]
        if configured:
            return configured
        guide = vneid_guide()
        return [f"{tr(guide.title_vi, guide.title_en)}\n{i}. {tr(vi, en)}" for i, (vi, en) in enumerate(guide.steps, 1)]

    def _show_notice(self) -> None:
        if self._notices:
            self.notice.setText(self._notices[self._notice_index % len(self._notices)])
            self._notice_index += 1

    def refresh(self) -> None:
        if self._busy:
            return
        self._busy = True
        run_in_background(self.clinic.board_state, self._show, self._failed, owner=self)

    def _failed(self, exc: Exception) -> None:
        self._busy = False
        self.recent.setText(tr("Không đọc được hàng đợi", "Cannot read the queue"))

    def _show(self, state: BoardState) -> None:
        self._busy = False
        self.state = state
        if state.calls:
            newest = state.calls[0]
            self.current.setText(f"{number_text(newest.number)} → {tr('Phòng', 'Room')} {newest.room}")
            key = (newest.number, newest.department_code, newest.called_at)
            if self._last_call is not None and key != self._last_call:
                self.announce(newest)
            self._last_call = key
            self.recent.setText("\n".join(f"{number_text(c.number)} → {tr('Phòng', 'Room')} {c.room}" for c in state.calls[1:5]))
        else:
            self.current.setText("—")
            self.recent.clear()
            self._last_call = (0, "", dt.datetime.min)
        while self.next_grid.count():
            item = self.next_grid.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        heading = QLabel(tr("TIẾP THEO", "NEXT"))
        heading.setObjectName("heading")
        self.next_grid.addWidget(heading, 0, 0, 1, 2)
        row = 1
        for dep in self.clinic.settings["facility.departments"]:
            for room in dep.get("rooms") or [""]:
                numbers = state.next_numbers.get((dep["code"], room), [])
                self.next_grid.addWidget(QLabel(f"{tr('Phòng', 'Room')} {room}"), row, 0)
                self.next_grid.addWidget(QLabel(", ".join(number_text(n) for n in numbers) or "—"), row, 1)
                row += 1
            waiting = QLabel(tr(f"{dep['name']}: {state.waiting.get(dep['code'], 0)} người chờ",
                                f"{dep.get('name_en', dep['name'])}: {state.waiting.get(dep['code'], 0)} waiting"))
            waiting.setStyleSheet("font-size: 22px; color: #9fb3c8;")
            self.next_grid.addWidget(waiting, row, 0, 1, 2)
            row += 1

    def closeEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt API
        self.live.stop()
        self._notice_timer.stop()
        wait_for_background()
        super().closeEvent(event)

    def announce(self, call: Call) -> None:
        if self.clinic.settings["board.chime"]:
            self.sounds.chime.play()
        vi, en = call_text(call)
        self.voice.say(vi)
        self.current.setStyleSheet("color: #ffffff; background: #c0392b;")
        QTimer.singleShot(3000, self.current, lambda: self.current.setStyleSheet(""))
        self.notice.setText(f"{vi}\n{en}")
