from __future__ import annotations

import datetime as dt

import pytest

from kiosk.identify import identity_from_payload
from kiosk.model import DatePrecision, IdentitySource, Sex
from kiosk.privacy.masking import mask_text
from scanner.payloads import parse_payload
from tests.scanner.test_payloads import BHYT, CCCD


def test_cccd_payload_becomes_an_identity_with_real_dates() -> None:
    identity = identity_from_payload(parse_payload(CCCD))
    assert identity.source is IdentitySource.CCCD_QR
    assert identity.id_number == "001099012345" and identity.lookup_key == "001099012345"
    assert identity.date_of_birth == dt.date(1999, 8, 15) and identity.sex is Sex.MALE
    assert identity.issue_date == dt.date(2021, 4, 20)
    assert "NGUYỄN VĂN AN" not in mask_text("seen NGUYỄN VĂN AN"), "the name is remembered for masking"


def test_bhyt_payload_identity_looks_up_by_card() -> None:
    identity = identity_from_payload(parse_payload(BHYT.replace("15/08/1999", "1999")))
    assert identity.card_number == "HC4010123456789" and identity.lookup_key == "HC4010123456789"
    assert identity.dob_precision is DatePrecision.YEAR and identity.date_of_birth == dt.date(1999, 1, 1)


def test_invalid_payload_makes_no_identity() -> None:
    with pytest.raises(ValueError):
        identity_from_payload(parse_payload("hello"))
