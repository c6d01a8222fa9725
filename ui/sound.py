"""Short sounds for the stations (scan beep, board chime), written once as WAV files and played
with QSoundEffect; silent where the machine has no audio output."""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

from ui.qt import QObject, QSoundEffect, QUrl

RATE = 22050


def _tone_file(path: Path, notes: list[tuple[float, float]], volume: float = 0.5) -> Path:
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = bytearray()
    for freq, seconds in notes:
        n = int(RATE * seconds)
        for i in range(n):
            fade = min(1.0, i / 200, (n - i) / 400)
            frames += struct.pack("<h", int(32767 * volume * fade * math.sin(2 * math.pi * freq * i / RATE)))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(bytes(frames))
    return path


class Sounds(QObject):
    def __init__(self, folder: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.beep = self._effect(_tone_file(folder / "beep.wav", [(1320.0, 0.12)]))
        self.chime = self._effect(_tone_file(folder / "chime.wav", [(784.0, 0.25), (988.0, 0.25), (1175.0, 0.4)]))

    def _effect(self, path: Path) -> QSoundEffect:
        effect = QSoundEffect(self)
        effect.setSource(QUrl.fromLocalFile(str(path)))
        effect.setVolume(0.8)
        return effect
