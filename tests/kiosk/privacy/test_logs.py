from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from kiosk.privacy.logs import write_crash_report

CRASHER = r"""
import sys
from pathlib import Path
from kiosk.privacy.logs import install_excepthook, setup_logging
setup_logging(Path(sys.argv[1]))
install_excepthook(Path(sys.argv[1]) / "crashes")
raise RuntimeError("lookup failed for 001099012345")
"""


def test_crash_report_is_written_and_masked(tmp_path: Path) -> None:
    try:
        raise KeyError("HC4010123456789")
    except KeyError as exc:
        report = write_crash_report(tmp_path, type(exc), exc, exc.__traceback__)
    text = report.read_text(encoding="utf-8")
    assert "crash report" in text and "KeyError" in text
    assert "HC4010123456789" not in text and "HC40*********89" in text


def test_uncaught_exception_leaves_a_report_and_a_log_line(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-c", CRASHER, str(tmp_path)], capture_output=True, text=True)
    assert result.returncode != 0
    reports = list((tmp_path / "crashes").glob("crash-*.txt"))
    assert len(reports) == 1
    assert "RuntimeError" in reports[0].read_text(encoding="utf-8")
    log_text = (tmp_path / "clinic-kiosk.log").read_text(encoding="utf-8")
    assert "uncaught exception" in log_text and "001099012345" not in log_text
