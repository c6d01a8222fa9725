"""The real ``clinic-kiosk`` command, run as a process."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk import __version__
from kiosk.store.schema import SCHEMA_VERSION

BIN = Path(sys.executable).with_name("clinic-kiosk")


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, timeout=60,
                          env=env or os.environ.copy())


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"clinic-kiosk {__version__}"


def test_config_show_lists_every_setting_with_its_origin() -> None:
    result = run("config", "show")
    assert result.returncode == 0
    assert 'facility.code = "01013"    # default:' in result.stdout
    as_json = json.loads(run("config", "show", "--json").stdout)
    assert as_json["ui.language"] == "vi"


def test_config_set_then_show(kiosk_home: Path) -> None:
    assert run("config", "set", "facility.code", "79024").returncode == 0
    shown = run("config", "show").stdout
    assert 'facility.code = "79024"    # user:' in shown
    paths = run("config", "path").stdout
    assert str(kiosk_home / "config" / "settings.toml") in paths


def test_db_migrate_creates_wal_database(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    result = run("db", "migrate", "--db", str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"schema version {SCHEMA_VERSION} (wal): {path}"
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("config", "set", "ui.language", "fr"), "accepts only: vi, en"),
        (("config", "set", "no.such", "1"), "Unknown settings key"),
        (("nonsense",), "invalid choice"),
        (("db", "migrate", "--db", "/proc/forbidden/x.db"), "Cannot open the database"),
    ],
)
def test_errors_are_one_readable_line(args: tuple[str, ...], needle: str) -> None:
    result = run(*args)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert needle in result.stderr


def test_broken_settings_file_stops_every_command_with_file_and_key(kiosk_home: Path) -> None:
    path = kiosk_home / "site" / "settings.toml"
    path.parent.mkdir(parents=True)
    path.write_text("[camera]\nsource = 3\n", encoding="utf-8")
    result = run("config", "show")
    assert result.returncode == 2
    assert str(path) in result.stderr and "camera.source" in result.stderr


def test_station_without_a_display_says_how_to_run_it() -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"}}
    result = run("reception", env=env)
    assert result.returncode == 3
    assert "xvfb-run" in result.stderr and "No display" in result.stderr
    assert "Aborted" not in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("command", [[], ["config"], ["db"], ["demo"], ["reception"], ["board"]])
def test_every_command_has_help(command: list[str]) -> None:
    result = run(*command, "--help")
    assert result.returncode == 0
    assert "usage: clinic-kiosk" in result.stdout


def test_a_site_locked_role_cannot_be_undone_by_the_user(kiosk_home: Path) -> None:
    site = kiosk_home / "site" / "settings.toml"
    site.parent.mkdir(parents=True)
    site.write_text('[station]\nrole = "kiosk"\n', encoding="utf-8")
    result = run("config", "set", "station.role", "")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "'station.role' is locked by this PC's site settings file" in result.stderr
    user = kiosk_home / "config" / "settings.toml"
    user.parent.mkdir(parents=True, exist_ok=True)
    user.write_text('[station]\nrole = ""\n', encoding="utf-8")  # written by hand instead
    shown = run("config", "show")
    assert 'station.role = "kiosk"    # site (locked):' in shown.stdout
    assert "ignoring 'station.role'" in shown.stderr
