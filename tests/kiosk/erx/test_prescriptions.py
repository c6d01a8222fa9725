"""A visit's prescriptions end to end in the core: codes given at finalise, one prescription per type, delivered to
the national system's stand-in once, refusals kept field by field and corrected, replacements after a send, and the
codes on the paper."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
from pathlib import Path

import pytest
import requests

from kiosk import checkin, icd10, patients, visits
from kiosk.erx import catalogue, codes, delivery, prescriptions
from kiosk.facade import Clinic
from kiosk.identify import identity_from_payload
from kiosk.model import Role
from kiosk.sandbox import demo
from kiosk.sandbox.people import make_people
from kiosk.settings import Settings
from scanner.payloads import parse_payload


@pytest.fixture
def clinic(kiosk_home: Path, sandbox):  # noqa: ANN001, ANN201
    requests.post(f"{sandbox.url}/_admin/reset", timeout=5)
    settings = Settings()
    settings.set_for_run("gateway.url", sandbox.url)
    settings.set_for_run("erx.url", "")
    c = Clinic.open(settings)
    c._sandbox = sandbox  # the stand-in of the module's sandbox (erx.url empty = the built-in one)
    demo.prepare(c.store)
    icd10.ensure_starter(c.store)
    c.act_as(Role.DOCTOR, "minh")
    yield c
    c._sandbox = None  # the module fixture stops it
    c.close()


def _visit(clinic: Clinic, index: int, lines: list[dict], **extra: object) -> dict:
    """A called patient's visit with ``lines`` (and ``extra`` data), saved as a draft."""
    store = clinic.store
    person = [p for p in make_people(1, 60) if p.card_state == "000"][index]
    patient = patients.register(store, identity_from_payload(parse_payload(person.cccd_qr)))
    department = clinic.settings["facility.departments"][0]
    ticket = checkin.check_in(store, patient.id, department).ticket
    ticket = checkin.set_status(store, ticket.id, "called")
    visit = visits.start(store, ticket, clinic.settings["facility.code"], doctor_code="001234/HN-CCHN")
    data = dict(visit["data"], reason="Khám", diagnoses=[{"code": "J02.9", "name": "Viêm họng cấp", "is_main": True}],
                prescription=lines, doctor_username="minh", **extra)
    visits.save_draft(store, visit["id"], data)
    return visits.get(store, visit["id"])


def _line(clinic: Clinic, name: str, days: int = 5) -> dict:
    return catalogue.line_from_drug(visits.demo_drug(clinic.store, name), dose=1, times_per_day=2, days=days,
                                    instructions="Uống sau ăn")


def _national(sandbox) -> dict:  # noqa: ANN001
    return requests.get(f"{sandbox.url}/_admin/erx/prescriptions", timeout=5).json()


def test_a_mixed_visit_gets_one_prescription_per_type_each_sent_once(clinic: Clinic, sandbox) -> None:  # noqa: ANN001
    visit = _visit(clinic, 0, [_line(clinic, "Paracetamol"), _line(clinic, "Morphin", days=3),
                               _line(clinic, "Diazepam", days=7), _line(clinic, "Amlodipin")])
    final = clinic.finalise_visit(visit["id"])
    given = final["data"]["prescription_codes"]
    assert sorted(given) == ["c", "h", "n"]
    for kind, code in given.items():
        assert re.fullmatch(rf"01013[0-9a-z]{{7}}-{kind}", code) and codes.is_code(code)
    assert final["data"]["prescription_code"] == given["c"]
    shown = clinic.prescriptions_of(visit["id"])
    assert [(p.kind, p.status) for p in shown] == [("c", "pending"), ("n", "pending"), ("h", "pending")]
    bodies = {p.kind: p.body for p in shown}
    assert [d["biet_duoc"] for d in bodies["c"]["thong_tin_don_thuoc"]] == ["Paracetamol", "Amlodipin"]
    assert bodies["c"]["hinh_thuc_dieu_tri"] == 2 and "dot_dung_thuoc" not in bodies["c"]
    today = dt.date.today()
    assert bodies["n"]["dot_dung_thuoc"] == {"dot": 1, "tu_ngay": today.strftime("%d/%m/%Y"),
                                             "den_ngay": (today + dt.timedelta(days=2)).strftime("%d/%m/%Y"),
                                             "so_thang_thuoc": 0}
    assert bodies["h"]["thong_tin_don_thuoc"][0]["biet_duoc"] == "Diazepam"

    assert clinic.send_outbox() == {"sent": 4}  # the claim and three prescriptions
    national = _national(sandbox)
    assert set(national["accepted"]) == set(given.values())
    assert all(national["sends"][code] == 1 for code in given.values())
    patient = patients.get(clinic.store, visit["patient_id"])
    assert {a["body"]["ho_ten_benh_nhan"] for a in national["accepted"].values()} == {patient.full_name}
    for p in clinic.prescriptions_of(visit["id"]):
        assert p.status == "sent" and p.checksum == national["accepted"][p.code]["checksum"] and p.sent_at
    assert clinic.send_outbox() == {}  # nothing twice

    pdf = clinic.render_document("prescription", visit_id=visit["id"], patient_id=visit["patient_id"])
    out = Path(clinic.settings.spool_dir()) / "mixed.pdf"
    out.write_bytes(pdf.pdf)
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True).stdout
    for code in given.values():
        assert f"Mã đơn thuốc: {code}" in text
    assert "06 (sáu) Ống" in text  # the narcotic's quantity (1 × 2 a day × 3 days) also in words


