"""The waiting-hall board (for a TV): the number being called and to which room, large enough to read from the back
of the hall; the next numbers per room and how many wait per department; a chime and a spoken call ("Mời số không hai
ba, đến phòng một không hai") on each new call, one call at a time; the clinic's notices — by default the VNeID
health-book guide — between calls. Numbers only.

Every text is sized as a share of the screen's height (the board runs full screen): the called number 24 %, the
next numbers 6.5 %, the waiting counts 4.5 %. Labels take their height from QFontMetrics, with room for the stacked
marks of Vietnamese capitals ("TIẾP THEO"); long department names are elided with the full name as a tooltip."""

from __future__ import annotations

import datetime as dt

from kiosk.checkin import BoardState, Call
from kiosk.clock import ClockVerdict
from kiosk.facade import Clinic
from kiosk.model import Role, number_text
from kiosk.texts import vneid_guide
from kiosk.voice.words import call_sentence
from ui.background import run_in_background, wait_for_background
from ui.housekeeping import Housekeeping
from ui.i18n import tr
from ui.live import LiveUpdates, ServerConnection
from ui.qt import (
    QFont,
    QFontMetrics,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QRect,
    QSize,
    QSizePolicy,
    Qt,
    QTimer,
    QVBoxLayout,
    QWidget,
)
from ui.voice import Voice

STYLE = """
QMainWindow#boardWindow, QWidget#boardRoot { background: #101820; }
QLabel { color: #f2f2f2; background: transparent; }
QLabel#heading, QLabel#current { color: #fee715; }
QLabel#currentRoom { color: #ffffff; }
QLabel#recent { color: #9fb3c8; }
QLabel#department, QLabel#waiting { color: #9fb3c8; }
QLabel#nextNumbers { color: #fee715; }
QLabel#notice { color: #cfe8ff; }
"""
POLL_MS = 400
RECENT = 3  # earlier calls shown under the current one

# Font size (em, in pixels) as a share of the board's height.
TITLE = 0.05
HEADING = 0.055
CURRENT = 0.24  # the digits' ink alone is above 15 % of the screen
CURRENT_ROOM = 0.09
RECENT_CALL = 0.05
NEXT_NUMBERS = 0.065
ROOM = 0.06
WAITING = 0.045
NOTICE = 0.033
NOTICE_LINES = 3
GROUP_GAP = 0.02  # space above each department on the right
ACCENTS = "ẾỖẪỮ"  # the tallest Vietnamese capitals: a label whose text may hold them keeps room above


def call_text(call: Call) -> tuple[str, str]:
    """The call as the hall reads it (the spoken form is kiosk.voice.words.call_sentence)."""
    number = number_text(call.number)
    if not call.room:
        return f"Mời số {number} vào khám", f"Number {number}, please come in"
    return f"Mời số {number} đến phòng {call.room}", f"Number {number}, please go to room {call.room}"


def _text_height(fm: QFontMetrics, text: str, *, centred: bool = False) -> int:
    """Height a label needs for ``text``: its lines, plus what the accents stacked above a capital (and marks below a
    letter) draw outside the font's ascent and descent; twice the larger of the two when the text is centred."""
    lines = text.split("\n") or [""]
    block = fm.lineSpacing() * (len(lines) - 1) + fm.height()
    ink = fm.tightBoundingRect("".join(lines) + ACCENTS)
    over, under = max(0, -ink.top() - fm.ascent()), max(0, ink.bottom() - fm.descent())
    return block + (2 * max(over, under) if centred else over + under) + 2


