"""The audit trail: every health-book view, print, export, XML send and staff change, appended to a
hash chain. Patients are referred to by a keyed hash of their personal ID (or patient code), so the
table alone does not reveal who they are.

The chain is keyed and anchored outside the database, so that someone who can edit the database
(but not the data folder) cannot rewrite it unseen:

* each row's hash is HMAC-SHA256, under the audit key, of the previous row's hash and the row
  itself. The key is 32 random bytes in ``audit.key`` (mode 0600) beside the SQLite file — for a
  PostgreSQL store, in the data folder of the settings it was opened with — never in the database;
* the head of the chain (row count, last row id, last hash) is kept in ``audit-head.json`` beside
  the key, rewritten (atomically) by every ``append`` inside the same store transaction, after the
  INSERT, so writers are serialised by the store's write lock. Before it moves the head, ``append``
  compares the anchor with the database's last row: a mismatch (rows deleted, the table emptied, a
  backup restored) is recorded in the anchor, so a later row cannot hide it;
* ``verify`` checks every row with the key, then the database's head against the anchor, and
  reports the mismatches ``append`` recorded.

Installations that kept the old unkeyed chain (plain SHA-256) are upgraded once, on the first
``append`` or ``verify``: if the old chain holds, every row is re-hashed under the key in one store
transaction and an ``audit.keyed`` row says so; a broken old chain is left as it is (reported).

Someone who holds the key and can write both the database and the anchor can still rewrite
everything consistently: copies of the head kept elsewhere (``audit verify`` prints it) are the
defence against that.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.errors import StoreError
from kiosk.model import AuditEvent, Patient
from kiosk.store.sqlite import Store

log = logging.getLogger(__name__)

GENESIS = "0" * 64
KEY_FILE = "audit.key"
HEAD_FILE = "audit-head.json"
KEY_BYTES = 32
KEYED_ACTION = "audit.keyed"  # the row that records the upgrade of an old unkeyed chain
_ROW_COLUMNS = "id, at, actor, action, patient_ref, detail, reason, prev_hash, hash"


def patient_ref(store: Store, patient: Patient | None) -> str:
    if patient is None:
        return ""
    key = store.installation_secret("audit_key")
    who = patient.id_number or patient.patient_code
    return hmac.new(key, who.encode(), hashlib.sha256).hexdigest()[:32]


def _body(prev: str, at: str, actor: str, action: str, ref: str, detail: str, reason: str) -> bytes:
    return json.dumps([prev, at, actor, action, ref, detail, reason], ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")


def _row_hash(prev: str, at: str, actor: str, action: str, ref: str, detail: str, reason: str) -> str:
    """The old, unkeyed hash (plain SHA-256): only read, to upgrade and to explain."""
    return hashlib.sha256(_body(prev, at, actor, action, ref, detail, reason)).hexdigest()


def _keyed_hash(key: bytes, prev: str, at: str, actor: str, action: str, ref: str, detail: str,
                reason: str) -> str:
    return hmac.new(key, _body(prev, at, actor, action, ref, detail, reason), hashlib.sha256).hexdigest()


# -- the two files outside the database ------------------------------------------------------------

@dataclass(frozen=True)
class Place:
    """Where one store's audit key and anchor live, and the name the anchor knows the store by."""

    folder: Path
    database: str

    @property
    def key_path(self) -> Path:
        return self.folder / KEY_FILE

    @property
    def head_path(self) -> Path:
        return self.folder / HEAD_FILE


def place(store: Store) -> Place:
    """A SQLite store's files sit beside the database file (every station sharing the file shares
    them); a PostgreSQL store's in the data folder of its settings (``audit_dir``, set by
    ``open_configured``; this user's data folder otherwise)."""
    found = getattr(store, "_audit_place", None)
    if found is not None:
        return found
    folder = getattr(store, "audit_dir", None)
    if getattr(store, "kind", "sqlite") == "sqlite":
        path = Path(store.path)
        found = Place(Path(folder) if folder else path.parent, path.name)
    else:
        from kiosk.paths import app_paths

        name = store.conn.execute("SELECT current_database()").fetchone()[0]
        found = Place(Path(folder) if folder else app_paths().data_dir, f"postgresql:{name}")
    with contextlib.suppress(AttributeError):
        store._audit_place = found  # type: ignore[attr-defined]
    return found


