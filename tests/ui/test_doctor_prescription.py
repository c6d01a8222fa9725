"""The doctor's room prescribes from the clinic's drug catalogue and shows the national prescription system's answer
(issue #18): drugs found as typed (with or without accents) and added with Enter, named as TT 26 names them, the
quantity computed; the review lists them; the prescription's code on screen is the one the national system's stand-in
received for that patient and the one on the paper; a refusal is shown field by field in Vietnamese, corrected, and
the same code is sent again and accepted; a young child's guardian and weight; an old free-text line is said."""

from __future__ import annotations

import subprocess
from pathlib import Path

import requests
import pytest

from kiosk.identify import identity_from_payload
from kiosk.sandbox.people import make_people
from scanner.payloads import parse_payload
from tests.ui.test_doctor import call_first, finalise_and_send, open_room
from ui.prescription_box import COLUMNS
from ui.qt import QLineEdit, Qt

pytestmark = pytest.mark.gui


def cell(window, row: int, column: str) -> str:  # noqa: ANN001
    return window.rx_box.table.item(row, COLUMNS.index(column)).text()


def prescribe(qtbot, window, typed: str) -> None:  # noqa: ANN001
    """Type in «Tìm thuốc» and press Enter, as the doctor does."""
    box = window.rx_box
    box.search_field.clear()
    qtbot.keyClicks(box.search_field, typed)
    qtbot.waitUntil(lambda: box.results.count() > 0 and not box._searching, timeout=5000)  # looked up off the GUI
    qtbot.keyClick(box.search_field, Qt.Key.Key_Return)


def type_in_cell(qtbot, window, row: int, column: str, text: str) -> None:  # noqa: ANN001
    """Double-click-free editing: the cell chosen, the editor opened, the number typed and Enter pressed."""
    table = window.rx_box.table
    table.setCurrentCell(row, COLUMNS.index(column))
    table.editItem(table.item(row, COLUMNS.index(column)))
    editors = [e for e in table.viewport().findChildren(QLineEdit) if e.parent() is table.viewport() and e.isVisible()]
    assert len(editors) == 1, "the cell's editor is open"
    editor = editors[0]
    editor.selectAll()
    qtbot.keyClicks(editor, text)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    def closed() -> bool:  # the delegate commits on the next event loop (and may delete the editor)
        try:
            return not editor.isVisible()
        except RuntimeError:
            return True

    qtbot.waitUntil(closed, timeout=2000)


def diagnose(qtbot, window, typed: str = "viem hong") -> None:  # noqa: ANN001
    window.tabs.setCurrentIndex(1)
    window.reason.setText("Sốt, ho 2 ngày")
    window.icd_search.clear()
    qtbot.keyClicks(window.icd_search, typed)
    qtbot.keyClick(window.icd_search, Qt.Key.Key_Return)


def accepted(clinic) -> dict:  # noqa: ANN001
    """What the national prescription system's stand-in accepted: {code: {body, …}} and the sends per code."""
    answer = requests.get(f"{clinic._sandbox.url}/_admin/erx/prescriptions", timeout=5).json()
    return answer


