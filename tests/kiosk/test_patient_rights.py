"""Consent per purpose, the patient's export, and deletion refused inside the retention period."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk import checkin, consent, patient_rights, patients
from kiosk.errors import BadInput
from kiosk.identify import identity_from_payload
from kiosk.security import audit
from kiosk.settings import Settings
from kiosk.store.opening import open_store
from scanner.payloads import parse_payload
from tests.scanner.test_payloads import CCCD, CCCD_NO_CMND

BIN = Path(sys.executable).with_name("clinic-kiosk")


@pytest.fixture
def store(kiosk_home):
    s = open_store(Settings().db_path())
    yield s
    s.close()


def test_consent_is_per_purpose_and_never_assumed(store) -> None:
    patient = patients.register(store, identity_from_payload(parse_payload(CCCD)))
    assert consent.current(store, patient) == {} and not consent.allows(store, patient, "portal")
    consent.record(store, patient, {"care": True, "portal": True, "reminders": False}, channel="reception",
                   recorded_by="lan")
    assert consent.allows(store, patient, "portal") and not consent.allows(store, patient, "reminders")
    record = consent.current(store, patient)["care"]
    assert record["text_version"] == consent.consent_text().version and record["channel"] == "reception"
    consent.record(store, patient, {"portal": False}, channel="kiosk", recorded_by="kiosk")
    assert not consent.allows(store, patient, "portal"), "the latest answer counts"
    with pytest.raises(BadInput):
        consent.record(store, patient, {"marketing": True}, channel="x", recorded_by="x")
    text = consent.consent_text()
    assert [p.key for p in text.purposes] == ["care", "portal", "reminders"]
    assert [p.required_for_care for p in text.purposes] == [True, False, False]


def test_export_holds_everything_and_is_audited(store) -> None:
    patient = patients.register(store, identity_from_payload(parse_payload(CCCD)))
    checkin.check_in(store, patient.id, Settings()["facility.departments"][0])
    consent.record(store, patient, {"care": True}, channel="reception", recorded_by="lan")
    audit.append(store, "lan", "healthbook.view", patient=patient)
    data = patient_rights.export(store, patient, "cli")
    assert data["patient"]["id_number"] == "001099012345" and data["patient"]["full_name"] == "NGUYỄN VĂN AN"
    assert len(data["tickets"]) == 1 and data["consents"]["care"]["granted"]
    assert any(a["action"] == "healthbook.view" and a["by"] == "lan" for a in data["access_log"])
    assert audit.show(store, patient=patient)[-1].action == "patient.export"


def test_deletion_refused_with_the_legal_reason_inside_retention(store) -> None:
    patient = patients.register(store, identity_from_payload(parse_payload(CCCD)))
    checkin.check_in(store, patient.id, Settings()["facility.departments"][0])
    with pytest.raises(BadInput) as err:
        patient_rights.delete(store, patient, "cli")
    assert "10 years" in err.value.en and "TT 33/2025" in err.value.en
    later = dt.date.today().replace(year=dt.date.today().year + 11)
    patient_rights.delete(store, patient, "cli", today=later)
    assert patients.get(store, patient.id) is None


def test_patient_and_consent_commands(kiosk_home, tmp_path: Path) -> None:
    s = open_store(Settings().db_path())
    patient = patients.register(s, identity_from_payload(parse_payload(CCCD_NO_CMND)))
    checkin.check_in(s, patient.id, Settings()["facility.departments"][0])
    consent.record(s, patient, {"care": True, "portal": False}, channel="reception", recorded_by="lan")
    s.close()
    env = os.environ.copy()
    out = tmp_path / "export.json"
    result = subprocess.run([str(BIN), "patient", "export", "079304000111", "--out", str(out)], capture_output=True,
                            text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(out.read_text(encoding="utf-8"))["patient"]["full_name"] == "TRẦN THỊ BÌNH"
    shown = subprocess.run([str(BIN), "consent", "show", patient.patient_code], capture_output=True, text=True, env=env)
    assert "care" in shown.stdout and "KHÔNG / no" in shown.stdout and "not answered" in shown.stdout
    refused = subprocess.run([str(BIN), "patient", "delete", "079304000111"], capture_output=True, text=True, env=env)
    assert refused.returncode == 1 and "retention" not in refused.stdout and "10 years" in refused.stderr


def test_a_patients_prescriptions_are_exported_and_go_with_the_record_but_their_codes_stay_given(store) -> None:
    from kiosk import visits
    from kiosk.sandbox import demo
    from kiosk.sandbox.people import make_people

    demo.prepare(store)
    from kiosk import icd10

    icd10.ensure_starter(store)
    person = next(p for p in make_people(1, 60) if p.card_state == "000")
    patient = patients.register(store, identity_from_payload(parse_payload(person.cccd_qr)))
    department = Settings()["facility.departments"][0]
    ticket = checkin.call_next(store, department["code"], checkin.check_in(store, patient.id, department).ticket.room)
    code = visits.demo_visit(store, "01013", ticket, {"card_number": person.card_number})["data"]["prescription_code"]
    exported = patient_rights.export(store, patient, "cli")
    assert [(p["code"], p["kind"], p["status"]) for p in exported["prescriptions"]] == [(code, "c", "pending")]
    later = dt.date.today().replace(year=dt.date.today().year + 11)
    patient_rights.delete(store, patient, "cli", today=later)
    assert store.conn.execute("SELECT COUNT(*) FROM prescriptions").fetchone()[0] == 0
    assert store.conn.execute("SELECT code FROM prescription_codes").fetchall() == [(code,)]
