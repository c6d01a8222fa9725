"""Running the clinic server: cheroot (CherryPy's production WSGI server) with TLS, the change feed,
the outbox sender and the daily backup in the background."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from cheroot import wsgi
from cheroot.ssl.builtin import BuiltinSSLAdapter

from kiosk.errors import KioskError
from kiosk.facade import Clinic
from kiosk.server import tls
from kiosk.server.app import ChangeFeed, create_app

log = logging.getLogger("kiosk.server")

OUTBOX_EVERY_S = 15.0
KEEP_ALIVE_S = 120  # a station's idle connection stays open (no new TLS handshake for each click)


@dataclass
class RunningServer:
    clinic: Clinic
    url: str
    fingerprint: str
    feed: ChangeFeed
    _server: wsgi.Server
    _thread: threading.Thread
    _stop: threading.Event

    def stop(self) -> None:
        self._stop.set()
        self.feed.stop()
        self._server.stop()
        self._thread.join(timeout=10)

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _housekeeping(clinic: Clinic, stop: threading.Event) -> None:
    """The outbox goes to the BHXH portal from here only; the daily backup too."""
    from kiosk.model import Role

    worker = clinic.session(Role.ADMIN, "server")
    while not stop.wait(OUTBOX_EVERY_S):
        try:
            worker.daily_backup()
            if worker.store.conn.execute("SELECT 1 FROM outbox WHERE status IN ('pending', 'sending') "
                                         "LIMIT 1").fetchone():
                worker.send_outbox()
        except KioskError as exc:
            log.warning("server housekeeping: %s", exc.en)


def start_server(clinic: Clinic, host: str = "127.0.0.1", port: int = 0, *, threads: int = 32,
                 cert_dir: Path | None = None) -> RunningServer:
    """Serve ``clinic`` on https://host:port in background threads (``port=0``: a free port)."""
    cert, key = tls.ensure_certificate(cert_dir or clinic.settings.paths.data_dir / "server-tls",
                                       hostnames=[host] if host not in ("0.0.0.0", "::") else None)
    fingerprint = tls.fingerprint_of_pem(cert)
    feed = ChangeFeed(clinic)
    app = create_app(clinic, fingerprint, feed)
    server = wsgi.Server((host, port), app, numthreads=threads, server_name="clinic-kiosk", shutdown_timeout=2,
                         timeout=KEEP_ALIVE_S)
    server.ssl_adapter = BuiltinSSLAdapter(str(cert), str(key))
    server.prepare()
    bound = server.bind_addr[1]
    stop = threading.Event()
    thread = threading.Thread(target=server.serve, name="clinic-server", daemon=True)
    thread.start()
    threading.Thread(target=_housekeeping, args=(clinic, stop), name="server-housekeeping", daemon=True).start()
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    url = f"https://{shown}:{bound}"
    log.info("clinic server on %s (certificate %s)", url, fingerprint[:16])
    return RunningServer(clinic, url, fingerprint, feed, server, thread, stop)
