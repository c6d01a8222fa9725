#!/usr/bin/env python3
"""Scanner benchmark: decode rate, misreads and time per frame, for the cascade and each raw engine
alone, measured in the same run, on the public photos in ../shared/qrbench-data, on the repository's
hard frames (tests/data/hard-frames: blur, glare, moiré, perspective, low light, small and inverted
codes; made by ``python -m scanner.hard``) and on generated 1280×720 / 1920×1080 camera frames with
and without a code; and the CPU share of the live loop on a 30 fps camera (a paced video file stands
in for the camera).

Prints one JSON object (the last line). Run: .venv/bin/python benchmarks/scan.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import threading
import time
import unicodedata
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scanner.cascade import Cascade, to_gray  # noqa: E402
from scanner.engines import ENGINES  # noqa: E402
from scanner.hard import load_set  # noqa: E402
from scanner.live import LiveScanner  # noqa: E402
from scanner.sources import Grabber, open_source  # noqa: E402
from scanner.synth import Scene, empty_scene, render_scene  # noqa: E402
from scanner.validator import ScanValidator  # noqa: E402

QRBENCH = ROOT.parent / "shared" / "qrbench-data"
HARD = ROOT / "tests" / "data" / "hard-frames"
LIVE_TRIES = 5  # frames a live camera gives of one held code in a third of a second
PAYLOADS = [
    "079304000111||TRẦN THỊ BÌNH|02022004|Nữ|12 Lê Lợi, Phường Sài Gòn, TP Hồ Chí Minh|10072024",
    "001099012345|123456789|NGUYỄN VĂN AN|15081999|Nam|Số 1 phố Kim Mã, Phường Ba Đình, Hà Nội|20042021",
    "HC4010123456789|4e677579e1bb856e2056c4836e20416e|15/08/1999|1|53e1bb912031207068e1bb91204b696d204dc3a32c"
    "205068c6b0e1bb9d6e6720426120c490c3ac6e682c2048c3a0204ee1bb9969|01 - 013|01/01/2026|31/12/2026|01/01/2026"
    "||-|4|01/01/2030||$",
]


def normalise(text: str | bytes) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def stats(ms: list[float]) -> dict[str, float]:
    return {"median_ms": round(float(np.median(ms)), 2), "p95_ms": round(float(np.percentile(ms, 95)), 2)}


class Tally:
    def __init__(self) -> None:
        self.read = self.misread = self.total = 0
        self.ms: list[float] = []

    def add(self, texts: list[str], expected: str | None, ms: float) -> None:
        self.total += 1
        self.ms.append(ms)
        if not texts:
            return
        if expected is not None and any(normalise(t) == expected for t in texts):
            self.read += 1
        else:
            self.misread += 1  # a code where there is none, or the wrong text

    def report(self) -> dict[str, float]:
        return {"frames": self.total, "read": self.read, "misreads": self.misread,
                "rate": round(self.read / self.total, 4) if self.total else 0.0, **stats(self.ms)}


def qrbench_samples() -> list[tuple[str, Path, str]]:
    out = []
    for directory in sorted(p for p in QRBENCH.iterdir() if p.is_dir() and p.name != "zxingcpp-qrcode-7"):
        for image in sorted(directory.iterdir()):
            expected = image.with_suffix(".txt")
            if image.suffix.lower() in {".png", ".jpg", ".jpeg", ".webp"} and expected.exists():
                out.append((directory.name, image, normalise(expected.read_bytes())))
    return out


def timed(fn, *args):  # noqa: ANN001, ANN201
    start = time.perf_counter()
    result = fn(*args)
    return result, (time.perf_counter() - start) * 1000


def bench_photos(cascades: dict[str, Cascade], engines: dict) -> dict:  # noqa: ANN001
    names = [*cascades, *engines]
    total = {n: Tally() for n in names}
    per_set: dict[str, dict[str, Tally]] = {}
    for set_name, path, expected in qrbench_samples():
        image = cv2.imread(str(path))
        gray = to_gray(image)
        tallies = per_set.setdefault(set_name, {n: Tally() for n in names})
        for name, cascade in cascades.items():
            result, ms = timed(cascade.decode_still, image)
            for t in (total[name], tallies[name]):
                t.add([c.text for c in result.codes], expected, ms)
        for name, engine in engines.items():
            codes, ms = timed(engine, gray)
            for t in (total[name], tallies[name]):
                t.add([c.text for c in codes if c.valid], expected, ms)
    return {
        "total": {n: t.report() for n, t in total.items()},
        "sets": {s: {n: {"read": t.read, "misreads": t.misread, "frames": t.total} for n, t in ts.items()}
                 for s, ts in per_set.items()},
    }


def bench_hard(cascades: dict[str, Cascade], engines: dict) -> dict:  # noqa: ANN001
    """The hard set: each cascade on the still (``decode_still``), the live cascade on up to ``LIVE_TRIES``
    copies of the frame (``decode_frame``, as a camera would give them), each raw engine alone."""
    names = [*cascades, "cascade_live", *engines]
    total = {n: Tally() for n in names}
    per_condition: dict[str, dict[str, Tally]] = {}
    for path, condition, text in load_set(HARD):
        image = cv2.imread(str(path))
        gray = to_gray(image)
        expected = normalise(text)
        tallies = per_condition.setdefault(condition, {n: Tally() for n in names})
        results: dict[str, tuple[list[str], float]] = {}
        for name, cascade in cascades.items():
            result, ms = timed(cascade.decode_still, image)
            results[name] = ([c.text for c in result.codes], ms)
        live = Cascade(["zxing"])
        for _ in range(LIVE_TRIES):
            result, ms = timed(live.decode_frame, image)
            if result.codes:
                break
        results["cascade_live"] = ([c.text for c in result.codes], ms)
        for name, engine in engines.items():
            codes, ms = timed(engine, gray)
            results[name] = ([c.text for c in codes if c.valid], ms)
        for name, (texts, ms) in results.items():
            for t in (total[name], tallies[name]):
                t.add(texts, expected, ms)
    return {
        "total": {n: t.report() for n, t in total.items()},
        "conditions": {c: {n: {"read": t.read, "misreads": t.misread, "frames": t.total} for n, t in ts.items()}
                       for c, ts in per_condition.items()},
    }


def bench_frames(cascade_factory, engines: dict, size: tuple[int, int], count: int) -> dict:  # noqa: ANN001
    w, h = size
    with_code = [
        (render_scene(PAYLOADS[i % len(PAYLOADS)], Scene(width=w, height=h, style=("card", "phone")[i % 2],
                                                         tilt=0.08, angle=(i * 7) % 30 - 15, seed=i)),
         normalise(PAYLOADS[i % len(PAYLOADS)]))
        for i in range(count)
    ]
    without = [(empty_scene(w, h, seed=i), None) for i in range(count)]
    out = {}
    for label, frames in (("with_code", with_code), ("no_code", without)):
        cascade = cascade_factory()  # live mode: one camera's stream of frames
        tallies = {"cascade": Tally(), **{n: Tally() for n in engines}}
        for _ in range(3):
            for frame, expected in frames:
                result, ms = timed(cascade.decode_frame, frame)
                tallies["cascade"].add([c.text for c in result.codes], expected, ms)
                gray = to_gray(frame)
                for name, engine in engines.items():
                    codes, ms = timed(engine, gray)
                    tallies[name].add([c.text for c in codes if c.valid], expected, ms)
        out[label] = {n: t.report() for n, t in tallies.items()}
    return out


def bench_live_cpu(seconds: float) -> dict:
    """CPU share of grabbing + decoding a 30 fps 1280×720 stream (a paced MJPG video)."""
    frames = []
    for i in range(60):
        if i % 20 < 10:
            frames.append(empty_scene(1280, 720, seed=i))
        else:
            frames.append(render_scene(PAYLOADS[0], Scene(width=1280, height=720, seed=i, angle=i % 10)))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "camera.avi"
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (1280, 720))
        for _ in range(int(seconds / 2) + 1):
            for frame in frames:
                writer.write(frame)
        writer.release()
        grabber = Grabber(open_source(path), pace=True).start()
        grabber.source.live = True  # behave as a camera: cap the decode rate
        scanner = LiveScanner(Cascade(), ScanValidator(2, 1.0))
        stop = threading.Event()
        scans: list[object] = []
        decoded = [0]

        def on_frame(frame, result) -> None:  # noqa: ANN001
            decoded[0] += 1

        worker = threading.Thread(target=scanner.run, args=(grabber, stop, scans.append, on_frame))
        cpu0, wall0 = time.process_time(), time.perf_counter()
        worker.start()
        time.sleep(seconds)
        stop.set()
        worker.join()
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        grabber.stop()
    return {"seconds": round(wall, 2), "camera_fps": 30, "frames_grabbed": grabber.frames_read,
            "frames_decoded": decoded[0], "scans_accepted": len(scans),
            "cpu_core_fraction": round(cpu / wall, 3)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer generated frames, shorter live run")
    args = parser.parse_args()
    count = 10 if args.quick else 30
    engines = {name: make() for name, make in ENGINES.items()}
    cascades = {"cascade_default": Cascade(["zxing"]), "cascade_all_engines": Cascade(["zxing", "zbar", "opencv"])}
    photos = bench_photos(cascades, engines)
    hard = bench_hard(cascades, engines)
    frames = {f"{w}x{h}": bench_frames(lambda: Cascade(["zxing"]), engines, (w, h), count)
              for w, h in ((1280, 720), (1920, 1080))}
    live = bench_live_cpu(4.0 if args.quick else 10.0)
    total = photos["total"]
    best_engine = max(engines, key=lambda n: total[n]["read"])
    hd = frames["1920x1080"]
    hard_total = hard["total"]
    hard_best = max(engines, key=lambda n: hard_total[n]["read"])
    hard_misreads = sum(hard_total[n]["misreads"] for n in [*cascades, "cascade_live"])
    result = {
        "qrbench": photos,
        "hard_frames": hard,
        "generated": frames,
        "live": live,
        "summary": {
            "qrbench_images": total["zxing"]["frames"],
            "qrbench_rate_cascade_all_engines": total["cascade_all_engines"]["rate"],
            "qrbench_rate_cascade_default": total["cascade_default"]["rate"],
            "qrbench_rate_best_single_engine": total[best_engine]["rate"],
            "best_single_engine": best_engine,
            "qrbench_rate_ratio_cascade_vs_best_engine": round(
                total["cascade_all_engines"]["read"] / max(total[best_engine]["read"], 1), 4),
            "qrbench_misreads_cascade": total["cascade_all_engines"]["misreads"] + total["cascade_default"]["misreads"],
            "hd_no_code_median_ms": hd["no_code"]["cascade"]["median_ms"],
            "hd_with_code_median_ms": hd["with_code"]["cascade"]["median_ms"],
            "hd_with_code_rate": hd["with_code"]["cascade"]["rate"],
            "hd_no_code_speed_ratio_vs_zxing_default": round(
                hd["no_code"]["cascade"]["median_ms"] / max(hd["no_code"]["zxing"]["median_ms"], 1e-6), 3),
            "live_cpu_core_fraction": live["cpu_core_fraction"],
            "hard_frames": hard_total["zxing"]["frames"],
            "hard_read_cascade_all_engines": hard_total["cascade_all_engines"]["read"],
            "hard_read_cascade_default": hard_total["cascade_default"]["read"],
            "hard_read_cascade_live": hard_total["cascade_live"]["read"],
            "hard_read_best_single_engine": hard_total[hard_best]["read"],
            "hard_best_single_engine": hard_best,
            "hard_misreads_cascade": hard_misreads,
            "targets_met": bool(
                all(total["cascade_all_engines"]["read"] >= total[n]["read"] for n in engines)
                and total["cascade_all_engines"]["misreads"] == 0
                and all(hard_total["cascade_all_engines"]["read"] > hard_total[n]["read"] for n in engines)
                and hard_misreads == 0
                and hd["no_code"]["cascade"]["median_ms"] <= 10
                and hd["with_code"]["cascade"]["median_ms"] <= 20
                and live["cpu_core_fraction"] <= 0.25
            ),
        },
    }
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
