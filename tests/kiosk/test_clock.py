"""Clock and dates: queue numbers start again at midnight exactly once, and a wrong PC clock is
detected (from the release date, the store's own times and the gateway's Date header)."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk import checkin, clock, patients
from kiosk.bhxh.gateway import GatewayClient, LookupRequest, Staff
from kiosk.model import DatePrecision, Identity, IdentitySource
from kiosk.settings import Settings
from kiosk.store.opening import open_store

DEPARTMENT = {"code": "K01", "name": "Khám Nội", "rooms": ["101"]}
EVENING = dt.datetime(2026, 11, 22, 23, 59, 58)


def _patient(store, n: int):
    return patients.register(store, Identity(IdentitySource.MANUAL, id_number=f"0010900{n:05d}",
                                             full_name=f"Người Thử {n}", date_of_birth=dt.date(1990, 1, 1),
                                             dob_precision=DatePrecision.DAY))


def test_queue_numbers_restart_at_midnight_exactly_once(kiosk_home) -> None:
    store = open_store(Settings().db_path())
    people = [_patient(store, n) for n in range(8)]

    def number(who: int, at: dt.datetime) -> tuple[str, int]:
        ticket = checkin.check_in(store, people[who].id, DEPARTMENT, now=at).ticket
        return ticket.day.isoformat(), ticket.number

    assert number(0, EVENING - dt.timedelta(minutes=5)) == ("2026-11-22", 1)
    assert number(1, EVENING) == ("2026-11-22", 2)
    assert number(2, EVENING + dt.timedelta(seconds=3)) == ("2026-11-23", 1)  # the new day starts at 1
    # NTP pulls the clock back across midnight for a moment: the evening's queue goes on, and the
    # new day's numbers do not start over a second time when the clock comes forward again.
    assert number(3, EVENING + dt.timedelta(seconds=1)) == ("2026-11-22", 3)
    assert number(4, EVENING + dt.timedelta(seconds=9)) == ("2026-11-23", 2)
    assert number(5, EVENING + dt.timedelta(hours=8)) == ("2026-11-23", 3)
    # a patient who came yesterday gets a new ticket today, and only one
    assert number(0, EVENING + dt.timedelta(hours=9)) == ("2026-11-23", 4)
    assert number(0, EVENING + dt.timedelta(hours=10)) == ("2026-11-23", 4)
    rows = store.conn.execute("SELECT day, number, COUNT(*) FROM tickets GROUP BY day, number "
                              "HAVING COUNT(*) > 1").fetchall()
    assert rows == []
    state = checkin.board_state(store, dt.date(2026, 11, 23))
    assert state.waiting == {"K01": 4}  # the board of the new day shows only the new day
    store.close()


@pytest.mark.parametrize(("now", "latest", "skew", "needle"), [
    (dt.datetime(2009, 1, 1, 8), None, None, "before this program was released"),
    (dt.datetime(2026, 11, 22, 8), None, 3 * 3600.0, "180 min ahead of the BHXH gateway"),
    (dt.datetime(2026, 11, 22, 8), None, -900.0, "15 min behind the BHXH gateway"),
    (dt.datetime(2026, 11, 22, 8), dt.datetime(2026, 11, 25, 9), None, "behind times already written"),
    (dt.datetime(2041, 3, 1, 8), dt.datetime(2026, 11, 25, 9), None, "far in the future"),
])
def test_wrong_clock_is_detected(now, latest, skew, needle: str) -> None:
    verdict = clock.check(now, latest=latest, gateway_skew_s=skew)
    assert not verdict.ok and needle in verdict.en and "đồng hồ" in verdict.vi.lower()


@pytest.mark.parametrize(("now", "latest", "skew"), [
    (dt.datetime(2026, 11, 22, 8), None, None),
    (dt.datetime(2026, 11, 22, 8), dt.datetime(2026, 11, 22, 8, 3), 40.0),  # another PC 3 min ahead: fine
    (dt.datetime(2027, 6, 1, 8), dt.datetime(2026, 12, 24, 17), None),  # after a long holiday
])
def test_right_clock_passes(now, latest, skew) -> None:
    assert clock.check(now, latest=latest, gateway_skew_s=skew).ok


def test_store_times_are_a_witness(kiosk_home) -> None:
    store = open_store(Settings().db_path())
    person = _patient(store, 1)
    checkin.check_in(store, person.id, DEPARTMENT, now=dt.datetime.now() + dt.timedelta(days=3))
    verdict = clock.check_store(store)
    assert not verdict.ok and "behind times already written" in verdict.en
    store.close()


def test_gateway_date_header_gives_the_skew(sandbox) -> None:
    client = GatewayClient(sandbox.url, sandbox.username, sandbox.world.password_md5)
    assert client.clock_skew_s is None
    client.check_card(LookupRequest("0" * 12, "X", dt.date(1990, 1, 1)), Staff("Nguyễn Thị Lan", "001085001234"))
    assert client.clock_skew_s is not None and abs(client.clock_skew_s) < 5
    client.close()
