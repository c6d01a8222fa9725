"""Acceptance of a scan: the same text on N frames, then silence for that text for a while.

One frame can be misread; N frames agreeing cannot (default 2; typed scanner input needs 1). After
acceptance, the same code is not accepted again within ``quiet_seconds``, so a card held in front of
the camera checks the patient in once.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable


def _digest(text: str) -> bytes:
    """Accepted codes are remembered by digest: no personal data waits out the quiet time in memory."""
    return hashlib.sha256(text.encode("utf-8")).digest()


class ScanValidator:
    def __init__(
        self,
        confirm_frames: int = 2,
        quiet_seconds: float = 10.0,
        *,
        window_seconds: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.confirm_frames = max(1, confirm_frames)
        self.quiet_seconds = quiet_seconds
        self.window_seconds = window_seconds  # sightings further apart than this start again
        self._clock = clock
        self._seen: dict[str, tuple[int, float]] = {}
        self._accepted: dict[bytes, float] = {}

    def feed(self, text: str | None) -> str | None:
        """One frame's decoded text (or None); returns the text when it is accepted now."""
        now = self._clock()
        self._expire(now)
        if not text:
            return None
        count, last = self._seen.get(text, (0, now))
        count = count + 1 if now - last <= self.window_seconds else 1
        self._seen[text] = (count, now)
        digest = _digest(text)
        if count < self.confirm_frames or digest in self._accepted:
            return None
        self._accepted[digest] = now
        del self._seen[text]
        return text

    def _expire(self, now: float) -> None:
        self._accepted = {t: at for t, at in self._accepted.items() if now - at < self.quiet_seconds}
        self._seen = {t: v for t, v in self._seen.items() if now - v[1] <= self.window_seconds}

    def reset(self) -> None:
        """Forget the codes being confirmed (their text); accepted codes stay quiet, by digest only."""
        self._seen.clear()

    def forget_all(self) -> None:
        """Forget everything, the quiet time included: the same code is welcome again at once."""
        self._seen.clear()
        self._accepted.clear()
