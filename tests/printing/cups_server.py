"""A private CUPS server with a cups-pdf printer (real lp, real spooler), for tests and benchmarks."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

CUPSD = shutil.which("cupsd") or "/usr/sbin/cupsd"
PPD = Path("/usr/share/ppd/cups-pdf/CUPS-PDF_noopt.ppd")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateCups:
    """A cupsd of our own on a free loopback port, with a cups-pdf queue and a stopped one."""

    def __init__(self, root: Path) -> None:
        for sub in ("spool/tmp", "cache", "state", "log"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(root, 0o755)
        for path in root.rglob("*"):
            os.chmod(path, 0o777)
        port = _free_port()
        (root / "cupsd.conf").write_text(
            f"LogLevel warn\nListen 127.0.0.1:{port}\nDefaultAuthType None\nWebInterface No\nBrowsing No\n"
            "<Location />\n  Order allow,deny\n  Allow all\n</Location>\n"
            "<Location /admin>\n  Order allow,deny\n  Allow all\n</Location>\n"
            "<Policy default>\n  <Limit All>\n    Order allow,deny\n    Allow all\n  </Limit>\n</Policy>\n")
        (root / "cups-files.conf").write_text(
            f"ServerRoot {root}\nRequestRoot {root}/spool\nTempDir {root}/spool/tmp\nCacheDir {root}/cache\n"
            f"StateDir {root}/state\nErrorLog {root}/log/error_log\nAccessLog {root}/log/access_log\n"
            f"PageLog {root}/log/page_log\nServerBin /usr/lib/cups\nDataDir /usr/share/cups\nSandboxing Relaxed\n"
            "FileDevice Yes\n")
        self.daemon = subprocess.Popen([CUPSD, "-f", "-c", str(root / "cupsd.conf"), "-s",
                                        str(root / "cups-files.conf")], stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)
        self.server = f"127.0.0.1:{port}"
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if subprocess.run(["lpstat", "-h", self.server, "-r"], capture_output=True).returncode == 0:
                break
            time.sleep(0.2)
        for name in ("clinicpdf", "stopped"):
            for attempt in range(10):  # a cupsd that has just started may refuse admin requests for a moment
                done = subprocess.run(["lpadmin", "-h", self.server, "-p", name, "-E", "-v", "cups-pdf:/", "-P",
                                       str(PPD)], capture_output=True, text=True)
                if done.returncode == 0:
                    break
                time.sleep(0.3 * (attempt + 1))
            else:
                self.stop()
                raise RuntimeError(f"lpadmin failed on the private cupsd: {done.stderr.strip()}")
        subprocess.run(["cupsdisable", "-h", self.server, "stopped"], check=True, capture_output=True)
        self.printer = f"cups:clinicpdf@{self.server}"
        self.stopped = f"cups:stopped@{self.server}"
        self.out = Path.home() / "PDF"  # where cups-pdf writes root's jobs (/etc/cups/cups-pdf.conf)

    def stop(self) -> None:
        self.daemon.terminate()
        self.daemon.wait(timeout=10)


def cups_available() -> bool:
    return os.geteuid() == 0 and Path(CUPSD).exists() and PPD.exists() and bool(shutil.which("lp"))
