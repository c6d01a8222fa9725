"""A clinic for the contract tests: a store (SQLite or PostgreSQL), the sandbox gateway, and
stations that use the core's facade either in-process ("local") or through the clinic server over
HTTPS ("remote"). The same tests run on every combination."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from kiosk import icd10
from kiosk.facade import Clinic
from kiosk.model import Role
from kiosk.paths import AppPaths
from kiosk.sandbox import demo
from kiosk.settings import Settings
from kiosk.store.opening import open_store
from kiosk.store.sqlite import Store

SIGN_IN = {"reception": ("lan", "demo-lan-2026"), "doctor": ("minh", "demo-minh-2026")}


def free_port() -> int:
    """A fixed port, as a real server has (port 0 would leave out SO_REUSEADDR, and a restarted
    server could not bind again while the old connections close)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def paths(root: Path) -> AppPaths:
    return AppPaths(root / "site" / "settings.toml", root / "config" / "settings.toml", root / "data", root / "log")


class World:
    def __init__(self, root: Path, gateway_url: str, mode: str, store: Store | None = None) -> None:
        self.root = root
        self.mode = mode
        self.gateway_url = gateway_url
        self.settings = Settings(paths(root / "server"))
        self.store = store or open_store(self.settings.db_path())
        self.core = Clinic(self.settings, self.store, gateway_url=gateway_url)
        demo.prepare(self.store)
        icd10.ensure_starter(self.store)
        self.server = None
        self.stations: list[Any] = []
        if mode == "remote":
            from kiosk.server.run import start_server

            self.core.gateway()
            self.server = start_server(self.core, port=free_port(), cert_dir=root / "server-tls")

    def station(self, kind: str, name: str | None = None, *, sign_in: bool = True) -> Any:
        name = name or f"{kind}-{len(self.stations) + 1}"
        if self.mode == "local":
            clinic = Clinic(self.settings, self.store, gateway_url=self.gateway_url)
            clinic._gateway = self.core.gateway()  # one gateway session, as the stations of one PC share it
            if kind in ("kiosk", "board"):
                clinic.act_as(Role(kind), f"{kind}-station")
        else:
            from kiosk.cli.server import enroll
            from kiosk.remote.client import RemoteClinic
            from kiosk.server import registry

            settings = Settings(paths(self.root / name))
            enroll(settings, self.server.url, registry.new_pairing(self.store, kind, name))
            clinic = RemoteClinic.open(Settings(paths(self.root / name)))
        if sign_in and kind in SIGN_IN:
            clinic.sign_in(*SIGN_IN[kind])
        self.stations.append(clinic)
        return clinic

    def close(self) -> None:
        for clinic in self.stations:
            if clinic is not self.core and getattr(clinic, "remote", False):
                clinic.close()
        if self.server is not None:
            self.server.stop()
        self.core.close()
