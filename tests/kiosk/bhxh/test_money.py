"""Money rules on hand-worked examples (DOMAIN.md §14): each figure below was worked out by hand from the rules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from kiosk.bhxh.money import Line, base_salary_on, card_level, exam_rates, settle

DAY = dt.date(2026, 12, 2)  # base salary 2,530,000 → low-cost threshold 379,500
EXAM = Line("XML3", D(1), D(38700), D(38700), group=13)


def drug(quantity: int, price: int, **kw: object) -> Line:
    return Line("XML2", D(quantity), D(price), D(price), group=4, **kw)


def test_the_base_salary_is_the_one_in_force_on_the_visit_date() -> None:
    assert base_salary_on(dt.date(2026, 6, 30)) == 2_340_000
    assert base_salary_on(dt.date(2026, 7, 1)) == 2_530_000
    assert base_salary_on(dt.date(2025, 1, 1), [("2024-07-01", 2_340_000), ("2026-07-01", 2_530_000)]) == 2_340_000
    with pytest.raises(ValueError):
        base_salary_on(dt.date(2000, 1, 1), [("2024-07-01", 2_340_000)])


def test_card_levels() -> None:
    assert [card_level(c) for c in ("DN4010123456789", "HC1010123456789", "CH3010123456789", "GD4010123456789",
                                    "TE1010123456789", "XX5010123456789", "", "0123456789")] == \
        [80, 100, 95, 80, 100, 100, 0, 0]


def test_a_100_percent_card_pays_everything() -> None:
    s = settle([EXAM, drug(15, 500), drug(30, 1200)], card_number="HC1010123456789", arrival="registered",
               visit_date=DAY)
    assert s.muc_huong == 100 and s.ma_doituong_kcb == "1.1"
    assert s.totals.t_tongchi_bv == D("82200.00") and s.totals.t_bhtt == D("82200.00")
    assert s.totals.t_bncct == D("0.00") and s.totals.patient_pays == D("0.00")
    assert s.totals.t_thuoc == D("43500.00")


def test_80_percent_above_the_threshold_leaves_a_co_payment() -> None:
    s = settle([EXAM, drug(100, 5000)], card_number="GD4010123456789", arrival="registered", visit_date=DAY)
    assert s.muc_huong == 80
    assert s.totals.t_tongchi_bh == D("538700.00")
    assert s.totals.t_bhtt == D("430960.00") and s.totals.t_bncct == D("107740.00")
    assert [m.t_bhtt for m in s.lines] == [D("30960.00"), D("400000.00")]
    assert s.totals.t_bhtt == s.totals.t_tongchi_bh - s.totals.t_bncct


def test_80_percent_below_the_threshold_is_paid_in_full() -> None:
    s = settle([EXAM, drug(10, 5000)], card_number="GD4010123456789", arrival="registered", visit_date=DAY)
    assert s.muc_huong == 100 and s.totals.t_bhtt == D("88700.00") and s.totals.t_bncct == D("0.00")
    assert "379,500 VND" in s.reasons[-1][1] and "379.500 đ" in s.reasons[-1][0]


def test_the_threshold_follows_the_base_salary_of_the_visit_date() -> None:
    lines = [drug(72, 5000)]  # 360,000: above 351,000 (until 30/6/2026), below 379,500 (from 1/7/2026)
    before = settle(lines, card_number="GD4010123456789", arrival="registered", visit_date=dt.date(2026, 6, 30))
    after = settle(lines, card_number="GD4010123456789", arrival="registered", visit_date=dt.date(2026, 7, 1))
    assert (before.muc_huong, before.totals.t_bncct) == (80, D("72000.00"))
    assert (after.muc_huong, after.totals.t_bncct) == (100, D("0.00"))


def test_95_percent_above_the_threshold() -> None:
    s = settle([EXAM, drug(100, 5000)], card_number="CH3010123456789", arrival="registered", visit_date=DAY)
    assert s.muc_huong == 95 and s.totals.t_bhtt == D("511765.00") and s.totals.t_bncct == D("26935.00")


def test_a_second_specialty_is_charged_at_30_percent_and_all_exams_at_most_twice_the_highest() -> None:
    two = [EXAM, Line("XML3", D(1), D(38700), D(38700), group=13)]
    assert exam_rates(two) == [100, 30]
    s = settle(two, card_number="HC1010123456789", arrival="registered", visit_date=DAY)
    assert [m.thanh_tien_bv for m in s.lines] == [D("38700.00"), D("11610.00")]
    five = [EXAM] * 5
    assert exam_rates(five) == [100, 30, 30, 30, 10]  # 38,700 + 3 × 11,610 = 73,530; 3,870 left of 77,400
    s = settle(five, card_number="HC1010123456789", arrival="registered", visit_date=DAY)
    assert s.totals.t_tongchi_bv == D("77400.00")
    pricier = [EXAM, Line("XML3", D(1), D(50000), D(50000), group=13)]
    assert exam_rates(pricier) == [30, 100]  # the most expensive is the first specialty


def test_a_line_outside_the_benefit_is_paid_by_the_patient() -> None:
    s = settle([EXAM, drug(10, 2000, in_benefit=False)], card_number="HC1010123456789", arrival="registered",
               visit_date=DAY)
    outside = s.lines[1]
    assert (outside.thanh_tien_bh, outside.t_bhtt, outside.t_bntt, outside.muc_huong) == \
        (D("0.00"), D("0.00"), D("20000.00"), 0)
    assert s.totals.t_bntt == D("20000.00") and s.totals.patient_pays == D("20000.00")


def test_self_referred_and_no_card_are_not_paid_and_coded() -> None:
    away = settle([EXAM], card_number="HC1010123456789", arrival="self_referred", visit_date=DAY)
    assert (away.ma_doituong_kcb, away.muc_huong, away.totals.t_bhtt, away.totals.t_bncct) == \
        ("3.1", 0, D("0.00"), D("38700.00"))
    none = settle([EXAM], card_number="", arrival="registered", visit_date=DAY)
    assert (none.ma_doituong_kcb, none.totals.t_bhtt, none.totals.patient_pays) == ("9", D("0.00"), D("38700.00"))
    assert settle([EXAM], card_number="HC1010123456789", arrival="emergency", visit_date=DAY).ma_doituong_kcb == "2"
    assert settle([EXAM], card_number="HC1010123456789", arrival="referred", visit_date=DAY,
                  arrival_codes={"referred": "1.13"}).ma_doituong_kcb == "1.13"


def test_five_continuous_years_waive_the_co_payment_above_six_base_salaries() -> None:
    lines = [EXAM, drug(100, 5000)]
    kw = {"card_number": "GD4010123456789", "arrival": "registered", "visit_date": DAY,
          "five_year_date": dt.date(2024, 3, 1)}
    under = settle(lines, copay_this_year=D(15_000_000), **kw)
    over = settle(lines, copay_this_year=D(15_180_000), **kw)  # 6 × 2,530,000
    assert (under.muc_huong, under.exempt_from) == (80, None)
    assert (over.muc_huong, over.exempt_from, over.totals.t_bncct) == (100, DAY, D("0.00"))
    not_yet = settle(lines, copay_this_year=D(20_000_000), **{**kw, "five_year_date": dt.date(2027, 1, 1)})
    assert not_yet.muc_huong == 80
