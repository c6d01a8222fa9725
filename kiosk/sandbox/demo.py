"""Demo data: what ``clinic-kiosk demo prepare`` puts in a new store so the program can be tried.

The demo staff member is the one the built-in sandbox has on its registered-user list (CV 1923), so
card lookups work out of the box. Patients come from the sandbox's synthetic people when scanned.
"""

from __future__ import annotations

from pathlib import Path

from kiosk.sandbox.server import DEFAULT_STAFF
from kiosk.store.sqlite import Store

DEMO_STAFF_USERNAME = "lan"
# Demo accounts (README): the sandbox has the two named people on its registered-user list.
DEMO_ACCOUNTS = (("lan", "receptionist", "demo-lan-2026", "1111"), ("minh", "doctor", "demo-minh-2026", "2222"),
                 ("admin", "admin", "demo-admin-2026", "0000"))
# The demo doctor's practising-certificate number (the demo visit's MA_BAC_SI), printed under his signature.
DEMO_CERTIFICATES = {"minh": "001234/HN-CCHN"}
# The demo doctor's liên thông code at the national prescription system (the sandbox stand-in knows it).
DEMO_ERX_CODES = {"minh": "001234/HN-CCHN"}


def prepare(store: Store) -> bool:
    """Idempotent; returns True when something was added."""
    from kiosk import staff
    from kiosk.security import kiosk_pin

    people = list(DEFAULT_STAFF.items())
    added = False
    for (username, role, password, pin), (cccd, name) in zip(DEMO_ACCOUNTS, [*people, people[0]], strict=True):
        if not store.conn.execute("SELECT 1 FROM staff WHERE username = ?", (username,)).fetchone():
            staff.add(store, "demo", username, name, cccd, role, password, pin, DEMO_CERTIFICATES.get(username, ""),
                      DEMO_ERX_CODES.get(username, ""))
            added = True
        elif DEMO_CERTIFICATES.get(username) and not staff.certificate(store, username):  # a store from before m009
            staff.set_certificate(store, "demo", username, DEMO_CERTIFICATES[username])
            added = True
    for username, code in DEMO_ERX_CODES.items():  # a store from before m010
        if staff.erx_code(store, username) == "" and store.conn.execute(
                "SELECT 1 FROM staff WHERE username = ?", (username,)).fetchone():
            staff.set_erx_code(store, "demo", username, code)
            added = True
    from kiosk.erx import catalogue

    if catalogue.ensure_demo(store):
        added = True
    if not kiosk_pin.has_pin(store):
        kiosk_pin.set_pin(store, kiosk_pin.DEMO_PIN)
    return added


DEMO_VIDEO_NAME = "demo-camera.avi"
DEMO_VIDEO_FPS = 15.0


def demo_video_plan(seed: int = 1, count: int = 8) -> list[tuple[int, int, str]]:
    """(first frame, last frame, QR text) of each patient shown by the demo camera, in order."""
    from kiosk.sandbox.people import make_people

    people = make_people(seed, 60)[:count]
    plan, frame = [], 0
    gap, show = int(DEMO_VIDEO_FPS * 1.5), int(DEMO_VIDEO_FPS * 3)
    for i, p in enumerate(people):
        frame += gap
        text = p.bhyt_qr if (i % 2 and p.bhyt_qr) else p.cccd_qr
        plan.append((frame, frame + show - 1, text))
        frame += show
    return plan


def demo_camera_video(path: Path, seed: int = 1, count: int = 8) -> Path:
    """A video of the sandbox patients' QR codes on card- and phone-like backgrounds (1280×720).

    The demo camera of ``clinic-kiosk reception --demo``: scan → patient → ticket with no hardware.
    Written once; an existing file is kept.
    """
    import cv2

    from scanner.synth import Scene, empty_scene, render_scene

    if path.exists() and path.stat().st_size > 0:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.avi")
    writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"MJPG"), DEMO_VIDEO_FPS, (1280, 720))
    desk = empty_scene(1280, 720, seed=seed)
    frame = 0
    for i, (first, last, text) in enumerate(demo_video_plan(seed, count)):
        while frame < first:
            writer.write(desk)
            frame += 1
        scenes = [render_scene(text, Scene(style=("card", "phone")[i % 2], angle=(-8 + 4 * k) * (1 if i % 2 else -1),
                                           tilt=0.06, seed=seed * 100 + i * 10 + k, moire=0.3 * (i % 2),
                                           code_fraction=0.42)) for k in range(3)]
        while frame <= last:
            writer.write(scenes[(frame - first) * len(scenes) // (last - first + 1)])
            frame += 1
    for _ in range(int(DEMO_VIDEO_FPS)):
        writer.write(desk)
    writer.release()
    tmp.replace(path)
    return path
