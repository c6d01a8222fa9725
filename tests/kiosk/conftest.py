"""Fixtures of the core's tests: the sandbox gateway on loopback (see sandbox_fixtures.py)."""

from tests.kiosk.sandbox_fixtures import gateway, sandbox  # noqa: F401 - fixtures
