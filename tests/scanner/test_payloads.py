"""Parsers of CCCD/VNeID, BHYT and slip payloads (DOMAIN.md §1–2)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.errors import PayloadError
from scanner.payloads import make_slip, parse_date, parse_payload

CCCD = "001099012345|123456789|NGUYỄN VĂN AN|15081999|Nam|Số 1 phố Kim Mã, Phường Ba Đình, Hà Nội|20042021"
CCCD_NO_CMND = "079304000111||TRẦN THỊ BÌNH|02022004|Nữ|12 Lê Lợi, Phường Sài Gòn, TP Hồ Chí Minh|10072024"
NAME_HEX = "4e677579e1bb856e2056c4836e20416e"
ADDR_HEX = ("53e1bb912031207068e1bb91204b696d204dc3a32c205068c6b0e1bb9d6e6720426120c490c3ac6e682c2048c3a0204ee1bb9969")
BHYT = f"HC4010123456789|{NAME_HEX}|15/08/1999|1|{ADDR_HEX}|01 - 013|01/01/2026|31/12/2026|01/01/2026||-|4|01/01/2030||$"
KEY = b"k" * 32


def test_cccd_example_from_domain() -> None:
    p = parse_payload(CCCD)
    assert p.ok and p.kind == "cccd"
    assert p.fields == {
        "id_number": "001099012345", "old_id_number": "123456789", "full_name": "NGUYỄN VĂN AN",
        "date_of_birth": "1999-08-15", "sex": "male",
        "address": "Số 1 phố Kim Mã, Phường Ba Đình, Hà Nội", "issue_date": "2021-04-20",
        "extra_fields": [], "warnings": [],
    }
    assert p.dates["date_of_birth"] == (dt.date(1999, 8, 15), "day")


def test_cccd_without_old_id_and_female() -> None:
    p = parse_payload(CCCD_NO_CMND)
    assert p.ok
    assert p.fields["old_id_number"] == "" and p.fields["sex"] == "female"
    assert p.fields["warnings"] == []


def test_eleven_field_card_keeps_extra_fields() -> None:
    p = parse_payload(CCCD + "|15082039|x|y|z")
    assert p.ok and p.fields["extra_fields"] == ["15082039", "x", "y", "z"]


@pytest.mark.parametrize(("dob", "iso"), [("1999", "1999"), ("081999", "1999-08"), ("15081999", "1999-08-15")])
def test_partial_birth_dates(dob: str, iso: str) -> None:
    p = parse_payload(CCCD.replace("15081999", dob))
    assert p.ok and p.fields["date_of_birth"] == iso


@pytest.mark.parametrize("trailer", ["\r", "\n", "\r\n", "\t", "\r\n\r\n"])
def test_keyboard_wedge_trailers_are_ignored(trailer: str) -> None:
    assert parse_payload(CCCD + trailer).fields == parse_payload(CCCD).fields
    assert parse_payload(BHYT + trailer).ok


def test_id_digits_that_disagree_with_the_card_warn_but_do_not_reject() -> None:
    p = parse_payload(CCCD.replace("|Nam|", "|Nữ|"))
    assert p.ok and "id_sex_mismatch" in p.fields["warnings"]
    p = parse_payload(CCCD.replace("15081999", "15081998"))
    assert p.ok and "id_birth_year_mismatch" in p.fields["warnings"]


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (CCCD.replace("15081999", "31021999"), "real calendar date"),
        (CCCD.replace("|Nam|", "|Male|"), "Nam or Nữ"),
        (CCCD.replace("001099012345", "999099012345"), "province code"),
        (CCCD.replace("123456789", "12345"), "old ID number"),
        (CCCD.replace("NGUYỄN VĂN AN", ""), "name"),
        (CCCD.replace("20042021", "20041990"), "before the date of birth"),
        (CCCD.replace("15081999", "15082199"), "Implausible year"),
    ],
)
def test_cccd_rule_breaks_are_clear_errors(text: str, needle: str) -> None:
    p = parse_payload(text)
    assert p.kind == "cccd" and not p.ok
    assert needle in p.error


def test_bhyt_example_from_domain() -> None:
    p = parse_payload(BHYT)
    assert p.ok and p.kind == "bhyt"
    f = p.fields
    assert f["card_number"] == "HC4010123456789"
    assert f["full_name"] == "Nguyễn Văn An"
    assert f["address"] == "Số 1 phố Kim Mã, Phường Ba Đình, Hà Nội"
    assert (f["date_of_birth"], f["sex"], f["registered_facility"]) == ("1999-08-15", "male", "01013")
    assert (f["valid_from"], f["valid_to"], f["issue_date"]) == ("2026-01-01", "2026-12-31", "2026-01-01")
    assert (f["five_year_date"], f["area_code"]) == ("2030-01-01", "4")


def test_bhyt_variants_ten_digit_number_compact_dates_year_only() -> None:
    text = BHYT.replace("HC4010123456789", "0123456789").replace("15/08/1999", "1999")
    text = text.replace("01/01/2026|31/12/2026", "01012026|31122026")
    p = parse_payload(text)
    assert p.ok
    assert p.fields["card_number"] == "0123456789"
    assert p.fields["date_of_birth"] == "1999"
    assert p.fields["valid_to"] == "2026-12-31"


def test_bhyt_child_card_with_parent_and_no_address() -> None:
    parent = "Trần Thị Mai".encode().hex()
    text = BHYT.replace(ADDR_HEX, "-").replace("||-|4|", f"||{parent}|4|").replace("HC401", "TE101")
    p = parse_payload(text)
    assert p.ok and p.fields["address"] == "" and p.fields["parent_name"] == "Trần Thị Mai"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (BHYT.replace("01/01/2026|31/12/2026", "31/12/2026|01/01/2026"), "start is after the end"),
        (BHYT.replace("HC4010123456789", "HC40101234567"), "15 characters"),
        (BHYT.replace("|1|53", "|7|53"), "1 or 2"),
        (BHYT.replace("01 - 013", "1 - 3"), "5 characters"),
        (BHYT.replace("31/12/2026", "31/02/2026"), "real calendar date"),
    ],
)
def test_bhyt_rule_breaks_are_clear_errors(text: str, needle: str) -> None:
    p = parse_payload(text)
    assert p.kind == "bhyt" and not p.ok and needle in p.error


def test_unknown_text_is_kind_null_with_a_clear_error() -> None:
    p = parse_payload("https://example.org/?id=001099012345")
    assert p.kind is None and not p.ok
    assert "Not an ID-card, VNeID, BHYT card or clinic slip" in p.error


def test_slip_round_trip_and_rejections() -> None:
    code = make_slip(KEY, "01013", "appointment", "01013-2611220001")
    assert code.startswith("CK1:01013:A:")
    p = parse_payload(code, slip_key=KEY)
    assert p.ok and p.fields == {"version": 1, "facility": "01013", "document": "appointment",
                                 "reference": "01013-2611220001"}
    typo = code.replace("0001:", "0007:")
    assert "Invalid slip" in parse_payload(typo, slip_key=KEY).error
    forged = make_slip(b"another clinic's key", "01013", "appointment", "01013-2611220001")
    assert "Invalid slip" in parse_payload(forged, slip_key=KEY).error
    assert "No clinic key" in parse_payload(code).error
    assert not parse_payload("CK1:01013:A:x", slip_key=KEY).ok


def test_parse_date_formats() -> None:
    assert parse_date("15/08/1999", "d") == (dt.date(1999, 8, 15), "day")
    assert parse_date("15081999", "d") == (dt.date(1999, 8, 15), "day")
    with pytest.raises(PayloadError):
        parse_date("1999-8", "d")


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=300))
def test_no_text_makes_the_parser_raise(text: str) -> None:
    p = parse_payload(text)
    assert p.kind in (None, "cccd", "bhyt", "slip")
    assert p.ok or p.error


_field = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="|"), max_size=40)


@settings(max_examples=400, deadline=None)
@given(st.lists(_field, min_size=6, max_size=16), st.sampled_from(["001099012345", "HC4010123456789", "x", ""]),
       st.booleans())
def test_near_valid_payloads_never_raise(fields: list[str], head: str, dollar: bool) -> None:
    text = "|".join([head, *fields]) + ("|$" if dollar else "")
    p = parse_payload(text, slip_key=KEY)
    assert p.ok or p.error


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_decoded_as_text_never_raise(raw: bytes) -> None:
    parse_payload(raw.decode("utf-8", "replace"))
    parse_payload(raw.decode("latin-1"))


def test_huge_input_is_refused_quickly() -> None:
    p = parse_payload(CCCD * 1000)
    assert p.kind is None and "too long" in p.error
