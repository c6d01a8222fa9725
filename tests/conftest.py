"""Shared fixtures: every test gets its own CLINIC_KIOSK_HOME (settings, database, logs)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.paths import HOME_ENV
from kiosk.privacy import masking
from kiosk.privacy.logs import remove_handlers

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
ARTIFACTS = REPO / "artifacts"

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def kiosk_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "home"
    monkeypatch.setenv(HOME_ENV, str(home))
    masking.forget_all()
    yield home
    remove_handlers()


@pytest.fixture(autouse=True)
def keep_umask() -> Iterator[None]:
    """Entry points set umask 077 for their process (kiosk.privacy.filemodes): a test calling one must not
    change it for the tests after it."""
    umask = os.umask(0o022)
    os.umask(umask)
    yield
    os.umask(umask)


@pytest.fixture
def artifacts() -> Path:
    """Screenshots and rendered pages to look at after the run."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
