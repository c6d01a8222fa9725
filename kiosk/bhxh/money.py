"""Money in the claim (QĐ 130/4750/3176 as the portal's checkers apply them; DOMAIN.md §14).

Per line, rounded to 2 decimals (half up), tolerance 1 VND at the portal:

* drugs (XML2): ``THANH_TIEN_BV = SO_LUONG × DON_GIA``; ``THANH_TIEN_BH = THANH_TIEN_BV × TYLE_TT_BH / 100``;
* services (XML3): ``THANH_TIEN_BV = SO_LUONG × DON_GIA_BV × TYLE_TT_DV / 100``;
  ``THANH_TIEN_BH = SO_LUONG × DON_GIA_BH × TYLE_TT_DV / 100 × TYLE_TT_BH / 100``;
* with no other source of money: ``T_BHTT = THANH_TIEN_BH × MUC_HUONG / 100``, ``T_BNCCT = THANH_TIEN_BH − T_BHTT``,
  ``T_BNTT = THANH_TIEN_BV − THANH_TIEN_BH``; a line outside the benefit (``PHAM_VI = 2``) has ``THANH_TIEN_BH =
  T_BHTT = 0``: the patient pays it all.

The visit's benefit level (``MUC_HUONG``) comes from the card's benefit digit (1, 2, 5 → 100; 3 → 95; 4 → 80) and
how the patient came (``MA_DOITUONG_KCB``); a visit whose insured cost is below 15 % of the base salary in force on
the visit date is paid at 100 %; after five continuous years of cover, once the year's co-payments reached six base
salaries, the rest of the year is paid at 100 %. Examination fees (``MA_NHOM`` 13, TT 39/2024): the most expensive
at 100 %, each further specialty of the same visit at 30 %, all of them together at most twice the highest price.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
LOW_COST_SHARE = Decimal("0.15")  # 15 % of the base salary (NĐ 146/2018 Art. 14, kept by NĐ 188/2025)
FIVE_YEAR_CAP = 6  # base salaries of co-payment in a year, after 5 continuous years of cover
SECOND_EXAM_RATE = 30  # % of a further specialty's examination fee in the same visit (TT 39/2024)
EXAM_GROUP = 13
OUTSIDE_BENEFIT = 2  # PHAM_VI

# The base salary (lương cơ sở) in force from each date — data, not a constant: a new decree adds a row
# (settings ``billing.base_salary``).
BASE_SALARIES: tuple[tuple[str, int], ...] = (
    ("2019-07-01", 1_490_000), ("2023-07-01", 1_800_000), ("2024-07-01", 2_340_000), ("2026-07-01", 2_530_000))

# How the patient came → MA_DOITUONG_KCB and whether the visit is paid as right-route (QĐ 3276/2025 as far as
# DOMAIN.md §4/§6 knows it; settings ``billing.arrival_codes`` may change the codes).
ARRIVALS: dict[str, tuple[str, bool]] = {
    "registered": ("1.1", True),  # at the facility on the card (đúng nơi đăng ký KCB ban đầu)
    "referred": ("1.3", True),  # sent by another facility with a referral slip (MA_NOI_DI)
    "emergency": ("2", True),  # emergency: paid as right-route
    "self_referred": ("3.1", False),  # came by themselves, registered elsewhere: outpatient not paid
}
NO_CARD = "9"


def cents(value: Decimal | float | int | str) -> Decimal:
    return Decimal(str(value)).quantize(CENT, ROUND_HALF_UP)


def base_salary_on(day: dt.date, table: Iterable[Sequence] = BASE_SALARIES) -> int:
    """The base salary in force on ``day`` (the latest row starting on or before it)."""
    rows = sorted((dt.date.fromisoformat(str(start)), int(vnd)) for start, vnd in table)
    found = [vnd for start, vnd in rows if start <= day]
    if not found:
        raise ValueError(f"no base salary in force on {day}")
    return found[-1]


def card_level(card_number: str) -> int:
    """The benefit level of the card's third character (1, 2, 5: 100; 3: 95; 4: 80); 0 without a card."""
    card = card_number.strip().upper()
    if len(card) == 15 and card[2] in "12345":
        return {"1": 100, "2": 100, "3": 95, "4": 80, "5": 100}[card[2]]
    return 0


@dataclass(frozen=True)
class Line:
    """One cost line: a drug (XML2) or a service (XML3)."""

    table: str  # "XML2" or "XML3"
    quantity: Decimal
    price_bv: Decimal  # the facility's price (DON_GIA / DON_GIA_BV)
    price_bh: Decimal  # the price BHYT pays on (DON_GIA for drugs / DON_GIA_BH)
    group: int = 0  # MA_NHOM
    in_benefit: bool = True  # PHAM_VI 1 (in) or 2 (outside)
    tyle_tt_dv: int = 100  # TYLE_TT_DV (services): share of the price charged
    tyle_tt_bh: int = 100  # TYLE_TT_BH: share BHYT pays on


@dataclass(frozen=True)
class LineMoney:
    tyle_tt_dv: int
    thanh_tien_bv: Decimal
    thanh_tien_bh: Decimal
    muc_huong: int
    t_bhtt: Decimal
    t_bncct: Decimal
    t_bntt: Decimal
    t_nguonkhac: Decimal = Decimal("0.00")


@dataclass(frozen=True)
class Totals:
    """XML1's totals: the sums of the lines."""

    t_thuoc: Decimal
    t_vtyt: Decimal
    t_tongchi_bv: Decimal
    t_tongchi_bh: Decimal
    t_bntt: Decimal
    t_bncct: Decimal
    t_bhtt: Decimal
    t_nguonkhac: Decimal

    @property
    def patient_pays(self) -> Decimal:
        """What the patient pays at the desk: co-payment plus what BHYT does not cover."""
        return self.t_bncct + self.t_bntt


