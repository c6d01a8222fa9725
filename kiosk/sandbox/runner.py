"""Running the sandbox: in the foreground (``clinic-kiosk sandbox``) or embedded on a free
loopback port in a background thread (the demo default and the tests)."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from waitress.server import create_server

from kiosk.sandbox import erx_standin
from kiosk.sandbox.server import DEFAULT_PASSWORD, DEFAULT_USERNAME, DroppedConnection, SandboxWorld, create_app

log = logging.getLogger("kiosk.sandbox")


class _QuietDrops(logging.Filter):
    """Injected connection drops are on purpose: keep their tracebacks out of the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, DroppedConnection)


logging.getLogger("waitress").addFilter(_QuietDrops())


@dataclass
class RunningSandbox:
    world: SandboxWorld
    url: str
    username: str
    password: str
    _server: object
    _thread: threading.Thread
    _stopping: threading.Event
    # The national prescription system's stand-in on the same URL: the demo clinic's liên thông code (what the
    # ``erx.facility_code`` setting holds, ErxClient's facility_code), its BHYT facility code (the first 5
    # characters of its prescription codes), its password, and the passwords of the doctors its national register
    # knows (liên thông code -> password).
    erx_facility: str = erx_standin.DEMO_CLINIC_CODE
    erx_bhyt_facility: str = erx_standin.DEMO_CLINIC_FACILITY
    erx_password: str = erx_standin.DEMO_CLINIC_PASSWORD
    erx_doctor_passwords: dict[str, str] = field(default_factory=lambda: dict(erx_standin.DEMO_DOCTORS))

    def stop(self) -> None:
        self._stopping.set()
        self._server.close()  # type: ignore[attr-defined]
        # waitress's loop runs while it has channels: a client's pooled keep-alive connection (and waitress's own
        # wake-up pipe) would keep it — and this join — waiting. Close them all; the loop then ends.
        for channel in list(getattr(self._server, "_map", {}).values()):
            try:
                channel.close()
            except OSError:
                pass
        self._thread.join(timeout=5)

    def __enter__(self) -> RunningSandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _server(world: SandboxWorld, host: str, port: int, threads: int):  # noqa: ANN202
    return create_server(create_app(world), host=host, port=port, threads=threads,
                         ident="clinic-kiosk-sandbox", channel_timeout=30, connection_limit=200,
                         clear_untrusted_proxy_headers=True)


def start_sandbox(seed: int = 1, patients: int = 60, *, host: str = "127.0.0.1", port: int = 0,
                  threads: int = 8, token_ttl: float = 600.0) -> RunningSandbox:
    """Start a sandbox in a daemon thread; ``port=0`` picks a free port."""
    world = SandboxWorld(seed, patients, token_ttl=token_ttl)
    server = _server(world, host, port, threads)
    url = f"http://{host}:{server.effective_port}"  # type: ignore[attr-defined]
    stopping = threading.Event()

    def serve() -> None:
        try:
            server.run()  # type: ignore[attr-defined]
        except (OSError, ValueError):
            if not stopping.is_set():  # closing the socket under select() is how waitress stops
                raise

    thread = threading.Thread(target=serve, name="sandbox-gateway", daemon=True)
    thread.start()
    log.info("sandbox gateway with demo data on %s (seed %s, %s patients)", url, seed, patients)
    return RunningSandbox(world, url, DEFAULT_USERNAME, DEFAULT_PASSWORD, server, thread, stopping)


def serve_forever(seed: int, patients: int, host: str, port: int, threads: int = 8) -> None:
    world = SandboxWorld(seed, patients)
    server = _server(world, host, port, threads)
    print(f"sandbox gateway: http://{host}:{server.effective_port}  "  # type: ignore[attr-defined]
          f"(account {DEFAULT_USERNAME} / {DEFAULT_PASSWORD}, seed {seed}, {patients} patients)", flush=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
