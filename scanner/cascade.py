"""The decoder cascade: a fast first pass, then cheap variants only where a code is plausibly there.

Live frames (``decode_frame``): zxing-cpp on the frame itself up to 1280 px, on a half-size copy of larger frames, with
no rotation tries, the inverted image tried only when the plain one shows nothing (light-on-dark codes; a few ms on a
1920×1080 frame on this 2-core machine); a dark frame in which it finds nothing is tried again denoised and stretched
(sensor noise hides a code in a dark room). When that pass
locates a symbol it cannot read, the region is retried at full resolution with variants — 2×
upscale, sharpening, local contrast (CLAHE), inversion — and the other configured engines, inside a
per-frame time budget. Every ``full_sweep_every``-th empty frame is also swept at full resolution,
so a code too small for the first pass is still found (and the coach says "move closer").

Still images (``decode_still``): the same, then the whole image at full resolution through every
variant (denoised and background-flattened copies last, for low light and uneven light) and every
configured engine; a photo is worth the extra milliseconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from scanner.coach import DARK_MEAN, Advice, advise, region
from scanner.engines import Decoded, Engine, make_engines, zxing_engine

FIRST_PASS_MAX_SIDE = 1280


@dataclass
class FrameResult:
    codes: list[Decoded]
    advice: Advice
    ms: float
    steps: list[str] = field(default_factory=list)

    @property
    def text(self) -> str | None:
        return self.codes[0].text if self.codes else None


def to_gray(frame: np.ndarray) -> np.ndarray:
    if frame.ndim == 2:
        return frame
    if frame.shape[2] == 4:
        return cv2.cvtColor(frame, cv2.COLOR_BGRA2GRAY)
    return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)


def _scaled(gray: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    """Frames up to ``max_side`` stay as they are; larger ones are halved (or more) for the first pass."""
    h, w = gray.shape[:2]
    if max(h, w) <= max_side:
        return gray, 1.0
    scale = 0.5
    while max(h, w) * scale > max_side:
        scale /= 2
    return cv2.resize(gray, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA), scale


def _rescale(codes: list[Decoded], factor: float, dx: float = 0.0, dy: float = 0.0) -> list[Decoded]:
    if factor == 1.0 and not dx and not dy:
        return codes
    return [
        Decoded(c.text, c.raw, c.engine, tuple((x * factor + dx, y * factor + dy) for x, y in c.corners), c.valid)
        for c in codes
    ]


_CLAHE = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8))


def denoised(gray: np.ndarray) -> np.ndarray:
    """Low light: average away the sensor noise, then stretch the few grey levels left to the full range."""
    return cv2.normalize(cv2.GaussianBlur(gray, (0, 0), 1.5), None, 0, 255, cv2.NORM_MINMAX)


def flattened(gray: np.ndarray) -> np.ndarray:
    """Uneven light (a bright patch, a shadow, a dim corner): divide by the smooth background."""
    smooth = cv2.GaussianBlur(gray, (0, 0), 1.2).astype(np.float32)
    h, w = gray.shape[:2]
    coarse = cv2.resize(smooth, (max(w // 8, 1), max(h // 8, 1)), interpolation=cv2.INTER_AREA)
    background = cv2.resize(cv2.GaussianBlur(coarse, (0, 0), 2.5), (w, h), interpolation=cv2.INTER_LINEAR) + 4.0
    return cv2.normalize(smooth / background, None, 0, 255, cv2.NORM_MINMAX, cv2.CV_8U)


def _variants(gray: np.ndarray) -> Iterator[tuple[str, np.ndarray, float]]:
    """(name, image, factor back to the input's pixels), cheapest and most useful first."""
    h, w = gray.shape[:2]
    if max(h, w) < 1000:
        yield "upscale2x", cv2.resize(gray, (w * 2, h * 2), interpolation=cv2.INTER_CUBIC), 0.5
    blurred = cv2.GaussianBlur(gray, (0, 0), 2.0)
    yield "sharpen", cv2.addWeighted(gray, 1.8, blurred, -0.8, 0), 1.0
    yield "clahe", _CLAHE.apply(gray), 1.0
    yield "invert", cv2.bitwise_not(gray), 1.0
    yield "smooth", cv2.GaussianBlur(gray, (0, 0), 1.2), 1.0  # moiré and halftone screens
    _, otsu = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    yield "otsu", otsu, 1.0
    yield "denoise", denoised(gray), 1.0  # low light and sensor noise
    yield "flatten", flattened(gray), 1.0  # glare or shadow over part of the code


class Cascade:
    def __init__(
        self,
        engines: Sequence[str] = ("zxing",),
        *,
        budget_ms: float = 40.0,
        still_budget_ms: float = 1500.0,
        full_sweep_every: int = 5,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.engine_names = list(engines) or ["zxing"]
        self._engines = make_engines(self.engine_names)
        self._first = zxing_engine(fast=True, errors=True)
        self._zxing_full = zxing_engine()
        self.budget_ms = budget_ms
        self.still_budget_ms = still_budget_ms
        self.full_sweep_every = max(1, full_sweep_every)
        self._clock = clock
        self._empty_frames = 0

    # -- helpers ---------------------------------------------------------------------------
    def _engines_for_retry(self) -> list[tuple[str, Engine]]:
        """zxing with all its own tries first, then the other configured engines."""
        others = [(n, e) for n, e in self._engines if n != "zxing"]
        return [("zxing", self._zxing_full), *others]

    def _try(self, image: np.ndarray, deadline: float, steps: list[str], label: str,
             factor: float = 1.0, dx: float = 0.0, dy: float = 0.0) -> list[Decoded]:
        for name, engine in self._engines_for_retry():
            if self._clock() > deadline:
                return []
            steps.append(f"{label}:{name}")
            found = [c for c in engine(image) if c.valid]
            if found:
                return _rescale(found, factor, dx, dy)
        return []

    def _retry_region(self, gray: np.ndarray, symbol: Decoded, deadline: float, steps: list[str]) -> list[Decoded]:
        crop = region(gray, symbol.corners, margin=0.3)
        if crop.size == 0:
            return []
        pts = np.array(symbol.corners, dtype=np.float32)
        x0 = max(int(pts[:, 0].min() - (np.ptp(pts[:, 0]) * 0.3)), 0)
        y0 = max(int(pts[:, 1].min() - (np.ptp(pts[:, 1]) * 0.3)), 0)
        found = self._try(crop, deadline, steps, "region", 1.0, x0, y0)
        if found:
            return found
        for name, image, factor in _variants(crop):
            if self._clock() > deadline:
                break
            found = self._try(image, deadline, steps, f"region-{name}", factor, x0, y0)
            if found:
                return found
        return []

    # -- public ----------------------------------------------------------------------------
    def decode_frame(self, frame: np.ndarray) -> FrameResult:
        start = self._clock()
        deadline = start + self.budget_ms / 1000
        steps = ["first"]
        gray = to_gray(frame)
        small, scale = _scaled(gray, FIRST_PASS_MAX_SIDE)
        located = _rescale(self._first(small), 1 / scale)
        codes = [c for c in located if c.valid]
        if not codes:
            for symbol in (c for c in located if not c.valid and len(c.corners) >= 4):
                codes = self._retry_region(gray, symbol, deadline, steps)
                if codes:
                    break
            if not codes and located and self._clock() < deadline:
                steps.append("full:zxing")  # the located symbol may not be the code: look everywhere
                codes = [c for c in self._zxing_full(gray) if c.valid]
        if not codes and not located and float(small.mean()) < DARK_MEAN:
            # a dark frame: sensor noise and uneven light hide the code from the first pass
            for name, clean in (("dark", denoised), ("dark-flatten", flattened)):
                steps.append(name)
                found = self._first(clean(small))
                codes = _rescale([c for c in found if c.valid], 1 / scale)
                if codes:
                    located = _rescale(found, 1 / scale)
                    break
        if not codes and not located:
            self._empty_frames += 1
            if scale < 1.0 and self._empty_frames % self.full_sweep_every == 0:
                steps.append("sweep")
                swept = zxing_engine(fast=True, errors=True)(gray)
                located = swept
                codes = [c for c in swept if c.valid]
        if codes:
            self._empty_frames = 0
        advice = advise(small, _rescale(located, scale), bool(codes))
        return FrameResult(codes, advice, (self._clock() - start) * 1000, steps)

    def decode_still(self, frame: np.ndarray) -> FrameResult:
        start = self._clock()
        result = self.decode_frame(frame)
        if result.codes:
            return result
        deadline = start + self.still_budget_ms / 1000
        steps = result.steps
        gray = to_gray(frame)
        codes = self._try(gray, deadline, steps, "full")
        if not codes:
            for name, image, factor in _variants(gray):
                if self._clock() > deadline:
                    break
                codes = self._try(image, deadline, steps, name, factor)
                if codes:
                    break
        advice = Advice.OK if codes else result.advice
        return FrameResult(codes, advice, (self._clock() - start) * 1000, steps)
