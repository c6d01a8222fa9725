"""Pictures of QR codes as a camera would see them: on an ID/insurance card or a phone screen,
on a desk, with perspective, blur, glare, moiré and poor light.

Used by the tests, the benchmarks and the demo camera (a video of the sandbox patients' codes), so
all three look at the same kind of frame a clinic webcam delivers.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import segno


def qr_image(text: str, module_px: int, *, error: str = "m", border: int = 4) -> np.ndarray:
    """The code as a grey image: ``module_px`` pixels per module, white quiet zone of ``border``."""
    code = segno.make_qr(text, error=error, boost_error=False)
    matrix = np.array([list(row) for row in code.matrix], dtype=np.uint8)
    matrix = np.pad(matrix, border, constant_values=0)
    image = np.where(matrix > 0, 0, 255).astype(np.uint8)
    return cv2.resize(image, None, fx=module_px, fy=module_px, interpolation=cv2.INTER_NEAREST)


@dataclass(frozen=True)
class Scene:
    width: int = 1280
    height: int = 720
    style: str = "card"  # "card" (chip ID / BHYT card) or "phone" (VNeID on a screen)
    code_fraction: float = 0.35  # side of the code as a share of the frame height
    angle: float = 0.0  # in-plane rotation, degrees
    tilt: float = 0.0  # perspective strength, 0..0.3
    blur: float = 0.0  # Gaussian sigma in pixels
    glare: float = 0.0  # 0..1 strength of a bright spot over the code
    moire: float = 0.0  # 0..1 strength of screen-door/moiré pattern (phones)
    moire_beat: float = 0.0  # 0..1 strength of the broad bands a screen's pixel grid beats into
    light: float = 1.0  # overall brightness factor (0.2 = a dark corner)
    noise: float = 4.0  # sensor noise sigma
    offset: tuple[float, float] = (0.0, 0.0)  # code centre offset as shares of width/height
    seed: int = 0
    motion: float = 0.0  # motion blur: length of the streak in pixels
    motion_angle: float = 0.0  # direction of the streak, degrees
    defocus: float = 0.0  # out-of-focus blur: radius of the blur disc in pixels
    inverted: bool = False  # light modules on a dark ground (a dark-mode app, an engraved card)


def _background(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    base = rng.integers(60, 200, size=3).astype(np.float32)
    small = rng.normal(0, 18, size=(max(h // 24, 2), max(w // 24, 2), 3)).astype(np.float32)
    texture = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    return np.clip(base + texture, 0, 255).astype(np.uint8)


def _holder(code: np.ndarray, style: str, rng: np.random.Generator, *, dark: bool = False) -> np.ndarray:
    """The card or phone carrying the code, code included, as a BGR image (``dark``: a dark screen or card)."""
    side = code.shape[0]
    if style == "phone":
        w, h = int(side * 1.25), int(side * 2.1)
        holder = np.full((h, w, 3), 25, np.uint8)  # bezel
        bezel = max(side // 18, 3)
        holder[bezel:-bezel, bezel:-bezel] = (18, 18, 18) if dark else (250, 250, 250)  # screen
        holder[bezel:bezel + side // 7, bezel:-bezel] = (170, 90, 30)  # app header bar
        y, x = (h - side) // 2, (w - side) // 2
    else:
        w, h = int(side * 1.9), int(side * 1.25)
        colour = rng.integers(25, 60, size=3) if dark else rng.integers(200, 245, size=3)
        holder = np.empty((h, w, 3), np.uint8)
        holder[:] = colour
        for i in range(5):  # printed text lines beside the code
            ty = int(h * (0.18 + 0.15 * i))
            cv2.line(holder, (int(w * 0.06), ty), (int(w * 0.38), ty), (70, 60, 60), max(side // 40, 1))
        y, x = (h - side) // 2, w - side - int(side * 0.12)
    holder[y:y + side, x:x + side] = cv2.cvtColor(code, cv2.COLOR_GRAY2BGR)
    return holder


def render_scene(text: str, scene: Scene = Scene()) -> np.ndarray:
    """A BGR camera frame showing ``text`` as a QR code on a card or phone."""
    rng = np.random.default_rng(scene.seed)
    w, h = scene.width, scene.height
    frame = _background(rng, w, h)
    target_side = max(int(h * scene.code_fraction), 21)
    modules = segno.make_qr(text, error="m", boost_error=False).symbol_size(scale=1, border=4)[0]
    module_px = max(target_side // modules, 1)
    code = qr_image(text, module_px)
    holder = _holder(255 - code if scene.inverted else code, scene.style, rng, dark=scene.inverted)
    hh, hw = holder.shape[:2]
    cx = w / 2 + scene.offset[0] * w
    cy = h / 2 + scene.offset[1] * h
    src = np.float32([[0, 0], [hw, 0], [hw, hh], [0, hh]])
    corners = src - np.float32([hw / 2, hh / 2])
    theta = np.deg2rad(scene.angle)
    rot = np.float32([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    corners = corners @ rot.T
    if scene.tilt:
        jitter = rng.uniform(-scene.tilt, scene.tilt, size=(4, 2)).astype(np.float32)
        corners = corners + jitter * np.float32([hw, hh])
    dst = corners + np.float32([cx, cy])
    matrix = cv2.getPerspectiveTransform(src, dst.astype(np.float32))
    warped = cv2.warpPerspective(holder, matrix, (w, h), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.full((hh, hw), 255, np.uint8), matrix, (w, h))
    frame[mask > 0] = warped[mask > 0]
    out = frame.astype(np.float32)
    if scene.moire:
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        pattern = np.sin(xx * 1.9 + yy * 0.35) * np.sin(yy * 1.7 - xx * 0.2)
        out *= (1.0 - 0.25 * scene.moire) + 0.25 * scene.moire * pattern[..., None]
    if scene.moire_beat:
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        period = max(target_side / 9, 6.0)  # a few modules wide: the bands cut across the modules
        bands = (np.sin((xx * 0.8 + yy * 0.6) * 2 * np.pi / period)
                 * np.sin((xx * 0.3 - yy) * 2 * np.pi / (period * 1.7)))
        out *= (1.0 - 0.45 * scene.moire_beat) + 0.45 * scene.moire_beat * (0.5 + 0.5 * bands[..., None])
    if scene.glare:
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        gx, gy = cx + target_side * 0.15, cy - target_side * 0.1
        radius = target_side * 0.35
        spot = np.exp(-(((xx - gx) ** 2 + (yy - gy) ** 2) / (2 * radius**2)))
        out += 255 * 1.6 * scene.glare * spot[..., None]
    out *= scene.light
    if scene.blur:
        out = cv2.GaussianBlur(out, (0, 0), scene.blur)
    if scene.defocus:
        out = cv2.filter2D(out, -1, _disc(scene.defocus))
    if scene.motion:
        out = cv2.filter2D(out, -1, _streak(scene.motion, scene.motion_angle))
    if scene.noise:
        out += rng.normal(0, scene.noise, size=out.shape).astype(np.float32)
    return np.clip(out, 0, 255).astype(np.uint8)


def _disc(radius: float) -> np.ndarray:
    size = int(np.ceil(radius)) * 2 + 1
    kernel = np.zeros((size, size), np.float32)
    cv2.circle(kernel, (size // 2, size // 2), max(int(round(radius)), 1), 1.0, -1, lineType=cv2.LINE_AA)
    return kernel / kernel.sum()


def _streak(length: float, angle: float) -> np.ndarray:
    size = int(np.ceil(length)) | 1
    kernel = np.zeros((size, size), np.float32)
    c, half = size // 2, length / 2
    dx, dy = np.cos(np.deg2rad(angle)) * half, np.sin(np.deg2rad(angle)) * half
    cv2.line(kernel, (round(c - dx), round(c - dy)), (round(c + dx), round(c + dy)), 1.0, 1, lineType=cv2.LINE_AA)
    return kernel / kernel.sum()


def empty_scene(width: int, height: int, seed: int = 0) -> np.ndarray:
    """A desk with no code on it."""
    rng = np.random.default_rng(seed)
    frame = _background(rng, width, height).astype(np.float32)
    frame += rng.normal(0, 4, size=frame.shape).astype(np.float32)
    return np.clip(frame, 0, 255).astype(np.uint8)
