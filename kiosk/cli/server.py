"""``clinic-kiosk server`` (run it; pair, list and remove stations) and ``clinic-kiosk enroll`` (on a
station: pair this PC with the server once, pinning its certificate)."""

from __future__ import annotations

import argparse
import json
import secrets
import signal
import socket
import threading
from urllib.parse import urlsplit

import requests

from kiosk.errors import BadInput, KioskError
from kiosk.settings import Settings


def _listen(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise BadInput(f"--listen phải có dạng HOST:PORT, không phải {text!r}", f"--listen needs HOST:PORT, not {text!r}")
    return host.strip("[]") or "0.0.0.0", int(port)


def open_server_clinic(settings: Settings):  # noqa: ANN201 - kiosk.facade.Clinic
    from kiosk.facade import Clinic

    return Clinic.open(settings, check=True)  # SQLite or PostgreSQL, as server.store says


def cmd_server(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.privacy.filemodes import private_umask

    private_umask()  # first (the command line set it already; a server started another way too)
    from kiosk.server.run import start_server

    host, port = _listen(args.listen or settings["server.listen"])
    clinic = open_server_clinic(settings)
    clinic.gateway()  # the BHXH gateway (and its credentials) live here only
    server = start_server(clinic, host, port)
    print(f"clinic-kiosk server: {server.url.replace('127.0.0.1', host) if host not in ('0.0.0.0', '::') else server.url}")
    print(f"chứng chỉ / certificate SHA-256: {server.fingerprint}")
    print("ghép nối máy trạm / pair a station: clinic-kiosk server pair --kind reception|doctor|kiosk|board "
          "--name NAME", flush=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    server.stop()
    clinic.close()
    return 0


def _terminal_qr(text: str) -> str:
    """``text`` as a QR code drawn with Unicode block characters (two rows a line)."""
    import io

    import segno

    out = io.StringIO()
    segno.make(text).terminal(out=out, compact=True)
    return out.getvalue()


def _server_address(settings: Settings) -> str:
    try:
        host, port = _listen(settings["server.listen"])
    except BadInput:
        return "https://THIS-PC:PORT"
    if host in ("0.0.0.0", "::"):
        host = socket.gethostname()
    return f"https://{f'[{host}]' if ':' in host else host}:{port}"


def cmd_pair(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.server import registry

    clinic = open_server_clinic(settings)
    try:
        code = registry.new_pairing(clinic.store, args.kind, args.name, args.minutes)
    finally:
        clinic.close()
    print(f"mã ghép nối / pairing code: {code}  ({args.kind} {args.name}, {args.minutes} phút / min)")
    try:
        print(_terminal_qr(code), end="", flush=True)
    except UnicodeEncodeError:  # a console that cannot draw block characters: the code above is enough
        print("(mã QR không hiển thị được trên cửa sổ này / this console cannot show the QR code)")
    print(f"máy trạm nhận mã này, gõ tay hoặc quét QR / the station accepts this code, typed or scanned: "
          f"clinic-kiosk enroll --server {_server_address(settings)} --code {code}")
    return 0


def cmd_stations(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.server import registry

    clinic = open_server_clinic(settings)
    try:
        if args.remove:
            registry.disable(clinic.store, args.remove)
            print(f"đã gỡ / removed: {args.remove}")
            return 0
        for row in registry.all_stations(clinic.store):
            print(json.dumps(row, ensure_ascii=False))
    finally:
        clinic.close()
    return 0


def _must_match_site(settings: Settings, key: str, value: str) -> None:
    """Enrolment keeps a site-locked server address or certificate: it may only confirm it."""
    locked = settings[key].rstrip("/") if key == "server.url" else settings[key].lower()
    if settings.locked_by_site(key) and locked != value:
        site = settings.paths.site_config_file
        raise KioskError(
            f"Máy này được tệp cài đặt {site} khoá với {key} = {settings[key]!r}, không phải {value!r}: "
            "không ghép nối (hỏi quản trị viên)",
            f"This PC is locked by the site settings file {site} to {key} = {settings[key]!r}, not {value!r}: "
            "not enrolled (ask the administrator)")


def enroll(settings: Settings, url: str, code: str) -> dict:
    """Pair this PC with the server at ``url`` using the code shown there; pins its certificate."""
    from kiosk.remote.client import pinned_session, save_token
    from kiosk.server import tls

    url = url.rstrip("/")
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise BadInput("Địa chỉ máy chủ phải là https://HOST:PORT", "The server address must be https://HOST:PORT")
    code = tls.check_code(code)
    _must_match_site(settings, "server.url", url)  # before connecting: the site file pins this PC's server
    try:
        fingerprint = tls.fingerprint_of_server(parts.hostname, parts.port or 443)
    except OSError as exc:
        raise KioskError(f"Không kết nối được {url}: {exc}", f"Cannot reach {url}: {exc}") from exc
    _must_match_site(settings, "server.fingerprint", fingerprint)  # before any proof leaves this PC
    nonce = secrets.token_hex(16)
    session = pinned_session(fingerprint)
    try:
        response = session.post(url + "/api/v1/enroll", timeout=10,
                                json={"nonce": nonce, "proof": tls.proof(code, "enroll", fingerprint, nonce)})
        answer = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise KioskError(f"Máy chủ không trả lời đúng: {type(exc).__name__}",
                         f"The server did not answer properly: {type(exc).__name__}") from exc
    finally:
        session.close()
    if "error" in answer:
        raise KioskError(answer["error"]["vi"], answer["error"]["en"])
    if not tls.same(answer.get("server_proof", ""), tls.proof(code, "server", fingerprint, nonce)):
        raise KioskError("Máy chủ không chứng minh được mã ghép nối: có thể có máy chen giữa. Không ghép nối.",
                         "The server could not prove the pairing code: possibly a machine in the middle. Not paired.")
    for key, value in (("server.url", url), ("server.fingerprint", fingerprint)):
        if not settings.locked_by_site(key):  # a site-locked one holds this very value (checked above)
            settings.set_user(key, value)
    save_token(settings, answer["token"])
    return {"station": answer["station"], "kind": answer["kind"], "server": url, "fingerprint": fingerprint}


def cmd_enroll(args: argparse.Namespace, settings: Settings) -> int:
    done = enroll(settings, args.server, args.code)
    print(f"đã ghép nối / enrolled: {done['station']} ({done['kind']}) với / with {done['server']}; "
          f"chứng chỉ / certificate {done['fingerprint'][:16]}…")
    return 0


def add_commands(commands: argparse._SubParsersAction) -> None:
    server = commands.add_parser("server", help="run the clinic server (the store and the gateway for every "
                                                "station on the LAN); pair and list stations")
    server.add_argument("--listen", metavar="HOST:PORT", help="address to listen on (default: server.listen)")
    server.set_defaults(handler=cmd_server)
    sub = server.add_subparsers(dest="server_command", metavar="ACTION")
    pair = sub.add_parser("pair", help="print a one-time code (and its QR code) to enrol a station")
    pair.add_argument("--kind", required=True, choices=("reception", "doctor", "kiosk", "board"))
    pair.add_argument("--name", required=True, help="the station's name, e.g. desk-1, room-101")
    pair.add_argument("--minutes", type=int, default=15, help="how long the code is valid")
    pair.set_defaults(handler=cmd_pair)
    stations = sub.add_parser("stations", help="list the enrolled stations (JSON lines)")
    stations.add_argument("--remove", metavar="NAME", help="remove (disable) this station")
    stations.set_defaults(handler=cmd_stations)
    enroll_cmd = commands.add_parser("enroll", help="pair this PC with the clinic server (once)")
    enroll_cmd.add_argument("--server", required=True, metavar="URL", help="https://HOST:PORT of the server")
    enroll_cmd.add_argument("--code", required=True,
                            help="the pairing code shown on the server (XXXX-XXXX-XXXX-XXXX-XXXX; case, spaces and "
                                 "dashes do not matter)")
    enroll_cmd.set_defaults(handler=cmd_enroll)
