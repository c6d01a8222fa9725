"""Running the clinic server: Hypercorn (asyncio, TLS) in a background thread with the front of
front.py, the change feed, and the outbox sender and the daily backup in the background.

Why an asyncio server: a client that connects and says nothing, or sends a byte a minute, must not
hold a thread. Here the TLS handshake (``HANDSHAKE_S``), each read (``READ_S``) and an idle
keep-alive connection (``KEEP_ALIVE_S``) are timed out on the event loop; the use cases run in a
fixed pool of workers that only ever see complete requests.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from hypercorn.asyncio.run import worker_serve
from hypercorn.config import Config, Sockets
from hypercorn.utils import wrap_app

from kiosk.errors import KioskError, NotEnrolled
from kiosk.facade import Clinic
from kiosk.server import registry, tls
from kiosk.server.app import LONG_POLL_MAX_S, ChangeFeed, create_app
from kiosk.server.front import CappedListener, Front

log = logging.getLogger("kiosk.server")

OUTBOX_EVERY_S = 15.0
FILES_EVERY_S = 3600.0
HANDSHAKE_S = 5.0  # a TLS handshake that takes longer is dropped
KEEP_ALIVE_S = 20.0  # an idle connection is closed after this (it costs no thread meanwhile)
READ_S = 30  # a read that waits longer ends the connection (longer than the keep-alive, which closes cleanly)
CONNECTIONS_PER_ADDRESS = 32  # a station keeps a few; more from one address is an attack or a fault


@dataclass
class RunningServer:
    clinic: Clinic
    url: str
    fingerprint: str
    feed: ChangeFeed
    listener: CappedListener
    _loop: asyncio.AbstractEventLoop
    _thread: threading.Thread
    _stop: threading.Event
    _shutdown: asyncio.Event

    def stop(self) -> None:
        self._stop.set()
        self.feed.stop()
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._shutdown.set)
        self._thread.join(timeout=1.5)  # hypercorn's graceful close: 1 s for the requests in flight
        if self._thread.is_alive() and self._loop.is_running():
            # A TLS connection whose peer never answers the close (a station's pooled keep-alive socket) holds
            # hypercorn's shutdown until it times out: end the connections that are left.
            self._loop.call_soon_threadsafe(_end_connections, self._loop)
            self._thread.join(timeout=8)

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _housekeeping(clinic: Clinic, stop: threading.Event) -> None:
    """The outbox goes to the BHXH portal from here only; the daily backup too; and every hour the
    print spool past its retention goes, and file modes are set right."""
    from kiosk.model import Role
    from kiosk.retention import housekeep_files

    worker = clinic.session(Role.ADMIN, "server")
    last_files = 0.0
    while not stop.wait(OUTBOX_EVERY_S):
        try:
            if time.monotonic() - last_files > FILES_EVERY_S:
                housekeep_files(clinic.settings)
                last_files = time.monotonic()
            worker.daily_backup()
            if worker.store.conn.execute("SELECT 1 FROM outbox WHERE status IN ('pending', 'sending') "
                                         "LIMIT 1").fetchone():
                worker.send_outbox()
        except KioskError as exc:
            log.warning("server housekeeping: %s", exc.en)


def _end_connections(loop: asyncio.AbstractEventLoop) -> None:
    """Abort every connection the loop still has, those in their TLS handshake included (asyncio's
    server leaves them open when it closes; the selector loop keeps them by file descriptor)."""
    for transport in list(getattr(loop, "_transports", {}).values()):
        if not transport.is_closing():
            transport.abort()


def _listener(host: str, port: int, cap: int) -> CappedListener:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = CappedListener(family, socket.SOCK_STREAM, cap=cap)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


def start_server(clinic: Clinic, host: str = "127.0.0.1", port: int = 0, *, threads: int = 16,
                 cert_dir: Path | None = None, connections_per_address: int = CONNECTIONS_PER_ADDRESS) -> RunningServer:
    """Serve ``clinic`` on https://host:port in a background thread (``port=0``: a free port)."""
    cert, key = tls.ensure_certificate(cert_dir or clinic.settings.paths.data_dir / "server-tls",
                                       hostnames=[host] if host not in ("0.0.0.0", "::") else None)
    fingerprint = tls.fingerprint_of_pem(cert)
    feed = ChangeFeed(clinic)
    app = create_app(clinic, fingerprint, feed)

    def station_of(authorization: str) -> int:
        token = authorization[7:] if authorization.startswith("Bearer ") else ""
        if not token:
            raise NotEnrolled("Máy trạm chưa được ghép nối", "The station is not enrolled")
        return registry.station_for(clinic.store, token).id

    front = Front(app, feed, station_of, workers=threads, long_poll_max_s=LONG_POLL_MAX_S)
    config = Config()
    config.certfile, config.keyfile = str(cert), str(key)
    config.alpn_protocols = ["http/1.1"]
    config.ssl_handshake_timeout = HANDSHAKE_S
    config.read_timeout = READ_S
    config.keep_alive_timeout = KEEP_ALIVE_S
    config.graceful_timeout = 1.0
    config.h11_max_incomplete_size = 16 * 1024  # request line and headers
    config.include_server_header = False
    config.errorlog = logging.getLogger("kiosk.server.http")
    config.accesslog = None
    listener = _listener(host, port, connections_per_address)
    bound = listener.getsockname()[1]
    loop = asyncio.new_event_loop()
    shutdown = asyncio.Event()
    started = threading.Event()
    failed: list[BaseException] = []

    async def serve() -> None:
        started.set()
        await worker_serve(wrap_app(front, config.wsgi_max_body_size, "asgi"), config,
                           sockets=Sockets([listener], [], []), shutdown_trigger=shutdown.wait)

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(serve())
        except BaseException as exc:  # noqa: BLE001 - reported to start_server's caller or the log
            failed.append(exc)
            log.error("clinic server stopped: %s", exc)
        finally:
            pending = asyncio.all_tasks(loop)  # connections still open: end them before the loop closes
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            _end_connections(loop)
            for _ in range(3):  # the transports' last callbacks (connection lost: sockets closed)
                loop.run_until_complete(asyncio.sleep(0))
            loop.run_until_complete(loop.shutdown_asyncgens())
            listener.close()
            loop.close()

    thread = threading.Thread(target=run, name="clinic-server", daemon=True)
    thread.start()
    started.wait(10)
    stop = threading.Event()
    threading.Thread(target=_housekeeping, args=(clinic, stop), name="server-housekeeping", daemon=True).start()
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    url = f"https://{shown}:{bound}"
    log.info("clinic server on %s (certificate %s)", url, fingerprint[:16])
    return RunningServer(clinic, url, fingerprint, feed, listener, loop, thread, stop, shutdown)

