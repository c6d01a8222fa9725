"""A small MJPEG-over-HTTP camera on loopback (what an IP camera's /video.mjpg serves)."""

from __future__ import annotations

import socketserver
import threading
import time
from http.server import BaseHTTPRequestHandler

import cv2
import numpy as np


class MjpegCamera:
    def __init__(self, frames: list[np.ndarray], fps: float = 15.0, seconds: float = 20.0) -> None:
        self.jpegs = [cv2.imencode(".jpg", f)[1].tobytes() for f in frames]
        self.fps = fps
        self.seconds = seconds  # a bounded stream: the server stops by itself
        camera = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                if not camera.online.is_set():  # unplugged: the connection just closes
                    self.close_connection = True
                    return
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                end = time.monotonic() + camera.seconds
                i = 0
                try:
                    while time.monotonic() < end and not camera.stopped.is_set() and camera.online.is_set():
                        jpeg = camera.jpegs[i % len(camera.jpegs)]
                        self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\n")
                        self.wfile.write(f"Content-Length: {len(jpeg)}\r\n\r\n".encode() + jpeg + b"\r\n")
                        i += 1
                        time.sleep(1 / camera.fps)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.stopped = threading.Event()
        self.online = threading.Event()
        self.online.set()
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/video.mjpg"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def unplug(self) -> None:
        """The cable is pulled: the stream stops mid-frame and new connections get nothing."""
        self.online.clear()

    def plug(self, frames: list[np.ndarray] | None = None) -> None:
        if frames is not None:
            self.jpegs = [cv2.imencode(".jpg", f)[1].tobytes() for f in frames]
        self.online.set()

    def __enter__(self) -> MjpegCamera:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.server.shutdown()
        self.server.server_close()
