"""``clinic-kiosk scan`` and ``clinic-kiosk parse`` as processes, with exact JSON field names."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2

from scanner.synth import Scene, empty_scene, render_scene
from tests.scanner.test_sources import write_video

BIN = Path(sys.executable).with_name("clinic-kiosk")
CCCD = "001099012345|123456789|NGUYỄN VĂN AN|15081999|Nam|Số 1 phố Kim Mã, Phường Ba Đình, Hà Nội|20042021"
SCAN_KEYS = ["source", "ok", "kind", "text", "fields", "error", "ms"]


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, input=stdin, timeout=120,
                          env=os.environ.copy())


def lines(result: subprocess.CompletedProcess[str]) -> list[dict]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_scan_images_one_json_line_each(tmp_path: Path) -> None:
    card = tmp_path / "card.jpg"
    cv2.imwrite(str(card), render_scene(CCCD, Scene(width=1280, height=720, tilt=0.1, angle=7)))
    desk = tmp_path / "desk.png"
    cv2.imwrite(str(desk), empty_scene(640, 480))
    result = run("scan", "--json", str(card), str(desk))
    assert result.returncode == 0, result.stderr
    first, second = lines(result)
    assert list(first) == SCAN_KEYS
    assert first["ok"] and first["kind"] == "cccd" and first["text"] == CCCD
    assert first["fields"]["full_name"] == "NGUYỄN VĂN AN" and first["source"] == str(card)
    assert second["ok"] is False and second["kind"] is None and second["error"]


def test_scan_exits_1_when_nothing_was_read(tmp_path: Path) -> None:
    desk = tmp_path / "desk.png"
    cv2.imwrite(str(desk), empty_scene(640, 480))
    result = run("scan", "--json", str(desk))
    assert result.returncode == 1
    assert lines(result)[0]["ok"] is False


def test_scan_video_prints_each_accepted_scan(tmp_path: Path) -> None:
    frames = [empty_scene(640, 480)] * 5
    frames += [render_scene(CCCD, Scene(width=640, height=480, code_fraction=0.5, seed=i)) for i in range(10)]
    video = write_video(tmp_path / "v.avi", frames)
    result = run("scan", "--json", str(video))
    assert result.returncode == 0, result.stderr
    (record,) = lines(result)
    assert record["source"].startswith(f"{video}#frame=") and record["text"] == CCCD


def test_parse_argument_and_stdin() -> None:
    result = run("parse", "--json", CCCD)
    assert result.returncode == 0
    record = json.loads(result.stdout)
    assert list(record) == ["ok", "kind", "text", "fields", "error"]
    assert record["fields"]["id_number"] == "001099012345"
    from_stdin = run("parse", "--json", stdin=CCCD + "\r\n")
    assert json.loads(from_stdin.stdout)["fields"] == record["fields"]


def test_parse_unknown_text_is_masked_and_exits_1() -> None:
    result = run("parse", "--json", "patient 001099012345 NGUYỄN")
    assert result.returncode == 1
    record = json.loads(result.stdout)
    assert record["kind"] is None and "001099012345" not in record["text"]
    assert "Not an ID-card" in record["error"]


def test_parse_a_slip_printed_by_this_installation() -> None:
    from kiosk.settings import Settings
    from kiosk.store.opening import open_store
    from scanner.payloads import make_slip

    with open_store(Settings().db_path()) as store:
        key = store.installation_secret("slip_key")
    slip = make_slip(key, "01013", "visit", "01013-2611220001")
    record = json.loads(run("parse", "--json", slip).stdout)
    assert record["ok"] and record["kind"] == "slip" and record["fields"]["reference"] == "01013-2611220001"


def test_scan_camera_url_prints_accepted_scans_live(tmp_path: Path) -> None:
    """An IP camera (MJPEG over HTTP on loopback): scans are printed as they are accepted."""
    from tests.scanner.mjpeg_server import MjpegCamera

    frames = [empty_scene(640, 480)] * 3
    frames += [render_scene(CCCD, Scene(width=640, height=480, code_fraction=0.5, seed=i)) for i in range(6)]
    with MjpegCamera(frames, fps=15, seconds=30) as camera:
        with subprocess.Popen([str(BIN), "scan", "--json", "--camera", camera.url], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=os.environ.copy()) as proc:
            try:
                line = proc.stdout.readline()
            finally:
                proc.terminate()
                proc.communicate(timeout=10)
    record = json.loads(line)
    assert record["ok"] and record["text"] == CCCD and record["source"] == camera.url
