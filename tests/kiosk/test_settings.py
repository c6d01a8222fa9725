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


def test_site_locked_role_ignores_the_user_file() -> None:
    paths = app_paths()
    write(paths.site_config_file, '[station]\nrole = "kiosk"\n')
    write(paths.user_config_file, '[station]\nrole = ""\n')
    settings = Settings()
    assert settings["station.role"] == "kiosk"
    assert settings.origin("station.role") == "site (locked)"
    assert any("station.role" in w and "locked by the site settings file" in w for w in settings.warnings())


def test_site_locked_role_cannot_be_set_by_the_user() -> None:
    write(app_paths().site_config_file, '[station]\nrole = "board"\n')
    settings = Settings()
    for value in ("", "kiosk", "board"):
        with pytest.raises(SettingsError, match="'station.role' is locked by this PC's site settings file") as err:
            settings.set_user("station.role", value)
        assert "bị khoá" in err.value.vi
    assert not app_paths().user_config_file.exists()
    assert settings["station.role"] == "board"
    with pytest.raises(SettingsError, match="locked"):
        settings.set_for_run("station.role", "")
    settings.set_for_run("station.role", "board")  # the same value is no change


def test_site_locked_server_pin_holds() -> None:
    paths = app_paths()
    write(paths.site_config_file, '[server]\nurl = "https://srv:8443"\nfingerprint = "' + "ab" * 32 + '"\n')
    write(paths.user_config_file, '[server]\nurl = "https://evil:8443"\nfingerprint = "' + "cd" * 32 + '"\n')
    settings = Settings()
    assert settings["server.url"] == "https://srv:8443" and settings["server.fingerprint"] == "ab" * 32
    with pytest.raises(SettingsError, match="locked"):
        settings.set_for_run("server.url", "https://evil:8443")
    with pytest.raises(SettingsError, match="locked"):
        settings.set_user("server.fingerprint", "cd" * 32)


def test_without_a_site_value_the_user_sets_a_lockable_key() -> None:
    write(app_paths().site_config_file, '[facility]\ncode = "79024"\n')
    settings = Settings()
    settings.set_user("station.role", "kiosk")
    assert Settings()["station.role"] == "kiosk" and Settings().origin("station.role") == "user"
    Settings().set_user("station.role", "")
    assert Settings()["station.role"] == ""
    assert Settings().warnings() == []


def test_only_machine_locks_are_site_locked() -> None:
    assert {o.key for o in OPTIONS if o.site_locked} == {"station.role", "server.url", "server.fingerprint"}
