"""Is this PC's clock right? Queue numbers, visit times, XML dates and the audit trail all come from
it, so a wrong clock (a flat CMOS battery sets it years back; a bad NTP server jumps it ahead) is
detected and shown instead of quietly writing wrong dates.

Three witnesses, no network of our own needed:
- the program's own release date: no clinic PC can be running it before it existed;
- the store: times already written (the audit trail, tickets) are not in the future of now;
- the BHXH gateway: its HTTP ``Date`` header, when a call has been made.
"""

from __future__ import annotations

import datetime as dt
import email.utils
from dataclasses import dataclass

from kiosk.store.sqlite import Store

RELEASED = dt.datetime(2026, 11, 1)  # no correct clock reads earlier than this release
STORE_TOLERANCE = dt.timedelta(minutes=5)  # other PCs' clocks differ a little
GATEWAY_TOLERANCE_S = 300.0
FAR_FUTURE = dt.timedelta(days=5 * 366)  # a PC clock years past the release is more likely wrong


@dataclass(frozen=True)
class ClockVerdict:
    ok: bool
    vi: str = ""
    en: str = ""

    def __str__(self) -> str:
        return f"{self.vi} / {self.en}" if not self.ok else "ok"


def latest_written(store: Store) -> dt.datetime | None:
    """The latest time any station has written into the store."""
    times = []
    for sql in ("SELECT at FROM audit_events ORDER BY id DESC LIMIT 1",  # newest rows: no table scan
                "SELECT issued_at FROM tickets ORDER BY id DESC LIMIT 1"):
        row = store.conn.execute(sql).fetchone()
        try:
            times.append(dt.datetime.fromisoformat(row[0]))
        except (TypeError, ValueError):
            continue
    return max(times, default=None)


GATEWAY = ("cổng BHXH", "the BHXH gateway's")
CLINIC_SERVER = ("máy chủ phòng khám", "the clinic server's")


def skew_from_date_header(value: str | None) -> float | None:
    """Our clock minus a server's, from its HTTP ``Date`` header (None when absent or unreadable)."""
    try:
        server = email.utils.parsedate_to_datetime(value or "")
    except (TypeError, ValueError):
        return None
    if server.tzinfo is None:
        return None
    return (dt.datetime.now(dt.UTC) - server).total_seconds()


def check(now: dt.datetime, *, latest: dt.datetime | None = None, gateway_skew_s: float | None = None,
          reference: tuple[str, str] = GATEWAY) -> ClockVerdict:
    """``gateway_skew_s``: our clock minus ``reference``'s (the BHXH gateway, or the clinic server)."""
    shown = now.strftime("%d/%m/%Y %H:%M")
    fix_vi = "hãy chỉnh đồng hồ máy (hoặc báo bộ phận CNTT) trước khi tiếp đón"
    fix_en = "set the PC's clock (or call IT) before checking patients in"
    if now < RELEASED:
        return ClockVerdict(False, f"Đồng hồ máy tính sai: {shown} là trước ngày phát hành chương trình; {fix_vi}",
                            f"The PC's clock is wrong: {shown} is before this program was released; {fix_en}")
    if gateway_skew_s is not None and abs(gateway_skew_s) > GATEWAY_TOLERANCE_S:
        minutes = round(gateway_skew_s / 60)
        way_vi, way_en = ("nhanh", "ahead of") if minutes > 0 else ("chậm", "behind")
        return ClockVerdict(False, f"Đồng hồ máy tính {way_vi} {abs(minutes)} phút so với {reference[0]}; {fix_vi}",
                            f"The PC's clock is {abs(minutes)} min {way_en} {reference[1]}; {fix_en}")
    if latest is not None and now < latest - STORE_TOLERANCE:
        return ClockVerdict(False, f"Đồng hồ máy tính ({shown}) lùi về trước thời điểm đã ghi trong dữ liệu "
                                   f"({latest:%d/%m/%Y %H:%M}); {fix_vi}",
                            f"The PC's clock ({shown}) is behind times already written in the data "
                            f"({latest:%d/%m/%Y %H:%M}); {fix_en}")
    if now > max(RELEASED, latest or RELEASED) + FAR_FUTURE:
        return ClockVerdict(False, f"Đồng hồ máy tính sai: {shown} là quá xa trong tương lai; {fix_vi}",
                            f"The PC's clock is wrong: {shown} is far in the future; {fix_en}")
    return ClockVerdict(True)


def check_store(store: Store, *, now: dt.datetime | None = None, gateway_skew_s: float | None = None) -> ClockVerdict:
    return check(now or dt.datetime.now(), latest=latest_written(store), gateway_skew_s=gateway_skew_s)
