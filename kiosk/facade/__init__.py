"""The core's facade: every use case a station, the command line or the clinic server runs goes through ``Clinic``; the
windows in ui/ never touch SQL or HTTP themselves. ``kiosk.remote.client.RemoteClinic`` offers the same interface over
HTTPS.

``Clinic`` is one class made of one part per area, each in its own module over ``ClinicBase`` (base.py: settings, store,
who acts, the gateway): patient.py (identify, records, card and health-book lookups), queue.py (check-in, board, calls),
visit.py (the doctor's room and the outbox), paper.py (printing and rendering), staff.py (sign-in and accounts) and
rights.py (the patient's consent)."""

from __future__ import annotations

from kiosk.facade.base import ClinicBase, UnknownPatient
from kiosk.facade.paper import PaperCases, RenderedDocument
from kiosk.facade.patient import Lookup, PatientCases
from kiosk.facade.queue import QueueCases
from kiosk.facade.rights import RightsCases
from kiosk.facade.staff import StaffCases
from kiosk.facade.visit import VisitCases


class Clinic(PatientCases, QueueCases, VisitCases, PaperCases, StaffCases, RightsCases):
    """Every use case of the clinic, for one station (or, through ``session``, one request of the clinic server)."""


__all__ = ["Clinic", "ClinicBase", "Lookup", "RenderedDocument", "UnknownPatient"]
