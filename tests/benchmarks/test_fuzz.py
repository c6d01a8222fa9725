"""The atheris run works from the project's venv and finds nothing in a short run of two targets."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

FUZZ = Path(__file__).resolve().parents[2] / "benchmarks" / "fuzz.py"


@pytest.mark.slow
def test_short_atheris_run(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(FUZZ), "--seconds", "6", "--target", "qr_payload", "--target",
                           "gateway_json", "--work", str(tmp_path)], capture_output=True, text=True, timeout=300)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert done.returncode == 0, result
    assert result["crashes"] == 0 and set(result["targets"]) == {"qr_payload", "gateway_json"}
    assert all(t["executions"] > 100 for t in result["targets"].values()), result
    shutil.rmtree(tmp_path / "corpus", ignore_errors=True)
