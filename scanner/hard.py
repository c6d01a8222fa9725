"""The hard frames: seeded camera frames of CCCD and BHYT codes under the conditions that defeat readers.

Each frame is labelled with its condition and the exact text it carries. The set kept in the
repository (tests/data/hard-frames/) is made with ``python -m scanner.hard --out DIR`` and read by
the tests and ``benchmarks/scan.py``; the same seed always gives the same frames.

Conditions: motion and defocus blur, glare (a specular highlight over part of the code), moiré on
phone screens, strong perspective tilt, low light with sensor noise, small codes in 1080p frames
(the code at most 10 % of the width) and inverted (light-on-dark) codes.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from scanner.synth import Scene, render_scene

CONDITIONS = ("blur", "glare", "moire", "perspective", "low_light", "small", "inverted")
PER_CONDITION = 6
MANIFEST = "manifest.json"
JPEG_QUALITY = 85
MAX_FRAMES = 500  # limit on what a manifest may list

_FAMILY = ("NGUYỄN", "TRẦN", "LÊ", "PHẠM", "HOÀNG", "HUỲNH", "PHAN", "VŨ", "VÕ", "ĐẶNG", "BÙI", "ĐỖ")
_MIDDLE = ("VĂN", "THỊ", "HỮU", "ĐỨC", "NGỌC", "THANH", "MINH", "XUÂN")
_GIVEN = ("AN", "BÌNH", "CHÂU", "DŨNG", "HẠNH", "KHÁNH", "LỘC", "MAI", "NGHĨA", "PHƯƠNG", "QUỲNH", "TUYẾT")
_PLACES = ("Số 12 Lê Lợi, Phường Sài Gòn, TP Hồ Chí Minh", "Thôn Đông, Xã Hòa Vang, Đà Nẵng",
           "45 Trần Hưng Đạo, Phường Hoàn Kiếm, Hà Nội", "Ấp 3, Xã Tân Phú, Đồng Nai",
           "Tổ 7, Phường Buôn Ma Thuột, Đắk Lắk", "88 Nguyễn Huệ, Phường Thuận Hóa, Huế")


@dataclass(frozen=True)
class HardFrame:
    name: str  # file name in the set
    condition: str
    kind: str  # "cccd" or "bhyt"
    text: str  # the exact payload the code carries
    scene: Scene


def _person(r: random.Random) -> tuple[str, str, str, str, str]:
    name = f"{r.choice(_FAMILY)} {r.choice(_MIDDLE)} {r.choice(_GIVEN)}"
    born = f"{r.randint(1, 28):02d}{r.randint(1, 12):02d}{r.randint(1940, 2015)}"
    return name, born, r.choice(("Nam", "Nữ")), r.choice(_PLACES), f"{r.randint(1, 96):03d}"


def cccd_text(r: random.Random) -> str:
    """A chip-ID (CCCD) QR text: id|old id|NAME|ddmmyyyy|sex|address|issue ddmmyyyy."""
    name, born, sex, place, province = _person(r)
    old = f"{r.randint(0, 999_999_999):09d}" if r.random() < 0.4 else ""
    century = (0 if int(born[4:]) < 2000 else 2) + (sex == "Nữ")  # the CCCD's sex-and-century digit
    ident = f"{province}{century}{born[-2:]}{r.randint(0, 999_999):06d}"
    issued = f"{r.randint(1, 28):02d}{r.randint(1, 12):02d}{r.randint(2021, 2025)}"
    return "|".join([ident, old, name, born, sex, place, issued])


def bhyt_text(r: random.Random) -> str:
    """A health-insurance (BHYT) card QR text: card|hex(name)|dd/mm/yyyy|sex|hex(address)|facility|dates…|$."""
    name, born, sex, place, _ = _person(r)
    group, benefit, province = r.choice(("HC", "GD", "DN", "HT", "TE")), r.randint(1, 5), r.randint(1, 96)
    card = f"{group}{benefit}{province:02d}{r.randint(0, 10**10 - 1):010d}"
    dob = f"{born[:2]}/{born[2:4]}/{born[4:]}"
    year = r.randint(2025, 2026)
    facility = f"{r.randint(1, 96):02d} - {r.randint(1, 999):03d}"
    return "|".join([card, name.title().encode().hex(), dob, "1" if sex == "Nam" else "2", place.encode().hex(),
                     facility, f"01/01/{year}", f"31/12/{year}", f"01/01/{year}", "", "-", "4",
                     f"01/01/{year + 4}", "", "$"])


def _scene(condition: str, i: int, r: random.Random, seed: int) -> Scene:
    style = ("card", "phone")[i % 2]
    base = {"width": 960, "height": 540, "style": style, "angle": r.uniform(-12, 12), "tilt": 0.06,
            "code_fraction": r.uniform(0.5, 0.62), "seed": seed,
            "offset": (r.uniform(-0.12, 0.12), r.uniform(-0.06, 0.06))}
    if condition == "blur":
        if i % 3 == 2:
            base.update(defocus=r.uniform(2.5, 3.8))
        else:
            base.update(motion=r.uniform(7, 12), motion_angle=r.uniform(0, 180), defocus=r.uniform(0, 1.2))
    elif condition == "glare":
        base.update(glare=r.uniform(0.4, 0.75))
    elif condition == "moire":
        base.update(style="phone", moire=1.0, moire_beat=r.uniform(0.8, 1.0), blur=r.uniform(1.0, 1.5))
    elif condition == "perspective":
        base.update(tilt=r.uniform(0.3, 0.38), angle=r.uniform(-30, 30), code_fraction=r.uniform(0.38, 0.48),
                    offset=(r.uniform(-0.05, 0.05), r.uniform(-0.03, 0.03)))
    elif condition == "low_light":
        base.update(light=r.uniform(0.07, 0.12), noise=r.uniform(10, 16))
    elif condition == "small":
        # the code ≤ 10 % of a 1920-pixel width: at most 192 px, i.e. ≤ 0.178 of the height
        base.update(width=1920, height=1080, code_fraction=r.uniform(0.11, 0.17), blur=r.uniform(0.5, 0.9))
    elif condition == "inverted":
        base.update(inverted=True, blur=r.uniform(0.8, 1.4), light=r.uniform(0.5, 0.9), noise=r.uniform(5, 9))
    else:
        raise ValueError(f"unknown condition: {condition}")
    return Scene(**base)


def hard_frames(seed: int = 20, per_condition: int = PER_CONDITION) -> Iterator[HardFrame]:
    """The labelled hard frames (scenes only; ``render`` draws one)."""
    for c, condition in enumerate(CONDITIONS):
        for i in range(per_condition):
            r = random.Random(seed * 1000 + c * 100 + i)
            kind = ("cccd", "bhyt")[(i // 2) % 2] if condition != "small" else ("cccd", "bhyt")[i % 2]
            text = cccd_text(r) if kind == "cccd" else bhyt_text(r)
            yield HardFrame(f"{condition}-{i:02d}.jpg", condition, kind, text,
                            _scene(condition, i, r, seed * 1000 + c * 100 + i))


def render(frame: HardFrame) -> np.ndarray:
    return render_scene(frame.text, frame.scene)


def write_set(out: Path, seed: int = 20, per_condition: int = PER_CONDITION) -> list[dict[str, object]]:
    out.mkdir(parents=True, exist_ok=True)
    entries: list[dict[str, object]] = []
    for frame in hard_frames(seed, per_condition):
        image = render(frame)
        ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        if not ok:
            raise RuntimeError(f"cannot encode {frame.name}")
        (out / frame.name).write_bytes(data.tobytes())
        h, w = image.shape[:2]
        entries.append({"file": frame.name, "condition": frame.condition, "kind": frame.kind, "text": frame.text,
                        "width": w, "height": h})
    manifest = {"seed": seed, "generator": "python -m scanner.hard", "conditions": list(CONDITIONS),
                "frames": entries}
    (out / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return entries


def load_set(directory: Path) -> list[tuple[Path, str, str]]:
    """(image path, condition, expected text) for every frame a set's manifest lists."""
    manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    frames = manifest["frames"][:MAX_FRAMES]
    out = []
    for entry in frames:
        path = (directory / str(entry["file"])).resolve()
        if path.parent != directory.resolve():
            raise ValueError(f"manifest entry outside its folder: {entry['file']}")
        out.append((path, str(entry["condition"]), str(entry["text"])))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the hard-frame set (JPEG images + manifest.json).")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--per-condition", type=int, default=PER_CONDITION)
    args = parser.parse_args(argv)
    entries = write_set(args.out, args.seed, max(1, min(args.per_condition, MAX_FRAMES // len(CONDITIONS))))
    size = sum((args.out / str(e["file"])).stat().st_size for e in entries)
    print(f"{len(entries)} frames, {size / 1e6:.1f} MB in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
