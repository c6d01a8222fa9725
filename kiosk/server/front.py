"""The clinic server's front: an ASGI application (served by Hypercorn over TLS, see run.py) that
keeps what a hostile client on the LAN can cost small.

- A connection costs a coroutine, not a thread: the TLS handshake, reading the headers and the body
  happen on the event loop with timeouts, so a silent or slow client holds no worker.
- The use cases run in a fixed pool of worker threads (the Flask app of app.py, called as WSGI with
  the body already read); a body over its limit is refused with 413 before it is read.
- Long-polls (``/api/v1/changes``) wait on the event loop, never in a worker, with a cap per station
  and one for the server: boards and doctors' lists cannot starve ordinary calls.
- ``CappedListener`` limits the open connections per client address.

Every refusal here is JSON, like the app's: ``{"error": {"type", "vi", "en", "exit_code"}}``.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import socket
import sys
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

log = logging.getLogger("kiosk.server")

MAX_BODY = 1024 * 1024  # every call's arguments fit in far less
LARGER_BODIES = {"/api/v1/offline/take-in": 8 * 1024 * 1024}  # a day of offline check-ins from one station
BODY_SECONDS = 10.0  # the whole body must arrive within this
LONG_POLLS_PER_STATION = 2  # a board or a doctor's list needs one
LONG_POLLS_IN_ALL = 400
CHANGES_PATH = "/api/v1/changes"


def error_body(kind: str, vi: str, en: str, exit_code: int = 2) -> bytes:
    return json.dumps({"error": {"type": kind, "vi": vi, "en": en, "exit_code": exit_code}},
                      ensure_ascii=False).encode("utf-8")


async def _answer(send: Callable, status: int, body: bytes, extra: list[tuple[bytes, bytes]] = ()) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"cache-control", b"no-store"), *extra]})
    await send({"type": "http.response.body", "body": body})


async def _refuse(send: Callable, status: int, kind: str, vi: str, en: str, *,
                  extra: list[tuple[bytes, bytes]] = ()) -> None:
    await _answer(send, status, error_body(kind, vi, en), extra)


class CappedListener(socket.socket):
    """A listening socket that accepts at most ``cap`` open connections per client address (more are
    closed at once, before any TLS); ``open_count`` says how many each address holds."""

    def __init__(self, *args: Any, cap: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cap = cap
        self._open: Counter[str] = Counter()
        self._lock = threading.Lock()
        self.refused = 0

    def accept(self) -> tuple[socket.socket, Any]:
        fd, addr = self._accept()
        host = addr[0]
        with self._lock:
            if self._open[host] >= self.cap:
                self.refused += 1
                over = True
            else:
                self._open[host] += 1
                over = False
        if over:
            socket.socket(self.family, self.type, self.proto, fileno=fd).close()
            raise ConnectionAbortedError(f"{host}: too many connections")
        conn = _Counted(self.family, self.type, self.proto, fileno=fd)
        conn._release = lambda: self._give_back(host)
        # No Nagle: asyncio sets this only on sockets made with proto=IPPROTO_TCP; without it a reply
        # written in two parts (headers, body) waits for the client's delayed ACK (40 ms).
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if socket.getdefaulttimeout() is None and self.gettimeout():
            conn.setblocking(True)
        return conn, addr

    def _give_back(self, host: str) -> None:
        with self._lock:
            self._open[host] -= 1
            if self._open[host] <= 0:
                del self._open[host]

    def open_count(self, host: str) -> int:
        with self._lock:
            return self._open[host]


class _Counted(socket.socket):
    _release: Callable[[], None] | None = None

    def close(self) -> None:
        release, self._release = self._release, None
        try:
            super().close()
        finally:
            if release is not None:
                release()

    def __del__(self) -> None:  # a socket dropped without close() still gives its place back
        release, self._release = self._release, None
        if release is not None:
            release()


class LongPolls:
    """The change feed's waiters, on the event loop: wakes every waiter when the feed moves."""

    def __init__(self, feed: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.feed = feed
        self.loop = loop
        self._event = asyncio.Event()
        self.per_station: Counter[int] = Counter()
        feed.listen(self._bumped)

    def _bumped(self) -> None:  # from any thread
        if not self.loop.is_closed():
            try:
                self.loop.call_soon_threadsafe(self._wake)
            except RuntimeError:  # closed in between: nobody waits any more
                pass

    def _wake(self) -> None:
        event, self._event = self._event, asyncio.Event()
        event.set()

    async def wait(self, since: int, timeout: float) -> int:
        deadline = self.loop.time() + timeout
        while self.feed.version == since and not self.feed.stopped:
            remaining = deadline - self.loop.time()
            if remaining <= 0:
                break
            try:
                await asyncio.wait_for(self._event.wait(), remaining)
            except TimeoutError:
                break
        return self.feed.version


class Front:
    """The ASGI application: long-polls here, everything else to the WSGI app in the worker pool."""

    def __init__(self, wsgi_app: Callable, feed: Any, station_of: Callable[[str], int], *, workers: int,
                 long_poll_max_s: float, server_name: str = "clinic-kiosk") -> None:
        self.wsgi_app = wsgi_app
        self.feed = feed
        self.station_of = station_of  # Authorization header → station id (raises a KioskError)
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="clinic-call")
        self.long_poll_max_s = long_poll_max_s
        self.server_name = server_name
        self._polls: LongPolls | None = None

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            if scope["path"] == CHANGES_PATH and scope["method"] == "GET":
                await self._long_poll(scope, send)
            else:
                await self._call(scope, receive, send)

    async def _lifespan(self, receive: Callable, send: Callable) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self._polls = LongPolls(self.feed, asyncio.get_running_loop())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.pool.shutdown(wait=False, cancel_futures=True)
                await send({"type": "lifespan.shutdown.complete"})
                return

    # -- ordinary calls ---------------------------------------------------------------------------
    async def _read_body(self, scope: dict, receive: Callable, send: Callable) -> bytes | None:
        limit = LARGER_BODIES.get(scope["path"], MAX_BODY)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _refuse(send, 413, "TooLarge", f"Yêu cầu quá lớn (tối đa {limit // 1024} KB)",
                          f"Request too large (at most {limit // 1024} KB)")
            return None
        chunks, size = [], 0

        async def collect() -> bool:
            nonlocal size
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return False
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > limit:
                    return False
                chunks.append(chunk)
                if not message.get("more_body", False):
                    return True

        try:
            complete = await asyncio.wait_for(collect(), BODY_SECONDS)
        except TimeoutError:
            await _refuse(send, 408, "TooSlow", "Gửi yêu cầu quá chậm", "The request arrived too slowly")
            return None
        if size > limit:
            await _refuse(send, 413, "TooLarge", f"Yêu cầu quá lớn (tối đa {limit // 1024} KB)",
                          f"Request too large (at most {limit // 1024} KB)")
            return None
        return b"".join(chunks) if complete else None

    def _environ(self, scope: dict, body: bytes) -> dict:
        raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
        path, _, query = raw_path.partition(b"?")
        server = scope.get("server") or ("localhost", 443)
        client = scope.get("client") or ("", 0)
        environ = {
            "REQUEST_METHOD": scope["method"], "SCRIPT_NAME": "", "PATH_INFO": path.decode("latin-1"),
            "QUERY_STRING": (scope.get("query_string") or query).decode("latin-1"),
            "SERVER_NAME": str(server[0]), "SERVER_PORT": str(server[1]), "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": client[0], "REMOTE_PORT": str(client[1]), "CONTENT_LENGTH": str(len(body)),
            "wsgi.version": (1, 0), "wsgi.url_scheme": scope.get("scheme", "https"), "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr, "wsgi.multithread": True, "wsgi.multiprocess": False, "wsgi.run_once": False,
        }
        for name, value in scope["headers"]:
            key = name.decode("latin-1").upper().replace("-", "_")
            if key == "CONTENT_TYPE":
                environ["CONTENT_TYPE"] = value.decode("latin-1")
            elif key != "CONTENT_LENGTH":
                key = "HTTP_" + key
                environ[key] = (environ[key] + "," if key in environ else "") + value.decode("latin-1")
        return environ

    def _run_wsgi(self, environ: dict) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        answer: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable:
            answer["status"] = int(status.split(" ", 1)[0])
            answer["headers"] = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]
            return lambda data: None

        result = self.wsgi_app(environ, start_response)
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        return answer["status"], answer["headers"], body

    async def _call(self, scope: dict, receive: Callable, send: Callable) -> None:
        body = await self._read_body(scope, receive, send)
        if body is None:
            return
        loop = asyncio.get_running_loop()
        try:
            status, headers, out = await loop.run_in_executor(self.pool, self._run_wsgi, self._environ(scope, body))
        except RuntimeError:  # the pool is shut down: the server is stopping
            await _refuse(send, 503, "Stopping", "Máy chủ đang dừng", "The server is stopping")
            return
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": out})

    # -- long-polls ---------------------------------------------------------------------------------
    async def _long_poll(self, scope: dict, send: Callable) -> None:
        from urllib.parse import parse_qs

        from kiosk.errors import KioskError

        assert self._polls is not None
        headers = dict(scope["headers"])
        auth = headers.get(b"authorization", b"").decode("latin-1")
        loop = asyncio.get_running_loop()
        try:
            station_id = await loop.run_in_executor(self.pool, self.station_of, auth)
        except KioskError as exc:
            await _refuse(send, 401, type(exc).__name__, exc.vi, exc.en)
            return
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        try:
            since = int(query.get("since", ["0"])[0] or 0)
            timeout = min(max(float(query.get("timeout", ["25"])[0] or 25), 0.0), self.long_poll_max_s)
        except ValueError:
            await _refuse(send, 400, "BadInput", "Tham số since/timeout không hợp lệ", "since/timeout must be numbers")
            return
        polls = self._polls
        if polls.per_station[station_id] >= LONG_POLLS_PER_STATION or sum(polls.per_station.values()) >= \
                LONG_POLLS_IN_ALL:
            await _refuse(send, 429, "TooManyWaits", "Máy trạm này đang chờ cập nhật quá nhiều lần cùng lúc",
                          "This station already waits for updates too many times at once",
                          extra=[(b"retry-after", b"2")])
            return
        polls.per_station[station_id] += 1
        try:
            version = await polls.wait(since, timeout)
        finally:
            polls.per_station[station_id] -= 1
            if polls.per_station[station_id] <= 0:
                del polls.per_station[station_id]
        await _answer(send, 200, json.dumps({"version": version}).encode())
