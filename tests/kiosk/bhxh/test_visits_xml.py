"""Visit record, XML 130/4750 tables, validation against the official tables, and the outbox."""

from __future__ import annotations

import base64
import datetime as dt
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest
import requests

from kiosk import checkin, patients, visits
from kiosk.bhxh import outbox
from kiosk.bhxh.gateway import GatewayClient
from kiosk.bhxh.xml_spec import TABLES, fields
from kiosk.bhxh.xml_validate import validate_envelope
from kiosk.erx import catalogue, delivery, prescriptions
from kiosk.erx.client import ErxClient
from kiosk.cli.visit import claim_payload, demo_visit_id
from kiosk.identify import identity_from_payload
from kiosk.sandbox import demo
from kiosk.sandbox.people import make_people
from kiosk.security.secrets_store import md5_upper
from kiosk.settings import Settings
from kiosk.store.opening import open_store
from scanner.payloads import parse_payload
from tests.conftest import SHARED

TABLES_XLSX = SHARED / "reference" / "qd4750-xml-tables.xlsx"
SHEETS = {"XML0": "Bang Check-in", "XML1": "Bang 1_Tong hop", "XML2": "Bang 2_Thuoc ", "XML3": "Bang 3_DVKT, VTYT",
          "XML4": "Bang 4_Dich vu CLS", "XML5": "Bang 5_Dien bien lam sang", "XML6": "Bang 6_HIV.AIDS",
          "XML7": " Bang 7_Giay ra vien", "XML8": "Bang 8_Tom tat HSBA", "XML9": "Bang 9_Giay chung sinh",
          "XML10": "Bang 10_Giay nghi duong thai", "XML11": "Bang 11_Giay nghi huong BHXH", "XML12": "Bang 12_GDYK",
          "XML13": "Bang 13_Giay chuyen tuyen BHYT", "XML14": "Bang 14_Giay hen kham lai", "XML15": "Bang 15_Lao"}


@pytest.fixture
def store(kiosk_home):
    s = open_store(Settings().db_path())
    demo.prepare(s)
    yield s
    s.close()


def _official_fields(sheet) -> list[tuple[str, str, int, bool, str]]:
    """(name, S/N, size, added, amendment) of every field row of a sheet, amendments applied: "… thành chuỗi"
    makes a string, "… lên N ký tự" raises the size; a row without a number is a field the amendment adds."""
    out = []
    for row in sheet.iter_rows(min_row=3, values_only=True):
        row = [*row, None, None, None, None, None, None]
        kind = str(row[2] or "").strip()
        if kind not in ("Chuỗi", "Số"):
            continue  # the notes under a table, the empty half of a merged row
        amendment = str(row[5] or "")
        string = kind == "Chuỗi" or "thành chuỗi" in amendment
        size = str(row[3]).strip()
        raised = re.findall(r"lên (\d+) ký tự", amendment)
        length = int(raised[-1]) if raised else 0 if size == "n" else int(size)
        added = row[0] is None or "Bổ sung trường mới" in amendment or "Bổ sung thêm trường" in amendment
        out.append((str(row[1]).strip(), "S" if string else "N", length, added, amendment))
    return out


def test_embedded_field_tables_match_the_official_workbook() -> None:
    """Every sheet, every field in order with its type and size, every amendment row: our spec is the workbook."""
    book = openpyxl.load_workbook(TABLES_XLSX, read_only=True)
    assert set(book.sheetnames) == set(SHEETS.values()) and tuple(SHEETS) == TABLES
    for table in TABLES:
        official = _official_fields(book[SHEETS[table]])
        ours = [(f.name, "N" if f.numeric else "S", f.max_length, f.added) for f in fields(table)]
        assert ours == [o[:4] for o in official], table
        for (name, _, _, _, amendment), spec in zip(official, fields(table), strict=True):
            changes = "kiểu dữ liệu" in amendment or "kích thước" in amendment
            assert bool(spec.amended) == changes, (table, name, amendment[:80])
    assert sum(len(fields(t)) for t in TABLES) == 481
    xml1 = [f.name for f in fields("XML1")]
    assert xml1[xml1.index("GIOI_TINH") + 1] == "NHOM_MAU" and fields("XML1")[xml1.index("NHOM_MAU")].max_length == 5
    xml2 = [f.name for f in fields("XML2")]
    assert xml2[xml2.index("NGAY_YL") + 1] == "NGAY_TH_YL"
    sized = {(t, f.name): ("N" if f.numeric else "S") + str(f.max_length) for t in TABLES for f in fields(t)}
    assert sized[("XML0", "MA_DOITUONG_KCB")] == sized[("XML1", "MA_DOITUONG_KCB")] == "S4"
    assert sized[("XML3", "TT_THAU")] == "S50"  # "Tăng kích thước tối đa lên 50 ký tự" at the end of a long note
    assert sized[("XML6", "MA_XU_TRI")] == sized[("XML12", "DANG_HUONG_CHE_DO")] == "S10"
    assert sized[("XML1", "SO_CCCD")] == sized[("XML9", "SO_CCCD_NND")] == "S15"


