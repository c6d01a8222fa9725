"""Frame sources and the grabber, with real image folders and real video files (OpenCV)."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from scanner.cascade import Cascade
from scanner.errors import CameraNotFound
from scanner.live import scan_video
from scanner.sources import CaptureSource, Grabber, ImageSource, open_source
from scanner.synth import Scene, empty_scene, render_scene

CCCD = "079304000111||TRẦN THỊ BÌNH|02022004|Nữ|12 Lê Lợi, Phường Sài Gòn, TP Hồ Chí Minh|10072024"


def write_video(path: Path, frames: list[np.ndarray], fps: float = 15.0) -> Path:
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
    assert writer.isOpened()
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


@pytest.fixture
def video(tmp_path: Path) -> Path:
    """One second of desk, two seconds of a card, one second of desk, at 15 fps, 640×480."""
    empty = empty_scene(640, 480)
    card = [render_scene(CCCD, Scene(width=640, height=480, code_fraction=0.5, seed=i, angle=i)) for i in range(30)]
    return write_video(tmp_path / "clip.avi", [empty] * 15 + card + [empty] * 15)


def test_image_folder_yields_images_in_name_order(tmp_path: Path) -> None:
    for i in (2, 1):
        cv2.imwrite(str(tmp_path / f"{i}.png"), np.full((10, 10 * i, 3), 255, np.uint8))
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "broken.png").write_bytes(b"not a png")
    widths = [img.shape[1] for img in ImageSource(tmp_path)]
    assert widths == [10, 20]


def test_open_source_kinds(tmp_path: Path, video: Path) -> None:
    assert isinstance(open_source("0"), CaptureSource) and open_source("0").live
    assert open_source("rtsp://127.0.0.1:8554/cam").live
    assert not open_source(video).live
    assert isinstance(open_source(tmp_path), ImageSource)
    with pytest.raises(CameraNotFound):
        open_source(tmp_path / "missing.mp4")


def test_missing_camera_is_a_typed_error() -> None:
    source = open_source("97")
    with pytest.raises(CameraNotFound) as err:
        source.open()
    assert "camera 97" in err.value.en and err.value.vi


def test_video_gives_one_accepted_scan(video: Path) -> None:
    scans = list(scan_video(open_source(video), Cascade(), confirm_frames=2, quiet_seconds=10))
    assert len(scans) == 1
    assert scans[0].payload.ok and scans[0].payload.text == CCCD
    assert 15 <= scans[0].frame_index <= 17, "accepted on the second frame that shows the code"


def test_grabber_keeps_only_the_newest_frame(video: Path) -> None:
    grabber = Grabber(open_source(video)).start()
    deadline = time.monotonic() + 10
    while grabber.alive and time.monotonic() < deadline:  # a slow consumer: the reader runs ahead
        time.sleep(0.05)
    assert grabber.frames_read == 60
    last = grabber.latest(timeout=0.5)
    grabber.stop()
    assert last is not None and last.index == 59, "the newest frame, with the backlog skipped"
    assert grabber.latest(timeout=0.1) is None, "a frame is handed out once"


def test_paced_video_plays_at_its_own_frame_rate(video: Path) -> None:
    grabber = Grabber(open_source(video), pace=True).start()
    try:
        assert grabber.latest(timeout=2) is not None
        time.sleep(0.5)
        assert grabber.alive and grabber.frames_read < 40, "15 fps: about 8 frames in half a second"
    finally:
        grabber.stop()


def test_live_source_that_disappears_reconnects_by_itself(tmp_path: Path, video: Path) -> None:
    """A live stream that is lost comes back without a restart (a looping video stands in for the camera)."""
    states: list[str] = []
    stream = tmp_path / "camera.avi"
    video.rename(stream)
    source = CaptureSource(str(stream), live=True)
    grabber = Grabber(source, reconnect_seconds=0.1, on_state=lambda s, e: states.append(s)).start()
    try:
        assert grabber.latest(timeout=3) is not None
        hidden = stream.rename(tmp_path / "unplugged.avi")
        deadline = time.monotonic() + 10
        while "reconnecting" not in states and time.monotonic() < deadline:
            grabber.latest(timeout=0.1)
        assert "reconnecting" in states
        assert isinstance(grabber.error, CameraNotFound)
        hidden.rename(stream)  # plugged back in
        deadline = time.monotonic() + 10
        while states[-1] != "running" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert states[-1] == "running"
        assert grabber.latest(timeout=3) is not None
    finally:
        grabber.stop()
