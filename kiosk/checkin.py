"""Check-in and the queues: numbers per department per day, never duplicated across stations or
restarts; a second check-in of the same patient the same day gives back the same ticket."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from kiosk.errors import KioskError
from kiosk.model import Ticket, TicketStatus
from kiosk.store.sqlite import Store

_TICKET_COLUMNS = "id, patient_id, day, department_code, number, room, service, priority, status, issued_at, station"


@dataclass(frozen=True)
class CheckIn:
    ticket: Ticket
    reprint: bool  # True: the patient already had this ticket today


def _ticket(row: tuple) -> Ticket:
    (tid, pid, day, dep, number, room, service, priority, status, issued, station) = row
    return Ticket(tid, pid, dt.date.fromisoformat(day), dep, number, room, service, priority, TicketStatus(status),
                  dt.datetime.fromisoformat(issued), station)


def get_ticket(store: Store, ticket_id: int) -> Ticket | None:
    row = store.conn.execute(f"SELECT {_TICKET_COLUMNS} FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
    return _ticket(row) if row else None


def tickets_of(store: Store, patient_id: int, day: dt.date) -> list[Ticket]:
    rows = store.conn.execute(f"SELECT {_TICKET_COLUMNS} FROM tickets WHERE patient_id = ? AND day = ? ORDER BY id",
                              (patient_id, day.isoformat())).fetchall()
    return [_ticket(r) for r in rows]


def check_in(
    store: Store,
    patient_id: int,
    department: dict,
    *,
    service: str = "",
    priority: str = "",
    station: str = "",
    card_decision: str = "",
    card_pending: bool = False,
    now: dt.datetime | None = None,
    number: int | None = None,
) -> CheckIn:
    """Give the patient a number in ``department`` today (one transaction). ``number``: the one a
    station gave offline from its own series (kiosk.remote.offline), else the next one."""
    now = now or dt.datetime.now()
    day = now.date().isoformat()
    code = department["code"]
    rooms = list(department.get("rooms") or [])
    with store.transaction() as db:
        row = db.execute(f"SELECT {_TICKET_COLUMNS} FROM tickets WHERE day = ? AND department_code = ? "
                         "AND patient_id = ?", (day, code, patient_id)).fetchone()
        if row is not None:
            return CheckIn(_ticket(row), True)
        if number is None:
            db.execute(
                "INSERT INTO queue_counters(day, department_code, last_number) VALUES (?, ?, 1) "
                "ON CONFLICT(day, department_code) DO UPDATE SET last_number = queue_counters.last_number + 1",
                (day, code),
            )
            number = db.execute("SELECT last_number FROM queue_counters WHERE day = ? AND department_code = ?",
                                (day, code)).fetchone()[0]
        room = ""
        if rooms:  # the room with the fewest patients waiting, first listed on a tie
            waiting = dict(db.execute(
                "SELECT room, COUNT(*) FROM tickets WHERE day = ? AND department_code = ? AND status = 'waiting' "
                "GROUP BY room", (day, code)).fetchall())
            room = min(rooms, key=lambda r: (waiting.get(r, 0), rooms.index(r)))
        cursor = db.execute(
            "INSERT INTO tickets(patient_id, day, department_code, number, room, service, priority, status, "
            "issued_at, station, card_decision, card_pending) VALUES (?, ?, ?, ?, ?, ?, ?, 'waiting', ?, ?, ?, ?)",
            (patient_id, day, code, number, room, service, priority, now.isoformat(timespec="seconds"), station,
             card_decision, int(card_pending)),
        )
        ticket_id = cursor.lastrowid
    ticket = get_ticket(store, ticket_id)
    assert ticket is not None
    return CheckIn(ticket, False)


def call_next(store: Store, department_code: str, room: str, *, now: dt.datetime | None = None) -> Ticket:
    """Call the next waiting patient to ``room``: priority first, then by arrival (an offline check-in
    carries a number reserved earlier), then by number."""
    now = now or dt.datetime.now()
    with store.transaction() as db:
        row = db.execute(
            f"SELECT {_TICKET_COLUMNS} FROM tickets WHERE day = ? AND department_code = ? AND status = 'waiting' "
            "AND (room = ? OR room = '') ORDER BY (priority = ''), issued_at, number LIMIT 1",
            (now.date().isoformat(), department_code, room),
        ).fetchone()
        if row is None:
            raise KioskError("Không còn người bệnh nào đang chờ", "Nobody is waiting")
        db.execute("UPDATE tickets SET status = 'done' WHERE day = ? AND department_code = ? AND room = ? "
                   "AND status = 'called'", (now.date().isoformat(), department_code, room))
        db.execute("UPDATE tickets SET status = 'called', room = ?, called_at = ? WHERE id = ?",
                   (room, now.isoformat(timespec="seconds"), row[0]))
    ticket = get_ticket(store, row[0])
    assert ticket is not None
    return ticket


def set_card_result(store: Store, ticket_id: int, decision: str, pending: bool) -> None:
    with store.transaction() as db:
        db.execute("UPDATE tickets SET card_decision = ?, card_pending = ? WHERE id = ?",
                   (decision, int(pending), ticket_id))


def pending_card_checks(store: Store) -> list[tuple[int, int]]:
    """(ticket id, patient id) of today's check-ins whose card check could not be made yet."""
    return [tuple(r) for r in store.conn.execute(
        "SELECT id, patient_id FROM tickets WHERE card_pending = 1 AND day = ?", (dt.date.today().isoformat(),))]


