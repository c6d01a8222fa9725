"""Spoken prompts and calls, one at a time: the text is made into a WAV file by espeak-ng's Vietnamese voice
(kiosk/voice, off the GUI thread) and played by a QMediaPlayer; what arrives while something plays waits its turn.
Where espeak-ng is missing, Qt's speech engine is used if it has a Vietnamese voice; else calls keep only the chime.

A board call (``announce``) is never dropped while the queue is short; a kiosk prompt (``say``) replaces prompts
not yet started, so a hurried touch does not leave a backlog of stale sentences."""

from __future__ import annotations

import atexit
import itertools
import logging
import shutil
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from kiosk.voice import speech
from ui.background import run_in_background
from ui.qt import QAudioOutput, QLocale, QMediaPlayer, QObject, QTextToSpeech, QTimer, QUrl, Signal

log = logging.getLogger("ui.voice")

MAX_PENDING = 8  # calls waiting beyond this are too late to be useful: the oldest waiting one is left out
_folder: Path | None = None
_serial = itertools.count(1)


def _sound_folder() -> Path:
    """One private folder per process for the WAV files being played (each is deleted once played)."""
    global _folder
    if _folder is None:
        _folder = Path(tempfile.mkdtemp(prefix="clinic-kiosk-voice-"))
        atexit.register(shutil.rmtree, _folder, ignore_errors=True)
    return _folder


@dataclass
class Played:
    """One item as the player played it: monotonic seconds from the player's own start and end signals."""

    text: str
    chime: bool
    started: float = 0.0
    ended: float = 0.0
    seconds: float = 0.0  # the media's duration as the player read it
    ok: bool = False


@dataclass
class _Item:
    text: str
    chime: bool
    droppable: bool
    record: Played = field(init=False)

    def __post_init__(self) -> None:
        self.record = Played(self.text, self.chime)


class Voice(QObject):
    finished = Signal(object)  # a Played, when an item has ended (played, or failed)

    def __init__(self, enabled: bool, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.enabled = enabled
        self._espeak = bool(enabled and speech.engine())
        self._speech: QTextToSpeech | None = None
        if enabled and not self._espeak:
            self._speech = self._qt_voice()
        if enabled and not self.available:
            log.info("no Vietnamese speech engine (espeak-ng) on this system: prompts stay silent")
        self._queue: deque[_Item] = deque()
        self._current: _Item | None = None
        self._player: QMediaPlayer | None = None
        self._files: list[Path] = []
        self._pending_tts = False
        self.played: deque[Played] = deque(maxlen=50)

    def _qt_voice(self) -> QTextToSpeech | None:
        for name in QTextToSpeech.availableEngines():
            tts = QTextToSpeech(name, self)
            locales = [loc for loc in tts.availableLocales() if loc.language() == QLocale.Language.Vietnamese]
            if locales:
                tts.setLocale(locales[0])
                tts.stateChanged.connect(self._tts_state)
                return tts
            tts.deleteLater()
        return None

    @property
    def available(self) -> bool:
        return self._espeak or self._speech is not None

    @property
    def busy(self) -> bool:
        return self._current is not None or bool(self._queue)

    @property
    def pending(self) -> list[str]:
        """The texts not yet played to the end, the one being made or played first."""
        return [item.text for item in ([self._current] if self._current else []) + list(self._queue)]

    @property
    def now_playing(self) -> Played | None:
        """The item the player is playing now (started, not ended)."""
        current = self._current
        return current.record if current is not None and current.record.started else None

    def say(self, text: str) -> None:
        """A prompt: replaces prompts still waiting (never the one playing, never a call)."""
        if not self.available:
            return
        self._queue = deque(item for item in self._queue if not item.droppable)
        self._enqueue(_Item(text, False, True))

    def announce(self, text: str, *, chime: bool = True) -> None:
        """A call: the chime (with ``chime``) and the words, after everything queued before it."""
        if not (self.available or chime):
            return
        waiting = [item for item in self._queue if not item.droppable]
        if len(waiting) >= MAX_PENDING:
            self._queue.remove(waiting[0])
            log.warning("voice: %d calls waiting, the oldest is left out", len(waiting))
        self._enqueue(_Item(text, chime, False))

    def stop(self) -> None:
        self._queue.clear()
        self._current = None
        if self._player is not None:
            self._player.stop()
        if self._speech is not None:
            self._speech.stop()

    def _enqueue(self, item: _Item) -> None:
        self._queue.append(item)
        self._next()

    def _next(self) -> None:
        if self._current is not None or not self._queue:
            return
        item = self._current = self._queue.popleft()
        path = _sound_folder() / f"{next(_serial)}.wav"
        self._files.append(path)
        if self._espeak:
            run_in_background(lambda: speech.synthesize(item.text, path, chime=item.chime),
                              lambda made: self._play(item, made), lambda exc: self._unmade(item, exc), owner=self)
        elif item.chime:  # the chime now; Qt's voice (if any) when it ends
            self._pending_tts = self._speech is not None
            self._play(item, speech.write_tone(path, speech.CHIME))
        elif self._speech is not None:
            self._say_with_qt(item)
        else:
            self._done(item, ok=False)

    def _unmade(self, item: _Item, exc: Exception) -> None:
        log.warning("voice: the speech engine failed (%s)", type(exc).__name__)
        if item.chime:
            path = _sound_folder() / f"{next(_serial)}.wav"
            self._files.append(path)
            self._play(item, speech.write_tone(path, speech.CHIME))
        else:
            self._done(item, ok=False)

    def _media_player(self) -> QMediaPlayer:
        if self._player is None:
            self._player = QMediaPlayer(self)
            self._player.setAudioOutput(QAudioOutput(self._player))
            self._player.playbackStateChanged.connect(self._playback)
            self._player.mediaStatusChanged.connect(self._status)
            self._player.errorOccurred.connect(self._error)
        return self._player

    def _play(self, item: _Item, path: Path) -> None:
        if item is not self._current:  # stopped meanwhile
            return
        player = self._media_player()
        player.setSource(QUrl.fromLocalFile(str(path)))
        player.play()

    def _playback(self, state: QMediaPlayer.PlaybackState) -> None:
        if self._current is not None and state == QMediaPlayer.PlaybackState.PlayingState and not self._current.record.started:
            self._current.record.started = time.monotonic()

    def _status(self, status: QMediaPlayer.MediaStatus) -> None:
        item = self._current
        if item is None or status != QMediaPlayer.MediaStatus.EndOfMedia:
            return
        item.record.seconds = (self._player.duration() if self._player else 0) / 1000
        if self._pending_tts:
            self._pending_tts = False
            self._say_with_qt(item)
            return
        self._done(item, ok=True)

    def _error(self, error: QMediaPlayer.Error, message: str) -> None:
        log.warning("voice: the player failed: %s", message)
        if self._current is not None:
            self._done(self._current, ok=False)

    def _say_with_qt(self, item: _Item) -> None:
        if not item.record.started:
            item.record.started = time.monotonic()
        self._speech.say(item.text)

    def _tts_state(self, state: QTextToSpeech.State) -> None:
        if self._current is not None and state in (QTextToSpeech.State.Ready, QTextToSpeech.State.Error):
            self._done(self._current, ok=state == QTextToSpeech.State.Ready)

    def _done(self, item: _Item, *, ok: bool) -> None:
        if item is not self._current:
            return
        item.record.ended = time.monotonic()
        item.record.ok = ok
        self._current = None
        self.played.append(item.record)
        while self._files:
            self._files.pop().unlink(missing_ok=True)
        self.finished.emit(item.record)
        QTimer.singleShot(0, self, self._next)
