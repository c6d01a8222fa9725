"""Vital signs against the normal ranges for the patient's age: what the doctor reads beside the fields."""

from __future__ import annotations

import pytest

from kiosk.clinical import vitals

FILLED = {"pulse": "82", "temperature": "37,2", "bp_sys": "165", "bp_dia": "95", "resp_rate": "18", "weight": "58",
          "height": "155", "spo2": "97"}


def texts(result: vitals.Assessment) -> list[str]:
    return [f.vi for f in result.findings]


def test_adult_high_pressure_is_named_in_words() -> None:
    result = vitals.assess(FILLED, 54)
    assert result.fields["bp_sys"].level == vitals.HIGH and result.fields["bp_dia"].level == vitals.HIGH
    assert "Huyết áp 165/95 mmHg — cao (bình thường 90–139/60–89)" in texts(result)
    assert any(f.en.startswith("Blood pressure 165/95 mmHg — high") for f in result.findings)
    for key in ("pulse", "temperature", "resp_rate", "spo2"):
        assert result.fields[key].level == vitals.NORMAL, key
    assert any(t.startswith("BMI 24,1 — thừa cân") for t in texts(result)), "58 kg, 155 cm: overweight (Asian cut-offs)"


@pytest.mark.parametrize(("key", "value", "level", "words"), [
    ("pulse", "101", vitals.HIGH, "Mạch 101 lần/phút — cao (bình thường 60–100)"),
    ("pulse", "59", vitals.LOW, "Mạch 59 lần/phút — thấp (bình thường 60–100)"),
    ("temperature", "37.5", vitals.HIGH, "Nhiệt độ 37,5 °C — sốt (bình thường 36–37,4)"),
    ("resp_rate", "21", vitals.HIGH, "Nhịp thở 21 lần/phút — cao (bình thường 12–20)"),
    ("spo2", "94", vitals.LOW, "SpO2 94 % — thấp (thiếu oxy) (bình thường 95–100)"),
    ("bp_sys", "140", vitals.HIGH, "HA tâm thu 140 mmHg — cao (bình thường 90–139)"),
    ("bp_dia", "90", vitals.HIGH, "HA tâm trương 90 mmHg — cao (bình thường 60–89)"),
])
def test_adult_limits(key: str, value: str, level: str, words: str) -> None:
    result = vitals.assess({key: value}, 30)
    assert result.fields[key].level == level
    assert texts(result) == [words]


@pytest.mark.parametrize(("key", "value"), [("pulse", "60"), ("pulse", "100"), ("temperature", "36"),
                                            ("temperature", "37.4"), ("bp_sys", "139"), ("bp_dia", "89"),
                                            ("resp_rate", "12"), ("spo2", "95")])
def test_adult_limits_are_inclusive(key: str, value: str) -> None:
    assert vitals.assess({key: value}, 30).findings == ()


def test_child_limits_depend_on_age() -> None:
    """A pulse of 130 is normal for a baby, high for a 4-year-old; 118/75 mmHg is high for a 4-year-old only."""
    assert vitals.assess({"pulse": "130"}, 0).findings == ()
    four = vitals.assess({"pulse": "130", "bp_sys": "118", "bp_dia": "75"}, 4)
    assert four.fields["pulse"].level == vitals.HIGH and four.fields["pulse"].range_text == "80–120"
    assert "Huyết áp 118/75 mmHg — cao (bình thường 89–112/46–72)" in texts(four)
    assert vitals.assess({"bp_sys": "118", "bp_dia": "75"}, 30).findings == ()
    assert vitals.assess({"resp_rate": "40"}, 0).findings == (), "40 breaths a minute: normal for an infant"
    assert vitals.assess({"resp_rate": "40"}, 8).fields["resp_rate"].level == vitals.HIGH
    assert vitals.assess({"pulse": "110"}, 15).fields["pulse"].level == vitals.HIGH  # adolescent: 60–100
    assert vitals.group_name("pulse", 4) == ("trẻ 3–5 tuổi", "child, 3–5")
    assert vitals.group_name("pulse", 17)[0] == "trẻ 13–17 tuổi" and vitals.group_name("pulse", 18)[0] == "người lớn"


def test_bmi_is_not_judged_for_children() -> None:
    child = vitals.assess({"weight": "40", "height": "120"}, 9)
    assert child.findings == () and child.bmi is not None


def test_unknown_age_uses_adult_limits() -> None:
    assert vitals.assess({"pulse": "130"}, None).fields["pulse"].level == vitals.HIGH
    assert vitals.group_name("pulse", None) == ("người lớn", "adult")


def test_impossible_values_are_questioned_not_judged() -> None:
    result = vitals.assess({"temperature": "372", "pulse": "tám mươi"}, 40)
    assert result.fields["temperature"].level == vitals.WRONG and result.fields["pulse"].level == vitals.WRONG
    assert "Nhiệt độ 372 °C — không hợp lý — kiểm tra lại" in texts(result)
    swapped = vitals.assess({"bp_sys": "80", "bp_dia": "120"}, 40)
    assert swapped.fields["bp_sys"].level == vitals.WRONG
    assert texts(swapped) == ["Huyết áp 80/120 mmHg — tâm thu phải lớn hơn tâm trương, kiểm tra lại"]


def test_empty_fields_are_not_findings() -> None:
    result = vitals.assess({"pulse": "", "temperature": None}, 40)
    assert result.findings == () and result.fields["pulse"].level == ""
