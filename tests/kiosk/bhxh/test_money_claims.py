"""Money through the claim: the XML builder on hand-worked visits (each figure worked out by hand from DOMAIN.md §14),
`xml validate`'s money rules catching a wrong total and a wrong line (violations, exit 1) and warning (exit 0), and the
sandbox portal refusing a signed claim whose money does not add up."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests

from kiosk.bhxh.gateway import GatewayClient
from kiosk.bhxh.xml130 import build_tables, checkin_xml, envelope
from kiosk.bhxh.xml_validate import MONEY, check_envelope, check_table, validate_envelope
from kiosk.cli import main as cli
from kiosk.model import Patient, Sex
from kiosk.sandbox import demo
from kiosk.sandbox.server import MONEY_REFUSED
from kiosk.security.secrets_store import md5_upper
from kiosk.settings import Settings
from tests.kiosk.bhxh.test_signing import needs_xmlsec1, xmlsec1
from tests.kiosk.sandbox_fixtures import STAFF, person, request_for

PATIENT = Patient(1, "BN000001", "Nguyễn Văn An", dt.date(1980, 5, 1), sex=Sex.MALE, id_number="001080000001",
                  address="Số 1 Kim Mã, Hà Nội")
STARTED = "2026-12-02T08:15:00"  # base salary 2,530,000: the low-cost threshold is 379,500


def service(code: str, name: str, price_bh: int, price_bv: int | None = None, *, group: int = 13,
            in_benefit: bool = True, kind: str = "exam") -> dict[str, Any]:
    return {"code": code, "name": name, "quantity": 1, "group": group, "unit": "Lần", "price_bh": price_bh,
            "price_bv": price_bh if price_bv is None else price_bv, "unit_price": price_bv or price_bh,
            "in_benefit": in_benefit, "kind": kind}


EXAM = service("02.1896", "Khám Nội", 38700)
ENT = service("15.1896", "Khám Tai Mũi Họng", 38700)
ECHO = service("02.0085.0002", "Siêu âm Doppler tim", 233000, group=2, kind="test")
VITAMIN_D = service("23.0220.1530", "Định lượng 25-OH Vitamin D", 0, 250000, group=1, in_benefit=False, kind="test")
SYRINGE = service("N03.02.070", "Bơm tiêm 5ml", 1000, group=10, kind="supply")


def drug(quantity: int, price: int, bhyt_code: str = "40.221") -> dict[str, Any]:
    return {"catalogue_code": "VD-23456-15", "drug_code": bhyt_code, "name": "Amlodipin", "unit": "Viên",
            "strength": "5mg", "route_code": "1.01", "registration_no": "VD-23456-15", "unit_price": price, "dose": 1,
            "times_per_day": 1, "days": quantity, "quantity": quantity, "instructions": "Uống buổi sáng", "kind": "c"}


def visit(card: str, services: list[dict], drugs: list[dict], **data: Any) -> dict[str, Any]:
    cards = {"card_number": card, "registered_facility": "01013", "valid_from": "2026-01-01",
             "valid_to": "2026-12-31", "five_year_date": data.pop("five_year_date", "2030-01-01")} if card else {}
    return {"ma_lk": "0101326120201", "version": 1, "started_at": STARTED, "finalised_at": "2026-12-02T08:40:00",
            "data": {"card": cards, "diagnoses": [{"code": "I10", "name": "Tăng huyết áp", "is_main": True}],
                     "prescription": drugs, "services": services, "reason": "Khám huyết áp", **data}}


def claim(record: dict[str, Any], **kw: Any) -> tuple[bytes, dict[str, list[dict[str, str]]]]:
    """The envelope and its tables read back (field -> text per record)."""
    tables = build_tables(record, PATIENT, "01013", **kw)
    return envelope("01013", tables, dt.date(2026, 12, 2)), {kind: check_table(kind, xml, [])
                                                             for kind, xml in tables.items()}


def money_findings(data: bytes) -> list[str]:
    return [str(f) for f in check_envelope(data) if f.rule == MONEY]


def totals(tables: dict[str, list[dict[str, str]]]) -> dict[str, str]:
    names = ("T_THUOC", "T_VTYT", "T_TONGCHI_BV", "T_TONGCHI_BH", "T_BNTT", "T_BNCCT", "T_BHTT", "T_NGUONKHAC")
    return {n: tables["XML1"][0][n] for n in names}


def test_a_100_percent_card_is_paid_in_full() -> None:
    data, tables = claim(visit("HC1010123456789", [EXAM], [drug(30, 1200)]))
    assert totals(tables) == {"T_THUOC": "36000.00", "T_VTYT": "0.00", "T_TONGCHI_BV": "74700.00",
                              "T_TONGCHI_BH": "74700.00", "T_BNTT": "0.00", "T_BNCCT": "0.00", "T_BHTT": "74700.00",
                              "T_NGUONKHAC": "0.00"}
    assert tables["XML1"][0]["MA_DOITUONG_KCB"] == "1.1" and tables["XML1"][0]["MA_NOI_DI"] == ""
    line = tables["XML2"][0]
    assert (line["PHAM_VI"], line["TYLE_TT_BH"], line["MUC_HUONG"], line["T_BHTT"]) == ("1", "100", "100", "36000.00")
    assert [line[f] for f in ("T_NGUONKHAC_NSNN", "T_NGUONKHAC_VTNN", "T_NGUONKHAC_VTTN", "T_NGUONKHAC_CL")] == \
        ["0.00"] * 4
    assert money_findings(data) == []


@pytest.mark.parametrize(("card", "level", "fund", "copay"), [
    ("CH3010123456789", "95", "372115.00", "19585.00"),  # 391,700 × 95 %
    ("GD4010123456789", "80", "313360.00", "78340.00"),  # 391,700 × 80 %
])
def test_95_and_80_percent_above_the_threshold_leave_a_co_payment(card: str, level: str, fund: str,
                                                                  copay: str) -> None:
    data, tables = claim(visit(card, [EXAM, ECHO], [drug(100, 1200)]))  # 38,700 + 233,000 + 120,000 = 391,700
    assert totals(tables)["T_TONGCHI_BH"] == "391700.00"
    assert (totals(tables)["T_BHTT"], totals(tables)["T_BNCCT"], totals(tables)["T_BNTT"]) == (fund, copay, "0.00")
    assert {r["MUC_HUONG"] for kind in ("XML2", "XML3") for r in tables[kind]} == {level}
    if level == "80":
        exam = tables["XML3"][0]
        assert (exam["THANH_TIEN_BH"], exam["T_BHTT"], exam["T_BNCCT"]) == ("38700.00", "30960.00", "7740.00")
    assert money_findings(data) == []


def test_80_percent_below_the_threshold_is_paid_in_full() -> None:
    data, tables = claim(visit("GD4010123456789", [EXAM], [drug(30, 1200)]))  # 74,700 < 379,500
    assert {r["MUC_HUONG"] for kind in ("XML2", "XML3") for r in tables[kind]} == {"100"}
    assert (totals(tables)["T_BHTT"], totals(tables)["T_BNCCT"]) == ("74700.00", "0.00")
    assert money_findings(data) == []


def test_a_second_specialty_is_charged_at_30_percent() -> None:
    data, tables = claim(visit("HC1010123456789", [EXAM, ENT], []))
    assert [(r["MA_DICH_VU"], r["TYLE_TT_DV"], r["THANH_TIEN_BV"]) for r in tables["XML3"]] == \
        [("02.1896", "100", "38700.00"), ("15.1896", "30", "11610.00")]
    assert totals(tables)["T_TONGCHI_BV"] == "50310.00" and "XML2" not in tables
    assert money_findings(data) == []


def test_lines_outside_the_benefit_are_paid_by_the_patient_and_supplies_count_apart() -> None:
    data, tables = claim(visit("HC1010123456789", [EXAM, VITAMIN_D, SYRINGE], [drug(10, 950, "00.0000")]))
    vitamin = tables["XML3"][1]
    assert (vitamin["PHAM_VI"], vitamin["TYLE_TT_BH"], vitamin["DON_GIA_BV"], vitamin["THANH_TIEN_BH"],
            vitamin["T_BHTT"], vitamin["T_BNTT"], vitamin["MUC_HUONG"]) == \
        ("2", "0", "250000.000", "0.00", "0.00", "250000.00", "0")
    off_list = tables["XML2"][0]  # a drug without a BHYT code
    assert (off_list["MA_THUOC"], off_list["PHAM_VI"], off_list["T_BNTT"]) == ("00.0000", "2", "9500.00")
    supply = tables["XML3"][2]
    assert (supply["MA_VAT_TU"], supply["TEN_VAT_TU"], supply["MA_DICH_VU"]) == ("N03.02.070", "Bơm tiêm 5ml", "")
    assert totals(tables) == {"T_THUOC": "9500.00", "T_VTYT": "1000.00", "T_TONGCHI_BV": "299200.00",
                              "T_TONGCHI_BH": "39700.00", "T_BNTT": "259500.00", "T_BNCCT": "0.00",
                              "T_BHTT": "39700.00", "T_NGUONKHAC": "0.00"}
    assert money_findings(data) == []


def test_a_referral_names_where_from_and_is_paid_as_the_right_place() -> None:
    record = visit("GD4010123456789", [EXAM, ECHO], [drug(100, 1200)], arrival="referred", referred_from="01001",
                   referral_slip="125/GCT")
    data, tables = claim(record, arrival_codes={"referred": "1.3"})
    summary = tables["XML1"][0]
    assert (summary["MA_DOITUONG_KCB"], summary["MA_NOI_DI"], summary["GIAY_CHUYEN_TUYEN"]) == \
        ("1.3", "01001", "125/GCT")
    assert (summary["T_BHTT"], summary["T_BNCCT"]) == ("313360.00", "78340.00")
    checkin = check_table("XML0", checkin_xml(record, PATIENT, "01013"), [])[0]
    assert checkin["MA_DOITUONG_KCB"] == "1.3"
    assert money_findings(data) == []


def test_self_referred_is_coded_and_not_paid() -> None:
    data, tables = claim(visit("GD4010123456789", [EXAM], [drug(30, 1200)], arrival="self_referred",
                               referred_from="01001"))
    summary = tables["XML1"][0]
    assert (summary["MA_DOITUONG_KCB"], summary["MA_NOI_DI"], summary["T_BHTT"], summary["T_BNCCT"]) == \
        ("3.1", "", "0.00", "74700.00")
    assert {r["MUC_HUONG"] for kind in ("XML2", "XML3") for r in tables[kind]} == {"0"}
    assert money_findings(data) == []


def test_the_five_year_waiver_dates_the_exemption_and_no_card_pays_all() -> None:
    record = visit("GD4010123456789", [EXAM, ECHO], [drug(100, 1200)], five_year_date="2024-03-01")
    _, under = claim(record, copay_this_year=Decimal(15_000_000))
    data, over = claim(record, copay_this_year=Decimal(15_180_000))  # 6 × 2,530,000
    assert (under["XML1"][0]["NGAY_MIEN_CCT"], under["XML1"][0]["T_BNCCT"]) == ("", "78340.00")
    assert (over["XML1"][0]["NGAY_MIEN_CCT"], over["XML1"][0]["T_BNCCT"]) == ("202612020815", "0.00")
    assert money_findings(data) == []
    data, none = claim(visit("", [EXAM], [drug(30, 1200)]))
    assert (none["XML1"][0]["MA_DOITUONG_KCB"], none["XML1"][0]["T_TONGCHI_BH"], none["XML1"][0]["T_BNTT"]) == \
        ("9", "0.00", "74700.00")
    assert money_findings(data) == []


# -- the validator's money rules ----------------------------------------------------------------------------------

def edit(data: bytes, table: str, old: str, new: str) -> bytes:
    """The envelope with one table's text edited (``old`` must be there)."""
    for match in re.finditer(rb"<LOAIHOSO>(XML\d+)</LOAIHOSO><NOIDUNGFILE>([^<]+)</NOIDUNGFILE>", data):
        if match.group(1).decode() == table:
            text = base64.b64decode(match.group(2)).decode()
            assert old in text, (table, old)
            return data.replace(match.group(2), base64.b64encode(text.replace(old, new).encode()))
    raise AssertionError(f"no {table}")


