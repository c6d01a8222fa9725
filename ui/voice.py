"""Spoken prompts (QTextToSpeech) where the system has a voice; silent otherwise."""

from __future__ import annotations

import logging

from ui.qt import QObject, QTextToSpeech

log = logging.getLogger("ui.voice")


class Voice(QObject):
    def __init__(self, enabled: bool, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._speech = None
        if not enabled:
            return
        if QTextToSpeech.availableEngines():
            self._speech = QTextToSpeech(self)
        if self._speech is None:
            log.info("no text-to-speech voice on this system: prompts stay silent")

    @property
    def available(self) -> bool:
        return self._speech is not None

    def say(self, text: str) -> None:
        if self._speech is not None:
            self._speech.say(text)
