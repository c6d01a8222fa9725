"""Who may run which use case: one matrix, enforced in the core's facade (not by hiding buttons).

The kiosk (a machine role in a public hall) may identify a patient, check them in and print their
own ticket, and receives masked views only (initials, masked ID); the board may read the queue
(numbers); staff roles get what their work needs.
"""

from __future__ import annotations

from kiosk.errors import KioskError
from kiosk.model import Role

USE_CASES: dict[str, frozenset[Role]] = {
    "identify": frozenset({Role.RECEPTIONIST, Role.DOCTOR, Role.ADMIN, Role.KIOSK}),
    "read_patient": frozenset({Role.RECEPTIONIST, Role.DOCTOR, Role.ADMIN}),
    "record_consent": frozenset({Role.RECEPTIONIST, Role.ADMIN}),  # asked and answered at the desk
    "check_in": frozenset({Role.RECEPTIONIST, Role.ADMIN, Role.KIOSK}),
    "print_ticket": frozenset({Role.RECEPTIONIST, Role.ADMIN, Role.KIOSK}),
    "read_queue": frozenset({Role.RECEPTIONIST, Role.DOCTOR, Role.ADMIN, Role.KIOSK, Role.BOARD}),
    "lookup_card": frozenset({Role.RECEPTIONIST, Role.DOCTOR, Role.ADMIN}),
    "check_own_card": frozenset({Role.RECEPTIONIST, Role.ADMIN, Role.KIOSK}),  # a plain verdict, no card details
    "view_health_book": frozenset({Role.RECEPTIONIST, Role.DOCTOR, Role.ADMIN}),
    "call_patient": frozenset({Role.DOCTOR, Role.ADMIN}),
    "record_visit": frozenset({Role.DOCTOR}),
    "print_documents": frozenset({Role.RECEPTIONIST, Role.DOCTOR, Role.ADMIN}),
    "send_to_portal": frozenset({Role.DOCTOR, Role.ADMIN}),
    "manage_staff": frozenset({Role.ADMIN}),
    "read_audit": frozenset({Role.ADMIN}),
    "export_patient": frozenset({Role.ADMIN}),
}


MACHINE_ROLES = frozenset({Role.KIOSK, Role.BOARD})  # public screens: masked views made by the server


class AccessDenied(KioskError):
    """The signed-in role may not run this use case."""

    exit_code = 5

    def __init__(self, role: Role, use_case: str) -> None:
        self.role, self.use_case = role, use_case
        super().__init__(f"Vai trò {role.value} không được phép: {use_case}", f"Role {role.value} may not: {use_case}")


def allowed(role: Role, use_case: str) -> bool:
    return role in USE_CASES[use_case]


def require(role: Role, use_case: str) -> None:
    if use_case not in USE_CASES:
        raise KeyError(f"unknown use case {use_case}")
    if not allowed(role, use_case):
        raise AccessDenied(role, use_case)