class BoardLabel(QLabel):
    """A line of the board: its font a share of the board's height, its size from QFontMetrics, elided (with the
    full text as tooltip) when ``elide`` and too long."""

    def __init__(self, text: str = "", *, share: float, name: str = "", bold: bool = False, elide: bool = False,
                 align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft, space_above: float = 0.0) -> None:
        super().__init__()
        self.share = share
        self.space_above = space_above  # a gap above the text, as a share of the board's height
        self.elide = elide
        self._full = ""
        self.setObjectName(name)
        self.setAlignment(align | Qt.AlignmentFlag.AlignBottom)  # baselines line up along a row; accents get the top
        self.setMargin(0)
        font = QFont(self.font())
        font.setBold(bold)
        self.setFont(font)
        if elide:
            self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setText(text)

    def fit(self, height: int, scale: float = 1.0) -> None:
        font = QFont(self.font())
        font.setPixelSize(max(10, round(self.share * height * scale)))
        self.setFont(font)
        self.setContentsMargins(0, round(self.space_above * height * scale), 0, 0)
        self._show()
        self.updateGeometry()

    def full_text(self) -> str:
        return self._full

    def setText(self, text: str) -> None:  # noqa: N802 - Qt API
        if text != self._full:
            self._full = text
            self._show()
            self.updateGeometry()

    def _show(self) -> None:
        shown = self._full
        if self.elide and self.contentsRect().width() > 0:
            shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, self.contentsRect().width())
        super().setText(shown)
        self.setToolTip(self._full if shown != self._full else "")

    def resizeEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt API
        super().resizeEvent(event)
        if self.elide:
            self._show()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        fm = QFontMetrics(self.font())
        width = max((fm.horizontalAdvance(line) for line in self._full.split("\n")), default=0)
        margins = self.contentsMargins()
        return QSize(width + 2 + margins.left() + margins.right(),
                     _text_height(fm, self._full) + margins.top() + margins.bottom())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt API
        hint = self.sizeHint()
        if self.elide:
            hint.setWidth(min(hint.width(), QFontMetrics(self.font()).horizontalAdvance("…") * 6))
        return hint


