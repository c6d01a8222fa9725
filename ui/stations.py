"""The four station windows. Each is a real main window on the core's facade; the check-in,
health-book and visit issues fill them with their workflows."""

from __future__ import annotations

import datetime as dt

from kiosk.facade import Clinic, DepartmentQueue
from ui.background import run_in_background, wait_for_background
from ui.i18n import tr
from ui.qt import (
    QFont,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QSize,
    Qt,
    QTableWidget,
    QTableWidgetItem,
    QTimer,
    QVBoxLayout,
    QWidget,
)


class QueueTable(QTableWidget):
    """Per department: rooms, numbers being called, how many wait."""

    def __init__(self, parent: QWidget | None = None, *, point_size: int = 12) -> None:
        super().__init__(0, 4, parent)
        self.setObjectName("queueTable")
        self.setHorizontalHeaderLabels(
            [tr("Khoa", "Department"), tr("Phòng", "Rooms"), tr("Đang mời", "Now calling"),
             tr("Đang chờ", "Waiting")]
        )
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        font = self.font()
        font.setPointSize(point_size)
        self.setFont(font)

    def show_queues(self, queues: list[DepartmentQueue]) -> None:
        self.setRowCount(len(queues))
        for row, q in enumerate(queues):
            calling = ", ".join(f"{n:03d} → {room}" for room, n in q.calling) or "—"
            cells = [tr(q.name, q.name_en), ", ".join(q.rooms), calling, str(q.waiting)]
            for col, text in enumerate(cells):
                self.setItem(row, col, QTableWidgetItem(text))


class StationWindow(QMainWindow):
    station = ""
    title_vi = ""
    title_en = ""

    def __init__(self, clinic: Clinic, *, demo: bool = False) -> None:
        super().__init__()
        self.clinic = clinic
        self.demo = demo
        facility = clinic.settings["facility.name"]
        self.setWindowTitle(f"{tr(self.title_vi, self.title_en)} — {facility}")
        self.setObjectName(f"{self.station}Window")

        root = QWidget()
        layout = QVBoxLayout(root)
        header = QFrame()
        header.setObjectName("header")
        header.setStyleSheet("#header { background: #0b5394; } QLabel { color: white; }")
        head = QHBoxLayout(header)
        self.facility_label = QLabel(f"{facility} ({clinic.settings['facility.code']})")
        self.title_label = QLabel(tr(self.title_vi, self.title_en))
        big = QFont(self.font())
        big.setPointSize(16)
        big.setBold(True)
        self.title_label.setFont(big)
        self.clock_label = QLabel()
        head.addWidget(self.title_label)
        head.addStretch(1)
        head.addWidget(self.facility_label)
        head.addWidget(self.clock_label)
        layout.addWidget(header)
        self.body = QVBoxLayout()
        layout.addLayout(self.body, 1)
        self.setCentralWidget(root)
        self.statusBar().showMessage(
            tr("Cơ sở dữ liệu: ", "Database: ") + str(clinic.store.path)
            + ("  ·  " + tr("DỮ LIỆU DEMO", "DEMO DATA") if demo else "")
        )
        self._clock = QTimer(self)
        self._clock.timeout.connect(self._tick)
        self._clock.start(1000)
        self._tick()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(1366, 768)

    def _tick(self) -> None:
        self.clock_label.setText(dt.datetime.now().strftime("%H:%M:%S  %d/%m/%Y"))


class QueueStationWindow(StationWindow):
    """A station that shows today's queues, refreshed in the background."""

    refresh_ms = 1000
    intro_vi = ""
    intro_en = ""
    table_point_size = 12

    def __init__(self, clinic: Clinic, *, demo: bool = False) -> None:
        super().__init__(clinic, demo=demo)
        intro = QLabel(tr(self.intro_vi, self.intro_en))
        intro.setWordWrap(True)
        intro.setObjectName("intro")
        self.body.addWidget(intro)
        self.queue_table = QueueTable(point_size=self.table_point_size)
        self.body.addWidget(self.queue_table, 1)
        self._refreshing = False
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.refresh)
        self._timer.start(self.refresh_ms)
        self.refresh()

    def closeEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt API
        self._timer.stop()
        self._clock.stop()
        wait_for_background()
        super().closeEvent(event)

    def refresh(self) -> None:
        if self._refreshing:
            return
        self._refreshing = True
        run_in_background(self.clinic.queue_overview, self._show, self._failed, owner=self)

    def _show(self, queues: list[DepartmentQueue]) -> None:
        self._refreshing = False
        self.queue_table.show_queues(queues)

    def _failed(self, exc: Exception) -> None:
        self._refreshing = False
        self.statusBar().showMessage(tr("Không đọc được hàng đợi: ", "Cannot read the queue: ") + str(exc))


class DoctorWindow(QueueStationWindow):
    station = "doctor"
    title_vi, title_en = "Phòng khám", "Exam room"
    intro_vi = "Hàng đợi hôm nay của các phòng khám."
    intro_en = "Today's queues of the exam rooms."


def window_class(station: str) -> type[StationWindow]:
    if station == "reception":
        from ui.reception import ReceptionWindow

        return ReceptionWindow
    if station == "kiosk":
        from ui.kiosk_window import KioskWindow

        return KioskWindow
    if station == "board":
        from ui.board import BoardWindow

        return BoardWindow
    return {"doctor": DoctorWindow}[station]
