"""The doctor's room says what BHYT pays and what the patient pays, and how the patient came changes it."""

from __future__ import annotations

import pytest

from kiosk.bhxh import prices
from tests.ui.test_doctor import add_drug, call_first
from ui.qt import Qt

pytestmark = pytest.mark.gui


def money_shown(qtbot, window, needle: str) -> str:  # noqa: ANN001
    window.money_line.clear()  # what is read next is reckoned anew
    window.save_draft() if window._dirty else window.refresh_money()  # the autosave, without its 1.5 s wait
    qtbot.waitUntil(lambda: needle in window.money_line.text(), timeout=5000)
    return window.money_line.text()


def test_the_money_line_follows_the_visit_and_how_the_patient_came(qtbot, clinic) -> None:
    window = call_first(qtbot, clinic)  # the sandbox's 80 % card, registered at this clinic
    window.tabs.setCurrentIndex(1)
    assert window.arrival.currentData() == "registered" and not window.referred_from.isVisible()
    window.reason.setText("Khám huyết áp")
    add_drug(window, "paracetamol")  # 10 tablets: 5,000 + the examination 38,700, below 15 % of the base salary
    text = money_shown(qtbot, window, "43.700")
    assert "BHYT trả: 43.700 đ · Người bệnh trả: 0 đ" in text and "dưới 15% lương cơ sở" in text
    ordered = [prices.get(clinic.store, code).line() for code in ("02.0085.0002", "18.0119.0028", "22.0121.1370",
                                                                  "21.0014.1778")]
    window.visit["data"]["services"] += ordered  # tests ordered for the visit: 421,100 in all
    text = money_shown(qtbot, window, "336.880")
    assert "BHYT trả: 336.880 đ · Người bệnh trả: 84.220 đ (cùng chi trả 20%)" in text
    window.arrival.setCurrentIndex(window.arrival.findData("referred"))
    assert window.referred_from.isVisible() and window.referral_slip.isVisible()
    qtbot.keyClicks(window.referred_from, "01001")
    assert money_shown(qtbot, window, "336.880") and window.form_data()["referred_from"] == "01001"
    window.arrival.setCurrentIndex(window.arrival.findData("self_referred"))
    text = money_shown(qtbot, window, "421.100")
    assert "BHYT trả: 0 đ · Người bệnh trả: 421.100 đ" in text and "BHYT không chi trả" in text
    assert window.form_data()["referred_from"] == "", "only a referral names where the patient came from"
    window.arrival.setCurrentIndex(window.arrival.findData("registered"))
    money_shown(qtbot, window, "336.880")
    type_main = window.icd_search
    qtbot.keyClicks(type_main, "tang huyet ap")
    qtbot.keyClick(type_main, Qt.Key.Key_Return)
    window.finalise()
    review = window.review
    qtbot.waitUntil(lambda: "421.100" in review.money.text(), timeout=5000)
    assert "Tổng chi phí: 421.100 đ" in review.money.text() and "cùng chi trả 20%" in review.money.text()
    qtbot.wait(50)
    for label in (review.summary, review.money):  # the costs came after the dialog opened: nothing squeezed
        assert label.height() >= label.heightForWidth(label.width()) - 1, label.objectName()