class NoticeLabel(QLabel):
    """The notices under the calls: a box of NOTICE_LINES lines; a longer notice gets a smaller font until it fits."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("notice")
        self.setWordWrap(True)
        self.setMargin(0)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self._size = 20

    def fit(self, height: int, scale: float = 1.0) -> None:
        self._size = max(10, round(NOTICE * height * scale))
        fm = QFontMetrics(self._font(self._size))
        self.setFixedHeight(fm.lineSpacing() * (NOTICE_LINES - 1) + _text_height(fm, "", centred=True))
        self._shrink()

    def _font(self, size: int) -> QFont:
        font = QFont(self.font())
        font.setPixelSize(size)
        return font

    def setText(self, text: str) -> None:  # noqa: N802 - Qt API
        super().setText(text)
        self._shrink()

    def resizeEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt API
        super().resizeEvent(event)
        self._shrink()

    def needed_height(self, font: QFont | None = None) -> int:
        fm = QFontMetrics(font or self.font())
        box = fm.boundingRect(QRect(0, 0, max(1, self.contentsRect().width()), 100_000),
                              int(Qt.TextFlag.TextWordWrap), self.text())
        return box.height() + _text_height(fm, "", centred=True) - fm.height()

    def _shrink(self) -> None:
        size = self._size
        while size > 10 and self.needed_height(self._font(size)) > self.height():
            size -= 1
        if self.font().pixelSize() != size:
            self.setFont(self._font(size))


class BoardWindow(QMainWindow):
    station = "board"

    def __init__(self, clinic: Clinic, *, demo: bool = False) -> None:
        super().__init__()
        clinic.act_as(Role.BOARD, "board")
        self.clinic = clinic
        self.setObjectName("boardWindow")
        self.setWindowTitle(tr("Màn hình gọi số", "Waiting-hall board"))
        self.setStyleSheet(STYLE)
        self.voice = Voice(clinic.settings["board.voice"], self)
        self.labels: list[BoardLabel] = []
        root = QWidget()
        root.setObjectName("boardRoot")
        root.setMinimumSize(1, 1)  # the fonts shrink to the screen (_fit), never the window grows past it
        self.root_layout = QVBoxLayout(root)
        self.title = self._label(clinic.settings["facility.name"], TITLE, "heading", bold=True, elide=True)
        self.root_layout.addWidget(self.title)
        body = QHBoxLayout()
        self.body = body
        self.root_layout.addLayout(body, 1)

        left = QVBoxLayout()
        left.setSpacing(0)
        body.addLayout(left, 45)
        self.calling_heading = self._label(tr("ĐANG MỜI", "NOW CALLING"), HEADING, "heading", bold=True)
        left.addWidget(self.calling_heading)
        left.addStretch(1)
        self.current = self._label("—", CURRENT, "current", bold=True, align=Qt.AlignmentFlag.AlignHCenter)
        left.addWidget(self.current)
        self.current_room = self._label("", CURRENT_ROOM, "currentRoom", bold=True,
                                        align=Qt.AlignmentFlag.AlignHCenter)
        left.addWidget(self.current_room)
        left.addStretch(1)
        self.recent = [self._label("", RECENT_CALL, "recent", elide=True) for _ in range(RECENT)]
        for label in self.recent:
            left.addWidget(label)

        side = QWidget()
        self.next_grid = QGridLayout(side)
        self.next_grid.setContentsMargins(0, 0, 0, 0)
        self.next_grid.setVerticalSpacing(0)
        body.addWidget(side, 55)
        self.next_heading = self._label(tr("TIẾP THEO", "NEXT"), HEADING, "heading", bold=True)
        self.next_grid.addWidget(self.next_heading, 0, 0, 1, 2)
        self.waiting: dict[str, BoardLabel] = {}
        self._department_rows: list[QHBoxLayout] = []
        self.next_numbers: dict[tuple[str, str], BoardLabel] = {}
        row = 1
        for dep in clinic.settings["facility.departments"]:
            heading = QHBoxLayout()  # the name takes the whole width the count leaves it
            heading.setContentsMargins(0, 0, 0, 0)
            self._department_rows.append(heading)
            name = self._label(tr(dep["name"], dep.get("name_en") or dep["name"]), WAITING, "department", elide=True,
                               space_above=GROUP_GAP)
            heading.addWidget(name, 1)
            self.waiting[dep["code"]] = self._label("", WAITING, "waiting", align=Qt.AlignmentFlag.AlignRight,
                                                    space_above=GROUP_GAP)
            # the count is never squeezed: the name gives way (it elides, with a tooltip)
            self.waiting[dep["code"]].setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Preferred)
            heading.addWidget(self.waiting[dep["code"]])
            self.next_grid.addLayout(heading, row, 0, 1, 2)
            row += 1
            for room in dep.get("rooms") or [""]:
                where = f"{tr('Phòng', 'Room')} {room}" if room else tr("Chờ gọi", "Waiting")
                self.next_grid.addWidget(self._label(where, ROOM, "room"), row, 0)
                numbers = self._label("—", NEXT_NUMBERS, "nextNumbers", bold=True, align=Qt.AlignmentFlag.AlignRight)
                self.next_numbers[(dep["code"], room)] = numbers
                self.next_grid.addWidget(numbers, row, 1)
                row += 1
        self.next_grid.setRowStretch(row, 1)
        self.next_grid.setColumnStretch(0, 1)

        self.notice = NoticeLabel()
        self.root_layout.addWidget(self.notice)
        self._flash = QTimer(self)  # one timer: a second call keeps the flash on for its own 3 s
        self._flash.setSingleShot(True)
        self._flash.setInterval(3000)
        self._flash.timeout.connect(lambda: self.current.setStyleSheet(""))
        self.setCentralWidget(root)
        self._scale = 1.0
        self._fit()

        self.state: BoardState | None = None
        self._seen: set[tuple[int, str, dt.datetime]] | None = None  # calls already on the board (None: first look)
        self._busy = False
        self._notices = self._load_notices()
        self._problem: str | None = None
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

    def _label(self, text: str, share: float, name: str, **kwargs: object) -> BoardLabel:
        label = BoardLabel(text, share=share, name=name, **kwargs)
        self.labels.append(label)
        return label

    # -- sizes ---------------------------------------------------------------------------------------------------

    def resizeEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt API
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        """Fonts from the window's height (the screen's, full screen); smaller only if the content would not fit."""
        height, width = max(self.height(), 200), max(self.width(), 200)
        margin = round(height * 0.025)
        self.root_layout.setContentsMargins(round(margin * 1.5), margin, round(margin * 1.5), margin)
        self.root_layout.setSpacing(margin // 2)
        self.body.setSpacing(margin * 2)
        self.next_grid.setHorizontalSpacing(margin)
        for row in self._department_rows:
            row.setSpacing(margin)
        scale = 1.0
        for _ in range(12):
            for label in self.labels:
                label.fit(height, scale)
            self.notice.fit(height, scale)
            self.root_layout.invalidate()
            need = self.root_layout.totalMinimumSize()
            if need.height() <= height and need.width() <= width:
                break
            scale *= 0.93
        self._scale = scale

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(1920, 1080)

    # -- content -------------------------------------------------------------------------------------------------

    def _connection(self, online: bool) -> None:
        if not online:
            self._set_problem(tr("Mất kết nối máy chủ — đang thử lại…", "Server unreachable — retrying…"))
        else:
            self.refresh()

    def _set_problem(self, text: str | None) -> None:
        """A problem the hall should know of stays in the notice box (wrapped, never cut) until it is over."""
        if text != self._problem:
            self._problem = text
            self._show_notice()

    def _clock_checked(self, verdict: ClockVerdict) -> None:
        if not verdict.ok:  # the hall sees it too: the numbers and times on the tickets may be wrong
            self._notices = [tr(verdict.vi, verdict.en)]
            self._show_notice()

    def _load_notices(self) -> list[str]:
        configured = self.clinic.settings["board.notices"]
        if configured:
            return configured
        guide = vneid_guide()
        return [f"{tr(guide.title_vi, guide.title_en)}\n{i}. {tr(vi, en)}" for i, (vi, en) in enumerate(guide.steps, 1)]

    def _show_notice(self) -> None:
        if self._problem:
            self.notice.setText(self._problem)
        elif self._notices:
            self.notice.setText(self._notices[self._notice_index % len(self._notices)])
            self._notice_index += 1

    def refresh(self) -> None:
        if self._busy:
            return
        self._busy = True
        run_in_background(self.clinic.board_state, self._show, self._failed, owner=self)

    def _failed(self, exc: Exception) -> None:
        self._busy = False
        self._set_problem(tr("Không đọc được hàng đợi — đang thử lại…", "Cannot read the queue — retrying…"))

    def _show(self, state: BoardState) -> None:
        self._busy = False
        self.state = state
        self._set_problem(None)
        room = tr("Phòng", "Room")
        if state.calls:
            newest = state.calls[0]
            self.current.setText(number_text(newest.number))
            self.current_room.setText(f"→ {room} {newest.room}" if newest.room else "")
        else:
            self.current.setText("—")
            self.current_room.setText("")
        earlier = state.calls[1:1 + RECENT]
        for i, label in enumerate(self.recent):
            label.setText(f"{number_text(earlier[i].number)} → {room} {earlier[i].room}" if i < len(earlier) else "")
        keys = {(c.number, c.department_code, c.called_at) for c in state.calls}
        if self._seen is not None:  # each call made since the last look, oldest first, waits its turn to be said
            for call in sorted((c for c in state.calls if (c.number, c.department_code, c.called_at) not in self._seen),
                               key=lambda c: c.called_at):
                self.announce(call)
        self._seen = keys
        for (code, room_name), label in self.next_numbers.items():
            numbers = state.next_numbers.get((code, room_name), [])
            label.setText("  ".join(number_text(n) for n in numbers) or "—")
        for code, label in self.waiting.items():
            label.setText(tr(f"{state.waiting.get(code, 0)} người chờ", f"{state.waiting.get(code, 0)} waiting"))
        # Lay the new texts out now, parents first (each widget's own layout: a nested panel's layout would
        # otherwise wait for a later pass, with the old texts' widths meanwhile).
        for widget in (self, *self.findChildren(QWidget)):
            if widget.layout() is not None:
                widget.layout().activate()

    def closeEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt API
        self.live.stop()
        self._notice_timer.stop()
        self.voice.stop()
        wait_for_background()
        super().closeEvent(event)

    def announce(self, call: Call) -> None:
        """The chime and the spoken call (queued behind any call still being said), a flash, the call as a notice."""
        vi, en = call_text(call)
        self.voice.announce(call_sentence(number_text(call.number), call.room), chime=self.clinic.settings["board.chime"])
        self.current.setStyleSheet("color: #ffffff; background: #c0392b;")
        self._flash.start()
        self.notice.setText(tr(vi, en))
