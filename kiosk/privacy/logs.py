"""Logging: named loggers, a rotating file in the user log folder, masking of personal data,
and crash reports for uncaught exceptions.

The masking sits in the formatter of every handler this module installs, so it covers the
message, its arguments and any traceback text alike.
"""

from __future__ import annotations

import datetime as dt
import logging
import logging.handlers
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from kiosk import __version__
from kiosk.privacy import filemodes
from kiosk.privacy.masking import mask_text

LOG_FILE_NAME = "clinic-kiosk.log"
_FORMAT = "%(asctime)s %(levelname)-7s %(process)d %(name)s: %(message)s"

log = logging.getLogger("kiosk")


class MaskingFormatter(logging.Formatter):
    """Formats a record, then masks ID numbers, card codes, phones and known names in all of it."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_text(super().format(record))


class MaskingFilter(logging.Filter):
    """For handlers we do not own (pytest's caplog, a syslog handler): masks the message in place."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_text(record.getMessage())
        record.args = None
        return True


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log file created 0600 (masked as it is, a log still tells who came when)."""

    def _open(self):  # noqa: ANN202 - the stream logging.FileHandler returns
        filemodes.create_private(Path(self.baseFilename))
        return super()._open()


def remove_handlers() -> None:
    """Remove the handlers ``setup_logging`` installed (tests, re-configuration)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_clinic_kiosk", False):
            root.removeHandler(handler)
            handler.close()


def setup_logging(log_dir: Path, *, level: int = logging.INFO, console: bool = False) -> Path:
    """Install the rotating, masked log file (idempotent). Returns the log file's path."""
    filemodes.private_dir(log_dir)
    path = log_dir / LOG_FILE_NAME
    for old in (path, *(path.with_name(f"{path.name}.{n}") for n in range(1, 6))):
        filemodes.private_file(old)  # left 0644 by an older version
    remove_handlers()
    root = logging.getLogger()
    file_handler = PrivateRotatingFileHandler(
        path, maxBytes=5 * 1024 * 1024, backupCount=5, encoding="utf-8", delay=True
    )
    file_handler.setFormatter(MaskingFormatter(_FORMAT))
    file_handler._clinic_kiosk = True  # type: ignore[attr-defined]
    root.addHandler(file_handler)
    if console:
        stream = logging.StreamHandler(sys.stderr)
        stream.setFormatter(MaskingFormatter("%(levelname)s %(name)s: %(message)s"))
        stream.setLevel(logging.WARNING)
        stream._clinic_kiosk = True  # type: ignore[attr-defined]
        root.addHandler(stream)
    root.setLevel(level)
    # urllib3 logs every request line, query string included, at DEBUG: never below WARNING.
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    logging.captureWarnings(True)
    return path


def write_crash_report(
    crash_dir: Path, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
) -> Path:
    """Write a masked crash report and return its path."""
    filemodes.private_dir(crash_dir, chmod_existing=False)  # (the working folder when settings failed)
    now = dt.datetime.now()
    path = crash_dir / f"crash-{now:%Y%m%d-%H%M%S}-{threading.get_ident() % 10000:04d}.txt"
    text = "".join(traceback.format_exception(exc_type, exc, tb))
    return filemodes.write_private(
        path,
        mask_text(
            f"clinic-kiosk {__version__} crash report\n"
            f"time: {now.isoformat(timespec='seconds')}\n"
            f"python: {sys.version.split()[0]}  platform: {sys.platform}\n\n{text}"
        ),
    )


CrashCallback = Callable[[Path, BaseException], None]


def install_excepthook(crash_dir: Path, on_crash: CrashCallback | None = None) -> None:
    """Route uncaught exceptions (main and other threads) to the log and a crash report."""

    def handle(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        log.critical("uncaught exception", exc_info=(exc_type, exc, tb))
        try:
            report = write_crash_report(crash_dir, exc_type, exc, tb)
        except OSError:
            log.exception("could not write the crash report")
            return
        if on_crash is not None:
            on_crash(report, exc)

    def handle_thread(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            handle(args.exc_type, args.exc_value, args.exc_traceback)

    sys.excepthook = handle
    threading.excepthook = handle_thread