def test_demo_visit_envelope_is_valid_and_has_every_table(store) -> None:
    data = claim_payload(store, demo_visit_id(store, Settings()))
    assert validate_envelope(data) == []
    kinds = re.findall(rb"<LOAIHOSO>(XML\d+)</LOAIHOSO>", data)
    assert kinds == [b"XML1", b"XML2", b"XML3", b"XML4", b"XML13", b"XML14"]
    xml1 = base64.b64decode(re.search(rb"<NOIDUNGFILE>([^<]+)</NOIDUNGFILE>", data).group(1)).decode()
    assert "<MA_CSKCB>01013</MA_CSKCB>" in xml1 and "<MA_BENH_CHINH>J02.9</MA_BENH_CHINH>" in xml1
    assert re.search(r"<T_TONGCHI_BV>\d+\.\d{2}</T_TONGCHI_BV>", xml1)
    assert re.search(r"<NGAY_VAO>\d{12}</NGAY_VAO>", xml1)


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda x: x.replace("<MA_BENH_CHINH>J02.9</MA_BENH_CHINH>", "<MA_BENH_CHINH>J02.9;I10</MA_BENH_CHINH>"),
         "XML1 MA_BENH_CHINH: [icd10]"),
        (lambda x: re.sub(r"<NGAY_VAO>\d{12}</NGAY_VAO>", "<NGAY_VAO>22/11/2026</NGAY_VAO>", x, count=1),
         "XML1 NGAY_VAO: [time]"),
        (lambda x: x.replace("<MA_CSKCB>01013</MA_CSKCB>", "<MA_CSKCB>010130</MA_CSKCB>"), "XML1 MA_CSKCB: [length]"),
        (lambda x: x.replace("<STT>1</STT>", "<STT>1</STT><EXTRA>x</EXTRA>"), "XML1 EXTRA: [unknown]"),
        (lambda x: x.replace("<T_THUOC>", "<T_THUOC>x"), "XML1 T_THUOC: [number]"),
    ],
)
def test_validator_names_table_field_and_rule(store, mutate, needle: str) -> None:
    data = claim_payload(store, demo_visit_id(store, Settings()))
    match = re.search(rb"<NOIDUNGFILE>([^<]+)</NOIDUNGFILE>", data)
    xml1 = mutate(base64.b64decode(match.group(1)).decode())
    broken = data.replace(match.group(1), base64.b64encode(xml1.encode()))
    assert any(str(v).startswith(needle) for v in validate_envelope(broken)), validate_envelope(broken)