def test_a_refused_prescription_shows_its_field_and_goes_again_with_the_same_code(clinic: Clinic, sandbox) -> None:  # noqa: ANN001
    withdrawn = visits.demo_drug(clinic.store, "Cetirizin").code
    requests.post(f"{sandbox.url}/_admin/erx/withdrawn", json={"codes": [withdrawn]}, timeout=5)
    visit = _visit(clinic, 1, [_line(clinic, "Paracetamol"), _line(clinic, "Cetirizin")])
    final = clinic.finalise_visit(visit["id"])
    code = final["data"]["prescription_code"]
    clinic.send_outbox()
    [refused] = clinic.prescriptions_of(visit["id"])
    assert refused.status == "refused" and refused.code == code
    assert refused.refusals == ["Thuốc 2: mã thuốc — Thuốc đã bị rút số đăng ký lưu hành, không còn trong cơ sở dữ "
                                "liệu dược quốc gia."]
    assert code not in _national(sandbox)["accepted"]

    draft = clinic.correct_visit(visit["id"])  # the doctor replaces the withdrawn drug
    data = dict(draft["data"], prescription=[draft["data"]["prescription"][0], _line(clinic, "Loratadin")])
    clinic.save_visit_draft(draft["id"], data)
    again = clinic.finalise_visit(draft["id"])
    assert again["data"]["prescription_code"] == code  # never accepted: the same prescription, corrected
    assert clinic.send_outbox().get("sent", 0) >= 1
    [sent] = clinic.prescriptions_of(draft["id"])
    assert (sent.code, sent.status, sent.refusals) == (code, "sent", [])
    accepted = _national(sandbox)["accepted"][code]["body"]
    assert [d["biet_duoc"] for d in accepted["thong_tin_don_thuoc"]] == ["Paracetamol", "Loratadin"]
    rows = [r for r in clinic.outbox_for(code)]
    assert [(r["version"], r["status"]) for r in rows] == [(1, "cancelled"), (2, "sent")]


def test_a_sent_prescription_changed_becomes_a_new_one_that_names_the_old(clinic: Clinic, sandbox) -> None:  # noqa: ANN001
    visit = _visit(clinic, 2, [_line(clinic, "Paracetamol")])
    first = clinic.finalise_visit(visit["id"])["data"]["prescription_code"]
    clinic.send_outbox()
    unchanged = clinic.correct_visit(visit["id"])  # a correction that leaves the drugs alone sends no prescription
    clinic.save_visit_draft(unchanged["id"], dict(unchanged["data"], exam_notes="Họng đỏ nhẹ"))
    assert clinic.finalise_visit(unchanged["id"])["data"]["prescription_code"] == first
    changed = clinic.correct_visit(unchanged["id"])
    clinic.save_visit_draft(changed["id"], dict(changed["data"], prescription=[_line(clinic, "Paracetamol", days=3)]))
    second = clinic.finalise_visit(changed["id"])["data"]["prescription_code"]
    assert second != first
    [current] = clinic.prescriptions_of(changed["id"])
    assert (current.code, current.replaces) == (second, first)
    assert current.body["luu_y"] == f"Thay thế đơn thuốc mã {first}"
    clinic.send_outbox()
    national = _national(sandbox)
    assert set(national["accepted"]) == {first, second} and national["sends"] == {first: 1, second: 1}
    history = prescriptions.history(clinic.store, current.body and visits.get(clinic.store, changed["id"])["ma_lk"])
    assert [(p.code, p.status) for p in history] == [(first, "sent"), (second, "sent")]
    book = clinic.cached_health_book(patients.get(clinic.store, visit["patient_id"]))
    [own] = [v for v in book.visits if v.record_id == visits.get(clinic.store, changed["id"])["ma_lk"]]
    assert [(n.code, n.status, n.replaces) for n in own.prescriptions] == [(second, "sent", first)]


def test_what_a_prescription_needs_is_said_before_finalising(clinic: Clinic) -> None:
    visit = _visit(clinic, 3, [_line(clinic, "Paracetamol"), {"name": "Thuốc tự pha", "unit": "Gói", "dose": 1,
                                                             "times_per_day": 2, "days": 3, "quantity": 6}])
    with pytest.raises(visits.VisitNotFinalisable) as refused:
        clinic.finalise_visit(visit["id"])
    assert "Thuốc tự pha" in refused.value.vi and "danh mục" in refused.value.vi
    assert clinic.store.conn.execute("SELECT COUNT(*) FROM prescriptions").fetchone()[0] == 0


