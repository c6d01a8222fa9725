"""A sandbox gateway on loopback for the tests, and helpers to drive its admin endpoint."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from kiosk.bhxh.gateway import GatewayClient, LookupRequest, Staff
from kiosk.sandbox.people import SyntheticPatient
from kiosk.sandbox.runner import RunningSandbox, start_sandbox
from kiosk.sandbox.server import DEFAULT_STAFF
from kiosk.security.secrets_store import md5_upper

STAFF = Staff(DEFAULT_STAFF["001085001234"], "001085001234", "lan")


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    with start_sandbox(seed=7, patients=40) as running:
        yield running


@pytest.fixture
def gateway(sandbox: RunningSandbox) -> Iterator[GatewayClient]:
    requests.post(f"{sandbox.url}/_admin/reset", timeout=5)
    client = GatewayClient(sandbox.url, sandbox.username, md5_upper(sandbox.password),
                           connect_timeout=1.0, read_timeout=2.0)
    yield client
    client.close()
    requests.post(f"{sandbox.url}/_admin/reset", timeout=5)


def faults(sandbox: RunningSandbox, **settings: object) -> None:
    requests.post(f"{sandbox.url}/_admin/faults", json=settings, timeout=5).raise_for_status()


def person(sandbox: RunningSandbox, state: str) -> SyntheticPatient:
    return next(p for p in sandbox.world.people if p.card_state == state)


def request_for(p: SyntheticPatient, key: str | None = None) -> LookupRequest:
    return LookupRequest(key or (p.card_number if p.has_card else p.id_number), p.full_name, p.date_of_birth)
