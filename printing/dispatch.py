"""Sending a PDF to a printer: CUPS (``lp``), or no printer (the PDF is kept and the user told).

Nothing claims success that did not happen: ``lp`` must accept the job, else the outcome says why
and the PDF stays where it is for a retry or a reprint.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
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
    log_id: int = 0  # the print-log row (for a reprint)


# Other backends register here (the Qt printer from ui/, where CUPS is absent): scheme -> function.
BACKENDS: dict[str, Callable[[Path, str, int], PrintOutcome]] = {}


def dispatch(pdf_path: Path, printer: str, *, copies: int = 1, timeout_s: float = 15.0) -> PrintOutcome:
    """Send ``pdf_path`` to ``printer``: ``NAME`` or ``cups:NAME[@HOST:PORT]`` (CUPS), ``folder:DIR``,
    ``qt:NAME`` (Qt's printer), or nothing (kept as a PDF)."""
    if not printer:
        return PrintOutcome(False, pdf_path, "", f"Chưa cấu hình máy in: đã lưu PDF {pdf_path}",
                            f"No printer configured: PDF saved as {pdf_path}")
    scheme, _, target = printer.partition(":") if ":" in printer.split("@")[0] else ("cups", "", printer)
    if scheme == "folder":
        folder = Path(target).expanduser()
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for n in range(copies):
                shutil.copyfile(pdf_path, folder / (pdf_path.stem + (f"-{n + 1}" if copies > 1 else "") + ".pdf"))
        except OSError as exc:
            return PrintOutcome(False, pdf_path, printer, f"Không ghi được vào thư mục {folder}: {exc.strerror}",
                                f"Cannot write to the folder {folder}: {exc.strerror}")
        return PrintOutcome(True, pdf_path, printer, f"Đã lưu vào thư mục {folder}", f"Saved to the folder {folder}")
    if scheme in BACKENDS:
        return BACKENDS[scheme](pdf_path, target, copies)
    if scheme != "cups":
        return PrintOutcome(False, pdf_path, printer, f"Không biết loại máy in {scheme}: đã lưu PDF {pdf_path}",
                            f"Unknown printer kind {scheme}: PDF saved as {pdf_path}")
    name, _, server = target.partition("@")
    lp = shutil.which("lp")
    if lp is None:
        return PrintOutcome(False, pdf_path, printer, f"Máy này không có CUPS (lệnh lp): đã lưu PDF {pdf_path}",
                            f"CUPS (lp) is not available here: PDF saved as {pdf_path}")
    try:
        command = [lp, *(["-h", server] if server else []), "-d", name, "-n", str(copies), "-t", pdf_path.stem,
                   str(pdf_path)]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return PrintOutcome(False, pdf_path, printer, f"Máy in {printer} không phản hồi: đã lưu PDF {pdf_path}",
                            f"Printer {printer} did not answer: PDF saved as {pdf_path}")
    if result.returncode != 0:
        reason = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["?"]
        return PrintOutcome(False, pdf_path, printer, f"In lỗi ({printer}: {reason[0]}): đã lưu PDF {pdf_path}",
                            f"Printing failed ({printer}: {reason[0]}): PDF saved as {pdf_path}")
    job = result.stdout.strip().split()[3] if len(result.stdout.split()) > 3 else ""
    state = subprocess.run([shutil.which("lpstat") or "lpstat", *(["-h", server] if server else []), "-p", name],
                           capture_output=True, text=True, timeout=timeout_s)
    if "disabled" in state.stdout or "đã tắt" in state.stdout:
        return PrintOutcome(False, pdf_path, printer, f"Máy in {name} đang dừng (lệnh in {job} chờ trong hàng đợi); "
                            f"PDF: {pdf_path}", f"Printer {name} is stopped (job {job} waits in its queue); "
                            f"PDF: {pdf_path}", job)
    return PrintOutcome(True, pdf_path, printer, f"Đã gửi tới máy in {printer}", f"Sent to printer {printer}", job)
