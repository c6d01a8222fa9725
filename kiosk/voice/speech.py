"""Speech and chime as WAV files, without Qt: espeak-ng's Vietnamese voice (``espeak-ng -v vi``) writes the spoken
text, the chime is drawn here, and a board call is one file (chime, a short pause, the words) so nothing can play
over it. Played here only for the command line; the board plays the files itself."""

from __future__ import annotations

import array
import math
import os
import shutil
import subprocess
import sys
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

from kiosk.errors import BadInput, KioskError

RATE = 22050  # espeak-ng's rate: the chime is drawn at it, so the two join without resampling
WORDS_PER_MINUTE = 140  # slower than espeak-ng's 175: a hall, a loudspeaker, people not yet listening
CHIME = ((784.0, 0.25), (988.0, 0.25), (1175.0, 0.4))  # G5 B5 D6, rising: "a call follows"
BEEP = ((1320.0, 0.12),)
PAUSE_AFTER_CHIME_S = 0.3
MAX_CHARS = 500


class NoSpeechEngine(KioskError):
    """No speech engine on this PC (exit 3)."""

    exit_code = 3


class NoSoundOutput(KioskError):
    """The speech was made but this PC could not play it (exit 4, as a printer that did not take a job)."""

    exit_code = 4


@dataclass(frozen=True)
class Measure:
    seconds: float
    rms: float  # root mean square of the samples, 0..1 of full scale
    peak: float


def engine() -> str | None:
    """The espeak-ng program, when installed (``apt-get install espeak-ng``)."""
    return shutil.which("espeak-ng")


def _no_engine() -> NoSpeechEngine:
    return NoSpeechEngine(
        "Máy này chưa có bộ đọc tiếng nói (espeak-ng). Cài bằng: sudo apt-get install espeak-ng",
        "No speech engine on this PC (espeak-ng). Install it with: sudo apt-get install espeak-ng",
    )


def clean_text(text: str) -> str:
    """One line of readable text, or BadInput: empty text, control characters, too long."""
    text = " ".join((text or "").split())
    if not text:
        raise BadInput("Chưa có nội dung để đọc.", "Nothing to say: the text is empty.")
    if any(ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 or 0x202A <= ord(ch) <= 0x202E for ch in text):
        raise BadInput("Nội dung có ký tự điều khiển.", "The text holds control characters.")
    if len(text) > MAX_CHARS:
        raise BadInput(f"Nội dung quá dài (tối đa {MAX_CHARS} ký tự).", f"Text too long (at most {MAX_CHARS}).")
    return text


def tone(notes: tuple[tuple[float, float], ...], rate: int = RATE, volume: float = 0.5) -> bytes:
    """16-bit mono samples of the notes, each faded in and out so nothing clicks."""
    samples = array.array("h")
    for freq, seconds in notes:
        n = int(rate * seconds)
        fade_in, fade_out = rate / 110, rate / 55
        samples.extend(
            int(32767 * volume * min(1.0, i / fade_in, (n - i) / fade_out) * math.sin(2 * math.pi * freq * i / rate))
            for i in range(n)
        )
    if sys.byteorder == "big":
        samples.byteswap()
    return samples.tobytes()


def _write(path: Path, frames: bytes, rate: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)
    return path


def write_tone(path: Path, notes: tuple[tuple[float, float], ...]) -> Path:
    return _write(path, tone(notes), RATE)


def synthesize(text: str, out: Path, *, chime: bool = False, words_per_minute: int = WORDS_PER_MINUTE) -> Path:
    """Write ``text`` spoken by the Vietnamese voice to the WAV file ``out`` (after the chime with ``chime``)."""
    text = clean_text(text)
    program = engine()
    if program is None:
        raise _no_engine()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, raw_name = tempfile.mkstemp(suffix=".wav", dir=out.parent)
    os.close(fd)
    raw = Path(raw_name)
    try:
        result = subprocess.run(  # the text on stdin (-b 1: UTF-8), never as an option
            [program, "-v", "vi", "-s", str(words_per_minute), "-b", "1", "--stdin", "-w", str(raw)],
            input=text.encode("utf-8"), capture_output=True, timeout=60, check=False)
        if result.returncode != 0 or raw.stat().st_size <= 44:
            raise KioskError("Bộ đọc tiếng nói không tạo được âm thanh.", "The speech engine made no sound: "
                             + result.stderr.decode("utf-8", "replace").strip()[:200])
        with wave.open(str(raw), "rb") as w:
            rate, width, channels = w.getframerate(), w.getsampwidth(), w.getnchannels()
            speech = w.readframes(w.getnframes())
        if (width, channels) != (2, 1):
            raise KioskError("Bộ đọc tiếng nói trả về định dạng lạ.", f"Unexpected speech format {width}x{channels}")
        frames = tone(CHIME, rate) + bytes(2 * int(rate * PAUSE_AFTER_CHIME_S)) if chime else b""
        _write(out, frames + speech, rate)
    finally:
        raw.unlink(missing_ok=True)
    return out


def measure(path: Path) -> Measure:
    """Duration and loudness of a 16-bit WAV file (what ``sox FILE -n stat`` calls length and RMS amplitude)."""
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            raise BadInput("Chỉ đo được WAV 16-bit.", "Only 16-bit WAV files can be measured.")
        rate, frames = w.getframerate() * w.getnchannels(), w.readframes(w.getnframes())
    samples = array.array("h", frames)
    if sys.byteorder == "big":
        samples.byteswap()
    if not samples:
        return Measure(0.0, 0.0, 0.0)
    rms = math.sqrt(sum(s * s for s in samples) / len(samples)) / 32768
    return Measure(len(samples) / rate, rms, max(abs(min(samples)), max(samples)) / 32768)


def player() -> list[str] | None:
    """A program that plays a WAV file on this PC's sound output and says when it could not."""
    for name, args in (("paplay", []), ("aplay", ["-q"]), ("play", ["-q"])):
        path = shutil.which(name)
        if path:
            return [path, *args]
    return None


def speak(text: str, *, chime: bool = False) -> float:
    """Say ``text`` aloud on this PC; the seconds it lasted. NoSoundOutput when the PC has no sound output."""
    text = clean_text(text)
    if engine() is None:
        raise _no_engine()
    with tempfile.TemporaryDirectory(prefix="clinic-kiosk-voice-") as folder:
        wav = synthesize(text, Path(folder) / "say.wav", chime=chime)
        seconds = measure(wav).seconds
        command = player()
        if command is None:  # espeak-ng's own output: it cannot tell whether a sound came out
            command = [engine() or "espeak-ng", "-v", "vi", "-s", str(WORDS_PER_MINUTE), "-b", "1", "--stdin"]
            result = subprocess.run(command, input=text.encode("utf-8"), capture_output=True, timeout=120,
                                    check=False)
        else:
            result = subprocess.run([*command, str(wav)], capture_output=True, timeout=120, check=False)
    if result.returncode != 0:
        raise NoSoundOutput(
            "Không phát được âm thanh: máy này không có loa hay thiết bị âm thanh. Dùng --out TỆP.wav để ghi ra tệp.",
            "Could not play the sound: this PC has no sound output. Use --out FILE.wav to write a file.",
        )
    return seconds