def _write_private(path: Path, data: bytes, *, exclusive: bool = False) -> None:
    """Write ``data`` to ``path`` (mode 0600) through a temporary file, so a reader never sees half
    of it: replaced atomically, or — ``exclusive`` — created only if it does not exist yet."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)  # whatever the umask
        os.write(fd, data)
        if exclusive:  # the key: made once, must survive a power cut. The head moves with every row and
            os.fsync(fd)  # is as durable as the database's own commits (WAL, synchronous=NORMAL): no fsync
    finally:
        os.close(fd)
    try:
        if exclusive:
            try:
                os.link(tmp, path)  # FileExistsError: someone else made it first
            except FileExistsError:
                raise
            except OSError:  # a file system without hard links: create it in place, exclusively
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
                try:
                    os.write(fd, data)
                    os.fsync(fd)
                finally:
                    os.close(fd)
        else:
            for attempt in range(20):  # Windows: a reader holding the old file blocks the rename a moment
                try:
                    os.replace(tmp, path)
                    break
                except PermissionError:
                    if attempt == 19:
                        raise
                    time.sleep(0.025)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _read_key(where: Place) -> bytes | None:
    try:
        key = where.key_path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreError(f"Không đọc được khoá nhật ký truy cập {where.key_path}: {exc}",
                         f"Cannot read the audit key {where.key_path}: {exc}") from exc
    if len(key) != KEY_BYTES:
        raise StoreError(f"Khoá nhật ký truy cập {where.key_path} bị hỏng ({len(key)} byte thay vì {KEY_BYTES})",
                         f"The audit key {where.key_path} is damaged ({len(key)} bytes instead of {KEY_BYTES})")
    return key


def _create_key(where: Place) -> bytes:
    try:
        _write_private(where.key_path, secrets.token_bytes(KEY_BYTES), exclusive=True)
    except FileExistsError:
        pass  # another store in this folder made it a moment ago: use theirs
    except OSError as exc:
        raise StoreError(f"Không tạo được khoá nhật ký truy cập {where.key_path}: {exc}",
                         f"Cannot create the audit key {where.key_path}: {exc}") from exc
    key = _read_key(where)
    assert key is not None
    return key


@dataclass
class Anchor:
    """What ``audit-head.json`` holds: the head of each database's chain kept in this folder."""

    found: bool
    databases: dict[str, dict[str, Any]]
    damaged: str = ""


def _read_anchor(where: Place) -> Anchor:
    try:
        text = where.head_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Anchor(False, {})
    except OSError as exc:
        return Anchor(True, {}, str(exc))
    try:
        data = json.loads(text)
        databases = data["databases"]
        if not isinstance(databases, dict):
            raise TypeError("databases")
    except (ValueError, KeyError, TypeError) as exc:
        return Anchor(True, {}, f"not an audit head ({exc})")
    return Anchor(True, databases)


