from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.errors import BadInput
from kiosk.identify import (
    TypedDate,
    identity_from_payload,
    parse_birth_date,
    parse_card_number,
    parse_id_number,
    payload_problem,
    typed_identity,
)
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


# -- typed at the desk -----------------------------------------------------------------------------
TODAY = dt.date(2026, 12, 2)


@pytest.mark.parametrize("typed", ["23071984", "23/07/1984", "23-7-1984", "23.07.1984", " 23 / 7 / 1984 "])
def test_a_typed_date_of_birth_is_understood_however_it_is_written(typed: str) -> None:
    understood = parse_birth_date(typed, TODAY)
    assert understood == TypedDate(dt.date(1984, 7, 23), DatePrecision.DAY)
    assert understood.shown() == ("23/07/1984", "23/07/1984")


def test_a_year_alone_or_a_month_keeps_its_precision() -> None:
    year = parse_birth_date("1984", TODAY)
    assert year == TypedDate(dt.date(1984, 1, 1), DatePrecision.YEAR) and year.shown()[0] == "năm 1984"
    month = parse_birth_date("07/1984", TODAY)
    assert month == TypedDate(dt.date(1984, 7, 1), DatePrecision.MONTH) and month.shown()[0] == "tháng 07/1984"
    with pytest.raises(BadInput, match="Tháng sinh 07/2026 ở tương lai"):
        parse_birth_date("07/2026", dt.date(2026, 6, 15))


@pytest.mark.parametrize(("typed", "vi", "en"), [
    ("31/02/1984", "không có thật: tháng 2 năm 1984 có 29 ngày", "does not exist"),
    ("29/02/1983", "tháng 2 năm 1983 có 28 ngày", "has 28 days"),
    ("23/13/1984", "Không có tháng 13", "no month 13"),
    ("23076195", "Năm sinh 6195 ở tương lai", "6195 is in the future"),
    ("6195", "ở tương lai", "in the future"),
    ("03/12/2026", "Ngày sinh 03/12/2026 ở tương lai", "in the future"),
    ("01/2027", "Năm sinh 2027 ở tương lai", "in the future"),
    ("23/07/1850", "trước năm 1900", "before 1900"),
    ("23/07/84", "4 chữ số", "4 digits"),
    ("230784", "4 chữ số", "4 digits"),
    ("", "Hãy nhập ngày sinh", "Enter the date of birth"),
    ("23 tháng 7", "chỉ gồm chữ số", "digits"),
    ("1/2/3/1984", "Không hiểu ngày sinh", "not understood"),
])
def test_an_impossible_date_is_refused_saying_what_is_wrong(typed: str, vi: str, en: str) -> None:
    with pytest.raises(BadInput) as caught:
        parse_birth_date(typed, TODAY)
    assert vi in caught.value.vi and en in caught.value.en


@given(st.dates(dt.date(1900, 1, 1), TODAY), st.sampled_from(["{d:%d%m%Y}", "{d:%d/%m/%Y}", "{d.day}-{d.month}-{d:%Y}",
                                                             "{d:%d.%m.%Y}"]))
def test_every_real_date_typed_any_way_comes_back_the_same(day: dt.date, form: str) -> None:
    assert parse_birth_date(form.format(d=day), TODAY) == TypedDate(day, DatePrecision.DAY)


@given(st.text(max_size=24))
def test_any_typed_text_is_a_date_in_the_past_or_a_stated_refusal(text: str) -> None:
    try:
        understood = parse_birth_date(text, TODAY)
    except BadInput as exc:
        assert exc.vi and exc.en and exc.vi != exc.en
        return
    assert dt.date(1900, 1, 1) <= understood.day <= TODAY


def test_a_typed_card_number_must_have_the_form_of_one() -> None:
    assert parse_card_number(" hc4-010-123456789 ") == "HC4010123456789"
    assert parse_card_number("8901234567") == "8901234567"
    for garbage, vi in [("HC401012345", "có 11 ký tự"), ("HC9010123456789", "ký tự thứ 3"),
                        ("12HC0123456789X", "cần 15 ký tự"), ("xyz", "Mã thẻ BHYT sai dạng"), ("", "Hãy nhập")]:
        with pytest.raises(BadInput) as caught:
            parse_card_number(garbage)
        assert vi in caught.value.vi and "no record" not in caught.value.en.lower()


