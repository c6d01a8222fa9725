from __future__ import annotations

import os
from pathlib import Path

import pytest

from kiosk.errors import SettingsError
from kiosk.paths import app_paths
from kiosk.settings import OPTIONS, Settings


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_every_option_has_a_valid_default_and_help() -> None:
    for option in OPTIONS:
        assert option.help, option.key
        option.validate(option.default, "defaults")


def test_defaults_without_files() -> None:
    settings = Settings()
    assert settings["facility.code"] == "01013"
    assert settings.origin("facility.code") == "default"
    assert settings.db_path() == app_paths().default_db


def test_user_file_wins_over_site_file() -> None:
    paths = app_paths()
    write(paths.site_config_file, '[facility]\ncode = "79024"\nname = "Phòng khám Sài Gòn"\n')
    write(paths.user_config_file, '[facility]\ncode = "79025"\n')
    settings = Settings()
    assert settings["facility.code"] == "79025"
    assert settings.origin("facility.code") == "user"
    assert settings["facility.name"] == "Phòng khám Sài Gòn"
    assert settings.origin("facility.name") == "site"


def test_unknown_key_names_the_file_and_the_key() -> None:
    path = write(app_paths().site_config_file, "[facility]\ncolour = 'red'\n")
    with pytest.raises(SettingsError) as err:
        Settings()
    assert str(path) in str(err.value) and "facility.colour" in str(err.value)


def test_wrong_type_names_the_file_and_the_key() -> None:
    path = write(app_paths().user_config_file, "[scanner]\nconfirm_frames = 'two'\n")
    with pytest.raises(SettingsError) as err:
        Settings()
    message = str(err.value)
    assert str(path) in message and "scanner.confirm_frames" in message and "whole number" in message


def test_broken_departments_table_is_refused() -> None:
    write(app_paths().user_config_file, '[facility]\ndepartments = [{code = "K01"}]\n')
    with pytest.raises(SettingsError, match="facility.departments"):
        Settings()


def test_invalid_toml_is_reported_with_the_file() -> None:
    path = write(app_paths().user_config_file, "[facility\ncode = 1\n")
    with pytest.raises(SettingsError, match="TOML") as err:
        Settings()
    assert str(path) in str(err.value)


def test_set_user_round_trips_through_the_file() -> None:
    settings = Settings()
    settings.set_user("scanner.engines", '["zxing", "zbar"]')
    settings.set_user("camera.mirror", "false")
    settings.set_user("gateway.read_timeout", "4")
    again = Settings()
    assert again["scanner.engines"] == ["zxing", "zbar"]
    assert again["camera.mirror"] is False
    assert again["gateway.read_timeout"] == 4.0
    assert os.stat(again.paths.user_config_file).st_mode & 0o077 == 0, "user file is private"


@pytest.mark.parametrize(
    ("key", "value", "needle"),
    [("ui.language", "fr", "vi, en"), ("kiosk.idle_seconds", "1", "≥"), ("nope.key", "1", "nope.key"),
     ("scanner.confirm_frames", "abc", "whole number")],
)
def test_set_user_refuses_bad_values(key: str, value: str, needle: str) -> None:
    with pytest.raises(SettingsError, match=needle):
        Settings().set_user(key, value)
    assert not app_paths().user_config_file.exists()


def test_world_readable_settings_file_warns() -> None:
    path = write(app_paths().user_config_file, '[ui]\nlanguage = "en"\n')
    os.chmod(path, 0o644)
    assert any("readable by other users" in w for w in Settings().warnings())
    os.chmod(path, 0o600)
    assert Settings().warnings() == []


def test_returned_values_are_copies() -> None:
    settings = Settings()
    settings["facility.departments"].clear()
    assert settings["facility.departments"], "mutating a returned list must not change the settings"
