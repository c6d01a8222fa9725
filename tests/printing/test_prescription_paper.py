"""The paper prescription (TT 26/2025): one page or more per prescription with its code as text and as a QR code a
pharmacy reads back, the child's weight and guardian, the replaced code, the validity line, the signing doctor; and
every font of every PDF the program writes embedded in it."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import unicodedata
from pathlib import Path

import cv2
import pytest

from printing.documents import (WRITERS, Facility, PatientInfo, PrescriptionPaper, VisitInfo, write_prescription)
from printing.test_page import write_test_page
from printing.ticket import TicketDoc, write_ticket
from scanner.cascade import Cascade
from scanner.engines import zxing_engine

NOW = dt.datetime(2026, 3, 2, 9, 30)
FACILITY = Facility("01013", "Phòng khám Đa khoa An Bình", "Số 12 Phố Huế, Phường Hai Bà Trưng, Hà Nội",
                    "024 3825 0000", "SỞ Y TẾ HÀ NỘI")
ADULT = PatientInfo("ĐẶNG ĐỨC NAM", "14/03/1990", "35 tuổi", "Nam", "Số 5 Ngõ 10 Phố Huế, Hà Nội", "079099833169",
                    "GD4797932112345", "01/01/2026 - 31/12/2026", "BN000123")
CHILD = PatientInfo("NGUYỄN MINH AN", "10/05/2023", "33 tháng tuổi", "Nam", "Số 8 Ngõ 4 Lò Đúc, Hà Nội",
                    "001223012345", "TE1010123456789", "01/01/2026 - 31/12/2026", "BN000456")
SLIP = "CK1:01013:prescription:MA1:abcdefgh"  # the back-link QR: any text, it is not the prescription's code
DIAGNOSES = [{"code": "J02.9", "name": "Viêm họng cấp, không đặc hiệu", "is_main": True}]

PARACETAMOL = {"name": "Paracetamol (Panadol) 500mg", "quantity_text": "15 Viên",
               "usage": "Uống, ngày 3 lần, mỗi lần 01 viên, trong 05 ngày. Uống sau ăn"}
MORPHINE = {"name": "Morphin hydroclorid 10mg/ml", "quantity_text": "05 (năm) Ống",
            "usage": "Tiêm dưới da, ngày 1 lần, mỗi lần 01 ống, trong 05 ngày"}
ORDINARY = PrescriptionPaper("01013ab3k9x2q-C", "c", [PARACETAMOL])
NARCOTIC = PrescriptionPaper("01013zz81mn4r-N", "n", [MORPHINE], period="Đợt 1: từ 02/03/2026 đến 06/03/2026")


def visit(**changes) -> VisitInfo:
    base = VisitInfo("MA1", NOW, NOW, "Ho, sốt 2 ngày", "Họng đỏ", {"pulse": 80}, DIAGNOSES, [], [],
                     "Uống nhiều nước", dt.date(2026, 3, 9), None, "", "Trần Văn Minh", "Khám bệnh",
                     doctor_cert="001234/HN-CCHN", prescriptions=[ORDINARY])
    for key, value in changes.items():
        setattr(base, key, value)
    return base


def render(tmp_path: Path, info: VisitInfo, patient: PatientInfo = ADULT, name: str = "rx.pdf") -> Path:
    return write_prescription(tmp_path / name, FACILITY, patient, info, SLIP)


def _pdftotext(pdf: Path, *options: str) -> list[str]:
    text = subprocess.run(["pdftotext", *options, str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    return [unicodedata.normalize("NFC", page) for page in text.split("\f") if page.strip()]


def flat(text: str) -> str:
    """Every run of spaces and line ends made one space (``-layout`` spreads columns apart, a long line wraps)."""
    return re.sub(r"\s+", " ", text).strip()


class Page:
    """A printed page as ``pdftotext -layout`` reads it (``lines``: what stands side by side on one line), and its
    ``text``: that and the reading-order text (a column beside another, such as the advice beside the signature, is
    read whole there)."""

    def __init__(self, layout: str, reading: str) -> None:
        self.lines = [flat(line) for line in layout.splitlines() if line.strip()]
        self.text = flat(layout) + "\n" + flat(reading)

    def on_one_line(self, *parts: str) -> bool:
        return any(all(p in line for p in parts) and line.index(parts[0]) < line.index(parts[-1]) for line in self.lines)


def pages(pdf: Path) -> list[Page]:
    return [Page(*both) for both in zip(_pdftotext(pdf, "-layout"), _pdftotext(pdf), strict=True)]


def unembedded(pdf: Path) -> list[str]:
    """The fonts ``pdffonts`` lists as not embedded (its «emb» column)."""
    out = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True, text=True).stdout.splitlines()
    header = out[0]
    at = header.index("emb")
    rows = [line for line in out[2:] if line.strip()]
    assert rows, f"{pdf.name} names no font"
    return [line for line in rows if line[at:at + 3] != "yes"]


def codes_on_pages(pdf: Path, tmp_path: Path) -> list[dict[str, float]]:
    """Every code read on each page printed at 200 dpi (text -> side of the symbol in mm): the program's still-image
    cascade must read the page, and zxing on the whole page then lists every symbol (the cascade stops at the first
    pass that reads something)."""
    stem = tmp_path / pdf.stem
    subprocess.run(["pdftoppm", "-r", "200", "-png", str(pdf), str(stem)], check=True)
    found = []
    for png in sorted(tmp_path.glob(f"{pdf.stem}-*.png")):
        image = cv2.imread(str(png))
        still = Cascade().decode_still(image)
        assert still.codes, f"the scanner reads nothing on {png.name}"
        every = [c for c in zxing_engine()(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)) if c.valid]
        assert {c.text for c in still.codes} <= {c.text for c in every}
        texts = [c.text for c in every]
        assert len(texts) == len(set(texts)), f"a code twice on {png.name}: {texts}"
        found.append({c.text: c.side_px / 200 * 25.4 for c in every})
    return found


def assert_on(page: Page, *wanted: str) -> None:
    for text in wanted:
        assert text in page.text, f"{text!r} not on the page:\n" + "\n".join(page.lines)


def test_an_ordinary_prescription_carries_what_tt26_asks(tmp_path: Path) -> None:
    pdf = render(tmp_path, visit())
    [page] = pages(pdf)
    assert_on(page, "ĐƠN THUỐC", "Mã đơn thuốc: 01013ab3k9x2q-C", "Họ và tên: ĐẶNG ĐỨC NAM",
              "Số định danh cá nhân/CCCD: 079099833169", "Chẩn đoán: Viêm họng cấp, không đặc hiệu (J02.9)",
              "Uống, ngày 3 lần, mỗi lần 01 viên, trong 05 ngày. Uống sau ăn",
              "Lời dặn: Uống nhiều nước. Tái khám ngày 09/03/2026", VALIDITY_TEXT, "BÁC SĨ KHÁM BỆNH", "Trần Văn Minh",
              "Số CCHN: 001234/HN-CCHN", "Mã đơn thuốc: 01013ab3k9x2q-C — trang 1/1")
    assert page.on_one_line("1. Paracetamol (Panadol) 500mg", "15 Viên"), "the quantity beside the drug's name"
    for absent in ('"N"', "Cân nặng", "giám hộ", "Thay thế", "Đợt điều trị"):
        assert absent not in page.text
    [codes] = codes_on_pages(pdf, tmp_path)
    assert "01013ab3k9x2q-C" in codes, "the pharmacy's scanner reads the bare code"
    assert codes["01013ab3k9x2q-C"] >= 20, f"the code's QR is {codes['01013ab3k9x2q-C']:.1f} mm wide"


def test_a_mixed_visit_prints_one_page_per_prescription_each_with_its_own_code(tmp_path: Path) -> None:
    pdf = render(tmp_path, visit(prescriptions=[ORDINARY, NARCOTIC]))
    ordinary, narcotic = pages(pdf)
    assert_on(ordinary, "Mã đơn thuốc: 01013ab3k9x2q-C", "01013ab3k9x2q-C — trang 1/1")
    assert "Morphin" not in ordinary.text and '"N"' not in ordinary.text
    assert_on(narcotic, 'ĐƠN THUỐC "N"', "Mã đơn thuốc: 01013zz81mn4r-N", "01013zz81mn4r-N — trang 1/1",
              "Đợt điều trị: Đợt 1: từ 02/03/2026 đến 06/03/2026")
    assert narcotic.on_one_line("1. Morphin hydroclorid 10mg/ml", "05 (năm) Ống")
    assert "Paracetamol" not in narcotic.text
    for page in (ordinary, narcotic):
        assert_on(page, "Số định danh cá nhân/CCCD: 079099833169", "Trần Văn Minh", "Số CCHN: 001234/HN-CCHN",
                  VALIDITY_TEXT)
    first, second = codes_on_pages(pdf, tmp_path)
    assert "01013ab3k9x2q-C" in first and "01013zz81mn4r-N" not in first
    assert "01013zz81mn4r-N" in second and "01013ab3k9x2q-C" not in second
    assert SLIP in first and SLIP in second, "the header's back-link QR is still there, apart from the code's"


def test_a_child_has_weight_and_guardian(tmp_path: Path) -> None:
    guardian = {"name": "NGUYỄN THỊ HOA", "phone": "0912345678", "address": "Số 8 Ngõ 4 Lò Đúc, Hà Nội"}
    [page] = pages(render(tmp_path, visit(weight_kg=14.5, guardian=guardian), CHILD))
    assert_on(page, "Họ và tên: NGUYỄN MINH AN", "(33 tháng tuổi)", "Số định danh cá nhân/CCCD: 001223012345",
              "Cân nặng: 14,5 kg", "Người giám hộ: NGUYỄN THỊ HOA", "Điện thoại: 0912345678",
              "Địa chỉ người giám hộ: Số 8 Ngõ 4 Lò Đúc, Hà Nội")
    [whole] = pages(render(tmp_path, visit(weight_kg=20.0), CHILD, "whole.pdf"))
    assert_on(whole, "Cân nặng: 20 kg")


def test_a_replacement_names_the_code_it_replaces(tmp_path: Path) -> None:
    new = PrescriptionPaper("01013q7w2e9r1-C", "c", [PARACETAMOL], replaces="01013ab3k9x2q-C")
    pdf = render(tmp_path, visit(prescriptions=[new]))
    assert_on(pages(pdf)[0], "Mã đơn thuốc: 01013q7w2e9r1-C", "Thay thế đơn thuốc mã 01013ab3k9x2q-C")
    [codes] = codes_on_pages(pdf, tmp_path)
    assert "01013q7w2e9r1-C" in codes and "01013ab3k9x2q-C" not in codes, "the QR is the new code alone"


VALIDITY_TEXT = "Đơn thuốc có giá trị mua, lĩnh thuốc trong 05 ngày kể từ ngày kê đơn."


def test_ten_lines_flow_onto_a_second_page_that_names_the_code(tmp_path: Path) -> None:
    long_name = "Amoxicilin + Acid clavulanic (Augmentin 625mg Duo, viên nén bao phim giải phóng kéo dài) 500mg + 125mg"
    lines = [{"name": long_name if n == 3 else f"Thuốc số {n} 250mg", "quantity_text": f"{n:02d} Viên",
              "usage": f"Uống, ngày 2 lần, mỗi lần 01 viên, trong {n:02d} ngày. Uống sau ăn no, không nhai, nuốt cả viên"}
             for n in range(1, 11)]
    pdf = render(tmp_path, visit(prescriptions=[PrescriptionPaper("01013mmmm1111-C", "c", lines)]))
    first, second = pages(pdf)
    assert_on(first, "Mã đơn thuốc: 01013mmmm1111-C — trang 1/2")
    assert_on(second, "Mã đơn thuốc: 01013mmmm1111-C — trang 2/2", "Số CCHN: 001234/HN-CCHN", VALIDITY_TEXT)
    assert "Số CCHN" not in first.text, "the signature comes after the last drug"
    both = first.text + second.text
    for n in range(1, 11):
        assert both.count(f"trong {n:02d} ngày. Uống sau ăn no, không nhai, nuốt cả viên") == 2, f"line {n} lost or cut"
    assert first.on_one_line("3. Amoxicilin + Acid clavulanic", "03 Viên"), "the quantity beside the long name's start"
    assert "giải phóng kéo dài) 500mg + 125mg" in both, "the long name wraps, not cut"


def test_a_visit_finalised_before_worded_prescriptions_prints_its_old_lines_and_code(tmp_path: Path) -> None:
    old = [{"name": "Paracetamol", "strength": "500mg", "unit": "Viên", "route": "Uống", "dose": 1,
            "times_per_day": 3, "days": 5, "quantity": 15, "instructions": "Uống sau ăn"}]
    pdf = render(tmp_path, visit(prescriptions=[], prescription=old, prescription_code="01013oldold1-C"))
    [page] = pages(pdf)
    assert_on(page, "ĐƠN THUỐC", "Mã đơn thuốc: 01013oldold1-C", "Uống, ngày 3 lần, mỗi lần 1 viên, trong 5 ngày. Uống sau ăn")
    assert page.on_one_line("1. Paracetamol 500mg", "15 Viên")
    assert "01013oldold1-C" in codes_on_pages(pdf, tmp_path)[0]


def test_the_summary_and_the_referral_name_the_worded_drugs(tmp_path: Path) -> None:
    info = visit(prescriptions=[ORDINARY, NARCOTIC], referral={"to_facility": "01001", "transport": "Tự túc"})
    [summary] = pages(WRITERS["visit-summary"](tmp_path / "s.pdf", FACILITY, ADULT, info, SLIP))
    assert_on(summary, "Paracetamol (Panadol) 500mg 15 Viên", "Morphin hydroclorid 10mg/ml 05 (năm) Ống",
              "Đơn thuốc (mã 01013zz81mn4r-N)")
    [referral] = pages(WRITERS["referral"](tmp_path / "r.pdf", FACILITY, ADULT, info, SLIP))
    assert_on(referral, "Paracetamol (Panadol) 500mg; Morphin hydroclorid 10mg/ml")


@pytest.mark.parametrize("kind", ["x", "N", ""])
def test_an_unknown_prescription_type_is_refused(kind: str) -> None:
    from kiosk.errors import BadInput

    with pytest.raises(BadInput):
        PrescriptionPaper("01013ab3k9x2q-C", kind, [PARACETAMOL])


def test_every_font_of_every_pdf_is_embedded(tmp_path: Path) -> None:
    """``pdffonts`` lists no font with «emb» no: not the Helvetica reportlab starts every canvas and table cell with."""
    info = visit(prescriptions=[ORDINARY, NARCOTIC], referral={"to_facility": "01001"},
                 labs=[{"name": "Glucose máu", "value": "5.4", "unit": "mmol/L", "conclusion": "Bình thường"}])
    written = [writer(tmp_path / f"{name}.pdf", FACILITY, ADULT, info, SLIP) for name, writer in WRITERS.items()]
    ticket = TicketDoc("Phòng khám Đa khoa An Bình", "01013", 1, "K01-001", "Khám bệnh", "101", "Khám BHYT", NOW,
                       "Đ. Đ. NAM", "elderly", SLIP, "BN000123")
    written += [write_ticket(ticket, tmp_path / f"ticket-{w}.pdf", w) for w in (80, 58)]
    written.append(write_test_page(tmp_path / "test-page.pdf", FACILITY, "may-in"))
    assert len(written) == len(WRITERS) + 3
    for pdf in written:
        assert not unembedded(pdf), f"{pdf.name} has unembedded fonts: {unembedded(pdf)}"
