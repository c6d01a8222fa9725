"""The TT 26/2025 rules of a prescription, on hand-worked examples: Vietnamese number words, quantities with a
leading 0 and in words for narcotics, 30 or 90 days, the lines the national system cannot take, children's weight
and guardian, the display name and the usage line."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.errors import BadInput
from kiosk.erx import rules
from kiosk.settings import CHRONIC_ICD10

NUMBER_WORDS = {
    0: "không", 1: "một", 4: "bốn", 5: "năm", 10: "mười", 11: "mười một", 14: "mười bốn", 15: "mười lăm",
    20: "hai mươi", 21: "hai mươi mốt", 24: "hai mươi tư", 25: "hai mươi lăm", 30: "ba mươi", 31: "ba mươi mốt",
    100: "một trăm", 101: "một trăm linh một", 104: "một trăm linh bốn", 105: "một trăm linh năm",
    110: "một trăm mười", 115: "một trăm mười lăm", 121: "một trăm hai mươi mốt", 1000: "một nghìn",
    1005: "một nghìn không trăm linh năm", 1010: "một nghìn không trăm mười", 1100: "một nghìn một trăm",
    1234: "một nghìn hai trăm ba mươi tư", 2024: "hai nghìn không trăm hai mươi tư", 10000: "mười nghìn",
    11000: "mười một nghìn", 21000: "hai mươi mốt nghìn", 105000: "một trăm linh năm nghìn",
    999999: "chín trăm chín mươi chín nghìn chín trăm chín mươi chín",
}


@pytest.mark.parametrize(("number", "words"), NUMBER_WORDS.items())
def test_number_words(number, words) -> None:
    assert rules.number_words(number) == words


@pytest.mark.parametrize("wrong", [-1, 1_000_000, 2.5, True])
def test_number_words_refuses_what_it_cannot_write(wrong) -> None:
    with pytest.raises(BadInput):
        rules.number_words(wrong)


DIGIT = {w: i for i, w in enumerate(rules.DIGITS)} | {"mốt": 1, "tư": 4, "lăm": 5}


def read_group(words: list[str]) -> int:
    """A reader of Vietnamese numbers below 1000, written apart from the code under test."""
    value = 0
    if "trăm" in words:
        at = words.index("trăm")
        value, words = DIGIT[words[at - 1]] * 100, words[at + 1:]
    if words[:1] == ["linh"]:
        assert words[1] in rules.DIGITS, words  # "linh mốt"/"linh lăm" are not written
        return value + DIGIT[words[1]]
    if words[:1] == ["mười"]:
        assert words[1:] in ([], ["một"], ["bốn"], ["lăm"]) or words[1] in rules.DIGITS[2:], words
        return value + 10 + (DIGIT[words[1]] if len(words) > 1 else 0)
    if "mươi" in words:
        assert words[2:] not in (["một"], ["năm"]), words  # 21 is "mốt", 25 "lăm"
        return value + DIGIT[words[0]] * 10 + (DIGIT[words[2]] if len(words) > 2 else 0)
    return value + (DIGIT[words[0]] if words else 0)


def read_number(text: str) -> int:
    words = text.split()
    if "nghìn" in words:
        at = words.index("nghìn")
        return read_group(words[:at]) * 1000 + (read_group(words[at + 1:]) if words[at + 1:] else 0)
    return read_group(words)


@given(st.integers(min_value=0, max_value=999_999))
def test_number_words_read_back_to_the_number(number) -> None:
    words = rules.number_words(number)
    assert words == words.strip() and "  " not in words
    assert read_number(words) == number


@pytest.mark.parametrize(("quantity", "unit", "kind", "text"), [
    (5, "Viên", "c", "05 Viên"), (10, "Viên", "c", "10 Viên"), (0.5, "Tuýp", "c", "0,5 Tuýp"),
    (2.5, "Viên", "h", "2,5 Viên"), (15.0, "Gói", "c", "15 Gói"), (120, "Viên", "c", "120 Viên"),
    (5, "Ống", "n", "05 (năm) Ống"), (21, "Viên", "n", "21 (hai mươi mốt) Viên"),
    (0.5, "Ống", "n", "0,5 (không phẩy năm) Ống"), (1.05, "Ống", "n", "1,05 (một phẩy không năm) Ống"),
])
def test_quantity_text(quantity, unit, kind, text) -> None:
    assert rules.quantity_text(quantity, unit, kind) == text


@given(st.decimals(min_value=0, max_value=99_999, places=3, allow_nan=False, allow_infinity=False))
def test_quantity_text_reads_back_to_the_quantity(quantity) -> None:
    written = rules.quantity_text(float(quantity), "Viên", "c").removesuffix(" Viên")
    assert float(written.replace(",", ".")) == float(quantity)
    assert len(written.split(",")[0]) >= 2 or "," in written  # one digit alone always gets its leading 0


def test_days_limit_is_90_for_a_chronic_disease() -> None:
    chronic = CHRONIC_ICD10
    assert rules.days_limit(["J02.9"], chronic) == 30
    assert rules.days_limit(["J02.9", "I10"], chronic) == 90
    assert rules.days_limit(["E11.9"], ["E11"]) == 90 and rules.days_limit(["E119"], ["E11.9"]) == 90
    assert rules.days_limit(["E12"], ["E11"]) == 30 and rules.days_limit(["I10"], []) == 30


def line(**changes) -> dict:
    base = {"catalogue_code": "VD-12345-10", "drug_code": "40.48", "active_ingredient": "Paracetamol",
            "trade_name": "Panadol", "name": "Paracetamol", "strength": "500mg", "unit": "Viên", "route": "Uống",
            "dose": 1, "times_per_day": 3, "days": 5, "quantity": 15, "instructions": "Uống sau ăn", "kind": "c"}
    return base | changes


def test_a_valid_line_passes() -> None:
    assert rules.check_lines([line()], ["J02.9"], ["I10"]) == []


def test_a_free_text_line_cannot_be_sent() -> None:
    [(field, vi, en)] = rules.check_lines([line(), line(catalogue_code="")], ["J02.9"], [])
    assert field == "prescription[1]"
    assert en == ("Paracetamol (Panadol) 500mg: cannot be sent to the national prescription system: choose the drug "
                  "from the catalogue")
    assert vi.startswith("Paracetamol (Panadol) 500mg: thuốc không chọn từ danh mục")


def test_days_over_the_limit() -> None:
    assert [p[2] for p in rules.check_lines([line(days=31, quantity=93)], ["J02.9"], ["I10"])] == \
        ["Paracetamol (Panadol) 500mg: at most 30 days"]
    assert rules.check_lines([line(days=60, quantity=180)], ["J02.9", "I10"], ["I10"]) == []
    assert [p[2] for p in rules.check_lines([line(days=91, quantity=273)], ["I10"], ["I10"])] == \
        ["Paracetamol (Panadol) 500mg: at most 90 days"]


def test_narcotic_and_psychotropic_lines_keep_30_days_even_for_a_chronic_disease() -> None:
    lines = [line(kind="n", days=60, quantity=180), line(kind="h", days=31, quantity=93), line(kind="y", days=60)]
    assert [(p[0], p[2].split(": ")[1]) for p in rules.check_lines(lines, ["I10"], ["I10"])] == \
        [("prescription[0]", "at most 30 days"), ("prescription[1]", "at most 30 days")]


@pytest.mark.parametrize(("changes", "message"), [
    ({"quantity": 0}, "the quantity must be > 0"),
    ({"quantity": "abc"}, "the quantity must be > 0"),
    ({"dose": 0}, "the dose per intake and the times a day are needed to write the usage"),
    ({"times_per_day": None}, "the dose per intake and the times a day are needed to write the usage"),
    ({"days": 2.5}, "the days of use must be a whole number > 0"),
    ({"unit": ""}, "the unit is missing"),
    ({"kind": "x"}, "no drug type 'x' (c, n, h, y)"),
    ({"catalogue_code": "X" * 21}, "the drug code is longer than 20 characters"),
])
def test_lines_the_national_system_cannot_take(changes, message) -> None:
    assert [p[2].split(": ", 1)[1] for p in rules.check_lines([line(**changes)], [], [])] == [message]


def test_split_by_kind_in_the_order_c_n_h_y() -> None:
    groups = rules.split_by_kind([line(kind="h"), line(kind="y"), line(), line(kind=""), line(kind="n")])
    assert list(groups) == ["c", "n", "h", "y"] and len(groups["c"]) == 2
    assert list(rules.split_by_kind([line(kind="h")])) == ["h"]
    assert rules.split_by_kind([]) == {}


def test_children_under_72_months_need_weight_and_guardian() -> None:
    fields = [p[0] for p in rules.check_child(24, None, {})]
    assert fields == ["weight", "guardian", "guardian", "guardian"]  # weight; name; phone; address
    assert rules.check_child(24, 12.5, {"name": "Nguyễn Văn An", "phone": "0912 345 678", "address": "Hà Nội"}) == []
    assert rules.check_child(71, "12.5", {"ho_ten": "Trần Thị Bình", "dia_chi": "Số 1, Hà Nội",
                                          "so_dien_thoai": "0912345678"}) == []
    [(field, vi, _)] = rules.check_child(24, 12.5, {"name": "Nguyễn Văn An", "phone": "0912345678"})
    assert field == "guardian" and "địa chỉ" in vi
    assert rules.check_child(72, None, {}) == [] and rules.check_child(None, None, {}) == []
    [(field, _, en)] = rules.check_child(30, 14, {"name": "An", "phone": "09123456789012", "address": "Huế"})
    assert field == "guardian" and "digits only" in en
    [(field, _, _)] = rules.check_child(30, 0, {"name": "An", "phone": "0912345678", "address": "Huế"})
    assert field == "weight"


@pytest.mark.parametrize(("drug", "shown"), [
    ({"active_ingredient": "Paracetamol", "trade_name": "Panadol", "strength": "500mg"}, "Paracetamol (Panadol) 500mg"),
    ({"active_ingredient": "Salbutamol", "trade_name": "SALBUTAMOL", "strength": "2mg"}, "Salbutamol 2mg"),
    ({"active_ingredient": "Vitamin C", "trade_name": "", "strength": "500mg"}, "Vitamin C 500mg"),
    ({"name": "Amlodipin", "strength": "5mg"}, "Amlodipin 5mg"),  # a line of the time before the catalogue
    ({"active_ingredient": "Cao đinh lăng", "trade_name": "Hoạt huyết dưỡng não"},
     "Cao đinh lăng (Hoạt huyết dưỡng não)"),
])
def test_display_name_puts_the_active_ingredient_first(drug, shown) -> None:
    assert rules.display_name(drug) == shown


def test_usage_text() -> None:
    assert rules.usage_text(line()) == "Uống, ngày 3 lần, mỗi lần 01 viên, trong 05 ngày. Uống sau ăn"
    assert rules.usage_text(line(route="", dose=0.5, times_per_day=2, days=10, instructions="")) == \
        "Ngày 2 lần, mỗi lần 0,5 viên, trong 10 ngày."
    assert rules.usage_text(line(unit="UI", dose=10, times_per_day=1, days=30)) == \
        "Uống, ngày 1 lần, mỗi lần 10 UI, trong 30 ngày. Uống sau ăn"


def test_a_drug_meeting_a_recorded_allergy_is_named() -> None:
    aspirin = {"active_ingredient": "Acid acetylsalicylic (Aspirin)", "trade_name": "Aspirin pH8", "strength": "81mg"}
    paracetamol = {"active_ingredient": "Paracetamol", "trade_name": "Panadol", "strength": "500mg"}
    assert rules.allergy_matches([paracetamol, aspirin], ["Hải sản", "ASPIRIN"]) == \
        [("Acid acetylsalicylic (Aspirin) (Aspirin pH8) 81mg", "ASPIRIN")]
    assert rules.allergy_matches([paracetamol], ["Aspirin", "Hải sản"]) == []
    assert rules.allergy_matches([paracetamol], ["", "pa"]) == [], "too short to mean anything"
