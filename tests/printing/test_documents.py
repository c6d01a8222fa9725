"""Every document as a PDF: exact Vietnamese text, page sizes, embedded fonts, the back-link QR."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import cv2
import pdfplumber
import pytest
from reportlab.lib.pagesizes import A4, A5
from reportlab.lib.units import mm

from kiosk.settings import Settings
from kiosk.store.opening import open_store
from scanner.cascade import Cascade
from scanner.payloads import parse_payload

BIN = Path(sys.executable).with_name("clinic-kiosk")


@pytest.fixture(scope="module")
def samples(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("home")
    out = tmp_path_factory.mktemp("samples")
    env = {**os.environ, "CLINIC_KIOSK_HOME": str(home)}
    result = subprocess.run([str(BIN), "print", "sample", "--out", str(out)], capture_output=True, text=True, env=env,
                            timeout=180)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(out / n) for n in ("ticket-80mm.pdf", "ticket-58mm.pdf", "appointment.pdf",
                                                             "referral.pdf", "prescription.pdf", "visit-summary.pdf")]
    (out / ".home").write_text(str(home))
    return out


def text_of(path: Path) -> str:
    with pdfplumber.open(path) as pdf:
        return unicodedata.normalize("NFC", "\n".join(page.extract_text() or "" for page in pdf.pages))


def size_mm(path: Path) -> tuple[float, float]:
    with pdfplumber.open(path) as pdf:
        page = pdf.pages[0]
        return round(page.width / mm, 1), round(page.height / mm, 1)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ticket-80mm.pdf", ["Phòng khám Đa khoa An Bình", "PHIẾU SỐ THỨ TỰ / QUEUE TICKET", "001", "Khám bệnh",
                             "Phòng / Room 101", "Đ. Đ. NAM"]),
        ("appointment.pdf", ["GIẤY HẸN KHÁM LẠI", "Họ và tên: ĐẶNG ĐỨC NAM", "Hẹn khám lại vào ngày:",
                             "Chẩn đoán: Viêm họng cấp, không đặc hiệu (J02.9)", "BÁC SĨ KHÁM BỆNH"]),
        ("referral.pdf", ["PHIẾU CHUYỂN CƠ SỞ KHÁM BỆNH, CHỮA BỆNH", "Kính gửi: Cơ sở khám bệnh, chữa bệnh mã 01001",
                          "Lý do chuyển: Đủ điều kiện chuyển cơ sở KBCB theo quy định",
                          "Giấy chuyển có giá trị đến hết ngày:", "Phương tiện vận chuyển: Tự túc"]),
        ("prescription.pdf", ["ĐƠN THUỐC", "1. Paracetamol (Panadol) 500mg 15 Viên",
                              "Uống, ngày 3 lần, mỗi lần 01 viên, trong 05 ngày.", "Số định danh cá nhân/CCCD: 079099833169",
                              "Đơn thuốc có giá trị mua, lĩnh thuốc"]),
        ("visit-summary.pdf", ["TÓM TẮT LƯỢT KHÁM BỆNH", "Lý do khám: Ho, sốt 2 ngày", "Glucose máu",
                               "Hẹn tái khám:"]),
    ],
)
def test_text_is_exact_vietnamese(samples: Path, name: str, expected: list[str]) -> None:
    text = text_of(samples / name)
    for line in expected:
        assert line in text, f"{line!r} not in {name}:\n{text}"


@pytest.mark.parametrize("name", ["appointment.pdf", "referral.pdf", "prescription.pdf", "visit-summary.pdf"])
def test_the_signing_doctor_is_named_with_the_certificate(samples: Path, name: str) -> None:
    """Under the signature: the demo doctor's name and practising-certificate number (the demo visit's
    MA_BAC_SI is the certificate of the account «minh»)."""
    lines = text_of(samples / name).splitlines()
    at = lines.index("Trần Văn Minh")
    assert lines[at + 1] == "Số CCHN: 001234/HN-CCHN"
    assert any(role in "\n".join(lines[:at]) for role in ("BÁC SĨ KHÁM BỆNH", "BÁC SĨ ĐIỀU TRỊ",
                                                           "NGƯỜI HÀNH NGHỀ KHÁM BỆNH, CHỮA BỆNH"))


def test_ticket_masks_the_name_and_documents_do_not(samples: Path) -> None:
    assert "ĐẶNG ĐỨC NAM" not in text_of(samples / "ticket-80mm.pdf")
    assert "0790" not in text_of(samples / "ticket-80mm.pdf")


def test_prescription_code_is_14_characters(samples: Path) -> None:
    match = re.search(r"Mã đơn thuốc: (\S+)", text_of(samples / "prescription.pdf"))
    assert match and re.fullmatch(r"01013[0-9a-z]{7}-c", match.group(1))  # QĐ 808: type letter as loai_don_thuoc


@pytest.mark.parametrize(("name", "width", "height"),
                         [("ticket-80mm.pdf", 80, None), ("ticket-58mm.pdf", 58, None),
                          ("appointment.pdf", A5[0] / mm, A5[1] / mm), ("prescription.pdf", A5[0] / mm, A5[1] / mm),
                          ("referral.pdf", A4[0] / mm, A4[1] / mm), ("visit-summary.pdf", A4[0] / mm, A4[1] / mm)])
def test_page_sizes(samples: Path, name: str, width: float, height: float | None) -> None:
    w, h = size_mm(samples / name)
    assert abs(w - width) < 0.5
    if height is not None:
        assert abs(h - height) < 0.5


@pytest.mark.parametrize("name", ["ticket-80mm.pdf", "referral.pdf", "prescription.pdf"])
def test_fonts_are_embedded(samples: Path, name: str) -> None:
    raw = (samples / name).read_bytes()
    with pdfplumber.open(samples / name) as pdf:
        fonts = {c["fontname"] for c in pdf.pages[0].chars}
    assert fonts and all("DejaVuSans" in f for f in fonts)
    assert b"/FontFile2" in raw or b"FontFile2" in raw


@pytest.mark.parametrize("name", ["ticket-80mm.pdf", "ticket-58mm.pdf", "appointment.pdf", "referral.pdf",
                                  "prescription.pdf", "visit-summary.pdf"])
def test_back_link_qr_is_read_by_our_own_scanner(samples: Path, name: str, tmp_path: Path) -> None:
    subprocess.run(["pdftoppm", "-r", "200", "-png", "-f", "1", "-l", "1", str(samples / name), str(tmp_path / "p")],
                   check=True)
    image = cv2.imread(str(next(tmp_path.glob("p*.png"))))
    result = Cascade().decode_still(image)
    # the prescription also carries its code's own QR: the back-link is the one starting with CK1
    text = next((c.text for c in result.codes if c.text.startswith("CK1:01013:")), None)
    assert text
    home = Path((samples / ".home").read_text())
    os.environ["CLINIC_KIOSK_HOME"] = str(home)
    with open_store(Settings().db_path()) as store:
        key = store.installation_secret("slip_key")
    payload = parse_payload(text, slip_key=key)
    assert payload.ok and payload.kind == "slip"
    expected = {"ticket": "ticket", "appointment": "appointment", "referral": "referral",
                "prescription": "prescription", "visit": "visit"}
    assert payload.fields["document"] in expected.values()


def test_look_at_the_pages(samples: Path, artifacts: Path) -> None:
    """Render every sample to PNG under artifacts/ for a person to look at."""
    for pdf in samples.glob("*.pdf"):
        subprocess.run(["pdftoppm", "-r", "90", "-png", "-singlefile", str(pdf), str(artifacts / pdf.stem)], check=True)
    assert len(list(artifacts.glob("*.png"))) >= 6


def words_of(path: Path) -> list[dict]:
    with pdfplumber.open(path) as pdf:
        return [{**w, "text": unicodedata.normalize("NFC", w["text"])} for w in pdf.pages[0].extract_words()]


def phrase_box(words: list[dict], phrase: str) -> tuple[float, float, float]:
    """Where a phrase is printed on one line: (left, right, top); fails when its words are not side by side."""
    parts = phrase.split()
    for i in range(len(words) - len(parts) + 1):
        run = words[i:i + len(parts)]
        if [w["text"] for w in run] == parts and all(abs(w["top"] - run[0]["top"]) < 1 for w in run):
            return run[0]["x0"], run[-1]["x1"], run[0]["top"]
    raise AssertionError(f"{phrase!r} is not on one line")


@pytest.mark.parametrize("name", ["appointment.pdf", "referral.pdf", "prescription.pdf", "visit-summary.pdf"])
def test_header_names_the_authority_and_keeps_the_motto_whole(samples: Path, name: str) -> None:
    """The walk-through: «SỞ Y TẾ / BỘ Y TẾ» as printed, the motto broken after «CHỦ», «ĐT:» apart from its number."""
    text = text_of(samples / name)
    assert "BỘ Y TẾ" not in text and "SỞ Y TẾ / " not in text
    lines = text.splitlines()
    assert lines[0].startswith("SỞ Y TẾ HÀ NỘI"), "the demo address ends with Hà Nội"
    assert any("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in line for line in lines), "the motto on one line"
    assert any("ĐT: 024 3825 0000" in line for line in lines), "the phone on one line with its label"
    words = words_of(samples / name)
    left, right, top = phrase_box(words, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    left_2, right_2, top_2 = phrase_box(words, "Độc lập - Tự do - Hạnh phúc")
    assert top_2 > top and abs((left + right) / 2 - (left_2 + right_2) / 2) < 2, "centred under the motto"


def test_patient_code_and_sex_stand_apart_from_the_values_before_them(samples: Path) -> None:
    words = words_of(samples / "prescription.pdf")
    for before, label in (("NAM", "Mã người bệnh:"), ("tuổi)", "Giới tính:")):
        x0, _, top = phrase_box(words, label)
        end = max(w["x1"] for w in words if abs(w["top"] - top) < 1 and w["x1"] <= x0 and w["text"] == before)
        assert x0 - end > 10 * mm / 2.0, f"{label!r} runs into the value before it"


def test_authority_setting_and_what_it_falls_back_to(kiosk_home) -> None:
    from kiosk import paper

    settings = Settings()
    assert paper.authority(settings) == "SỞ Y TẾ HÀ NỘI"
    settings.set_for_run("facility.address", "25 Lê Lợi, Phường Bến Nghé, TP Hồ Chí Minh")
    assert paper.authority(settings) == "SỞ Y TẾ THÀNH PHỐ HỒ CHÍ MINH"
    settings.set_for_run("facility.address", "25 Lê Lợi")
    assert paper.authority(settings) == "", "no province in the address: the header starts with the facility"
    settings.set_for_run("facility.authority", "Bộ Y tế")
    assert paper.authority(settings) == "BỘ Y TẾ"
    assert paper.facility(settings).authority == "BỘ Y TẾ"


def test_a_header_without_authority_starts_with_the_facility(tmp_path: Path) -> None:
    import datetime as dt

    from printing.documents import Facility, PatientInfo, VisitInfo, write_prescription

    now = dt.datetime(2026, 3, 2, 9, 30)
    patient = PatientInfo("NGUYỄN VĂN A", "01/02/1980", "46 tuổi", "Nam", "Hà Nội", "001080000001", "", "", "BN1")
    visit = VisitInfo("MA1", now, now, "Ho", "", {}, [{"code": "J00", "name": "Viêm mũi họng cấp", "is_main": True}],
                      [], [], "", None, None, "01013abcdefg-C", "BS A", "K01")
    path = write_prescription(tmp_path / "p.pdf", Facility("01013", "Phòng khám X", "Số 1", "0900 000 000"),
                              patient, visit, "CK1:01013:x")
    assert text_of(path).splitlines()[0].startswith("PHÒNG KHÁM X")
