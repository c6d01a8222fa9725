"""Staff: sign-in, PIN unlock, sign-out, accounts, the first admin, the kiosk's exit PIN and the security banner."""

from __future__ import annotations

import datetime as dt

from kiosk import roles, staff
from kiosk.facade.base import ClinicBase
from kiosk.model import StaffUser
from kiosk.security import audit, kiosk_pin, lockout


class StaffCases(ClinicBase):
    def sign_in(self, username: str, password: str) -> StaffUser:
        user = staff.authenticate(self.store, username, password)
        self.signed_in = user
        self.act_as(user.role, user.username)
        return user

    def unlock(self, pin: str) -> bool:
        return self.signed_in is not None and staff.unlock(self.store, self.signed_in.username, pin)

    def sign_out(self) -> None:
        if self.signed_in is not None:
            audit.append(self.store, self.signed_in.username, "staff.sign_out")
        self.signed_in = None

    def has_admin(self) -> bool:
        return staff.has_admin(self.store)

    def create_first_admin(self, username: str, full_name: str, cccd: str, password: str, pin: str | None) -> StaffUser:
        """The first run's admin; refused once any admin exists (then an admin adds accounts)."""
        if staff.has_admin(self.store):
            raise roles.AccessDenied(self.role, "manage_staff")
        return staff.add(self.store, "first-run", username, full_name, cccd, "admin", password, pin)

    def check_kiosk_pin(self, pin: str) -> bool:
        """The kiosk's exit PIN, checked on this PC with lock-out (LockedOut after repeated misses)."""
        return kiosk_pin.check_local(self.settings, pin, self.store)

    def staff_accounts(self) -> list[StaffUser]:
        roles.require(self.role, "manage_staff")
        return staff.all_staff(self.store)

    def add_staff(self, username: str, full_name: str, cccd: str, role: str, password: str, pin: str | None) -> StaffUser:
        roles.require(self.role, "manage_staff")
        return staff.add(self.store, self.actor, username, full_name, cccd, role, password, pin)

    def disable_staff(self, username: str) -> None:
        roles.require(self.role, "manage_staff")
        staff.disable(self.store, self.actor, username)

    def security_alerts(self) -> list[tuple[dt.datetime, str, str]]:
        """Lock-outs of the last day (when, station, what): shown to admins as a banner."""
        roles.require(self.role, "manage_staff")
        return lockout.recent_lockouts(self.store, dt.datetime.now() - dt.timedelta(days=1))
