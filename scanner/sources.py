"""Frame sources (OpenCV): a camera by index, a video file, an image file or folder, an MJPEG or
RTSP URL; and the grabber thread that keeps only the newest frame.

A camera is asked for the smallest format of at least 1280×720; an unplugged or missing camera
raises ``CameraNotFound`` and the grabber keeps trying to reopen it until it comes back.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from scanner.errors import CameraError, CameraNotFound

log = logging.getLogger("scanner.sources")

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".pgm", ".ppm"}
VIDEO_SUFFIXES = {".mp4", ".avi", ".mkv", ".mov", ".webm", ".m4v", ".mjpeg", ".mjpg"}
# Formats cameras commonly offer, smallest first: the first that reaches 1280×720 is asked for.
CAMERA_FORMATS = ((1280, 720), (1600, 900), (1920, 1080), (2560, 1440), (3840, 2160))


@dataclass(frozen=True)
class Frame:
    image: np.ndarray
    index: int  # position in the source (frame number)
    timestamp: float  # time.monotonic() when grabbed


def camera_backend() -> int:
    if sys.platform.startswith("linux"):
        return cv2.CAP_V4L2
    if sys.platform == "win32":
        return cv2.CAP_MSMF
    if sys.platform == "darwin":
        return cv2.CAP_AVFOUNDATION
    return cv2.CAP_ANY


class FrameSource:
    """Base: ``open()``, ``read()`` (None at the end), ``close()``; ``live`` sources never end."""

    live = False
    name = "source"

    def open(self) -> None: ...

    def read(self) -> np.ndarray | None:
        raise NotImplementedError

    def close(self) -> None: ...

    def __iter__(self) -> Iterator[np.ndarray]:
        self.open()
        try:
            while (image := self.read()) is not None:
                yield image
        finally:
            self.close()


class ImageSource(FrameSource):
    """One image file, or every image of a folder in name order."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.name = str(self.path)
        self._files: list[Path] = []

    def open(self) -> None:
        if self.path.is_dir():
            self._files = sorted(p for p in self.path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        elif self.path.is_file():
            self._files = [self.path]
        else:
            raise CameraNotFound(f"Không có tệp ảnh {self.path}", f"No image file {self.path}")

    def read(self) -> np.ndarray | None:
        while self._files:
            path = self._files.pop(0)
            image = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if image is not None:
                return image
            log.warning("not an image, skipped: %s", path.name)
        return None


class CaptureSource(FrameSource):
    """A cv2.VideoCapture: camera index, video file or stream URL."""

    def __init__(self, target: int | str, *, live: bool, backend: int = cv2.CAP_ANY, loop: bool = False) -> None:
        self.target = target
        self.live = live
        self.loop = loop  # a video file that starts again at its end (the demo camera)
        self.backend = backend
        self.name = f"camera {target}" if isinstance(target, int) else str(target)
        self._cap: cv2.VideoCapture | None = None
        self.size: tuple[int, int] = (0, 0)
        self.fps = 0.0

    def open(self) -> None:
        self.close()
        cap = cv2.VideoCapture(self.target, self.backend)
        if not cap.isOpened():
            cap.release()
            raise CameraNotFound(
                f"Không mở được camera/nguồn hình {self.name}", f"Cannot open the camera or source {self.name}"
            )
        if isinstance(self.target, int):
            self._choose_format(cap)
        self.size = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
        self.fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self._cap = cap

    @staticmethod
    def _choose_format(cap: cv2.VideoCapture) -> None:
        """Ask for the smallest listed format of at least 1280×720 that the camera accepts."""
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        for width, height in CAMERA_FORMATS:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
            got = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
            if got[0] >= 1280 and got[1] >= 720:
                return

    def read(self) -> np.ndarray | None:
        if self._cap is None:
            raise CameraError("Nguồn hình chưa mở", "The frame source is not open")
        ok, image = self._cap.read()
        if (not ok or image is None) and self.loop:
            self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, image = self._cap.read()
        if not ok or image is None:
            if self.live:
                raise CameraNotFound(
                    f"Mất tín hiệu từ {self.name} (camera bị rút?)", f"Lost the signal from {self.name} (unplugged?)"
                )
            return None
        return image

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None


def open_source(spec: str | int | Path) -> FrameSource:
    """``0`` (camera index), ``rtsp://…``/``http://…`` (IP camera), a video file, an image or folder."""
    text = str(spec).strip()
    if text.isdigit():
        return CaptureSource(int(text), live=True, backend=camera_backend())
    if "://" in text:
        return CaptureSource(text, live=True, backend=cv2.CAP_FFMPEG)
    path = Path(text)
    if path.is_dir() or path.suffix.lower() in IMAGE_SUFFIXES:
        return ImageSource(path)
    if not path.exists():
        raise CameraNotFound(f"Không có tệp {path}", f"No such file {path}")
    return CaptureSource(str(path), live=False)


class Grabber:
    """Reads a source on its own thread and keeps only the newest frame.

    ``latest()`` returns a frame not handed out before, or None, so the decoder never works on a
    backlog. A live source that fails is reopened every ``reconnect_seconds``; ``state`` says
    "running", "reconnecting" or "ended", and ``error`` the last error, for the screen to show.
    With ``pace=True`` a video file plays at its own frame rate (a video standing in for a camera).
    """

    def __init__(
        self,
        source: FrameSource,
        *,
        reconnect_seconds: float = 1.0,
        pace: bool = False,
        on_state: Callable[[str, Exception | None], None] | None = None,
    ) -> None:
        self.source = source
        self.reconnect_seconds = reconnect_seconds
        self.pace = pace
        self.on_state = on_state
        self.state = "starting"
        self.error: Exception | None = None
        self._frame: Frame | None = None
        self._handed = -1
        self._lock = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"grabber:{source.name}", daemon=True)
        self.frames_read = 0

    def start(self) -> Grabber:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _set_state(self, state: str, error: Exception | None = None) -> None:
        if state != self.state or error is not self.error:
            self.state, self.error = state, error
            if self.on_state:
                self.on_state(state, error)

    def _open(self) -> bool:
        try:
            self.source.open()
        except CameraError as exc:
            self._set_state("reconnecting", exc)
            return False
        self._set_state("running")
        return True

    def _run(self) -> None:
        opened = self._open()
        index = 0
        interval = 0.0
        fps = getattr(self.source, "fps", 0.0)
        if self.pace and fps > 0:
            interval = 1.0 / fps
        next_at = time.monotonic()
        while not self._stop.is_set():
            if not opened:
                if not self.source.live:
                    self._set_state("ended", self.error)
                    break
                self._stop.wait(self.reconnect_seconds)
                opened = self._open()
                continue
            try:
                image = self.source.read()
            except CameraError as exc:
                log.warning("frame source lost: %s", exc.en)
                self.source.close()
                opened = False
                self._set_state("reconnecting", exc)
                continue
            if image is None:
                self._set_state("ended")
                break
            with self._lock:
                self._frame = Frame(image, index, time.monotonic())
                self._lock.notify_all()
            index += 1
            self.frames_read = index
            if interval:
                next_at += interval
                delay = next_at - time.monotonic()
                if delay > 0:
                    self._stop.wait(delay)
        self.source.close()
        with self._lock:
            self._lock.notify_all()

    def latest(self, timeout: float = 0.0) -> Frame | None:
        """The newest frame not handed out yet; waits up to ``timeout`` seconds for one."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._frame is None or self._frame.index == self._handed:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (self.state == "ended" and not self._thread.is_alive()):
                    return None
                self._lock.wait(remaining)
            self._handed = self._frame.index
            return self._frame

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()
