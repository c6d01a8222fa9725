"""The use cases the clinic server serves, each with the role-matrix use case a request must be
allowed (checked before the facade's own checks), and whether it changes the queue (the live feed
then wakes the boards and the doctors' lists)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Exposed:
    gate: str | None  # roles.USE_CASES key; None: any enrolled station with a signed-in user or machine role
    changes: bool = False  # wakes the live feed when it succeeds
    session_free: bool = False  # may run before anyone signs in (staff stations)


EXPOSED: dict[str, Exposed] = {
    # session
    "has_admin": Exposed(None, session_free=True),
    "clock_verdict": Exposed(None, session_free=True),
    "unlock": Exposed(None),
    "sign_out": Exposed(None),
    # patients, cards, health book
    "identify": Exposed("identify"),
    "patient": Exposed("read_patient"),
    "lookup": Exposed("view_health_book"),
    "lookup_staff": Exposed("lookup_card"),
    "cached_health_book": Exposed("view_health_book"),
    "consents": Exposed("record_consent"),
    "record_consent": Exposed("record_consent"),
    # queue
    "check_in": Exposed("check_in", changes=True),
    "self_service_card": Exposed("check_own_card"),
    "tickets_today": Exposed("read_patient"),
    "retry_pending_card_checks": Exposed("lookup_card", changes=True),
    "board_state": Exposed("read_queue"),
    "room_queue": Exposed("read_queue"),
    "call_next": Exposed("call_patient", changes=True),
    "set_ticket_status": Exposed("call_patient", changes=True),
    "transfer": Exposed("call_patient", changes=True),
    # the visit
    "start_visit": Exposed("record_visit", changes=True),
    "save_visit_draft": Exposed("record_visit"),
    "release_visit": Exposed("record_visit"),
    "finalise_visit": Exposed("record_visit", changes=True),
    "correct_visit": Exposed("record_visit", changes=True),
    "send_outbox": Exposed("send_to_portal"),
    "outbox_for": Exposed("record_visit"),
    "search_icd10": Exposed("record_visit"),
    "search_drugs": Exposed("record_visit"),
    "prescriptions_of": Exposed("record_visit"),
    "visit_money": Exposed("record_visit"),
    # paper: rendered here, printed on the station's own printer, logged here
    "render_document": Exposed(None),
    "log_print": Exposed(None),
    # staff
    "staff_accounts": Exposed("manage_staff"),
    "add_staff": Exposed("manage_staff"),
    "disable_staff": Exposed("manage_staff"),
    "security_alerts": Exposed("manage_staff"),
}
