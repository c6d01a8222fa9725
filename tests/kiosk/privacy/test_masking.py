"""No ID number, card code, phone number or name reaches a log line in full (DOMAIN.md §1–2)."""

from __future__ import annotations

import logging

import pytest

from kiosk.privacy import masking
from kiosk.privacy.logs import MaskingFilter, setup_logging
from kiosk.privacy.masking import mask_id, mask_name, mask_text

CCCD_QR = "001099012345|123456789|NGUYỄN VĂN AN|15081999|Nam|Số 1 phố Kim Mã, Phường Ba Đình, Hà Nội|20042021"
CCCD_QR_NO_CMND = "079304000111||TRẦN THỊ BÌNH|02022004|Nữ|12 Lê Lợi, Phường Sài Gòn, TP Hồ Chí Minh|10072024"
BHYT_QR = (
    "HC4010123456789|4e677579e1bb856e2056c4836e20416e|15/08/1999|1|"
    "53e1bb912031207068e1bb91204b696d204dc3a32c205068c6b0e1bb9d6e6720426120c490c3ac6e682c2048c3a0204ee1bb9969"
    "|01 - 013|01/01/2026|31/12/2026|01/01/2026||-|4|01/01/2030||$"
)

# (what appears in a log message, the secret that must not appear, the masked form that should)
CASES = [
    ("CCCD 001099012345 checked", "001099012345", "0010******45"),
    ("old CMND 123456789", "123456789", "1234***89"),
    ("card HC4010123456789 ok", "HC4010123456789", "HC40*********89"),
    ("BHXH number 0123456789", "0123456789", "0123****89"),
    ("new-format card 8901234567", "8901234567", "8901****67"),
    ("card GD4010120152431", "GD4010120152431", "GD40*********31"),
    ("phone 0912345678", "0912345678", "0912****78"),
    ("phone +84 912 345 678", "912 345 678", "+849******78"),
    ("phone 0912.345.678", "0912.345.678", "0912****78"),
    ("id=001099012345;card=HC4010123456789", "001099012345", "0010******45"),
]


@pytest.mark.parametrize(("text", "secret", "masked"), CASES)
def test_mask_text_hides_every_id_format(text: str, secret: str, masked: str) -> None:
    out = mask_text(text)
    assert secret not in out
    assert masked in out


@pytest.mark.parametrize("payload", [CCCD_QR, CCCD_QR_NO_CMND, BHYT_QR])
def test_qr_payloads_are_masked_field_by_field(payload: str) -> None:
    out = mask_text(f"scanned {payload}")
    for secret in ("001099012345", "123456789", "079304000111", "HC4010123456789",
                   "NGUYỄN VĂN AN", "TRẦN THỊ BÌNH", "Kim Mã", "Lê Lợi", "4e677579e1bb856e2056c4836e20416e"):
        assert secret not in out
    assert out.count("|") == payload.count("|"), "the shape of the payload stays readable"


def test_hex_encoded_name_of_a_bhyt_qr_is_hidden_but_hashes_are_not() -> None:
    sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    out = mask_text(f"name=4e677579e1bb856e2056c4836e20416e hash={sha}")
    assert "4e677579" not in out
    assert sha in out


def test_remembered_names_are_reduced_to_initials_in_any_case() -> None:
    masking.remember("Trần Thị Bình")
    assert mask_text("called TRẦN THỊ BÌNH to room 5") == "called T. T. B. to room 5"
    assert "Bình" not in mask_text("trần   thị bình")


def test_mask_id_and_mask_name_for_screens() -> None:
    assert mask_id("001099012345") == "0010******45"
    assert mask_id("12345") == "*****"
    assert mask_name("Nguyễn Văn An") == "N. V. An"


def test_log_file_never_holds_a_full_identifier(kiosk_home, tmp_path) -> None:
    log_file = setup_logging(tmp_path / "logs")
    masking.remember("Nguyễn Văn An")
    logger = logging.getLogger("kiosk.test")
    logger.info("scan %s", CCCD_QR)
    logger.info("bhyt %s", BHYT_QR)
    logger.warning("lookup for %s (%s) phone %s", "Nguyễn Văn An", "HC4010123456789", "0912345678")
    try:
        raise ValueError("bad card 001099012345")
    except ValueError:
        logger.exception("failed")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = log_file.read_text(encoding="utf-8")
    for secret in ("001099012345", "123456789", "HC4010123456789", "0912345678", "Nguyễn Văn An",
                   "NGUYỄN VĂN AN", "4e677579e1bb856e2056c4836e20416e"):
        assert secret not in text, secret
    assert "0010******45" in text and "N. V. A." in text and "Traceback" in text


def test_masking_filter_for_foreign_handlers(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("kiosk.foreign")
    caplog.handler.addFilter(MaskingFilter())
    with caplog.at_level(logging.INFO):
        logger.info("id %s", "001099012345")
    assert "001099012345" not in caplog.text
    assert "0010******45" in caplog.text
