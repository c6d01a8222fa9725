"""The doctor who signs a visit's papers: the account's practising-certificate number (set with the command
line), found by the user who recorded the visit or by the visit's doctor code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk import paper, staff
from kiosk.errors import BadInput
from kiosk.settings import Settings
from kiosk.store.opening import open_store

BIN = Path(sys.executable).with_name("clinic-kiosk")


@pytest.fixture
def store(kiosk_home):
    s = open_store(Settings().db_path())
    yield s
    s.close()


def test_certificate_is_kept_audited_and_checked(store) -> None:
    staff.add(store, "admin", "binh", "Trần Văn Bình", "079190004321", "doctor", "mật-khẩu-dài", cert="004321/HCM-CCHN")
    assert staff.certificate(store, "binh") == "004321/HCM-CCHN"
    staff.set_certificate(store, "admin", "binh", " 000777/BYT-GPHN ")
    assert staff.certificate(store, "binh") == "000777/BYT-GPHN"
    actions = [r[0] for r in store.conn.execute("SELECT action FROM audit_events ORDER BY id")]
    assert "staff.set_cert" in actions
    with pytest.raises(BadInput):
        staff.set_certificate(store, "admin", "binh", "<script>")
    with pytest.raises(BadInput):
        staff.set_certificate(store, "admin", "nobody", "1/HN")


def test_the_signer_is_found_by_user_then_by_code(store) -> None:
    staff.add(store, "admin", "binh", "Trần Văn Bình", "079190004321", "doctor", "mật-khẩu-dài", cert="004321/HCM-CCHN")
    assert paper.doctor_of(store, {"doctor_username": "binh", "doctor_code": ""}) == ("Trần Văn Bình", "004321/HCM-CCHN")
    assert paper.doctor_of(store, {"doctor_code": "004321/HCM-CCHN"}) == ("Trần Văn Bình", "004321/HCM-CCHN")
    assert paper.doctor_of(store, {"doctor_code": "999/XX", "doctor_name": "BS. Lê An"}) == ("BS. Lê An", "999/XX")


def test_command_line_sets_the_certificate(kiosk_home) -> None:
    env = os.environ.copy()
    added = subprocess.run([str(BIN), "staff", "add", "binh", "--name", "Trần Văn Bình", "--cccd", "079190004321",
                            "--role", "doctor", "--cert", "004321/HCM-CCHN", "--password-stdin"],
                           input="mật-khẩu-dài\n", capture_output=True, text=True, env=env, timeout=60)
    assert added.returncode == 0, added.stderr
    changed = subprocess.run([str(BIN), "staff", "set-cert", "binh", "000777/BYT-GPHN"], capture_output=True, text=True,
                             env=env, timeout=60)
    assert changed.returncode == 0, changed.stderr
    listed = subprocess.run([str(BIN), "staff", "list"], capture_output=True, text=True, env=env, timeout=60)
    assert "CCHN 000777/BYT-GPHN" in listed.stdout
