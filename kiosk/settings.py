"""Settings, declared once as typed data with defaults and help text.

Two TOML files are read: the site file (written by the clinic's IT admin, shared by every user of
the PC) and the user file; a key in the user file wins, except a site-locked one (``Option.site_locked``:
the machine's role and the clinic server it is pinned to). When the site file sets a site-locked key,
that value holds: the user file's value is ignored (with a warning, see ``Settings.warnings``) and
``set_user`` / ``set_for_run`` refuse to change it, so a local user cannot lift a public PC's lock.
Without a site value the user sets it as any other key. Keys are dotted (``facility.code``) and map
to TOML tables (``[facility] code = "01013"``). Unknown keys and wrong types raise
``SettingsError`` naming the file and the key. Secrets (the gateway password) never live here.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import stat
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w

from kiosk.errors import SettingsError
from kiosk.paths import AppPaths, app_paths
from kiosk.privacy import filemodes


def _check_str(value: Any) -> bool:
    return isinstance(value, str)


def _check_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_float(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_bool(value: Any) -> bool:
    return isinstance(value, bool)


def _check_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _check_departments(value: Any) -> bool:
    if not isinstance(value, list):
        return False
    for dep in value:
        if not isinstance(dep, dict) or set(dep) - {"code", "name", "name_en", "rooms"}:
            return False
        if not (isinstance(dep.get("code"), str) and isinstance(dep.get("name"), str)):
            return False
        if not _check_str_list(dep.get("rooms", [])):
            return False
    return True


@dataclass(frozen=True)
class Kind:
    name: str  # shown in messages: "text", "whole number", …
    check: Callable[[Any], bool]
    parse: Callable[[str], Any]  # from the command line (`config set`)


def _parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in {"true", "yes", "1", "on", "có"}:
        return True
    if lowered in {"false", "no", "0", "off", "không"}:
        return False
    raise ValueError(text)


STR = Kind("text", _check_str, str)
INT = Kind("whole number", _check_int, int)
FLOAT = Kind("number", _check_float, float)
BOOL = Kind("true/false", _check_bool, _parse_bool)
STR_LIST = Kind("list of texts", _check_str_list, json.loads)
def _check_documents(value: Any) -> bool:
    allowed = {"printer", "paper", "margin_mm", "copies"}
    return isinstance(value, dict) and all(
        isinstance(v, dict) and set(v) <= allowed and isinstance(v.get("paper", ""), str)
        and isinstance(v.get("printer", ""), str) for v in value.values())


DOCUMENT_SETTINGS = Kind("table of documents {printer, paper, margin_mm, copies}", _check_documents, json.loads)
TABLE = Kind("table {code, name, unit_price}", lambda v: isinstance(v, dict) and {"code", "name", "unit_price"} <= set(v),
             json.loads)
DEPARTMENTS = Kind("list of departments {code, name, rooms}", _check_departments, json.loads)


def _check_base_salaries(value: Any) -> bool:
    """A dated table: rows {from = "YYYY-MM-DD", vnd = whole number > 0}, at least one."""
    if not isinstance(value, list) or not value:
        return False
    for row in value:
        if not isinstance(row, dict) or set(row) != {"from", "vnd"} or not _check_int(row["vnd"]) or row["vnd"] <= 0:
            return False
        try:
            dt.date.fromisoformat(row["from"])
        except (TypeError, ValueError):
            return False
    return True


# How a patient came to the clinic (the visit's ``arrival``), each with its MA_DOITUONG_KCB (QĐ 3276/2025).
ARRIVALS = ("registered", "referred", "emergency", "self_referred")


def _check_arrival_codes(value: Any) -> bool:
    return isinstance(value, dict) and set(value) <= set(ARRIVALS) and all(
        isinstance(v, str) and 0 < len(v) <= 4 for v in value.values())


BASE_SALARY_TABLE = Kind('list of rows {from = "YYYY-MM-DD", vnd = N}', _check_base_salaries, json.loads)
ARRIVAL_CODES = Kind("table {registered, referred, emergency, self_referred} of MA_DOITUONG_KCB codes",
                     _check_arrival_codes, json.loads)


@dataclass(frozen=True)
class Option:
    key: str
    kind: Kind
    default: Any
    help: str
    choices: tuple[Any, ...] = ()
    minimum: float | None = None
    site_locked: bool = False  # a machine's lock: once the site file sets it, no user-level value counts

    def validate(self, value: Any, where: str) -> Any:
        if self.kind is FLOAT and _check_int(value):
            value = float(value)
        if not self.kind.check(value):
            raise SettingsError(
                f"{where}: khoá '{self.key}' phải là {self.kind.name}, nhưng là {value!r}",
                f"{where}: key '{self.key}' must be a {self.kind.name}, got {value!r}",
            )
        if self.choices and value not in self.choices:
            allowed = ", ".join(map(str, self.choices))
            raise SettingsError(
                f"{where}: khoá '{self.key}' chỉ nhận: {allowed} (nhận được {value!r})",
                f"{where}: key '{self.key}' accepts only: {allowed} (got {value!r})",
            )
        if self.minimum is not None and value < self.minimum:
            raise SettingsError(
                f"{where}: khoá '{self.key}' phải ≥ {self.minimum} (nhận được {value!r})",
                f"{where}: key '{self.key}' must be ≥ {self.minimum} (got {value!r})",
            )
        return value


DEFAULT_DEPARTMENTS = [
    {"code": "K01", "name": "Khám bệnh", "name_en": "General examination", "rooms": ["101", "102"]},
    {"code": "K02", "name": "Nội tổng hợp", "name_en": "Internal medicine", "rooms": ["201"]},
    {"code": "K10", "name": "Nhi", "name_en": "Paediatrics", "rooms": ["105"]},
]

DEFAULT_PRIORITIES = [
    "elderly",  # người cao tuổi (≥ 75 under the 2025 rules, configurable)
    "young_child",  # trẻ em dưới 6 tuổi
    "pregnant",  # phụ nữ có thai
    "disabled",  # người khuyết tật nặng
    "merit",  # người có công với cách mạng
]

# Chronic diseases for which a prescription may cover more than 30 days (up to 90; TT 26/2025, the list carried
# over from TT 52/2017 Phụ lục II as far as it is known here), as ICD-10 codes or prefixes. A clinic edits the list.
CHRONIC_ICD10 = (
    "A15", "A16", "A17", "A18", "A19",  # tuberculosis
    "B18", "B20", "B21", "B22", "B23", "B24",  # chronic viral hepatitis, HIV
    "E03", "E05", "E06", "E10", "E11", "E12", "E13", "E14", "E22", "E23", "E27", "E78",  # thyroid, diabetes, lipids
    "F20", "F25", "F31", "F32", "F33", "F41", "F42", "G20", "G30", "G35", "G40",  # mental health, neurology
    "I05", "I06", "I07", "I08", "I10", "I11", "I12", "I13", "I15", "I20", "I25", "I48", "I50", "I63", "I69",  # heart
    "J44", "J45", "K50", "K51", "K73", "K74", "M05", "M06", "M10", "M32", "M45", "M81",  # lungs, gut, joints, bones
    "N03", "N04", "N18", "D56", "D66", "D69",  # kidneys, blood
)

# The base salary (lương cơ sở) in force from each date: the low-cost rule (15 %) and the five-year waiver (6×) of the
# BHYT co-payment are reckoned on it (the same rows as kiosk.bhxh.money.BASE_SALARIES; a new decree adds a row).
DEFAULT_BASE_SALARIES = [{"from": "2019-07-01", "vnd": 1_490_000}, {"from": "2023-07-01", "vnd": 1_800_000},
                         {"from": "2024-07-01", "vnd": 2_340_000}, {"from": "2026-07-01", "vnd": 2_530_000}]
DEFAULT_ARRIVAL_CODES = {"registered": "1.1", "referred": "1.3", "emergency": "2", "self_referred": "3.1"}

OPTIONS: tuple[Option, ...] = (
    Option("facility.code", STR, "01013", "MA_CSKCB: the clinic's 5-character facility code"),
    Option("facility.name", STR, "Phòng khám Đa khoa An Bình", "Facility name on screens and paper"),
    Option("facility.address", STR, "Số 12 Trần Hưng Đạo, Hà Nội", "Facility address on paper"),
    Option("facility.phone", STR, "024 3825 0000", "Facility phone on paper (required on prescriptions)"),
    Option("facility.authority", STR, "",
           "Governing authority printed above the facility's name on paper (e.g. \"SỞ Y TẾ HÀ NỘI\"); empty: "
           "\"SỞ Y TẾ\" and the province that ends facility.address, or no line when the address names none"),
    Option("facility.departments", DEPARTMENTS, DEFAULT_DEPARTMENTS,
           "Departments (MA_KHOA code, Vietnamese and English name, rooms)"),
    Option("queue.priorities", STR_LIST, DEFAULT_PRIORITIES, "Priority categories offered at check-in"),
    Option("queue.services", STR_LIST, ["Khám BHYT", "Khám dịch vụ", "Tái khám theo hẹn"],
           "Services offered at check-in and on the kiosk"),
    Option("queue.insurance_services", STR_LIST, ["Khám BHYT", "Tái khám theo hẹn"],
           "Services billed to the BHYT card: a card the gateway did not accept needs a reason for them"),
    Option("queue.fee_service", STR, "Khám dịch vụ",
           "The fee-paying service a check-in moves to when the BHYT card cannot be used"),
    Option("queue.elderly_age", INT, 75, "Age from which a patient is offered the elderly priority",
           minimum=60),
    Option("gateway.url", STR, "",
           "BHXH gateway base URL; empty = start the built-in sandbox with demo data"),
    Option("gateway.username", STR, "", "Facility gateway account, usually <MA_CSKCB>_BV"),
    Option("gateway.ca_bundle", STR, "", "Custom CA bundle file for the gateway (verification stays on)"),
    Option("gateway.connect_timeout", FLOAT, 3.05, "Seconds to wait for a connection", minimum=0.1),
    Option("gateway.read_timeout", FLOAT, 10.0, "Seconds to wait for an answer", minimum=0.1),
    Option("erx.url", STR, "",
           "National prescription system base URL (https://api.donthuocquocgia.vn); empty = the built-in sandbox"),
    Option("erx.facility_code", STR, "",
           "The clinic's liên thông code at the national prescription system; its password is in the OS keyring "
           "(clinic-kiosk erx set-password) or CLINIC_KIOSK_ERX_PASSWORD"),
    Option("erx.ca_bundle", STR, "", "Custom CA bundle file for the prescription system (verification stays on)"),
    Option("erx.connect_timeout", FLOAT, 3.05, "Seconds to wait for a connection to the prescription system",
           minimum=0.1),
    Option("erx.read_timeout", FLOAT, 15.0, "Seconds to wait for the prescription system's answer", minimum=0.1),
    Option("erx.chronic_icd10", STR_LIST, list(CHRONIC_ICD10),
           "ICD-10 codes or code prefixes of the chronic diseases for which a prescription may cover up to 90 days "
           "(TT 26/2025); others at most 30"),
    Option("signing.source", STR, "auto",
           "Where the facility's signing key is (claims and check-ins to the BHXH portal): pkcs11 (USB token), pkcs12 "
           "(a .p12/.pfx file), demo (the demo certificate), none (send unsigned), auto (the demo certificate with the "
           "built-in sandbox or a sandbox on this machine; nothing with a real gateway.url: documents wait until "
           "signing is set up)",
           choices=("auto", "demo", "pkcs11", "pkcs12", "none")),
    Option("signing.pkcs11_module", STR, "",
           "The token's PKCS#11 module from the CA's software (a .so/.dll/.dylib path), for signing.source = pkcs11"),
    Option("signing.token_label", STR, "", "The token's label; empty = the only token plugged in"),
    Option("signing.key_label", STR, "",
           "Label of the signing key and its certificate on the token; empty = the only key"),
    Option("signing.key_id", STR, "", "Or the key's CKA_ID in hexadecimal (wins over signing.key_label)"),
    Option("signing.pkcs12_file", STR, "",
           "The facility's .p12/.pfx file, for signing.source = pkcs12; its password like the token PIN: "
           "clinic-kiosk xml set-signing-pin or CLINIC_KIOSK_SIGNING_PIN"),
    Option("camera.source", STR, "0", "Camera: device index, video/image path, or MJPEG/RTSP URL"),
    Option("camera.mirror", BOOL, True, "Mirror the preview like a mirror (the decode is unaffected)"),
    Option("scanner.engines", STR_LIST, ["zxing"], "Decoder engines in order: zxing, zbar, opencv"),
    Option("scanner.confirm_frames", INT, 2, "Frames that must show the same code before it counts",
           minimum=1),
    Option("scanner.quiet_seconds", FLOAT, 10.0,
           "Seconds during which the same code is not accepted again", minimum=0),
    Option("scanner.serial", STR, "",
           "Serial (USB-COM/CDC) scanner: empty = none, a port (/dev/ttyACM0, COM3) or auto = find one"),
    Option("scanner.serial_baud", INT, 9600, "Baud rate of the serial scanner (USB CDC ignores it; RS-232 needs it)",
           choices=(1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)),
    Option("printing.ticket_printer", STR, "",
           "Ticket printer: NAME or cups:NAME[@HOST:PORT], escpos-net:HOST[:PORT], escpos-usb:VID:PID, "
           "escpos-file:DEVICE, folder:DIR, qt:NAME; empty = save the PDF"),
    Option("printing.document_printer", STR, "", "Printer for A4/A5 documents (same forms); empty = save the PDF"),
    Option("printing.output_dir", STR, "", "Folder for saved PDFs; empty = the data folder"),
    Option("printing.spool_keep_days", INT, 7,
           "Days the saved PDFs (one folder per day in printing.output_dir) are kept for reprints, then deleted",
           minimum=1),
    Option("printing.ticket_width_mm", INT, 80, "Thermal paper width of the ticket printer", choices=(80, 58)),
    Option("printing.copies", INT, 1, "Copies of each printed document", minimum=1),
    Option("printing.documents", DOCUMENT_SETTINGS, {},
           "Per document (ticket, appointment, referral, prescription, visit-summary): printer, paper (A4/A5), "
           "margin_mm, copies; anything left out uses the printers above and the form's own size"),
    Option("billing.exam_fee", TABLE, {"code": "02.1896", "name": "Khám Nội", "unit_price": 38700},
           "The exam fee: DMDC service code, name and price (the first cost line, which triggers check-in XML0); "
           "the claim takes its price from the price list (clinic-kiosk catalog prices) by the code"),
    Option("billing.base_salary", BASE_SALARY_TABLE, DEFAULT_BASE_SALARIES,
           "The base salary (lương cơ sở) in force from each date, as rows [[billing.base_salary]] from = "
           "\"2026-07-01\", vnd = 2530000: the BHYT low-cost rule (15 %) and five-year waiver (6×) use the row of the "
           "visit date; add a row when a new decree changes it"),
    Option("billing.arrival_codes", ARRIVAL_CODES, DEFAULT_ARRIVAL_CODES,
           "MA_DOITUONG_KCB (QĐ 3276/2025) for each way a patient comes: registered (right place), referred (with a "
           "referral slip), emergency, self_referred (registered elsewhere, came by themselves)"),
    Option("doctor.licence", STR, "", "This station's doctor licence number (MA_BAC_SI) until staff sign-in"),
    Option("ui.language", STR, "vi", "Language of the windows", choices=("vi", "en")),
    Option("security.idle_lock_minutes", INT, 5, "Lock a staff station after this many idle minutes",
           minimum=1),
    Option("kiosk.idle_seconds", INT, 30, "Wipe the self-service kiosk after this many idle seconds",
           minimum=5),
    Option("kiosk.voice", BOOL, False, "Spoken prompts on the kiosk (where the system has a voice)"),
    Option("board.voice", BOOL, True, "Call numbers aloud on the board (where the system has a voice)"),
    Option("board.chime", BOOL, True, "Chime before each call on the board"),
    Option("board.notices", STR_LIST, [],
           "Notices the board shows between calls; empty = the VNeID health-book guide"),
    Option("station.role", STR, "", "This PC's machine role: empty for a staff PC, kiosk or board for a public "
           "screen (the command line then runs under that role too); locked when set in the site file",
           choices=("", "kiosk", "board"), site_locked=True),
    Option("store.path", STR, "", "Database file; empty = clinic.db in the user data folder"),
    Option("store.busy_timeout", FLOAT, 10.0,
           "Seconds a station waits for another one's write before it says the database is busy", minimum=0.1),
    Option("backup.folder", STR, "",
           "Folder of the daily backups (best on another disk); empty = 'backups' next to the database"),
    Option("backup.keep", INT, 14, "How many daily backups to keep", minimum=1),
    # Both site-locked: a user pointing a public kiosk at another server (or certificate) would send the
    # patients' scanned ID cards there.
    Option("server.url", STR, "", "The clinic server this station uses (https://HOST:PORT); empty = the store on "
           "this PC. Set by clinic-kiosk enroll; locked when set in the site file", site_locked=True),
    Option("server.fingerprint", STR, "", "SHA-256 of the clinic server's certificate, pinned at enrolment; "
           "locked when set in the site file", site_locked=True),
    Option("server.listen", STR, "0.0.0.0:8443", "Where clinic-kiosk server listens (HOST:PORT)"),
    Option("server.store", STR, "sqlite", "The server's store: sqlite (the database file) or postgresql",
           choices=("sqlite", "postgresql")),
    Option("server.postgresql", STR, "", "PostgreSQL connection string for server.store = postgresql "
           "(e.g. host=db dbname=clinic user=clinic); the password from PGPASSWORD or ~/.pgpass"),
    Option("backup.daily", BOOL, True, "Take a backup automatically once a day (stations and the server)"),
    Option("offline.keep_days", INT, 7,
           "Days a station keeps the check-ins it made offline once the server has taken them in (offline.db), "
           "then deletes them with their tickets' PDFs; those not handed in are always kept", minimum=1),
)

OPTIONS_BY_KEY = {option.key: option for option in OPTIONS}
SHARED_SECTIONS = ("facility", "queue", "billing")  # a remote station takes these from the clinic server


def _flatten(table: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for name, value in table.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict) and key not in OPTIONS_BY_KEY:
            yield from _flatten(value, key + ".")
        else:
            yield key, value


def read_file(path: Path) -> dict[str, Any]:
    """Read and validate one settings file; a missing file is empty."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise SettingsError(
            f"Không đọc được tệp cài đặt {path}: {exc.strerror}",
            f"Cannot read settings file {path}: {exc.strerror}",
        ) from exc
    try:
        table = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(
            f"Tệp cài đặt {path} sai cú pháp TOML: {exc}", f"Settings file {path} is not valid TOML: {exc}"
        ) from exc
    values: dict[str, Any] = {}
    for key, value in _flatten(table):
        option = OPTIONS_BY_KEY.get(key)
        if option is None:
            raise SettingsError(
                f"{path}: không có khoá cài đặt '{key}'", f"{path}: unknown settings key '{key}'"
            )
        values[key] = option.validate(value, str(path))
    return values