@dataclass(frozen=True)
class Call:
    number: int
    department_code: str
    room: str
    called_at: dt.datetime


@dataclass(frozen=True)
class BoardState:
    calls: list[Call]  # newest first
    next_numbers: dict[tuple[str, str], list[int]]  # (department, room) -> next few numbers
    waiting: dict[str, int]  # department -> how many wait


def board_state(store: Store, day: dt.date, next_count: int = 3) -> BoardState:
    """What the waiting-hall board shows: numbers only, never names."""
    rows = store.conn.execute(
        "SELECT number, department_code, room, status, called_at, priority FROM tickets WHERE day = ? "
        "ORDER BY (priority = ''), issued_at, number", (day.isoformat(),)).fetchall()
    calls = sorted((Call(n, d, r, dt.datetime.fromisoformat(c)) for n, d, r, st, c, _ in rows
                    if st in ("called", "in_room", "done") and c), key=lambda c: c.called_at, reverse=True)
    next_numbers: dict[tuple[str, str], list[int]] = {}
    waiting: dict[str, int] = {}
    for n, d, r, st, _, _ in rows:
        if st == "waiting":
            waiting[d] = waiting.get(d, 0) + 1
            queue = next_numbers.setdefault((d, r), [])
            if len(queue) < next_count:
                queue.append(n)
    return BoardState(calls, next_numbers, waiting)


@dataclass(frozen=True)
class QueueEntry:
    ticket: Ticket
    patient_name: str


def room_queue(store: Store, department_code: str, room: str, day: dt.date) -> list[QueueEntry]:
    """The room's patients today, in calling order: the one called first, then the waiting ones."""
    rows = store.conn.execute(
        f"SELECT {', '.join('t.' + c.strip() for c in _TICKET_COLUMNS.split(','))}, p.full_name FROM tickets t "
        "JOIN patients p ON p.id = t.patient_id WHERE t.day = ? AND t.department_code = ? "
        "AND (t.room = ? OR t.room = '') AND t.status IN ('called', 'in_room', 'waiting', 'skipped') "
        "ORDER BY CASE t.status WHEN 'in_room' THEN 0 WHEN 'called' THEN 1 WHEN 'waiting' THEN 2 ELSE 3 END, "
        "(t.priority = ''), t.issued_at, t.number", (day.isoformat(), department_code, room)).fetchall()
    return [QueueEntry(_ticket(r[:11]), r[11]) for r in rows]


def set_status(store: Store, ticket_id: int, status: str, *, now: dt.datetime | None = None) -> Ticket:
    """Recall (called again, the board announces it again), skip, no-show, back to waiting."""
    now = now or dt.datetime.now()
    with store.transaction() as db:
        if status == "called":
            db.execute("UPDATE tickets SET status = 'called', called_at = ? WHERE id = ?",
                       (now.isoformat(timespec="seconds"), ticket_id))
        else:
            db.execute("UPDATE tickets SET status = ? WHERE id = ?", (status, ticket_id))
    ticket = get_ticket(store, ticket_id)
    assert ticket is not None
    return ticket


def transfer(store: Store, ticket_id: int, department: dict, room: str) -> Ticket:
    """Send the patient to another room (same number; another department gets its own number)."""
    ticket = get_ticket(store, ticket_id)
    assert ticket is not None
    if department["code"] == ticket.department_code:
        with store.transaction() as db:
            db.execute("UPDATE tickets SET room = ?, status = 'waiting' WHERE id = ?", (room, ticket_id))
        moved = get_ticket(store, ticket_id)
        assert moved is not None
        return moved
    set_status(store, ticket_id, "done")
    return check_in(store, ticket.patient_id, {**department, "rooms": [room]}, station="transfer").ticket
