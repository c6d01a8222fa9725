"""The live loop: newest frame -> cascade -> validator -> parsed payload, on a worker thread.

Used by the reception window, the kiosk and ``clinic-kiosk scan --camera``; it never touches the
screen: it calls ``on_frame`` (coaching for every decoded frame) and ``on_scan`` (accepted codes).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from scanner.cascade import Cascade, FrameResult
from scanner.payloads import Payload, parse_payload
from scanner.sources import Frame, FrameSource, Grabber
from scanner.validator import ScanValidator


@dataclass(frozen=True)
class Scan:
    payload: Payload
    frame_index: int
    frame_time: float  # monotonic time the frame was grabbed
    ms: float  # decode time of the accepting frame


class LiveScanner:
    def __init__(
        self,
        cascade: Cascade,
        validator: ScanValidator,
        *,
        slip_key: bytes | None = None,
    ) -> None:
        self.cascade = cascade
        self.validator = validator
        self.slip_key = slip_key

    def process(self, frame: Frame) -> tuple[FrameResult, Scan | None]:
        result = self.cascade.decode_frame(frame.image)
        accepted = self.validator.feed(result.text)
        if accepted is None:
            return result, None
        payload = parse_payload(accepted, slip_key=self.slip_key)
        return result, Scan(payload, frame.index, frame.timestamp, result.ms)

    def run(
        self,
        grabber: Grabber,
        stop: threading.Event,
        on_scan: Callable[[Scan], None],
        on_frame: Callable[[Frame, FrameResult], None] | None = None,
        *,
        max_fps: float = 15.0,
    ) -> None:
        """Decode the newest frames until ``stop`` is set or a finite source ends.

        ``max_fps`` caps the decode rate: a 30 fps camera needs no more than 15 decodes a second
        to confirm a code within 2 frames, and the cap keeps the loop under half a core.
        """
        min_interval = 1.0 / max_fps if max_fps > 0 else 0.0
        while not stop.is_set():
            started = time.monotonic()
            frame = grabber.latest(timeout=0.25)
            if frame is None:
                if not grabber.alive:
                    return
                continue
            result, scan = self.process(frame)
            if on_frame is not None:
                on_frame(frame, result)
            if scan is not None:
                on_scan(scan)
            wait = min_interval - (time.monotonic() - started)
            if wait > 0 and grabber.source.live:
                stop.wait(wait)


def scan_video(
    source: FrameSource,
    cascade: Cascade,
    *,
    confirm_frames: int = 2,
    quiet_seconds: float = 10.0,
    slip_key: bytes | None = None,
) -> Iterator[Scan]:
    """Every frame of a finite source, in order, timed by its own frame rate; yields accepted scans."""
    fps = getattr(source, "fps", 0.0) or 30.0
    clock_now = [0.0]
    validator = ScanValidator(confirm_frames, quiet_seconds, clock=lambda: clock_now[0])
    scanner = LiveScanner(cascade, validator, slip_key=slip_key)
    for index, image in enumerate(source):
        clock_now[0] = index / fps
        _, scan = scanner.process(Frame(image, index, clock_now[0]))
        if scan is not None:
            yield scan