@dataclass(frozen=True)
class Settlement:
    lines: list[LineMoney]
    totals: Totals
    muc_huong: int
    ma_doituong_kcb: str
    reasons: list[tuple[str, str]] = field(default_factory=list)  # (vi, en): why the level is what it is
    exempt_from: dt.date | None = None  # NGAY_MIEN_CCT when the five-year waiver applies


def exam_rates(lines: Sequence[Line]) -> list[int]:
    """TYLE_TT_DV of each line: examination fees after the first (most expensive) at 30 %, and together at most
    twice the highest examination price; other lines as they are."""
    rates = [line.tyle_tt_dv for line in lines]
    exams = sorted((i for i, line in enumerate(lines) if line.table == "XML3" and line.group == EXAM_GROUP),
                   key=lambda i: (-lines[i].price_bv, i))
    if not exams:
        return rates
    highest = lines[exams[0]].price_bv
    budget = 2 * highest - highest * lines[exams[0]].quantity
    for i in exams[1:]:
        rate = SECOND_EXAM_RATE
        charged = lines[i].price_bv * lines[i].quantity * rate / 100
        if charged > budget:  # what is left under the cap, as a whole percentage
            rate = int((budget * 100 / (lines[i].price_bv * lines[i].quantity)).to_integral_value(rounding="ROUND_FLOOR")) \
                if lines[i].price_bv and budget > 0 else 0
            charged = lines[i].price_bv * lines[i].quantity * rate / 100
        rates[i] = rate
        budget -= charged
    return rates


def _amounts(line: Line, tyle_tt_dv: int) -> tuple[Decimal, Decimal]:
    if line.table == "XML2":
        bv = cents(line.quantity * line.price_bv)
        bh = cents(bv * line.tyle_tt_bh / 100)
    else:
        bv = cents(line.quantity * line.price_bv * tyle_tt_dv / 100)
        bh = cents(line.quantity * line.price_bh * tyle_tt_dv / 100 * line.tyle_tt_bh / 100)
    return bv, (bh if line.in_benefit else Decimal("0.00"))


def settle(lines: Sequence[Line], *, card_number: str, arrival: str, visit_date: dt.date,
           base_salaries: Iterable[Sequence] = BASE_SALARIES, five_year_date: dt.date | None = None,
           copay_this_year: Decimal = Decimal(0),
           arrival_codes: Mapping[str, str] | None = None) -> Settlement:
    """The money of one visit: every line's amounts, XML1's totals, the benefit level and why."""
    codes = {k: (arrival_codes or {}).get(k, code) for k, (code, _) in ARRIVALS.items()}
    reasons: list[tuple[str, str]] = []
    level = card_level(card_number)
    if not level:
        code, level = NO_CARD, 0
        reasons.append(("Không có thẻ BHYT: người bệnh tự trả", "No BHYT card: the patient pays"))
    else:
        code = codes.get(arrival, codes["registered"])
        right_route = ARRIVALS.get(arrival, ARRIVALS["registered"])[1]
        reasons.append((f"Mức hưởng theo thẻ: {level}%", f"Benefit level of the card: {level}%"))
        if not right_route:
            level = 0
            reasons.append(("Tự đến khám ngoại trú không đúng nơi đăng ký: BHYT không chi trả",
                            "Self-referred outpatient visit away from the registered facility: not paid by BHYT"))
    rates = exam_rates(lines)
    amounts = [_amounts(line, rate) for line, rate in zip(lines, rates, strict=True)]
    insured = sum((bh for _, bh in amounts), Decimal(0))
    exempt_from = None
    if 0 < level < 100:
        salary = base_salary_on(visit_date, base_salaries)
        threshold = cents(LOW_COST_SHARE * salary)
        if insured < threshold:
            level = 100
            shown = f"{threshold:,.0f}".replace(",", ".")  # 379.500 đ, as Vietnamese write money
            reasons.append((f"Chi phí dưới 15% lương cơ sở ({shown} đ): BHYT trả 100%",
                            f"Cost below 15% of the base salary ({threshold:,.0f} VND): BHYT pays 100%"))
        elif five_year_date is not None and five_year_date <= visit_date and copay_this_year >= FIVE_YEAR_CAP * salary:
            level, exempt_from = 100, visit_date
            reasons.append(("Đủ 5 năm liên tục và cùng chi trả trong năm đã quá 6 tháng lương cơ sở: BHYT trả 100%",
                            "Five continuous years and the year's co-payment above six base salaries: BHYT pays 100%"))
    money = []
    for line, rate, (bv, bh) in zip(lines, rates, amounts, strict=True):
        fund = cents(bh * level / 100)
        money.append(LineMoney(rate, bv, bh, level if line.in_benefit else 0, fund, bh - fund, bv - bh))
    zero = Decimal("0.00")
    drugs = [m for line, m in zip(lines, money, strict=True) if line.table == "XML2"]
    supplies = [m for line, m in zip(lines, money, strict=True) if line.table == "XML3" and line.group in (10, 11)]
    totals = Totals(
        t_thuoc=sum((m.thanh_tien_bv for m in drugs), zero), t_vtyt=sum((m.thanh_tien_bv for m in supplies), zero),
        t_tongchi_bv=sum((m.thanh_tien_bv for m in money), zero),
        t_tongchi_bh=sum((m.thanh_tien_bh for m in money), zero), t_bntt=sum((m.t_bntt for m in money), zero),
        t_bncct=sum((m.t_bncct for m in money), zero), t_bhtt=sum((m.t_bhtt for m in money), zero),
        t_nguonkhac=sum((m.t_nguonkhac for m in money), zero))
    return Settlement(money, totals, level, code, reasons, exempt_from)
