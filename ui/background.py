"""The one background-operation helper: run blocking work (network, decoding, printing, disk) off
the GUI thread; the success or failure callback runs on the GUI thread."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import shiboken6

from ui.qt import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger("ui.background")


class _Relay(QObject):
    succeeded = Signal(object)
    failed = Signal(object)


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self._fn = fn
        self._relay = relay

    def run(self) -> None:
        try:
            result = self._fn()
        except Exception as exc:  # reported to the GUI thread, never swallowed
            self._relay.failed.emit(exc)
        else:
            self._relay.succeeded.emit(result)


_running: set[_Relay] = set()


def run_in_background(
    fn: Callable[[], Any],
    on_success: Callable[[Any], None],
    on_error: Callable[[Exception], None] | None = None,
    pool: QThreadPool | None = None,
    *,
    owner: QObject | None = None,
) -> None:
    """Run ``fn()`` on a worker thread; call ``on_success(result)`` or ``on_error(exc)`` on the GUI
    thread. Without ``on_error`` a failure is logged and raised on the GUI thread (crash dialog).
    With ``owner``, the callbacks are dropped when the owner (a closed window) no longer exists."""
    relay = _Relay()  # created on the GUI thread, so its signals are delivered there
    _running.add(relay)

    def gone() -> bool:
        return owner is not None and not shiboken6.isValid(owner)

    def finish_ok(result: Any) -> None:
        _running.discard(relay)
        if not gone():
            on_success(result)

    def finish_error(exc: Exception) -> None:
        _running.discard(relay)
        if gone():
            log.debug("background job of a closed window failed: %s", type(exc).__name__)
            return
        if on_error is None:
            raise exc
        on_error(exc)

    relay.succeeded.connect(finish_ok)
    relay.failed.connect(finish_error)
    (pool or QThreadPool.globalInstance()).start(_Job(fn, relay))


def wait_for_background(timeout_ms: int = 10_000) -> bool:
    """Let running jobs finish (a window closing, the program ending) before the store closes."""
    return QThreadPool.globalInstance().waitForDone(timeout_ms)
