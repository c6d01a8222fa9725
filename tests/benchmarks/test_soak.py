"""The busy-day drill, small: station processes killed and restarted, a faulty gateway and an
on-and-off printer, and still nothing lost and nothing twice (the full run: 500 patients)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SOAK = Path(__file__).resolve().parents[2] / "benchmarks" / "soak.py"


@pytest.mark.slow
def test_small_busy_day_loses_nothing() -> None:
    done = subprocess.run([sys.executable, str(SOAK), "--patients", "40", "--stations", "4", "--max-minutes", "4",
                           "--seed", "3"], capture_output=True, text=True, timeout=400)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    verdict = {k: result.get(k) for k in ("lost", "duplicated", "duplicate_numbers", "timed_out", "audit_chain_ok",
                                          "visits_finalised", "visits_accepted", "visits_pending", "crashes")}
    assert done.returncode == 0, (verdict, done.stderr[-2000:])
    assert result["patients"] == 40 and result["visits_finalised"] == 40
    assert result["lost"] == 0 and result["duplicated"] == 0 and result["duplicate_numbers"] == 0
    assert result["visits_accepted"] + result["visits_pending"] == 40
    assert result["audit_chain_ok"] and result["crashes"] == 0
    assert result["kills"] >= 1, "the drill must have killed a station"
    assert sum(result["gateway_faults"].values()) > 0, "the drill must have had gateway faults"
    assert set(result) >= {"patients", "visits_accepted", "visits_pending", "lost", "duplicated", "max_rss_mb"}
    home = Path(result["home"])
    logs = "".join(p.read_text(errors="replace") for p in (home / "station-logs").glob("*.log"))
    assert "Traceback" not in logs
    import shutil

    shutil.rmtree(home, ignore_errors=True)
