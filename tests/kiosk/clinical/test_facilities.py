"""Facility names for codes: the gateway's, the sandbox's catalogue, the bundled list, the province."""

from __future__ import annotations

from kiosk.clinical.facilities import FacilityNames, bundled, from_gateway


def test_gateway_answers_that_name_a_facility() -> None:
    card = {"maDKBD": "01832", "maDKBDMoi": "01001", "tenDKBDMoi": "Bệnh viện A"}
    history = {"dsLichSuKCB2025": [{"maCSKCB": "79024", "tenCSKCB": "Bệnh viện B"}, {"maCSKCB": "48011"}, "junk"]}
    assert from_gateway(card, history, None) == {"01001": "Bệnh viện A", "79024": "Bệnh viện B"}


def test_first_layer_wins_and_the_code_goes_to_the_tooltip() -> None:
    names = FacilityNames.standard(gateway={"01001": "Tên từ cổng"}, own=("01013", "Phòng khám An Bình"),
                                   sandbox={"01001": "Tên sandbox", "79024": "Bệnh viện Quận Bến Thành"})
    label = names.label("01001")
    assert (label.vi, label.source) == ("Tên từ cổng", "gateway")
    assert "01001" in label.tooltip()[0] and "cổng BHXH" in label.tooltip()[0]
    assert names.label("79024").vi == "Bệnh viện Quận Bến Thành"
    assert names.label("01013").vi == "Phòng khám An Bình"


def test_unnamed_code_says_its_province() -> None:
    label = FacilityNames.standard().label("92999")
    assert label.vi == "Cơ sở KBCB tại Cần Thơ (92999)" and not label.named
    assert "chưa có tên" in label.tooltip()[0]
    assert FacilityNames.standard().label("").vi == "—"


def test_bundled_list_reads() -> None:
    data = bundled()
    assert data.provinces["01"] == "Hà Nội" and data.provinces["79"] == "TP Hồ Chí Minh"
    assert all(len(code) == 2 and code.isdigit() for code in data.provinces)