def _write_anchor(where: Place, anchor: Anchor) -> None:
    data = {"format": 1, "databases": anchor.databases}
    try:
        _write_private(where.head_path, json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8"))
    except OSError as exc:
        raise StoreError(f"Không ghi được đầu chuỗi nhật ký truy cập {where.head_path}: {exc}; thao tác chưa được lưu",
                         f"Cannot write the audit head {where.head_path}: {exc}; nothing was saved") from exc


def _now() -> str:
    return dt.datetime.now().isoformat(timespec="seconds")


def _lost_key(where: Place) -> StoreError:
    return StoreError(
        f"Thiếu khoá nhật ký truy cập {where.key_path} trong khi chuỗi nhật ký đã được ký bằng nó: không tạo khoá mới "
        "đè lên chuỗi cũ; hãy chép lại tệp audit.key từ bản sao lưu (xem: clinic-kiosk audit verify)",
        f"The audit key {where.key_path} is missing while the audit chain was keyed with it: no new key is made over "
        "the old chain; copy audit.key back from a backup (see: clinic-kiosk audit verify)")


# -- upgrade of an old unkeyed chain -------------------------------------------------------------

def _legacy_problem(db: Any) -> tuple[int, int | None, str]:
    """Walk the old unkeyed chain: (rows, first bad row, problem), problem empty when it holds."""
    prev, n = GENESIS, 0
    for rid, at, actor, action, ref, detail, reason, prev_hash, digest in db.execute(
            f"SELECT {_ROW_COLUMNS} FROM audit_events ORDER BY id"):
        n += 1
        if prev_hash != prev:
            return n, rid, "the chain is broken here (a row before it was deleted or changed)"
        if _row_hash(prev_hash, at, actor, action, ref, detail, reason) != digest:
            return n, rid, "this row was edited"
        prev = digest
    return n, None, ""


def _has_keyed_history(db: Any) -> bool:
    """Whether this database's chain was ever keyed (then a missing key is lost, never replaced)."""
    if db.execute("SELECT 1 FROM installation WHERE name = 'audit_chain'").fetchone() is not None:
        return True
    return db.execute("SELECT 1 FROM audit_events WHERE action = ? LIMIT 1", (KEYED_ACTION,)).fetchone() is not None


def _mark_keyed(db: Any) -> None:
    """A marker (not a secret) that this database's chain is keyed: a copy of it in a folder without
    the key is then refused, instead of taken for an old chain."""
    db.execute("INSERT OR IGNORE INTO installation(name, value) VALUES ('audit_chain', 'hmac-sha256')")


def _prepare(db: Any, where: Place) -> tuple[bytes, str]:
    """Inside a write transaction: the key to chain with, upgrading an old unkeyed chain once.
    Returns (key, what to record in an ``audit.keyed`` row — empty when there is nothing to say)."""
    key = _read_key(where)
    anchor = _read_anchor(where)
    if where.database in anchor.databases:  # keyed and anchored already: the ordinary case
        if key is None:
            raise _lost_key(where)
        return key, ""
    last = db.execute("SELECT at, actor, action, patient_ref, detail, reason, prev_hash, hash FROM audit_events "
                      "ORDER BY id DESC LIMIT 1").fetchone()
    if last is None:  # nothing to upgrade
        _mark_keyed(db)
        return key or _create_key(where), ""
    if key is not None and _keyed_hash(key, *last[:7]) == last[7]:
        _mark_keyed(db)
        return key, ""  # a keyed chain whose anchor is gone: append records that, verify reports it
    if _has_keyed_history(db):
        if key is None:
            raise _lost_key(where)
        return key, ""  # keyed once, now not: verify explains the rows
    rows, bad, problem = _legacy_problem(db)
    key = key or _create_key(where)
    _mark_keyed(db)
    if problem:
        log.warning("audit: the old unkeyed chain is broken at row %s (%s): not re-chained", bad, problem)
        return key, (f"{rows} unkeyed rows NOT re-chained: the old chain is broken at row {bad} ({problem}); "
                     "they stay reported by audit verify")
    prev, updates = GENESIS, []
    for rid, at, actor, action, ref, detail, reason, _prev, _digest in db.execute(
            f"SELECT {_ROW_COLUMNS} FROM audit_events ORDER BY id").fetchall():
        digest = _keyed_hash(key, prev, at, actor, action, ref, detail, reason)
        updates.append((prev, digest, rid))
        prev = digest
    db.conn.executemany("UPDATE audit_events SET prev_hash = ?, hash = ? WHERE id = ?", updates)
    anchor.databases[where.database] = {"rows": rows, "last_id": updates[-1][2], "last_hash": prev,
                                        "updated_at": _now(), "breaks": []}
    _write_anchor(where, anchor)
    log.info("audit: %s old unkeyed rows re-chained under the audit key %s", rows, where.key_path)
    return key, f"{rows} rows of the old unkeyed chain verified and re-chained under the audit key"


def _append_row(db: Any, where: Place, key: bytes, at: str, actor: str, action: str, ref: str, detail: str,
                reason: str) -> AuditEvent:
    """INSERT one keyed row after the database's last row, then move the anchor (same transaction).
    A database head that is not the anchor's is recorded in the anchor before it moves on."""
    last = db.execute("SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1").fetchone()
    prev = last[1] if last else GENESIS
    digest = _keyed_hash(key, prev, at, actor, action, ref, detail, reason)
    cursor = db.execute("INSERT INTO audit_events(at, actor, action, patient_ref, detail, reason, prev_hash, hash) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (at, actor, action, ref, detail, reason, prev, digest))
    row_id = cursor.lastrowid
    anchor = _read_anchor(where)
    head = anchor.databases.get(where.database)
    breaks = list(head.get("breaks", [])) if head else []
    found = {"last_id": last[0] if last else None, "last_hash": prev}
    if head is not None and head.get("last_id") == found["last_id"] and head.get("last_hash") == prev:
        rows = int(head["rows"]) + 1
    else:
        rows = int(db.execute("SELECT COUNT(*) FROM audit_events").fetchone()[0])
        if head is not None or last is not None or anchor.damaged:
            was = {k: head.get(k) for k in ("rows", "last_id", "last_hash")} if head else None
            breaks.append({"noticed_at": _now(), "before_row": row_id, "anchor": was, "database": found,
                           "anchor_damaged": anchor.damaged})
            log.warning("audit: the database's last row %s is not the anchor's (%s): recorded in %s",
                        found["last_id"], was, where.head_path)
    anchor.databases[where.database] = {"rows": rows, "last_id": row_id, "last_hash": digest,
                                        "updated_at": _now(), "breaks": breaks}
    _write_anchor(where, anchor)
    return AuditEvent(row_id, dt.datetime.fromisoformat(at), actor, action, ref, detail, reason, prev, digest)


def append(store: Store, actor: str, action: str, *, patient: Patient | None = None, detail: str = "",
           reason: str = "") -> AuditEvent:
    at = dt.datetime.now().isoformat(timespec="microseconds")
    ref = patient_ref(store, patient)
    where = place(store)
    with store.transaction() as db:
        key, upgraded = _prepare(db, where)
        if upgraded:
            _append_row(db, where, key, dt.datetime.now().isoformat(timespec="microseconds"), "audit", KEYED_ACTION,
                        "", upgraded, "")
        event = _append_row(db, where, key, at, actor, action, ref, detail, reason)
    return event


def accept_head(store: Store, actor: str, reason: str) -> AuditEvent:
    """Anchor the chain at the database's present head, on an administrator's word: after restoring a
    backup (``db restore`` does it), the database is rightly behind the anchor. The old head and the
    mismatches recorded so far are kept in the anchor file's history and named in an
    ``audit.accept_head`` row; an edited or missing row inside the chain is still reported."""
    reason = " ".join(reason.split())[:200]
    if not reason:
        raise StoreError("Cần ghi lý do", "A reason is needed")
    where = place(store)
    with store.transaction() as db:
        key, upgraded = _prepare(db, where)
        anchor = _read_anchor(where)
        head = anchor.databases.get(where.database) or {}
        last = db.execute("SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1").fetchone()
        was = {k: head.get(k) for k in ("rows", "last_id", "last_hash")}
        history = list(head.get("accepted", [])) + [{"at": _now(), "actor": actor, "reason": reason, "anchor": was,
                                                     "breaks": head.get("breaks", [])}]
        rows = int(db.execute("SELECT COUNT(*) FROM audit_events").fetchone()[0])
        anchor.databases[where.database] = {"rows": rows, "last_id": last[0] if last else None,
                                            "last_hash": last[1] if last else GENESIS, "updated_at": _now(),
                                            "breaks": [], "accepted": history}
        _write_anchor(where, anchor)
        detail = (f"{reason}; the head was {was.get('rows')} rows up to row {was.get('last_id')} "
                  f"({_short(was.get('last_hash'))}), now {rows} rows up to row {last[0] if last else None}")
        return _append_row(db, where, key, dt.datetime.now().isoformat(timespec="microseconds"), actor,
                           "audit.accept_head", "", detail, "")


# -- verification ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Verdict:
    ok: bool
    rows: int
    broken_at: int | None = None
    problem: str = ""
    problem_vi: str = ""
    #: the head the anchor outside the database holds, to copy elsewhere (printed by ``audit verify``)
    head: str = ""


def _short(digest: object) -> str:
    return f"{str(digest)[:16]}…" if digest else "-"


def _upgrade_if_needed(store: Store, where: Place) -> None:
    """Verify's share of the upgrade: only when this database has no anchor yet and has rows."""
    if where.database in _read_anchor(where).databases:
        return
    if store.conn.execute("SELECT 1 FROM audit_events LIMIT 1").fetchone() is None:
        return
    if _has_keyed_history(store.conn):
        return
    with contextlib.suppress(StoreError), store.transaction() as db:
        if where.database in _read_anchor(where).databases:
            return  # another process upgraded it meanwhile
        if _legacy_problem(db)[2]:
            return  # not a sound old chain: report it as it is, make nothing
        key, upgraded = _prepare(db, where)
        if upgraded:
            _append_row(db, where, key, dt.datetime.now().isoformat(timespec="microseconds"), "audit", KEYED_ACTION,
                        "", upgraded, "")


def _rows(store: Store) -> Iterator[tuple]:
    yield from store.conn.execute(f"SELECT {_ROW_COLUMNS} FROM audit_events ORDER BY id")


def verify(store: Store) -> Verdict:
    where = place(store)
    _upgrade_if_needed(store, where)
    # The head is read under the store's write lock: a writer moves it before its COMMIT, so outside
    # the lock it may name a row not committed yet. The rows are read after: any row appended
    # meanwhile only follows the head.
    with store.transaction():
        anchor = _read_anchor(where)
    head = anchor.databases.get(where.database)
    key = _read_key(where)
    head_text = (f"{head['rows']} rows up to row {head['last_id']}, hash {_short(head['last_hash'])} "
                 f"({where.head_path})") if head else ""

    def broken(n: int, at: int | None, en: str, vi: str) -> Verdict:
        return Verdict(False, n, at, en, vi, head_text)

    prev, n, expected_id, last_id = GENESIS, 0, None, None
    at_head: tuple[int, str] | None = None
    for rid, at, actor, action, ref, detail, reason, prev_hash, digest in _rows(store):
        n += 1
        if key is None:
            if head is None and not _has_keyed_history(store.conn):  # an old unkeyed chain, not upgraded
                total, bad, problem = _legacy_problem(store.conn)
                if problem:
                    return broken(total, bad, f"{problem} (the old unkeyed chain; broken, so it was not "
                                  "re-chained under the audit key)", f"chuỗi cũ không khoá bị hỏng tại dòng {bad} "
                                  f"({problem}); không chuyển sang khoá nhật ký")
                return broken(total, rid, "the old unkeyed chain is not keyed yet (the upgrade could not run: "
                              "try again)", "chuỗi cũ chưa được chuyển sang khoá nhật ký (chưa nâng cấp được: "
                              "hãy thử lại)")
            total = int(store.conn.execute("SELECT COUNT(*) FROM audit_events").fetchone()[0])
            return broken(total, rid, f"the audit key {where.key_path} is missing: the {total} rows cannot be "
                          "checked (copy audit.key back from a backup; a new key is never made over an existing chain)",
                          f"thiếu khoá nhật ký {where.key_path}: không kiểm tra được {total} dòng (hãy chép lại "
                          "audit.key từ bản sao lưu; chương trình không tạo khoá mới đè lên chuỗi đã có)")
        if prev_hash != prev:
            if expected_id is not None and rid != expected_id:
                return broken(n, rid, f"rows {expected_id}…{rid - 1} are missing",
                              f"mất các dòng {expected_id}…{rid - 1}")
            return broken(n, rid, "the chain is broken here (a row before it was deleted or changed)",
                          "chuỗi bị đứt tại đây (một dòng trước nó đã bị xoá hoặc sửa)")
        if _keyed_hash(key, prev_hash, at, actor, action, ref, detail, reason) != digest:
            if _row_hash(prev_hash, at, actor, action, ref, detail, reason) == digest:
                return broken(n, rid, "this row carries an unkeyed hash: the chain was rewritten without the audit "
                              "key (or is an old row that could not be re-chained)",
                              "dòng này mang mã băm không có khoá: chuỗi đã bị viết lại mà không có khoá nhật ký "
                              "(hoặc là dòng cũ không chuyển được sang khoá)")
            return broken(n, rid, "this row was edited (its keyed hash does not match)",
                          "dòng này đã bị sửa (mã băm có khoá không khớp)")
        if head is not None and rid == head.get("last_id"):
            at_head = (n, digest)
        prev, expected_id, last_id = digest, rid + 1, rid
    return _check_anchor(where, anchor, head, n, last_id, at_head, key is not None, head_text)


def _check_anchor(where: Place, anchor: Anchor, head: dict[str, Any] | None, n: int, last_id: int | None,
                  at_head: tuple[int, str] | None, has_key: bool, head_text: str) -> Verdict:
    def broken(at: int | None, en: str, vi: str) -> Verdict:
        return Verdict(False, n, at, en, vi, head_text)

    next_id = (last_id or 0) + 1
    if anchor.damaged:
        return broken(next_id, f"the audit head {where.head_path} is unreadable ({anchor.damaged})",
                      f"không đọc được đầu chuỗi nhật ký {where.head_path} ({anchor.damaged})")
    if head is None:
        if n:
            return broken(last_id, f"the audit head {where.head_path} has no record of this database's chain: "
                          "the last rows cannot be vouched for (the anchor was deleted)",
                          f"tệp đầu chuỗi {where.head_path} không có chuỗi của cơ sở dữ liệu này: không xác nhận "
                          "được các dòng cuối (tệp neo đã bị xoá)")
        if has_key and not anchor.found:
            return broken(1, f"the audit table is empty while the audit key exists and its head {where.head_path} "
                          "is missing: the trail may have been emptied",
                          f"bảng nhật ký trống trong khi khoá nhật ký vẫn còn và tệp đầu chuỗi {where.head_path} "
                          "đã mất: nhật ký có thể đã bị xoá sạch")
        return Verdict(True, 0)
    want_rows, want_id, want_hash = int(head["rows"]), head.get("last_id"), head.get("last_hash")
    if at_head is None:
        if last_id is None or (want_id is not None and last_id < want_id):
            held = f"{n} rows up to row {last_id}" if n else "no rows"
            held_vi = f"{n} dòng đến dòng {last_id}" if n else "không còn dòng nào"
            return broken(next_id, f"the last rows are missing: the head kept outside the database records "
                          f"{want_rows} rows up to row {want_id}, the database holds {held} (rows deleted or the "
                          "table emptied; or a backup restored, or the last writes lost in a power failure)",
                          f"mất các dòng cuối: đầu chuỗi lưu ngoài cơ sở dữ liệu ghi {want_rows} dòng đến dòng "
                          f"{want_id}, cơ sở dữ liệu còn {held_vi} (dòng bị xoá hoặc bảng bị xoá sạch; hoặc đã "
                          "khôi phục bản sao lưu, hoặc mất lần ghi cuối khi mất điện)")
        return broken(want_id, f"row {want_id}, the head kept outside the database, is missing",
                      f"mất dòng {want_id}, đầu chuỗi lưu ngoài cơ sở dữ liệu")
    rows_to_head, hash_at_head = at_head
    if hash_at_head != want_hash:
        return broken(want_id, f"row {want_id}'s hash differs from the copy kept outside the database: the chain "
                      "was rewritten", f"mã băm của dòng {want_id} khác bản lưu ngoài cơ sở dữ liệu: chuỗi đã bị "
                      "viết lại")
    if rows_to_head != want_rows:
        return broken(want_id, f"the head kept outside the database counts {want_rows} rows up to row {want_id}, "
                      f"the database {rows_to_head}: rows were removed and the chain re-made",
                      f"đầu chuỗi lưu ngoài cơ sở dữ liệu đếm {want_rows} dòng đến dòng {want_id}, cơ sở dữ liệu "
                      f"còn {rows_to_head}: các dòng đã bị xoá và chuỗi bị làm lại")
    for seen in head.get("breaks", []):
        was = seen.get("anchor") or {}
        got = seen.get("database") or {}
        before = seen.get("before_row")
        if seen.get("anchor_damaged"):
            why_en = f"the audit head was unreadable ({seen['anchor_damaged']})"
            why_vi = f"không đọc được đầu chuỗi ({seen['anchor_damaged']})"
        elif not was:
            why_en, why_vi = "the audit head had no record of this chain", "đầu chuỗi không có chuỗi này"
        else:
            why_en = (f"the database's last row was {got.get('last_id')}, the head kept outside it said row "
                      f"{was.get('last_id')} ({was.get('rows')} rows)")
            why_vi = (f"dòng cuối trong cơ sở dữ liệu là {got.get('last_id')}, đầu chuỗi lưu bên ngoài ghi dòng "
                      f"{was.get('last_id')} ({was.get('rows')} dòng)")
        return broken(before, f"when row {before} was added ({seen.get('noticed_at')}), {why_en}: rows had been "
                      "deleted, the anchor removed, or a backup restored", f"khi thêm dòng {before} "
                      f"({seen.get('noticed_at')}), {why_vi}: các dòng đã bị xoá, tệp neo bị xoá, hoặc đã khôi "
                      "phục bản sao lưu")
    return Verdict(True, n, head=head_text)


def show(store: Store, *, patient: Patient | None = None, since: dt.datetime | None = None) -> list[AuditEvent]:
    sql = f"SELECT {_ROW_COLUMNS} FROM audit_events WHERE 1 = 1"
    args: list[str] = []
    if patient is not None:
        sql += " AND patient_ref = ?"
        args.append(patient_ref(store, patient))
    if since is not None:
        sql += " AND at >= ?"
        args.append(since.isoformat())
    rows = store.conn.execute(sql + " ORDER BY id", args).fetchall()
    return [AuditEvent(r[0], dt.datetime.fromisoformat(r[1]), *r[2:]) for r in rows]
