"""What a station does by itself now and then, off the GUI thread: the daily backup of the store,
the check that this PC's clock is right (shown on the window when it is not), the purge of the
print spool and of the offline check-ins past their retention (``kiosk.retention.housekeep_files``),
and — on a single PC, where no clinic server does it — sending what waits in the outbox (claims to the BHXH
portal, prescriptions to the national prescription system) when a user who may send is signed in."""

from __future__ import annotations

import logging
from collections.abc import Callable

from kiosk import roles
from kiosk.clock import ClockVerdict
from kiosk.facade import Clinic
from kiosk.retention import housekeep_files
from ui.background import run_in_background
from ui.qt import QObject, QTimer

log = logging.getLogger("ui.housekeeping")

CLOCK_EVERY_MS = 60_000
BACKUP_EVERY_MS = 3_600_000  # a station left running overnight takes the new day's backup
FILES_EVERY_MS = 3_600_000  # spool and offline.db retention is counted in days: hourly is plenty
OUTBOX_EVERY_MS = 120_000  # a prescription refused for a moment (system down) goes within minutes, not at the next visit


class Housekeeping(QObject):
    def __init__(self, clinic: Clinic, parent: QObject, show_clock: Callable[[ClockVerdict], None]) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self._show_clock = show_clock
        self.verdict: ClockVerdict | None = None
        self._clock_timer = QTimer(self)
        self._clock_timer.timeout.connect(self.check_clock)
        self._clock_timer.start(CLOCK_EVERY_MS)
        self._backup_timer = QTimer(self)
        self._backup_timer.timeout.connect(self.backup)
        self._backup_timer.start(BACKUP_EVERY_MS)
        self._files_timer = QTimer(self)
        self._files_timer.timeout.connect(self.purge_files)
        self._files_timer.start(FILES_EVERY_MS)
        self.files_done: dict[str, int] | None = None
        self._outbox_timer = QTimer(self)
        self._outbox_timer.timeout.connect(self.send_outbox)
        self._outbox_timer.start(OUTBOX_EVERY_MS)
        self.outbox_sent: dict[str, int] | None = None
        self._sending = False
        self.check_clock()
        self.backup()
        self.purge_files()

    def check_clock(self) -> None:
        run_in_background(self.clinic.clock_verdict, self._clock_checked, self._failed, owner=self)

    def _clock_checked(self, verdict: ClockVerdict) -> None:
        if not verdict.ok and (self.verdict is None or self.verdict.ok):
            log.warning("clock: %s", verdict.en)
        self.verdict = verdict
        self._show_clock(verdict)

    def backup(self) -> None:
        run_in_background(self.clinic.daily_backup, self._backed_up, self._failed, owner=self)

    def _backed_up(self, path: object) -> None:
        if path is not None:
            log.info("daily backup: %s", path)

    def purge_files(self) -> None:
        settings = self.clinic.settings
        run_in_background(lambda: housekeep_files(settings), self._files_purged, self._failed, owner=self)

    def _files_purged(self, done: dict[str, int]) -> None:
        self.files_done = done

    def send_outbox(self) -> None:
        """Send what is due, on a station with its own store (a clinic server sends for its stations)."""
        if getattr(self.clinic, "remote", False) or self._sending or not roles.allowed(self.clinic.role,
                                                                                        "send_to_portal"):
            return
        self._sending = True
        run_in_background(self.clinic.send_outbox, self._outbox_sent, self._outbox_failed, owner=self)

    def _outbox_sent(self, counts: dict[str, int]) -> None:
        self._sending = False
        self.outbox_sent = counts
        if counts:
            log.info("outbox: %s", counts)

    def _outbox_failed(self, exc: Exception) -> None:
        self._sending = False
        self._failed(exc)

    def _failed(self, exc: Exception) -> None:
        log.warning("housekeeping failed: %s", exc)
