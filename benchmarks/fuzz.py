#!/usr/bin/env python3
"""Coverage-guided fuzzing (atheris / libFuzzer) of every parser of outside input: QR payloads,
typed text at the reception, gateway JSON, settings TOML, the ICD-10 workbook (whole files and the
sheet XML inside one). The targets are benchmarks/fuzz_targets.py, shared with the hypothesis tests.

Each target runs in its own process for its share of ``--seconds``, from the seed inputs; a crash
(any exception that is not one of the program's typed errors, or a broken data check) stops that
target and leaves the input in ``--artifacts``. The last line is JSON: ``seconds``, ``executions``,
``crashes``, and per target ``executions``, ``crashes``, ``crash_files``. Exit 1 on any crash.

Run: .venv/bin/python benchmarks/fuzz.py --seconds 300 [--target qr_payload]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def run_worker(target: str, seconds: int, corpus: Path, artifacts: Path) -> int:
    import atheris

    os.environ.setdefault("CLINIC_KIOSK_HOME", tempfile.mkdtemp(prefix="ck-fuzz-home-"))
    with atheris.instrument_imports(include=["kiosk", "scanner", "benchmarks"]):
        from benchmarks.fuzz_targets import TARGETS, Workspace
    import logging

    logging.disable(logging.CRITICAL)  # the targets' warnings are expected; only crashes matter
    ws = Workspace()
    function = TARGETS[target]

    def one_input(data: bytes) -> None:
        function(ws, data)

    atheris.Setup([sys.argv[0], f"-max_total_time={seconds}", f"-artifact_prefix={artifacts}/{target}-",
                   "-rss_limit_mb=2048", "-max_len=4096", "-print_final_stats=1", str(corpus)], one_input)
    atheris.Fuzz()
    return 0


def fuzz_target(target: str, seconds: int, work: Path) -> dict:
    from benchmarks.fuzz_targets import SEEDS

    corpus = work / "corpus" / target
    corpus.mkdir(parents=True, exist_ok=True)
    for n, seed in enumerate(SEEDS[target]):
        (corpus / f"seed-{n}").write_bytes(seed)
    artifacts = work / "crashes"
    artifacts.mkdir(exist_ok=True)
    done = subprocess.run([sys.executable, __file__, "--worker", target, "--seconds", str(seconds),
                           "--work", str(work)], capture_output=True, text=True, timeout=seconds + 120)
    runs = re.findall(r"Done (\d+) runs|stat::number_of_executed_units:\s*(\d+)", done.stderr)
    executions = max((int(a or b) for a, b in runs), default=0)
    crash_files = sorted(str(p) for p in artifacts.glob(f"{target}-*"))
    crashed = done.returncode != 0 or bool(crash_files)
    result = {"executions": executions, "crashes": int(crashed), "crash_files": crash_files}
    if crashed:
        tail = [line for line in done.stderr.splitlines() if line.strip()][-25:]
        result["report"] = tail
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=120, help="total fuzzing time, shared by the targets")
    parser.add_argument("--target", action="append", help="only this target (repeatable)")
    parser.add_argument("--work", help="folder for corpora and crash inputs (default: a new temporary one)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="ck-fuzz-"))
    if args.worker:
        return run_worker(args.worker, args.seconds, work / "corpus" / args.worker, work / "crashes")
    from benchmarks.fuzz_targets import TARGETS

    names = args.target or sorted(TARGETS)
    unknown = [n for n in names if n not in TARGETS]
    if unknown:
        parser.error(f"unknown target(s) {', '.join(unknown)}; known: {', '.join(sorted(TARGETS))}")
    share = max(1, args.seconds // len(names))
    start = time.perf_counter()
    results = {name: fuzz_target(name, share, work) for name in names}
    summary = {
        "seconds": round(time.perf_counter() - start, 1),
        "executions": sum(r["executions"] for r in results.values()),
        "crashes": sum(r["crashes"] for r in results.values()),
        "targets": results,
        "work": str(work),
    }
    print(json.dumps(summary, ensure_ascii=False))
    return 1 if summary["crashes"] else 0


if __name__ == "__main__":
    sys.exit(main())
