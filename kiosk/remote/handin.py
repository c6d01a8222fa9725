"""What a station hands the server when it is back online: the check-ins it made offline, and the server's answer for
each (taken in once, under the number the station printed)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from kiosk.model import Identity, Ticket


@dataclass(frozen=True)
class OfflineCheckIn:
    local_id: str  # the station's own id for it: taking it in twice gives the same answer
    identity: Identity
    department_code: str
    number: int
    issued_at: dt.datetime
    service: str = ""
    priority: str = ""


@dataclass(frozen=True)
class TakenIn:
    local_id: str
    outcome: str  # "accepted", "already_checked_in" (the patient had a ticket: that one stands), "refused"
    ticket: Ticket | None
    message_vi: str = ""
    message_en: str = ""
