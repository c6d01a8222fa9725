"""``clinic-kiosk voice``: the board's voice written to a WAV file and measured, and the exit codes a script sees."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.voice.speech import measure

BIN = Path(sys.executable).with_name("clinic-kiosk")
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                  reason="espeak-ng is not installed (scripts/setup.sh installs it)")


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, timeout=60,
                          env=env or os.environ.copy())


@needs_espeak
def test_say_writes_a_wav_that_holds_speech(tmp_path: Path) -> None:
    out = tmp_path / "call.wav"
    result = run("voice", "say", "Mời số A 0 1 đến phòng khám số 2", "--out", str(out))
    assert result.returncode == 0, result.stderr
    sound = measure(out)
    assert sound.seconds > 0.5
    assert sound.rms > 0.03, "well above silence (a silent file is 0, hiss about 0.001)"
    assert f"{sound.seconds:.2f} s" in result.stdout
    if shutil.which("sox"):  # the same numbers from an independent reader
        stat = subprocess.run(["sox", str(out), "-n", "stat"], capture_output=True, text=True, check=True).stderr
        length = float(re.search(r"Length \(seconds\):\s+([\d.]+)", stat).group(1))
        rms = float(re.search(r"RMS\s+amplitude:\s+([\d.]+)", stat).group(1))
        assert length == pytest.approx(sound.seconds, abs=0.01) and length > 0.5
        assert rms == pytest.approx(sound.rms, abs=0.005) and rms > 0.03


@needs_espeak
def test_call_says_the_number_digit_by_digit_after_the_chime(tmp_path: Path) -> None:
    words, call = tmp_path / "words.wav", tmp_path / "call.wav"
    result = run("voice", "call", "A01", "2", "--out", str(call))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "Mời số a không một, đến phòng hai."
    assert run("voice", "say", "Mời số a không một, đến phòng hai.", "--out", str(words)).returncode == 0
    assert measure(call).seconds - measure(words).seconds == pytest.approx(0.9 + 0.3, abs=0.05), "chime and pause"


def test_empty_text_is_refused_with_exit_1() -> None:
    result = run("voice", "say", "   ")
    assert result.returncode == 1
    assert "Chưa có nội dung để đọc" in result.stderr


def test_without_a_speech_engine_exit_3_says_what_to_install(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": str(tmp_path)}  # no espeak-ng on this PATH
    result = run("voice", "say", "Xin chào", "--out", str(tmp_path / "x.wav"), env=env)
    assert result.returncode == 3
    assert "chưa có bộ đọc tiếng nói" in result.stderr and "apt-get install espeak-ng" in result.stderr
    assert not (tmp_path / "x.wav").exists()
