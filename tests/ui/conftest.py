from __future__ import annotations

from collections.abc import Iterator

import pytest

from kiosk.facade import Clinic
from kiosk.settings import Settings


@pytest.fixture
def clinic(kiosk_home) -> Iterator[Clinic]:
    clinic = Clinic.open(Settings())
    yield clinic
    clinic.close()
