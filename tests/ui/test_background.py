from __future__ import annotations

import threading

import pytest

from ui.background import run_in_background

pytestmark = pytest.mark.gui


def test_success_callback_runs_on_the_gui_thread(qtbot) -> None:
    seen: dict[str, object] = {}

    def work() -> int:
        seen["worker"] = threading.current_thread() is threading.main_thread()
        return 42

    def done(result: int) -> None:
        seen["result"] = result
        seen["gui"] = threading.current_thread() is threading.main_thread()

    run_in_background(work, done)
    qtbot.waitUntil(lambda: "result" in seen, timeout=3000)
    assert seen == {"worker": False, "result": 42, "gui": True}


def test_failure_reaches_the_error_callback(qtbot) -> None:
    errors: list[Exception] = []

    def work() -> None:
        raise OSError("disk full")

    run_in_background(work, lambda _: None, errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=3000)
    assert isinstance(errors[0], OSError) and "disk full" in str(errors[0])
