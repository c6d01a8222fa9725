"""Staff accounts (argon2id) and the audit hash chain."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk import patients, staff
from kiosk.identify import identity_from_payload
from kiosk.security import audit
from kiosk.settings import Settings
from kiosk.store.opening import open_store
from scanner.payloads import parse_payload
from tests.scanner.test_payloads import CCCD

BIN = Path(sys.executable).with_name("clinic-kiosk")


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, input=stdin, env=os.environ.copy(),
                          timeout=60)


@pytest.fixture
def store(kiosk_home):
    s = open_store(Settings().db_path())
    yield s
    s.close()


def test_passwords_are_argon2id_and_checked(store) -> None:
    staff.add(store, "admin", "binh", "Trần Văn Bình", "079190004321", "doctor", "mật-khẩu-dài", pin="2580")
    stored = store.conn.execute("SELECT password_hash, pin_hash FROM staff WHERE username = 'binh'").fetchone()
    assert stored[0].startswith("$argon2id$") and "mật-khẩu-dài" not in stored[0]
    assert staff.authenticate(store, "binh", "mật-khẩu-dài").full_name == "Trần Văn Bình"
    with pytest.raises(staff.AuthError):
        staff.authenticate(store, "binh", "wrong-password")
    assert staff.unlock(store, "binh", "2580") and not staff.unlock(store, "binh", "0000")
    staff.disable(store, "admin", "binh")
    with pytest.raises(staff.AuthError):
        staff.authenticate(store, "binh", "mật-khẩu-dài")


@pytest.mark.parametrize(("args", "needle"), [(("x", "Tên", "123", "doctor", "longpassword"), "12 digits"),
                                              (("x", "Tên", "079190004321", "god", "longpassword"), "Role"),
                                              (("x", "Tên", "079190004321", "doctor", "short"), "8 characters")])
def test_bad_accounts_are_refused(store, args, needle: str) -> None:
    with pytest.raises(Exception, match=needle):
        staff.add(store, "admin", *args)


def test_chain_verifies_then_catches_an_edit_and_a_deletion(store) -> None:
    patient = patients.register(store, identity_from_payload(parse_payload(CCCD)))
    for n in range(5):
        audit.append(store, "lan", "healthbook.view", patient=patient, detail=f"view {n}")
    assert audit.verify(store).ok
    rows = audit.show(store, patient=patient)
    assert len(rows) == 5 and all(r.patient_ref and "001099012345" not in r.patient_ref for r in rows)
    raw = sqlite3.connect(store.path)
    raw.execute("UPDATE audit_events SET actor = 'someone-else' WHERE id = 3")
    raw.commit()
    verdict = audit.verify(store)
    assert not verdict.ok and verdict.broken_at == 3 and "edited" in verdict.problem
    raw.execute("UPDATE audit_events SET actor = 'lan' WHERE id = 3")
    raw.execute("DELETE FROM audit_events WHERE id = 4")
    raw.commit()
    raw.close()
    assert not audit.verify(store).ok


def test_table_alone_does_not_reveal_the_patient(store) -> None:
    patient = patients.register(store, identity_from_payload(parse_payload(CCCD)))
    audit.append(store, "lan", "print.prescription", patient=patient)
    dump = "\n".join(str(r) for r in store.conn.execute("SELECT * FROM audit_events"))
    assert "001099012345" not in dump and "NGUYỄN" not in dump


def test_staff_and_audit_commands(kiosk_home) -> None:
    added = run("staff", "add", "mai", "--name", "Lê Thị Mai", "--cccd", "001190001111", "--role", "receptionist",
                "--password-stdin", stdin="mot-mat-khau-dai\n")
    assert added.returncode == 0, added.stderr
    listed = run("staff", "list")
    assert "mai" in listed.stdout and "001190001111" not in listed.stdout and "0011******11" in listed.stdout
    assert run("staff", "disable", "mai").returncode == 0
    assert "disabled" in run("staff", "list").stdout
    ok = run("audit", "verify")
    assert ok.returncode == 0 and "OK" in ok.stdout
    shown = run("audit", "show")
    assert "staff.add" in shown.stdout and "staff.disable" in shown.stdout
    db = Settings().db_path()
    raw = sqlite3.connect(db)
    raw.execute("UPDATE audit_events SET detail = 'nothing happened' WHERE id = 1")
    raw.commit()
    raw.close()
    broken = run("audit", "verify")
    assert broken.returncode == 1 and "BROKEN at row 1" in broken.stdout
