"""Where the program keeps its files.

Everything lives under the platformdirs directories of the current user, unless the environment
variable ``CLINIC_KIOSK_HOME`` names one folder to hold all of it (portable installs and tests).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from kiosk import APP_NAME

HOME_ENV = "CLINIC_KIOSK_HOME"


@dataclass(frozen=True)
class AppPaths:
    site_config_file: Path
    user_config_file: Path
    data_dir: Path
    log_dir: Path

    @property
    def default_db(self) -> Path:
        return self.data_dir / "clinic.db"

    @property
    def crash_dir(self) -> Path:
        return self.log_dir / "crashes"


def app_paths() -> AppPaths:
    home = os.environ.get(HOME_ENV)
    if home:
        root = Path(home)
        return AppPaths(
            site_config_file=root / "site" / "settings.toml",
            user_config_file=root / "config" / "settings.toml",
            data_dir=root / "data",
            log_dir=root / "log",
        )
    dirs = platformdirs.PlatformDirs(APP_NAME, appauthor=False)
    return AppPaths(
        site_config_file=Path(dirs.site_config_dir) / "settings.toml",
        user_config_file=Path(dirs.user_config_dir) / "settings.toml",
        data_dir=Path(dirs.user_data_dir),
        log_dir=Path(dirs.user_log_dir),
    )
