"""The patient in context at a station (DOMAIN §16): one patient at a time, who opened them, and
every record opened for them (the card lookup, the ticket, the visit, the print jobs).

A station's buttons act on the context they were enabled for, never on "whatever is on screen
now": an action captures the context when it starts, and its answer is dropped when
``StationContext.is_current`` says that context has been closed in the meantime (a new scan, a new call, a failed lookup, idle lock,
sign-out). No Qt here: the windows hold one ``StationContext`` each.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from typing import Any

from kiosk.model import Identity, Patient, Ticket

_serials = itertools.count(1)


@dataclass(eq=False)
class PatientContext:
    """One patient opened at one station, and the records opened for them there."""

    station: str
    patient: Patient
    opened_by: str
    serial: int = field(default_factory=lambda: next(_serials))
    opened_at: dt.datetime = field(default_factory=dt.datetime.now)
    lookup: Any = None  # kiosk.facade.Lookup (not imported: the facade imports this module's errors)
    ticket: Ticket | None = None
    visit: dict[str, Any] | None = None
    print_jobs: list[int] = field(default_factory=list)
    consents: dict[str, dict] | None = None  # the answers on record (None: not known, e.g. offline)
    checkin: Any = None  # kiosk.checkin.CheckIn of this context's check-in
    last_outcome: Any = None  # printing.dispatch.PrintOutcome of the last print made for this patient

    @property
    def tag(self) -> str:
        """What the print log and the audit record as "printed from": station, user, context number."""
        return f"{self.station}:{self.opened_by}:{self.serial}"

    @property
    def last_print(self) -> int | None:
        return self.print_jobs[-1] if self.print_jobs else None

    def printed(self, outcome: Any) -> None:
        """Keep a print made for this patient (a PrintOutcome): the last one, and its log row for reprints."""
        self.last_outcome = outcome
        if getattr(outcome, "log_id", None):
            self.print_jobs.append(outcome.log_id)

    def is_same_person(self, identity: Identity) -> bool:
        """Does this scan or typed identity name the patient already in context?"""
        p = self.patient
        if identity.id_number and p.id_number:
            return identity.id_number == p.id_number
        if identity.card_number and p.card_number:
            return _card_key(identity.card_number) == _card_key(p.card_number)
        if identity.full_name and identity.date_of_birth and p.date_of_birth:
            return (" ".join(identity.full_name.upper().split()) == " ".join(p.full_name.upper().split())
                    and identity.date_of_birth == p.date_of_birth)
        return False


def _card_key(card: str) -> str:
    """A BHYT card's person part: the 10-digit BHXH number (the last 10 characters of the 15-char
    code) — a new card of the same person has another prefix but the same number."""
    card = card.strip().upper()
    return card[-10:] if len(card) >= 10 else card


class StationContext:
    """The one patient context of a station window."""

    def __init__(self, station: str) -> None:
        self.station = station
        self.current: PatientContext | None = None
        self.closed_because = ""

    def open(self, patient: Patient, opened_by: str, **records: Any) -> PatientContext:
        """Close whatever was open, then open ``patient``."""
        self.close("replaced")
        self.current = PatientContext(self.station, patient, opened_by, **records)
        return self.current

    def close(self, because: str) -> PatientContext | None:
        """Close the context (``because``: new scan, call, failed lookup, idle, lock, sign-out …)."""
        closed, self.current = self.current, None
        if closed is not None:
            self.closed_because = because
        return closed

    def is_current(self, context: PatientContext | None) -> bool:
        return context is not None and context is self.current

    def under_work(self) -> bool:
        """Is a patient open whose work is not finished (not checked in here yet, consent half given)?"""
        c = self.current
        return c is not None and c.ticket is None
