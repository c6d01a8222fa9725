"""Fixtures of the printing tests: a private CUPS server (tests/printing/cups_server.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.printing.cups_server import PrivateCups, cups_available


@pytest.fixture(scope="session")
def cups(tmp_path_factory) -> Iterator[dict]:
    if not cups_available():
        pytest.skip("needs root with cups and printer-driver-cups-pdf installed (scripts/setup.sh installs them)")
    private = PrivateCups(tmp_path_factory.mktemp("cups"))
    try:
        yield {"server": private.server, "printer": private.printer, "stopped": private.stopped,
               "out": str(private.out)}
    finally:
        private.stop()
