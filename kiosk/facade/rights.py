"""The patient's rights: their answers on processing personal data (NĐ 13/2023), read and recorded."""

from __future__ import annotations

from kiosk import consent, roles
from kiosk.facade.base import ClinicBase
from kiosk.model import Patient


class RightsCases(ClinicBase):
    def consents(self, patient: Patient) -> dict[str, dict]:
        roles.require(self.role, "record_consent")
        return consent.current(self.store, self._stored(patient.id))

    def record_consent(self, patient: Patient, answers: dict[str, bool], channel: str) -> None:
        roles.require(self.role, "record_consent")
        consent.record(self.store, self._stored(patient.id), answers, channel=channel, recorded_by=self.actor)
