"""The decoder cascade on real photos (../shared/qrbench-data) and on generated camera frames."""

from __future__ import annotations

import cv2
import pytest

from scanner.cascade import Cascade
from scanner.coach import Advice
from scanner.engines import ENGINES
from scanner.synth import Scene, empty_scene, render_scene
from tests.scanner.qrbench import normalise, samples

CCCD = "079304000111||TRẦN THỊ BÌNH|02022004|Nữ|12 Lê Lợi, Phường Sài Gòn, TP Hồ Chí Minh|10072024"
BHYT = ("HC4010123456789|4e677579e1bb856e2056c4836e20416e|15/08/1999|1|53e1bb912031207068e1bb91204b696d204dc3a32c"
        "205068c6b0e1bb9d6e6720426120c490c3ac6e682c2048c3a0204ee1bb9969|01 - 013|01/01/2026|31/12/2026|01/01/2026"
        "||-|4|01/01/2030||$")
VIETNAMESE = "Nguyễn Thị Ánh Tuyết — Thừa Thiên Huế, Đắk Lắk, Quảng Ngãi"


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_every_engine_reads_vietnamese_as_utf8(engine: str) -> None:
    frame = cv2.cvtColor(render_scene(VIETNAMESE, Scene(width=640, height=480, code_fraction=0.6, noise=0)),
                         cv2.COLOR_BGR2GRAY)
    found = [d for d in ENGINES[engine]()(frame) if d.valid]
    assert found and found[0].text == VIETNAMESE
    assert found[0].raw == VIETNAMESE.encode("utf-8")


@pytest.mark.slow
def test_cascade_on_real_photos_beats_every_engine_with_no_misread() -> None:
    cascade = Cascade(["zxing", "zbar", "opencv"])
    engines = {name: make() for name, make in ENGINES.items()}
    read = {name: 0 for name in [*engines, "cascade"]}
    misread = dict.fromkeys(read, 0)
    for path, expected in samples():
        image = cv2.imread(str(path))
        gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        results = {name: [d for d in engine(gray) if d.valid] for name, engine in engines.items()}
        results["cascade"] = cascade.decode_still(image).codes
        for name, codes in results.items():
            if codes:
                if any(normalise(c.text) == expected for c in codes):
                    read[name] += 1
                else:
                    misread[name] += 1
    assert misread["cascade"] == 0
    for name in engines:
        assert read["cascade"] >= read[name], (read, misread)
    assert read["cascade"] >= 0.95 * len(samples()), read


@pytest.mark.parametrize(("width", "height"), [(640, 480), (1280, 720), (1920, 1080)])
@pytest.mark.parametrize("style", ["card", "phone"])
@pytest.mark.parametrize("payload", [CCCD, BHYT], ids=["cccd", "bhyt"])
@pytest.mark.parametrize(
    "trouble",
    [
        {},
        {"blur": 1.0},
        {"glare": 0.35},
        {"moire": 0.6},
        {"light": 0.3},
        {"blur": 0.8, "glare": 0.2, "moire": 0.4, "light": 0.7},
    ],
    ids=["clean", "blur", "glare", "moire", "dim", "everything"],
)
def test_live_frames_of_cards_and_phones_are_read_exactly(width, height, style, payload, trouble) -> None:
    if style == "card":
        trouble = {k: v for k, v in trouble.items() if k != "moire"}
    scene = Scene(width=width, height=height, style=style, tilt=0.08, angle=8,
                  code_fraction=0.45 if width == 640 else 0.35, seed=width + len(payload), **trouble)
    frame = render_scene(payload, scene)
    cascade = Cascade()
    result = cascade.decode_frame(frame)
    if result.text is None:  # a live camera gives another frame; a still photo gets the full cascade
        result = cascade.decode_still(frame)
    assert result.text == payload
    assert result.advice is Advice.OK


def test_coaching_for_empty_dark_glare_and_far() -> None:
    cascade = Cascade()
    assert cascade.decode_frame(empty_scene(1280, 720)).advice is Advice.NO_CODE
    dark = render_scene(BHYT, Scene(light=0.1))
    assert cascade.decode_frame(dark).advice in (Advice.TOO_DARK, Advice.OK)
    assert cascade.decode_frame(empty_scene(1280, 720) // 8).advice is Advice.TOO_DARK
    washed = render_scene(BHYT, Scene(glare=0.9, seed=3))
    assert cascade.decode_frame(washed).advice is Advice.GLARE
    for advice in (Advice.NO_CODE, Advice.TOO_DARK, Advice.GLARE, Advice.TOO_FAR, Advice.TOO_BLURRY,
                   Advice.UNREADABLE, Advice.OK):
        assert advice.vi and advice.en and advice.vi != advice.en


def test_small_code_in_a_big_frame_is_found_by_the_periodic_sweep() -> None:
    cascade = Cascade(full_sweep_every=3)
    frame = render_scene(CCCD, Scene(width=1920, height=1080, code_fraction=0.12, noise=1, seed=9))
    texts = [cascade.decode_frame(frame).text for _ in range(3)]
    assert CCCD in texts


def test_time_budget_stops_the_retry_ladder() -> None:
    """A clock that moves 10 ms per look: with a 25 ms budget only the first retries run."""
    ticks = iter(range(0, 10_000, 10))
    frame = render_scene(BHYT, Scene(glare=0.9, seed=3))  # located, never readable
    unlimited = Cascade(clock=lambda: 0.0).decode_frame(frame)
    limited = Cascade(budget_ms=25, clock=lambda: next(ticks) / 1000).decode_frame(frame)
    assert len(unlimited.steps) > 4, unlimited.steps
    assert len(limited.steps) < len(unlimited.steps)
