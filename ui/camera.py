"""The camera of a station: a grabber and the live scanner on worker threads, reporting to the GUI
thread through Qt signals (frames for the preview, coaching, accepted scans, camera state)."""

from __future__ import annotations

import logging
import threading

import cv2
import numpy as np

from scanner.cascade import Cascade, FrameResult
from scanner.errors import CameraError
from scanner.live import LiveScanner, Scan
from scanner.sources import CaptureSource, Frame, FrameSource, Grabber, open_source
from scanner.validator import ScanValidator
from ui.qt import QImage, QObject, Signal

log = logging.getLogger("ui.camera")

PREVIEW_WIDTH = 640


def preview_image(image: np.ndarray, mirror: bool, width: int = PREVIEW_WIDTH) -> QImage:
    """A small RGB copy for the screen, made on the worker thread (the GUI thread only paints it)."""
    h, w = image.shape[:2]
    small = cv2.resize(image, (width, max(1, round(h * width / w))), interpolation=cv2.INTER_AREA)
    if mirror:
        small = cv2.flip(small, 1)
    rgb = cv2.cvtColor(small, cv2.COLOR_BGR2RGB)
    return QImage(rgb.data, rgb.shape[1], rgb.shape[0], rgb.strides[0], QImage.Format.Format_RGB888).copy()


class CameraController(QObject):
    frame_ready = Signal(QImage)
    advice = Signal(str, str)  # vi, en
    scanned = Signal(object)  # Scan
    state_changed = Signal(str, str, str)  # state, vi, en

    def __init__(self, engines: list[str], confirm_frames: int, quiet_seconds: float,
                 *, mirror: bool = True, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.engines = engines
        self.validator = ScanValidator(confirm_frames, quiet_seconds)
        self.mirror = mirror
        self._stop = threading.Event()
        self._grabber: Grabber | None = None
        self._worker: threading.Thread | None = None
        self.source_name = ""
        self.frame_times: dict[int, float] = {}  # frame index -> grab time (benchmarks)

    def start(self, source: FrameSource | str) -> None:
        self.stop()
        if isinstance(source, str):
            try:
                source = open_source(source)
            except CameraError as exc:
                self.state_changed.emit("error", exc.vi, exc.en)
                return
        self.source_name = source.name
        self._stop = threading.Event()
        self._grabber = Grabber(source, pace=isinstance(source, CaptureSource) and not isinstance(source.target, int),
                                on_state=self._on_state).start()
        scanner = LiveScanner(Cascade(self.engines), self.validator)
        self._worker = threading.Thread(target=scanner.run, args=(self._grabber, self._stop, self._on_scan,
                                                                  self._on_frame), name="scanner", daemon=True)
        self._worker.start()

    def stop(self) -> None:
        self._stop.set()
        if self._worker is not None:
            self._worker.join(timeout=3)
            self._worker = None
        if self._grabber is not None:
            self._grabber.stop()
            self._grabber = None

    def _on_state(self, state: str, error: Exception | None) -> None:
        vi, en = ({"running": ("Camera đang hoạt động", "Camera running"),
                   "reconnecting": ("Mất camera — đang kết nối lại…", "Camera lost — reconnecting…"),
                   "ended": ("Nguồn hình đã hết", "The video has ended")}).get(state, (state, state))
        if isinstance(error, CameraError):
            vi, en = f"{vi} ({error.vi})", f"{en} ({error.en})"
        self.state_changed.emit(state, vi, en)

    def _on_frame(self, frame: Frame, result: FrameResult) -> None:
        if len(self.frame_times) > 2000:
            self.frame_times.clear()
        self.frame_times[frame.index] = frame.timestamp
        self.frame_ready.emit(preview_image(frame.image, self.mirror))
        self.advice.emit(result.advice.vi, result.advice.en)

    def _on_scan(self, scan: Scan) -> None:
        self.scanned.emit(scan)

    def reset(self) -> None:
        """Forget recent codes (after a patient is done) so the same card is welcome again."""
        self.validator.reset()