def test_a_young_child_needs_weight_and_guardian(clinic: Clinic) -> None:
    visit = _visit(clinic, 4, [_line(clinic, "Paracetamol")])
    born = dt.date.today() - dt.timedelta(days=800)  # about 26 months
    clinic.store.conn.execute("UPDATE patients SET date_of_birth = ? WHERE id = ?",
                              (born.isoformat(), visit["patient_id"]))
    with pytest.raises(visits.VisitNotFinalisable) as refused:
        clinic.finalise_visit(visit["id"])
    fields = {p.field for p in refused.value.problems}
    assert {"weight", "guardian"} <= fields
    data = dict(visit["data"], vitals={"weight": 12.5},
                guardian={"name": "Nguyễn Thị Hoa", "phone": "0912345678", "address": "Số 3 Lý Thường Kiệt, Hà Nội"})
    clinic.save_visit_draft(visit["id"], data)
    final = clinic.finalise_visit(visit["id"])
    [p] = clinic.prescriptions_of(final["id"])
    assert p.body["can_nang"] == 12.5 and p.body["thong_tin_nguoi_giam_ho"]["ho_ten"] == "Nguyễn Thị Hoa"
    assert clinic.send_outbox().get("sent", 0) >= 1
    assert clinic.prescriptions_of(final["id"])[0].status == "sent"  # the stand-in checks the child's fields too


def test_codes_are_unique_forever(kiosk_home: Path) -> None:
    from kiosk.store.opening import open_store

    store = open_store(Settings().db_path())
    with store.transaction():
        given = [codes.take(store, "01013", "c") for _ in range(10_000)]
    assert len(set(given)) == 10_000 and all(codes.is_code(c) for c in given)
    store.conn.execute("DELETE FROM prescriptions")  # even a purge of visits leaves the codes given
    assert store.conn.execute("SELECT COUNT(*) FROM prescription_codes").fetchone()[0] == 10_000
    store.close()


def test_a_code_already_given_is_never_given_again(kiosk_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kiosk.store.opening import open_store

    store = open_store(Settings().db_path())
    first = codes.take(store, "01013", "c")
    made = iter([first, first, "01013zzzzzzz-c"])
    monkeypatch.setattr(codes, "make", lambda facility, kind: next(made))
    assert codes.take(store, "01013", "c") == "01013zzzzzzz-c"
    store.close()


def test_the_prescription_row_in_outbox_status(clinic: Clinic, sandbox, capsys) -> None:  # noqa: ANN001
    from kiosk.cli import main as cli

    visit = _visit(clinic, 5, [_line(clinic, "Paracetamol")])
    code = clinic.finalise_visit(visit["id"])["data"]["prescription_code"]
    clinic.send_outbox()
    assert cli(["outbox", "status", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    [row] = [r for r in rows if r["kind"] == delivery.KIND]
    assert row["ma_lk"] == code and row["status"] == "sent"
    assert row["prescription"]["status"] == "sent" and len(row["prescription"]["checksum"]) == 64


def test_a_slow_system_leaves_the_prescription_waiting_then_it_goes_once(clinic: Clinic, sandbox) -> None:  # noqa: ANN001
    clinic.settings.set_for_run("erx.read_timeout", 0.5)
    visit = _visit(clinic, 6, [_line(clinic, "Paracetamol")])
    code = clinic.finalise_visit(visit["id"])["data"]["prescription_code"]
    requests.post(f"{sandbox.url}/_admin/faults", json={"timeout_rate": 1.0, "timeout_s": 1.5,
                                                        "paths": ["/api/v1/gui-don-thuoc"]}, timeout=5)
    clinic.send_outbox()
    [row] = clinic.outbox_for(code)
    assert row["status"] == "pending" and row["next_attempt_at"] > dt.datetime.now().isoformat()
    assert "did not answer in time" in row["last_error"] or "timeout" in row["last_error"].lower()
    assert clinic.prescriptions_of(visit["id"])[0].status == "pending"
    requests.post(f"{sandbox.url}/_admin/faults", json={}, timeout=5)
    import time

    time.sleep(1.2)  # the timed-out request reaches the system after all
    later = dt.datetime.now() + dt.timedelta(minutes=10)
    from kiosk.bhxh import outbox

    outbox.drain(clinic.store, None, "01013", now=later, senders={"erx": delivery.sender(clinic.erx_client())})
    assert clinic.prescriptions_of(visit["id"])[0].status == "sent"
    national = _national(sandbox)
    assert list(national["accepted"]) == [code] and national["sends"][code] == 2  # held once
