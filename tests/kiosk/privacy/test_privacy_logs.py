"""A demo flow through the real commands, then every log and settings file is searched for full
ID numbers, card numbers, names and the gateway password hash: none may be there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from kiosk.sandbox.server import DEFAULT_PASSWORD
from kiosk.security.secrets_store import md5_upper

BIN = Path(sys.executable).with_name("clinic-kiosk")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, env=os.environ.copy(), timeout=180)


def test_no_personal_data_or_secret_in_logs_or_settings(kiosk_home: Path, tmp_path: Path) -> None:
    assert run("demo", "prepare", "--no-video").returncode == 0
    assert run("config", "set", "facility.name", "Phòng khám Thử").returncode == 0
    people = [json.loads(line) for line in run("sandbox", "--list").stdout.splitlines()][:6]
    for p in people:
        for qr in (p["cccd_qr"], p["bhyt_qr"]):
            if qr:
                run("-v", "lookup", "--qr", qr, "--json")
        run("-v", "parse", p["cccd_qr"])
    run("-v", "lookup", "--qr", "garbage 001099012345|x|y|z")  # a bad code lands in a log line too
    assert run("-v", "xml", "export", "--demo", "--out", str(tmp_path / "x.xml")).returncode == 0
    assert run("-v", "print", "sample", "--out", str(tmp_path / "pdf")).returncode == 0
    run("-v", "outbox", "drain")
    files = [f for f in (kiosk_home / "log").rglob("*") if f.is_file()]
    files += [f for f in (kiosk_home / "config").rglob("*") if f.is_file()]
    assert files, "the flow wrote logs"
    text = "\n".join(f.read_text(encoding="utf-8", errors="replace") for f in files)
    assert "card check " in text and "******" in text, "identifiers were logged, masked"
    secrets = {md5_upper(DEFAULT_PASSWORD), md5_upper(DEFAULT_PASSWORD).lower(), "001099012345"}
    for p in people:
        secrets |= {p["cccd"], p["full_name"], p["full_name"].upper()}
        if p["card_number"]:
            secrets.add(p["card_number"])
    leaks = sorted(s for s in secrets if s and s in text)
    assert leaks == [], f"found in logs/settings: {leaks}"
