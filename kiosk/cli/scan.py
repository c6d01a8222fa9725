"""``clinic-kiosk scan`` and ``clinic-kiosk parse``: the scanner from the command line.

Each result is one JSON object ``{"source", "ok", "kind", "text", "fields", "error", "ms"}``
(``parse`` leaves out ``source`` and ``ms``). Text that is not a patient payload is masked.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from kiosk.privacy.masking import mask_text
from kiosk.settings import Settings
from kiosk.store.opening import open_configured
from scanner.cascade import Cascade
from scanner.errors import CameraError
from scanner.live import LiveScanner, Scan, scan_video
from scanner.payloads import Payload, parse_payload
from scanner.sources import IMAGE_SUFFIXES, Grabber, ImageSource, open_source
from scanner.validator import ScanValidator


def payload_record(payload: Payload) -> dict[str, Any]:
    return {
        "ok": payload.ok,
        "kind": payload.kind,
        "text": payload.text if payload.ok else mask_text(payload.text),
        "fields": payload.fields,
        "error": payload.error,
    }


def scan_record(source: str, payload: Payload | None, ms: float, error: str | None = None) -> dict[str, Any]:
    if payload is None:
        return {"source": source, "ok": False, "kind": None, "text": None, "fields": {},
                "error": error or "Không đọc được mã QR nào / No QR code could be read", "ms": round(ms, 2)}
    return {"source": source, **payload_record(payload), "ms": round(ms, 2)}


def _emit(record: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(record, ensure_ascii=False), flush=True)
        return
    where = f"{record['source']}: " if "source" in record else ""
    if record["ok"]:
        fields = ", ".join(f"{k}={v}" for k, v in record["fields"].items() if v not in ("", [], None))
        print(f"{where}{record['kind']}: {fields}", flush=True)
    else:
        kind = f"{record['kind']}: " if record["kind"] else ""
        print(f"{where}{kind}{record['error']}", flush=True)


def _slip_key(settings: Settings) -> bytes:
    with open_configured(settings) as store:
        return store.installation_secret("slip_key")


def _cascade(settings: Settings) -> Cascade:
    return Cascade(settings["scanner.engines"])


def cmd_parse(args: argparse.Namespace, settings: Settings) -> int:
    text = args.text if args.text is not None else sys.stdin.read()
    payload = parse_payload(text, slip_key=_slip_key(settings))
    _emit(payload_record(payload), args.json)
    return 0 if payload.ok else 1


def _scan_file(path: Path, cascade: Cascade, settings: Settings, key: bytes, as_json: bool) -> int:
    """Print the result(s) of one file; return how many codes were read."""
    if path.suffix.lower() in IMAGE_SUFFIXES:
        start = time.perf_counter()
        images = list(ImageSource(path))
        if not images:
            _emit(scan_record(str(path), None, 0.0, "Không đọc được ảnh / Cannot read the image"), as_json)
            return 0
        result = cascade.decode_still(images[0])
        payload = parse_payload(result.text, slip_key=key) if result.text is not None else None
        _emit(scan_record(str(path), payload, (time.perf_counter() - start) * 1000), as_json)
        return int(payload is not None)
    count = 0
    for scan in scan_video(open_source(path), cascade, confirm_frames=settings["scanner.confirm_frames"],
                           quiet_seconds=settings["scanner.quiet_seconds"], slip_key=key):
        _emit(scan_record(f"{path}#frame={scan.frame_index}", scan.payload, scan.ms), as_json)
        count += 1
    if not count:
        _emit(scan_record(str(path), None, 0.0), as_json)
    return count


def _scan_camera(spec: str, cascade: Cascade, settings: Settings, key: bytes, as_json: bool) -> int:
    source = open_source(spec)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    grabber = Grabber(
        source,
        on_state=lambda state, err: print(f"# {state}: {err.en if isinstance(err, CameraError) else ''}",
                                          file=sys.stderr, flush=True),
    ).start()
    scanner = LiveScanner(
        cascade,
        ScanValidator(settings["scanner.confirm_frames"], settings["scanner.quiet_seconds"]),
        slip_key=key,
    )
    read = 0

    def on_scan(scan: Scan) -> None:
        nonlocal read
        read += 1
        _emit(scan_record(source.name, scan.payload, scan.ms), as_json)

    try:
        scanner.run(grabber, stop, on_scan)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        grabber.stop()
    return read


def cmd_scan(args: argparse.Namespace, settings: Settings) -> int:
    cascade = _cascade(settings)
    key = _slip_key(settings)
    if args.camera is not None:
        return 0 if _scan_camera(args.camera, cascade, settings, key, args.json) else 1
    if not args.files:
        print("clinic-kiosk: lỗi / error: cần FILE hoặc --camera / FILE or --camera is needed", file=sys.stderr)
        return 2
    read = 0
    for name in args.files:
        path = Path(name)
        if not path.exists():
            _emit(scan_record(name, None, 0.0, "Không có tệp / No such file"), args.json)
            continue
        try:
            read += _scan_file(path, cascade, settings, key, args.json)
        except CameraError as exc:
            _emit(scan_record(name, None, 0.0, str(exc)), args.json)
    return 0 if read else 1


def add_commands(commands: argparse._SubParsersAction) -> None:
    scan = commands.add_parser("scan", help="read QR codes from images, videos or a camera")
    scan.add_argument("--json", action="store_true", help="one JSON object per line")
    scan.add_argument("--camera", metavar="N|URL", help="camera index or MJPEG/RTSP URL; runs until interrupted")
    scan.add_argument("files", nargs="*", metavar="FILE", help="image, folder of images or video file")
    scan.set_defaults(handler=cmd_scan)
    parse = commands.add_parser("parse", help="parse a QR text (CCCD/VNeID, BHYT, clinic slip)")
    parse.add_argument("--json", action="store_true", help="print one JSON object")
    parse.add_argument("text", nargs="?", metavar="TEXT", help="the QR text; read from stdin when absent")
    parse.set_defaults(handler=cmd_parse)