def test_a_typed_id_number_must_have_12_digits_and_a_province() -> None:
    assert parse_id_number("001 099 012 345") == "001099012345"
    with pytest.raises(BadInput, match="12 chữ số"):
        parse_id_number("00109901234")
    with pytest.raises(BadInput) as caught:
        parse_id_number("999099012345")
    assert "mã tỉnh" in caught.value.vi


def test_a_typed_name_needs_its_date_of_birth() -> None:
    with pytest.raises(BadInput, match="ngày sinh"):
        typed_identity(full_name="Nguyễn Văn An")
    identity = typed_identity(full_name="  nguyễn  văn an ", birth=TypedDate(dt.date(1984, 1, 1), DatePrecision.YEAR),
                              sex=Sex.MALE)
    assert identity.full_name == "nguyễn văn an" and identity.dob_precision is DatePrecision.YEAR


def test_why_a_code_is_not_a_card_is_said_in_one_language_at_a_time() -> None:
    bad_date = CCCD.replace("15081999", "31021999")
    vi, en = payload_problem(parse_payload(bad_date))
    assert "ngày sinh" in vi and " / " not in vi and "date of birth" in en and "Ngày" not in en
    vi, en = payload_problem(parse_payload("hello"))
    assert vi.startswith("Không phải mã QR") and en.startswith("Not an ID-card")


# -- who a typed identity or a later scan is -------------------------------------------------------
@pytest.fixture
def store(kiosk_home):
    from kiosk.settings import Settings
    from kiosk.store.opening import open_store

    s = open_store(Settings().db_path())
    yield s
    s.close()


BHYT_YEAR_ONLY = BHYT.replace("15/08/1999", "1999")


def test_first_seen_by_a_card_with_the_year_only_then_found_by_the_id_card(store) -> None:
    from kiosk import patients

    by_card = patients.register(store, identity_from_payload(parse_payload(BHYT_YEAR_ONLY)))
    by_id = patients.register(store, identity_from_payload(parse_payload(CCCD)))
    assert by_id.id == by_card.id, "one patient, not two"
    assert by_id.id_number == "001099012345" and by_id.card_number == "HC4010123456789"
    assert by_id.date_of_birth == dt.date(1999, 8, 15) and by_id.dob_precision is DatePrecision.DAY
    assert patients.find(store, id_number="001099012345").id == by_card.id, "found by CCCD from now on"


def test_first_seen_by_card_then_typed_cccd_with_name_and_birth_date_links_the_cccd(store) -> None:
    from kiosk import patients

    by_card = patients.register(store, identity_from_payload(parse_payload(BHYT)))
    typed = typed_identity(id_number=parse_id_number("001099012345"), full_name="Nguyễn  Văn An",
                           birth=parse_birth_date("15.8.1999"), sex=Sex.MALE)
    assert patients.register(store, typed).id == by_card.id
    assert patients.find(store, id_number="001099012345").id == by_card.id


def test_a_name_and_birth_date_never_join_two_namesakes_or_another_id(store) -> None:
    from kiosk import patients

    one = patients.register(store, typed_identity(id_number="001099012345", full_name="NGUYỄN VĂN AN",
                                                  birth=parse_birth_date("15/08/1999")))
    other_id = typed_identity(id_number="001099054321", full_name="NGUYỄN VĂN AN", birth=parse_birth_date("1999"))
    assert patients.register(store, other_id).id != one.id, "another ID number is another person"
    by_name = typed_identity(full_name="Nguyễn Văn An", birth=parse_birth_date("15/08/1999"))
    before = store.conn.execute("SELECT COUNT(*) FROM patients").fetchone()[0]
    found = patients.register(store, by_name)
    assert found.id not in (one.id, None)
    assert store.conn.execute("SELECT COUNT(*) FROM patients").fetchone()[0] == before + 1, \
        "two namesakes agree with the name and year: neither is guessed, a new record is made"


def test_typed_name_and_birth_date_find_the_one_record_instead_of_a_copy(store) -> None:
    from kiosk import patients

    by_card = patients.register(store, identity_from_payload(parse_payload(BHYT_YEAR_ONLY)))
    again = patients.register(store, typed_identity(full_name="nguyễn văn an", birth=parse_birth_date("1999"),
                                                    sex=Sex.MALE))
    assert again.id == by_card.id
    assert store.conn.execute("SELECT COUNT(*) FROM patients").fetchone()[0] == 1
