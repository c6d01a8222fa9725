"""``clinic-kiosk sandbox`` and ``clinic-kiosk lookup`` as processes."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from scanner.payloads import parse_payload

BIN = Path(sys.executable).with_name("clinic-kiosk")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, timeout=120, env=os.environ.copy())


@pytest.fixture(scope="module")
def people() -> list[dict]:
    result = run("sandbox", "--list", "--seed", "1")
    assert result.returncode == 0
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.fixture(autouse=True)
def demo_store(kiosk_home) -> None:
    assert run("demo", "prepare", "--no-video").returncode == 0


def test_sandbox_list_has_every_card_state_and_parseable_codes(people) -> None:
    assert len(people) == 60
    for p in people:
        assert {"cccd_qr", "bhyt_qr", "card_state", "visits"} <= set(p)
        assert parse_payload(p["cccd_qr"]).ok
        assert p["bhyt_qr"] == "" or parse_payload(p["bhyt_qr"]).ok
    states = {p["card_state"] for p in people}
    assert {"000", "001", "002", "003", "004", "010", "110", "120", "121", "122", "123", "124", "130"} <= states
    visits = {p["visits"] for p in people}
    assert 0 in visits and 500 in visits
    names = " ".join(p["full_name"] for p in people)
    assert re.search("[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", names.lower())


def test_sandbox_list_is_deterministic_per_seed() -> None:
    assert run("sandbox", "--list", "--seed", "3").stdout == run("sandbox", "--list", "--seed", "3").stdout
    assert run("sandbox", "--list", "--seed", "3").stdout != run("sandbox", "--list", "--seed", "4").stdout


@pytest.mark.parametrize(("state", "exit_code", "decision"),
                         [("000", 0, "usable"), ("004", 0, "usable_new_card"), ("010", 2, "not_usable"),
                          ("110", 2, "not_usable")])
def test_lookup_exit_codes_with_the_built_in_sandbox(people, state: str, exit_code: int, decision: str) -> None:
    p = next(p for p in people if p["card_state"] == state)
    result = run("lookup", "--qr", p["bhyt_qr"], "--json")
    assert result.returncode == exit_code, result.stderr
    record = json.loads(result.stdout)
    assert record["decision"] == decision and record["code"] == state
    assert len(record["health_book"]["visits"]) == p["visits"]
    assert "DEMO DATA" in result.stderr


def test_lookup_by_cccd_needs_name_and_birth_for_a_new_patient(people) -> None:
    p = next(p for p in people if p["card_state"] == "000")
    missing = run("lookup", "--cccd", p["cccd"])
    assert missing.returncode == 1 and "--name and --dob" in missing.stderr
    name, dob = p["cccd_qr"].split("|")[2], p["cccd_qr"].split("|")[3]
    found = run("lookup", "--cccd", p["cccd"], "--name", name, "--dob", dob)
    assert found.returncode == 0, found.stderr
    assert "Thẻ còn giá trị sử dụng" in found.stdout
    again = run("lookup", "--cccd", p["cccd"], "--json")  # known now: the number alone is enough
    assert again.returncode == 0 and json.loads(again.stdout)["code"] == "000"


def test_unusable_qr_is_bad_input_exit_1() -> None:
    result = run("lookup", "--qr", "not a card")
    assert result.returncode == 1 and "Unusable QR code" in result.stderr


def test_lookup_exit_3_when_the_gateway_cannot_answer(people) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    p = next(p for p in people if p["card_state"] == "000")
    result = run("lookup", "--qr", p["bhyt_qr"], "--gateway", f"http://127.0.0.1:{port}", "--json")
    assert result.returncode == 3
    record = json.loads(result.stdout)
    assert record["decision"] == "retry" and record["health_book"]["notices"]


def test_sandbox_server_process_answers_lookups(people) -> None:
    with subprocess.Popen([str(BIN), "sandbox", "--port", "0", "--seed", "1"], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, env=os.environ.copy()) as server:
        try:
            banner = server.stdout.readline()
            url = re.search(r"http://127\.0\.0\.1:\d+", banner).group(0)
            p = next(p for p in people if p["card_state"] == "010")
            result = run("lookup", "--qr", p["cccd_qr"], "--gateway", url, "--json")
            assert result.returncode == 2, result.stderr
            assert json.loads(result.stdout)["code"] == "010"
        finally:
            server.terminate()
            server.communicate(timeout=10)
