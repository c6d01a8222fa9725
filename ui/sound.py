"""Short sounds for the stations (scan beep), written once as WAV files and played with QSoundEffect; silent where
the machine has no audio output. The tones are drawn in kiosk/voice (the board's chime is part of its calls, played
by ui/voice.py so that nothing plays over a call)."""

from __future__ import annotations

from pathlib import Path

from kiosk.voice.speech import BEEP, CHIME, write_tone
from ui.qt import QObject, QSoundEffect, QUrl


def _tone_file(path: Path, notes: tuple[tuple[float, float], ...]) -> Path:
    return path if path.exists() else write_tone(path, notes)


class Sounds(QObject):
    def __init__(self, folder: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.beep = self._effect(_tone_file(folder / "beep.wav", BEEP))
        self.chime = self._effect(_tone_file(folder / "chime.wav", CHIME))

    def _effect(self, path: Path) -> QSoundEffect:
        effect = QSoundEffect(self)
        effect.setSource(QUrl.fromLocalFile(str(path)))
        effect.setVolume(0.8)
        return effect