def test_prescribing_from_the_catalogue_sends_the_code_on_screen_and_on_paper(qtbot, clinic, artifacts: Path) -> None:
    window = call_first(qtbot, clinic, doctor=("minh", "demo-minh-2026"))
    patient = window.current.patient
    diagnose(qtbot, window)
    assert not window.rx_box.child_row.isVisible(), "no guardian for an adult"
    prescribe(qtbot, window, "amlo")
    prescribe(qtbot, window, "paracetamol")  # typed without accents, as on a keyboard without Telex
    assert window.rx_box.search_field.text() == "", "ready for the next drug"
    assert cell(window, 0, "drug") == "Amlodipin (Kavasdin) 5mg" and cell(window, 1, "drug") == "Paracetamol (Panadol) 500mg"
    assert cell(window, 0, "quantity") == "10 Viên" and cell(window, 0, "route") == "Uống"
    type_in_cell(qtbot, window, 1, "days", "3")
    assert cell(window, 1, "quantity") == "06 Viên", "1 × 2 a day × 3 days, with TT 26's leading 0"
    window.rx_box.table.cellWidget(1, COLUMNS.index("instructions")).setCurrentText("Uống sau ăn")
    lines = window.form_data()["prescription"]
    assert [(x["catalogue_code"], x["drug_code"], x["unit_price"], x["route_code"], x["quantity"]) for x in lines] == \
        [("VD-23456-15", "40.221", 1200, "1.01", 10), ("VD-12345-10", "40.48", 500, "1.01", 6)], "every field kept"
    assert lines[1]["instructions"] == "Uống sau ăn"
    qtbot.wait(100)
    window.grab().save(str(artifacts / "doctor-prescription-1366x768.png"))

    qtbot.mouseClick(window.finalise_button, Qt.MouseButton.LeftButton)
    summary = window.review.summary.text()
    assert "Amlodipin (Kavasdin) 5mg — 10 Viên" in summary and "Paracetamol (Panadol) 500mg — 06 Viên" in summary
    assert "Uống, ngày 2 lần, mỗi lần 01 viên, trong 03 ngày. Uống sau ăn" in summary
    window.review.grab().save(str(artifacts / "doctor-prescription-review.png"))
    qtbot.mouseClick(window.review.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "đã gửi Hệ thống đơn thuốc quốc gia" in window.rx_status.text(), timeout=15000)
    code = window.visit["data"]["prescription_code"]
    shown = window.rx_status.text()
    assert f"Đơn thuốc {code}: đã gửi Hệ thống đơn thuốc quốc gia" in shown and window.rx_status.isVisible()
    timeline = window.health.timeline  # the health book shows the visit just finalised, with its prescription
    cells = [timeline.item(r, 2).text() for r in range(timeline.rowCount()) if timeline.item(r, 2)]
    assert any(f"Đơn thuốc {code}: Đã gửi" in text for text in cells), cells
    assert "Đăng ký khám" in window.visit_status.text() or "Hồ sơ XML" in window.visit_status.text(), "BHXH kept"
    assert "Đơn thuốc" not in window.visit_status.text(), "the prescription is said once, on its own line"

    national = accepted(clinic)["accepted"]
    assert code in national, "the stand-in received the code on screen"
    body = national[code]["body"]
    assert body["ho_ten_benh_nhan"] == patient.full_name and body["ma_don_thuoc"] == code
    assert [(d["ma_thuoc"], d["so_luong"]) for d in body["thong_tin_don_thuoc"]] == [("VD-23456-15", 10),
                                                                                      ("VD-12345-10", 6)]
    assert [c for c, a in national.items() if a["body"]["ho_ten_benh_nhan"] == patient.full_name] == [code]

    qtbot.mouseClick(window.print_buttons["prescription"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.last_print is not None, timeout=10000)
    paper = subprocess.run(["pdftotext", "-layout", str(window.last_print.pdf_path), "-"], capture_output=True,
                           text=True, check=True).stdout
    assert f"Mã đơn thuốc: {code}" in paper and "Amlodipin (Kavasdin) 5mg" in paper
    window.grab().save(str(artifacts / "doctor-prescription-sent-1366x768.png"))


def child_checked_in(clinic):  # noqa: ANN001, ANN201
    """A child of 21 months (no card of her own yet), checked in to room 101."""
    child = make_people(1, 60)[11]
    patient = clinic.identify(identity_from_payload(parse_payload(child.cccd_qr)))
    clinic.check_in(patient, "K01")
    return patient


def test_a_refusal_is_shown_in_vietnamese_corrected_and_the_same_code_accepted(qtbot, clinic, artifacts: Path) -> None:
    """A young child's prescription: weight and guardian asked for while prescribing; the national system refuses a
    drug its database no longer lists (the clinic's catalogue cannot know); the refusal is shown field by field, the
    doctor replaces the drug and the same code is accepted."""
    patient = child_checked_in(clinic)
    clinic.sign_in("minh", "demo-minh-2026")
    window = open_room(qtbot, clinic)
    qtbot.waitUntil(lambda: window.queue.count() >= 1, timeout=5000)
    window.call_next()
    qtbot.waitUntil(lambda: window.visit is not None, timeout=15000)
    diagnose(qtbot, window)
    box = window.rx_box
    assert box.child_row.isVisible() and "21 tháng tuổi" in box.child_note.text()
    assert window.vital_names["weight"].text().endswith("*"), "the weight is required for a young child"
    prescribe(qtbot, window, "panadol")
    assert "cần cân nặng" in box.problems.text(), "said while prescribing, not only at the end"
    prescribe(qtbot, window, "cetirizin")
    withdrawn = box.lines()[1]["catalogue_code"]
    requests.post(f"{clinic._sandbox.url}/_admin/erx/withdrawn", json={"codes": [withdrawn]}, timeout=5)
    qtbot.keyClicks(window.vitals["weight"], "11,5")
    box.guardian_fields["name"].insert("Phạm Văn Hùng")  # typed (QTest cannot send Vietnamese letters as keys)
    qtbot.keyClicks(box.guardian_fields["phone"], "0912 345 678")
    window.finalise()
    assert not window.review.send_button.isEnabled(), "no address for the guardian: the national system needs it"
    assert "địa chỉ người giám hộ" in window.review.problems.text()
    window.review.reject()
    box.guardian_fields["address"].insert("Số 8 ngõ 4 Lò Đúc, Hà Nội")
    assert window.form_data()["guardian"] == {"name": "Phạm Văn Hùng", "phone": "0912345678",
                                              "address": "Số 8 ngõ 4 Lò Đúc, Hà Nội"}
    finalise_and_send(qtbot, window)

    qtbot.waitUntil(lambda: "BỊ TỪ CHỐI" in window.rx_status.text(), timeout=15000)
    code = window.visit["data"]["prescription_code"]
    shown = window.rx_status.text()
    assert f"Đơn thuốc {code}: BỊ TỪ CHỐI" in shown
    assert "Thuốc 2: mã thuốc — Thuốc đã bị rút số đăng ký lưu hành" in shown, shown
    assert 'Bấm "Sửa (bản mới)", sửa các mục trên rồi hoàn tất lại' in shown
    assert code not in accepted(clinic)["accepted"]
    qtbot.wait(100)
    window.grab().save(str(artifacts / "doctor-prescription-refused-1366x768.png"))

    qtbot.mouseClick(window.correct_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.visit["version"] == 2 and window.form_page.isEnabled(), timeout=10000)
    assert "BỊ TỪ CHỐI" in window.rx_status.text(), "what to fix stays in sight while correcting"
    box.table.setCurrentCell(1, 0)
    box.table.setFocus()
    qtbot.keyClick(box.table, Qt.Key.Key_Delete)
    prescribe(qtbot, window, "loratadin")
    finalise_and_send(qtbot, window)
    qtbot.waitUntil(lambda: "đã gửi Hệ thống đơn thuốc quốc gia" in window.rx_status.text(), timeout=15000)
    assert window.visit["data"]["prescription_code"] == code and f"Đơn thuốc {code}: đã gửi" in window.rx_status.text()
    national = accepted(clinic)
    body = national["accepted"][code]["body"]
    assert body["ho_ten_benh_nhan"] == patient.full_name and body["can_nang"] == 11.5
    assert [d["biet_duoc"] for d in body["thong_tin_don_thuoc"]] == ["Paracetamol", "Loratadin"]
    assert body["thong_tin_nguoi_giam_ho"] == {"ho_ten": "Phạm Văn Hùng", "so_dien_thoai": "0912345678",
                                               "dia_chi": "Số 8 ngõ 4 Lò Đúc, Hà Nội"}
    assert national["sends"][code] == 2, "refused once, then accepted under the same code"


def test_an_old_free_text_line_is_red_and_cannot_be_sent_and_a_line_goes_with_delete(qtbot, clinic) -> None:
    window = call_first(qtbot, clinic)
    diagnose(qtbot, window)
    old = {"name": "Paracetamol", "strength": "500mg", "dose": 1, "times_per_day": 2, "days": 5, "route": "Uống",
           "quantity": 10, "unit": "Viên"}
    window.load_form(dict(window.form_data(), prescription=[old]))
    assert "Không có mã trong danh mục — chọn lại thuốc từ danh mục" in cell(window, 0, "drug")
    assert window.rx_box.table.item(0, 0).foreground().color().name() == "#b00020"
    window.finalise()
    assert not window.review.send_button.isEnabled()
    assert "không chọn từ danh mục" in window.review.problems.text()
    window.review.reject()
    prescribe(qtbot, window, "Paracetamol")
    window.rx_box.table.selectRow(0)
    qtbot.keyClick(window.rx_box.table, Qt.Key.Key_Delete)
    lines = window.form_data()["prescription"]
    assert [x["catalogue_code"] for x in lines] == ["VD-12345-10"], "the old line removed with Delete"
    prescribe(qtbot, window, "paracetamol")
    assert window.rx_box.table.rowCount() == 1 and "đã có ở dòng 1" in window.rx_box.notice.text()


def test_a_drug_the_patient_is_recorded_allergic_to_is_flagged_while_prescribing_and_in_the_review(qtbot,
                                                                                                  clinic) -> None:
    from kiosk.erx import catalogue

    csv = ("Mã thuốc,Hoạt chất,Tên thuốc,Hàm lượng,Đơn vị tính,Đường dùng,Số đăng ký,Giá BHYT\n"
           "VD-99881-21,Acid acetylsalicylic (Aspirin),Aspirin pH8,81mg,Viên,Uống,VD-99881-21,350\n")
    catalogue.import_bytes(clinic.store, csv.encode(), "aspirin.csv")
    person = make_people(1, 60)[15]  # her health book records an allergy to aspirin (dyspnoea)
    clinic.check_in(clinic.identify(identity_from_payload(parse_payload(person.cccd_qr))), "K01")
    clinic.sign_in("minh", "demo-minh-2026")
    window = open_room(qtbot, clinic)
    qtbot.waitUntil(lambda: window.queue.count() >= 1, timeout=5000)
    window.call_next()
    qtbot.waitUntil(lambda: window.visit is not None and window.health.book is not None, timeout=15000)
    assert window.current.patient.full_name.upper() == person.full_name.upper()
    diagnose(qtbot, window)
    prescribe(qtbot, window, "paracetamol")
    assert "DỊ ỨNG" not in window.rx_box.problems.text()
    prescribe(qtbot, window, "aspirin")
    assert "DỊ ỨNG: người bệnh có ghi dị ứng «Aspirin»" in window.rx_box.problems.text()
    window.finalise()
    assert "DỊ ỨNG" in window.review.warnings.text() and window.review.warnings.isVisible()
