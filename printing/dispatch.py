"""Sending a PDF to a printer: CUPS (``lp``), or no printer (the PDF is kept and the user told).

Nothing claims success that did not happen: ``lp`` must accept the job, else the outcome says why
and the PDF stays where it is for a retry or a reprint.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PrintOutcome:
    printed: bool
    pdf_path: Path
    printer: str
    message_vi: str
    message_en: str
    job: str = ""  # the CUPS job id when printed


def dispatch(pdf_path: Path, printer: str, *, copies: int = 1, timeout_s: float = 15.0) -> PrintOutcome:
    if not printer:
        return PrintOutcome(False, pdf_path, "", f"Chưa cấu hình máy in: đã lưu PDF {pdf_path}",
                            f"No printer configured: PDF saved as {pdf_path}")
    lp = shutil.which("lp")
    if lp is None:
        return PrintOutcome(False, pdf_path, printer, f"Máy này không có CUPS (lệnh lp): đã lưu PDF {pdf_path}",
                            f"CUPS (lp) is not available here: PDF saved as {pdf_path}")
    try:
        result = subprocess.run([lp, "-d", printer, "-n", str(copies), "-t", pdf_path.stem, str(pdf_path)],
                                capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return PrintOutcome(False, pdf_path, printer, f"Máy in {printer} không phản hồi: đã lưu PDF {pdf_path}",
                            f"Printer {printer} did not answer: PDF saved as {pdf_path}")
    if result.returncode != 0:
        reason = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["?"]
        return PrintOutcome(False, pdf_path, printer, f"In lỗi ({printer}: {reason[0]}): đã lưu PDF {pdf_path}",
                            f"Printing failed ({printer}: {reason[0]}): PDF saved as {pdf_path}")
    job = result.stdout.strip().split()[3] if len(result.stdout.split()) > 3 else ""
    return PrintOutcome(True, pdf_path, printer, f"Đã gửi tới máy in {printer}", f"Sent to printer {printer}", job)