def test_validate_command_exit_codes(store, tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("clinic-kiosk")
    good = tmp_path / "good.xml"
    result = subprocess.run([str(exe), "xml", "export", "--demo", "--out", str(good)], capture_output=True,
                            text=True, env=os.environ.copy(), timeout=120)
    assert result.returncode == 0, result.stderr
    ok = subprocess.run([str(exe), "xml", "validate", str(good)], capture_output=True, text=True, env=os.environ.copy())
    assert ok.returncode == 0 and "OK" in ok.stdout
    bad = tmp_path / "bad.xml"
    bad.write_bytes(good.read_bytes().replace(b"<LOAIHOSO>XML1</LOAIHOSO>", b"<LOAIHOSO>XML9</LOAIHOSO>"))
    failed = subprocess.run([str(exe), "xml", "validate", str(bad)], capture_output=True, text=True,
                            env=os.environ.copy())
    assert failed.returncode == 1 and "XML1 is missing" in failed.stdout


def _ticket(store, settings: Settings, index: int = 0):
    person = [p for p in make_people(1, 60) if p.card_state == "000"][index]
    patient = patients.register(store, identity_from_payload(parse_payload(person.cccd_qr)))
    dep = settings["facility.departments"][0]
    done = checkin.check_in(store, patient.id, dep)
    return checkin.call_next(store, dep["code"], done.ticket.room), person, patient


def test_finalise_rules_and_locking(store) -> None:
    settings = Settings()
    ticket, person, patient = _ticket(store, settings)
    visit = visits.start(store, ticket, "01013")
    data = visit["data"]
    data["diagnoses"] = [{"code": "B95.0", "name": "x", "is_main": True},
                         {"code": "N76.0" if patient.sex.value == "male" else "N41.0", "name": "y", "is_main": False}]
    data["prescription"] = [catalogue.line_from_drug(visits.demo_drug(store, "Amlodipin"), dose=1, times_per_day=3,
                                                     days=45),
                            {"name": "Thuốc ho bổ phế", "dose": 1, "times_per_day": 3, "days": 5, "quantity": 15,
                             "unit": "Chai"}]  # typed by hand: not in the catalogue
    data["vitals"] = {"temperature": 45}
    visits.save_draft(store, visit["id"], data)
    with pytest.raises(visits.VisitNotFinalisable) as err:
        visits.finalise(store, visit["id"], "01013")
    text = str(err.value)
    assert "may not be the main diagnosis" in text and "does not fit the patient's sex" in text
    assert "at most 30 days" in text and "outside" in text
    assert "Thuốc ho bổ phế" in err.value.vi and "chọn thuốc trong danh mục" in err.value.vi
    data["prescription"] = data["prescription"][:1]
    data["diagnoses"] = [{"code": "I10", "name": "Tăng huyết áp", "is_main": True}]
    data["vitals"] = {"temperature": 37}
    visits.save_draft(store, visit["id"], data)  # chronic: 90 days allowed
    final = visits.finalise(store, visit["id"], "01013")
    assert final["status"] == "final"
    with pytest.raises(Exception, match="locked"):
        visits.save_draft(store, visit["id"], data)
    corrected = visits.correct(store, visit["id"])
    assert corrected["ma_lk"] == final["ma_lk"] and corrected["version"] == 2 and corrected["status"] == "draft"


def test_draft_survives_a_restart(store, kiosk_home) -> None:
    settings = Settings()
    ticket, _, _ = _ticket(store, settings, 1)
    visit = visits.start(store, ticket, "01013")
    visit["data"]["exam_notes"] = "Họng đỏ"
    visits.save_draft(store, visit["id"], visit["data"])
    store.close()
    again = open_store(settings.db_path())
    assert visits.start(again, ticket, "01013")["data"]["exam_notes"] == "Họng đỏ"
    again.close()


def test_outbox_sends_once_and_keeps_the_receipt(store, sandbox, tmp_path) -> None:
    requests.post(f"{sandbox.url}/_admin/reset", timeout=5)
    demo_visit_id(store, Settings())
    client = GatewayClient(sandbox.url, sandbox.username, md5_upper(sandbox.password))
    signer = demo.demo_signer(tmp_path)
    assert outbox.drain(store, client, "01013", signer=signer) == {"sent": 2}  # the prescription is not the gateway's
    rows = [r for r in outbox.status(store) if r["kind"] != "erx"]
    assert len(rows) == 2 and all(r["status"] == "sent" and r["transaction_id"].startswith("GD") for r in rows)
    assert [r["status"] for r in outbox.status(store) if r["kind"] == "erx"] == ["pending"]
    assert outbox.drain(store, client, "01013", signer=signer) == {}
    client.close()


def test_rejected_submission_keeps_the_reason(store, sandbox) -> None:
    requests.post(f"{sandbox.url}/_admin/reset", timeout=5)
    outbox.enqueue(store, "claim", "01013-BROKEN", 1, None, b"<GIAMDINHHS><not-closed>")
    client = GatewayClient(sandbox.url, sandbox.username, md5_upper(sandbox.password))
    outbox.drain(store, client, "01013")
    row = next(r for r in outbox.status(store) if r["ma_lk"] == "01013-BROKEN")
    assert row["status"] == "rejected" and "400" in row["last_error"] and "XML" in row["last_error"]
    client.close()


def test_gateway_down_keeps_documents_pending_with_backoff(store, sandbox, tmp_path) -> None:
    requests.post(f"{sandbox.url}/_admin/reset", timeout=5)
    demo_visit_id(store, Settings())
    requests.post(f"{sandbox.url}/_admin/faults", json={"error_rate": 1.0, "paths": ["/api/qd130"]}, timeout=5)
    client = GatewayClient(sandbox.url, sandbox.username, md5_upper(sandbox.password))
    signer = demo.demo_signer(tmp_path)
    outbox.drain(store, client, "01013", max_items=5, signer=signer)
    rows = [r for r in outbox.status(store) if r["kind"] != "erx"]
    assert all(r["status"] == "pending" and "HTTP 503" in r["last_error"] for r in rows)
    assert all(r["next_attempt_at"] > dt.datetime.now().isoformat() for r in rows)
    requests.post(f"{sandbox.url}/_admin/reset", timeout=5)
    later = dt.datetime.now() + dt.timedelta(hours=1)
    assert outbox.drain(store, client, "01013", now=later, signer=signer) == {"sent": 2}
    client.close()


SENDER = r"""
import sys
from pathlib import Path
from kiosk.bhxh import outbox
from kiosk.bhxh.gateway import GatewayClient
from kiosk.erx import delivery
from kiosk.erx.client import ErxClient
from kiosk.sandbox import demo, erx_standin
from kiosk.security.secrets_store import md5_upper
from kiosk.store.opening import open_store
store = open_store(sys.argv[1])
client = GatewayClient(sys.argv[2], "01013_BV", md5_upper("sandbox-demo"), read_timeout=30)
client._current_token()
erx = ErxClient(sys.argv[2], erx_standin.DEMO_CLINIC_CODE, erx_standin.DEMO_CLINIC_PASSWORD,
                doctor_password=erx_standin.DEMO_DOCTORS.get, read_timeout=30)
erx.login_doctor(erx_standin.DEMO_DOCTOR_CODE)
print("ready", flush=True)
outbox.drain(store, client, "01013", senders={"erx": delivery.sender(erx)}, signer=demo.demo_signer(Path(sys.argv[3])))
"""


def test_killed_mid_send_loses_nothing_and_sends_nothing_twice(store, sandbox, tmp_path) -> None:
    """A sender killed while the portal and the national prescription system are receiving: after the lease,
    the next sender finishes the job; each system holds one copy, and the receipts are theirs."""
    requests.post(f"{sandbox.url}/_admin/reset", timeout=5)
    demo_visit_id(store, Settings())
    requests.post(f"{sandbox.url}/_admin/faults", json={"latency_ms": 1500, "paths": ["/api/qd130", "/api/v1"]},
                  timeout=5)
    with subprocess.Popen([sys.executable, "-c", SENDER, str(store.path), sandbox.url, str(tmp_path)],
                          stdout=subprocess.PIPE, text=True) as sender:
        assert sender.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not any(r["status"] == "sending" and r["kind"] == "erx"
                                                      for r in outbox.status(store)):
            time.sleep(0.05)
        time.sleep(0.3)  # the prescription is at the national system now
        sender.send_signal(signal.SIGKILL)
        sender.wait(timeout=10)
    assert [r["status"] for r in outbox.status(store) if r["kind"] == "erx"] == ["sending"], "killed mid-send"
    time.sleep(1.6)  # the system finishes receiving what was sent before the kill
    requests.post(f"{sandbox.url}/_admin/faults", json={}, timeout=5)
    client = GatewayClient(sandbox.url, sandbox.username, md5_upper(sandbox.password))
    erx = ErxClient(sandbox.url, sandbox.erx_facility, sandbox.erx_password,
                    doctor_password=sandbox.erx_doctor_passwords.get)
    later = dt.datetime.now() + dt.timedelta(seconds=outbox.LEASE_S + 1)
    outbox.drain(store, client, "01013", now=later, senders={"erx": delivery.sender(erx)},
                 signer=demo.demo_signer(tmp_path))
    rows = outbox.status(store)
    assert [(r["kind"], r["status"]) for r in rows] == [("checkin", "sent"), ("claim", "sent"), ("erx", "sent")], rows
    stats = requests.get(f"{sandbox.url}/_admin/stats", timeout=5).json()
    assert stats["counters"].get("checkin_accepted") == 1 and stats["counters"].get("claim_accepted") == 1
    for r in rows[:2]:
        assert stats["submissions"][f"{r['kind']}:{r['ma_lk']}"] == r["transaction_id"], "same receipt as the portal"
    national = requests.get(f"{sandbox.url}/_admin/erx/prescriptions", timeout=5).json()
    code = rows[2]["ma_lk"]
    assert list(national["accepted"]) == [code] and national["sends"][code] == 2, "sent twice, held once"
    [kept] = prescriptions.for_episode(store, visits.get(store, rows[2]["visit_id"])["ma_lk"])
    assert kept.code == code and kept.status == "sent"
    client.close()
    erx.close()