def _unflatten(values: dict[str, Any]) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for key, value in sorted(values.items()):
        *parents, leaf = key.split(".")
        node = table
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return table


def world_readable(path: Path) -> bool:
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return os.name == "posix" and bool(mode & stat.S_IROTH)


class Settings:
    """Effective settings: defaults < site file < user file."""

    def __init__(self, paths: AppPaths | None = None) -> None:
        self.paths = paths or app_paths()
        self._site = read_file(self.paths.site_config_file)
        self._user = read_file(self.paths.user_config_file)  # as in the file; site-locked keys skipped on read
        self._server: dict[str, Any] = {}
        self._run: dict[str, Any] = {}  # this run's command-line options (never saved)

    def locked_by_site(self, key: str) -> bool:
        """Whether ``key`` is a machine's lock that the site file sets: no user-level value counts."""
        return OPTIONS_BY_KEY[key].site_locked and key in self._site

    def _refuse_locked(self, key: str) -> None:
        if self.locked_by_site(key):
            site = json.dumps(self._site[key], ensure_ascii=False)
            path = self.paths.site_config_file
            raise SettingsError(
                f"Cài đặt '{key}' đã bị khoá bởi tệp cài đặt của máy {path} ({key} = {site}); "
                "chỉ quản trị viên sửa được trong tệp đó",
                f"'{key}' is locked by this PC's site settings file {path} ({key} = {site}); "
                "only the administrator can change it there",
            )

    def set_for_run(self, key: str, value: Any) -> None:
        value = OPTIONS_BY_KEY[key].validate(value, "command line")
        if self.locked_by_site(key) and value != self._site[key]:
            self._refuse_locked(key)
        self._run[key] = value

    def apply_server(self, values: dict[str, Any]) -> None:
        """The clinic server's values of the settings every station must share (the facility, its
        departments, services, fees): they win over this PC's files."""
        self._server = {k: OPTIONS_BY_KEY[k].validate(v, "server") for k, v in values.items()
                        if k in OPTIONS_BY_KEY and k.split(".")[0] in SHARED_SECTIONS}

    def shared(self) -> dict[str, Any]:
        return {o.key: self[o.key] for o in OPTIONS if o.key.split(".")[0] in SHARED_SECTIONS}

    def __getitem__(self, key: str) -> Any:
        option = OPTIONS_BY_KEY[key]
        if self.locked_by_site(key):
            return copy.deepcopy(self._site[key])
        for layer in (self._run, self._server, self._user, self._site):
            if key in layer:
                return copy.deepcopy(layer[key])
        return copy.deepcopy(option.default)

    def origin(self, key: str) -> str:
        if self.locked_by_site(key):
            return "site (locked)"
        if key in self._run:
            return "command line"
        if key in self._server:
            return "server"
        if key in self._user:
            return "user"
        if key in self._site:
            return "site"
        return "default"

    def items(self) -> Iterator[tuple[Option, Any, str]]:
        for option in OPTIONS:
            yield option, self[option.key], self.origin(option.key)

    def set_user(self, key: str, text: str) -> Any:
        """Parse ``text`` for ``key``, validate it and write it to the user file."""
        option = OPTIONS_BY_KEY.get(key)
        if option is None:
            raise SettingsError(f"Không có khoá cài đặt '{key}'", f"Unknown settings key '{key}'")
        try:
            value = option.kind.parse(text)
        except ValueError as exc:
            raise SettingsError(
                f"Giá trị {text!r} không hợp lệ cho '{key}' (cần {option.kind.name})",
                f"Value {text!r} is not valid for '{key}' (needs a {option.kind.name})",
            ) from exc
        value = option.validate(value, "config set")
        self._refuse_locked(key)
        self._user[key] = value
        path = self.paths.user_config_file
        filemodes.private_dir(path.parent)
        tmp = path.with_suffix(".toml.tmp")
        tmp.write_text(tomli_w.dumps(_unflatten(self._user)), encoding="utf-8")
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
        return value

    def warnings(self) -> list[str]:
        """Problems to show an admin (the command line logs and prints them): settings files others can
        read, and user values of site-locked keys that are ignored."""
        user_file, site_file = self.paths.user_config_file, self.paths.site_config_file
        problems = [
            f"Tệp cài đặt {p} cho phép người dùng khác đọc / settings file {p} is readable by other users"
            for p in (user_file,)
            if world_readable(p)
        ]
        problems += [
            f"{user_file}: bỏ qua '{key}' = {json.dumps(self._user[key], ensure_ascii=False)} vì tệp cài đặt của "
            f"máy {site_file} khoá nó / ignoring '{key}' = {json.dumps(self._user[key], ensure_ascii=False)}: "
            f"locked by the site settings file {site_file}"
            for key in sorted(self._user)
            if self.locked_by_site(key) and self._user[key] != self._site[key]
        ]
        return problems

    def db_path(self) -> Path:
        configured = self["store.path"]
        return Path(configured).expanduser() if configured else self.paths.default_db

    def backup_dir(self) -> Path:
        configured = self["backup.folder"]
        return Path(configured).expanduser() if configured else self.db_path().parent / "backups"

    def spool_dir(self) -> Path:
        """Where rendered PDFs are kept (``printing.output_dir``, or ``printed`` in the data folder)."""
        configured = self["printing.output_dir"]
        return Path(configured).expanduser() if configured else self.paths.data_dir / "printed"

    def department(self, code: str) -> dict[str, Any] | None:
        return next((d for d in self["facility.departments"] if d["code"] == code), None)