def test_a_wrong_total_and_a_wrong_line_are_violations(tmp_path: Path, capsys) -> None:
    data, _ = claim(visit("GD4010123456789", [EXAM, ECHO], [drug(100, 1200)]))
    wrong_total = edit(data, "XML1", "<T_TONGCHI_BV>391700.00</T_TONGCHI_BV>", "<T_TONGCHI_BV>391000.00</T_TONGCHI_BV>")
    assert money_findings(wrong_total) == ["XML1 T_TONGCHI_BV: [money] 391000.00, but the lines add up to 391700.00"]
    wrong_line = edit(data, "XML2", "<T_BHTT>96000.00</T_BHTT>", "<T_BHTT>120000.00</T_BHTT>")
    assert money_findings(wrong_line) == [
        "XML2 T_BHTT: [money] line 1: 120000.00, but THANH_TIEN_BH × MUC_HUONG/100 = 96000.00",
        "XML2 T_BNCCT: [money] line 1: 24000.00, but THANH_TIEN_BH − T_BHTT = 0.00"]
    one_vnd = edit(data, "XML1", "<T_TONGCHI_BV>391700.00</T_TONGCHI_BV>", "<T_TONGCHI_BV>391701.00</T_TONGCHI_BV>")
    assert money_findings(one_vnd) == [], "1 VND is within the portal's tolerance"
    fraction = edit(data, "XML3", "<MUC_HUONG>80</MUC_HUONG>", "<MUC_HUONG>0.8</MUC_HUONG>")
    assert any("MUC_HUONG: [money] line 1: '0.8' is not a whole percentage" in f for f in money_findings(fraction))
    path = tmp_path / "wrong.xml"
    path.write_bytes(wrong_total)
    assert cli(["xml", "validate", str(path)]) == 1
    assert "XML1 T_TONGCHI_BV: [money]" in capsys.readouterr().out


def test_a_rule_of_this_checker_is_a_warning_and_exits_0(tmp_path: Path, capsys) -> None:
    data, _ = claim(visit("HC1010123456789", [EXAM, ENT], []))
    both_full = edit(edit(data, "XML3", "<TYLE_TT_DV>30</TYLE_TT_DV>", "<TYLE_TT_DV>100</TYLE_TT_DV>"), "XML3",
                     "11610.00", "38700.00")
    both_full = edit(both_full, "XML1", "50310.00", "77400.00")  # the totals follow: only the rule is at stake
    found = [f for f in check_envelope(both_full) if f.rule == MONEY]
    assert [(f.level, f.field) for f in found] == [("warning", "TYLE_TT_DV")]
    assert "30 %" in found[0].message and "30 %" in found[0].vi
    path = tmp_path / "two-exams.xml"
    path.write_bytes(both_full)
    assert cli(["xml", "validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert "warning: XML3 TYLE_TT_DV: [money]" in out and "OK (QĐ 4750 tables)" in out


# -- the sandbox portal ------------------------------------------------------------------------------------------

def test_the_sandbox_refuses_a_claim_whose_money_does_not_add_up(sandbox, tmp_path: Path) -> None:
    requests.post(f"{sandbox.url}/_admin/reset", timeout=5)
    signer = demo.demo_signer(tmp_path)
    data, _ = claim(visit("GD4010123456789", [EXAM, ECHO], [drug(100, 1200)]))
    wrong = edit(data, "XML1", "<T_BHTT>313360.00</T_BHTT>", "<T_BHTT>391700.00</T_BHTT>")
    client = GatewayClient(sandbox.url, sandbox.username, md5_upper(sandbox.password))
    try:
        refused = client.submit_claim(signer.sign(wrong), "01013")
        assert refused.code == MONEY_REFUSED == "422" and not refused.accepted
        assert refused.message.startswith("Số tiền trong hồ sơ không khớp quy tắc thanh toán BHYT: XML1 T_BHTT: ")
        assert "nhưng T_TONGCHI_BH − T_BNCCT = 313360.00" in refused.message
        assert client.submit_claim(signer.sign(data), "01013").accepted, "the same claim with its own money"
    finally:
        client.close()
    counters = requests.get(f"{sandbox.url}/_admin/stats", timeout=5).json()["counters"]
    assert counters.get("claim_money_refused") == 1 and counters.get("claim_accepted") == 1


def test_the_card_check_takes_a_form_body_as_well_as_json(sandbox, gateway) -> None:
    p = person(sandbox, "000")
    access, id_token, _ = gateway._current_token()
    auth = {"token": access, "id_token": id_token, "username": sandbox.username,
            "password": md5_upper(sandbox.password)}
    body = request_for(p).body(STAFF)
    url = f"{sandbox.url}/api/egw/KQNhanLichSuKCB2024"
    as_form = requests.post(url, params=auth, data=body, timeout=5).json()
    as_json = requests.post(url, params=auth, json=body, timeout=5).json()
    assert as_form["maKetQua"] == as_json["maKetQua"] == "000"
    assert as_form["maThe"] == as_json["maThe"] == p.card_number
    neither = requests.post(url, params=auth, data=b"maThe", headers={"Content-Type": "text/plain"}, timeout=5).json()
    assert neither["maKetQua"] == "205"


@needs_xmlsec1
def test_demo_visits_show_a_co_payment_and_export_claims_whose_money_adds_up(kiosk_home, tmp_path: Path,
                                                                            capsys) -> None:
    seen = []
    for _ in range(2):  # the demo cycles through the sandbox's people: a 100 % card, then an 80 % card
        assert cli(["demo", "visit", "--json"]) == 0
        seen.append(json.loads(capsys.readouterr().out))
    assert [v["money"]["muc_huong"] for v in seen] == [100, 80]
    assert seen[1]["money"] == {"total": 415700, "bhyt_pays": 332560, "copay": 83140, "own_pay": 0,
                                "patient_pays": 83140, "muc_huong": 80, "arrival": "registered",
                                "ma_doituong_kcb": "1.1"}, "above the low-cost threshold: a co-payment of 20 %"
    pem = Settings().paths.data_dir / demo.DEMO_SIGNING_CERT
    for shown in seen:
        out = tmp_path / f"visit-{shown['visit_id']}.xml"
        assert cli(["xml", "export", str(shown["visit_id"]), "--out", str(out)]) == 0
        data = out.read_bytes()
        assert validate_envelope(data) == [] and money_findings(data) == []
        assert f"<T_BNCCT>{shown['money']['copay']}.00</T_BNCCT>".encode() in base64.b64decode(
            re.search(rb"<NOIDUNGFILE>([^<]+)</NOIDUNGFILE>", data).group(1))
        result = xmlsec1(out, pem)
        assert result.returncode == 0, result.stderr
