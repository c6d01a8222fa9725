"""The clinic's price list of services: imported from the spreadsheet a clinic keeps (XLSX with a title above Vietnamese
headers, CSV with English ones), bad rows skipped with their row number, re-import by code, the demo list, the two
`catalog` commands; a visit's services priced from it, one not in it refused at finalise, the money a finalised
visit keeps and the year's co-payment summed from it."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from kiosk import checkin, patients, visits
from kiosk.bhxh import prices
from kiosk.cli.commands import main
from kiosk.errors import BadInput, SettingsError
from kiosk.identify import identity_from_payload
from kiosk.sandbox import demo
from kiosk.sandbox.people import make_people
from kiosk.settings import Settings
from kiosk.store.opening import open_configured, open_store
from scanner.payloads import parse_payload

HEADERS_VI = ["STT", "Tên dịch vụ kỹ thuật", "Mã tương đương", "Mã nhóm", "ĐVT", "Giá BHYT (VNĐ)", "Giá dịch vụ",
              "Phạm vi", "Ngày áp dụng"]


@pytest.fixture
def store(tmp_path):
    opened = open_store(tmp_path / "c.db")
    yield opened
    opened.close()


def workbook(path: Path, rows: list[list[object]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Bảng giá"
    sheet.append(["BẢNG GIÁ DỊCH VỤ KỸ THUẬT ÁP DỤNG TỪ 01/07/2026"])
    sheet.append([])
    sheet.append(HEADERS_VI)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_xlsx_with_a_title_vietnamese_headers_and_bad_rows_named(store, tmp_path) -> None:
    path = workbook(tmp_path / "gia.xlsx", [
        [1, "Khám Nội", "02.1896", 13, "Lần", "38.700", 38700, 1, "01/07/2026"],
        [2, "Siêu âm ổ bụng", "18.0001.0001", 2, "Lần", 49300, "120.000", "", None],
        [3, "Xét nghiệm Vitamin D", "23.0220.1530", 1, "Lần", 0, 250000, "Ngoài phạm vi", None],
        [4, "Giá thấp hơn BHYT", "18.0119.0028", 2, "Lần", 65400, 60000, 1, None],
        [5, "Ngày giường", "K01.1901", 15, "Ngày", 150000, 150000, 1, None],
        [6, "Không mã", "", 1, "Lần", 1000, 1000, 1, None],
        [7, "Quân đội", "23.0001.0001", 1, "Lần", 1000, 1000, 3, None],
        [8, "Khám trùng", "02.1896", 13, "Lần", 38700, 38700, 1, None],
    ])
    counts = prices.import_file(store, path)
    assert (counts["added"], counts["skipped"], counts["sheet"], counts["missing_columns"]) == (3, 5, "Bảng giá", [])
    reasons = {row["row"]: row["en"] for row in counts["skipped_rows"]}
    assert reasons[7].startswith("the clinic price (60,000) is below the BHYT price (65,400)")
    assert "cost group 15 is not one of a service price list" in reasons[8]
    assert reasons[9] == "no service code" and "PHAM_VI 3" in reasons[10]
    assert reasons[11] == "the service code 02.1896 is also on row 4"
    assert prices.get(store, " 02.1896") == prices.Service("02.1896", "Khám Nội", 13, "Lần", 38700.0, 38700.0, True,
                                                          "exam", "2026-07-01")
    ultrasound = prices.get(store, "18.0001.0001")
    assert (ultrasound.price_bh, ultrasound.price_bv, ultrasound.kind, ultrasound.pham_vi) == (49300, 120000, "test", 1)
    assert prices.get(store, "23.0220.1530").pham_vi == 2


def test_csv_with_english_headers_and_reimport_updates_by_code(store, tmp_path) -> None:
    path = tmp_path / "prices.csv"
    path.write_bytes("\ufeffService code;Service name;Group;Unit;BHYT price;Clinic price;Kind\n"
                     "02.1896;Khám Nội;13;Lần;38700;;exam\n"
                     "10.0900.0200;Thay băng vết thương;;Lần;57.600;;Thủ thuật\n".encode())
    counts = prices.import_file(store, path)
    assert (counts["added"], counts["skipped"]) == (2, 0) and counts["missing_columns"] == ["Phạm vi"]
    assert prices.get(store, "10.0900.0200").group == 8, "a procedure's group from its kind"
    path.write_bytes("Service code;Service name;Group;BHYT price\n02.1896;Khám Nội;13;41000\n".encode())
    again = prices.import_file(store, path)
    assert (again["added"], again["updated"]) == (0, 1)
    assert prices.get(store, "02.1896").price_bh == 41000 and prices.count(store) == 2
    with pytest.raises(BadInput, match="No header row"):
        prices.import_bytes(store, b"a;b\n1;2\n", "x.csv")


def test_the_demo_list_and_the_catalog_commands(kiosk_home, tmp_path, capsys) -> None:
    settings = Settings()
    with open_configured(settings) as store:
        demo.prepare(store)
        assert prices.count(store) >= 10 and prices.ensure_demo(store) == 0
        assert prices.get(store, "23.0075.1494").price_bh == 21500
        assert any(not s.in_benefit for s in prices.search(store))
    assert main(["catalog", "prices", "sieu am", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert {s["name"] for s in found} == {"Siêu âm ổ bụng", "Siêu âm Doppler tim"}
    assert main(["catalog", "prices", "kham noi"]) == 0
    listed = capsys.readouterr().out
    assert "02.1896" in listed and "Khám Nội" in listed and "BH 38.700 đ" in listed
    path = tmp_path / "new.csv"
    path.write_bytes("Mã dịch vụ,Tên dịch vụ,Mã nhóm,Đơn giá BH\n02.1896,Khám Nội,13,40000\n,Thiếu mã,1,5\n".encode())
    assert main(["catalog", "import-prices", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Services: 0 added, 1 updated, 0 unchanged, 1 skipped" in out and "dòng/row 3: thiếu mã dịch vụ" in out


def _visit(store, index: int, exam_fee: dict | None = None) -> dict:
    person = [p for p in make_people(1, 60) if p.card_state == "000"][index]
    patient = patients.register(store, identity_from_payload(parse_payload(person.cccd_qr)))
    dep = Settings()["facility.departments"][0]
    ticket = checkin.call_next(store, dep["code"], checkin.check_in(store, patient.id, dep).ticket.room)
    card = {"card_number": person.card_number, "registered_facility": person.registered_facility,
            "valid_from": person.valid_from.isoformat(), "valid_to": person.valid_to.isoformat(),
            "five_year_date": person.five_year_date.isoformat()}
    return visits.start(store, ticket, "01013", card=card, exam_fee=exam_fee)


def test_services_take_their_price_from_the_list_and_one_not_in_it_is_refused(kiosk_home) -> None:
    with open_configured(Settings()) as store:
        demo.prepare(store)
        opened = _visit(store, 1, {"code": "02.1896", "name": "Khám", "unit_price": 1})  # the setting's price: unused
        assert opened["data"]["arrival"] == "registered", "the card's facility is this clinic"
        data = visits.demo_visit_data(store, opened["data"])
        data["services"].append({"code": "99.9999.9999", "name": "Dịch vụ lạ", "quantity": 1})
        visits.save_draft(store, opened["id"], data)
        with pytest.raises(visits.VisitNotFinalisable) as refused:
            visits.finalise(store, opened["id"], "01013")
        assert [p.en for p in refused.value.problems] == [
            "The service 99.9999.9999 is not in the price list: import it (clinic-kiosk catalog import-prices)"]
        shown = visits.money(store, opened, data)
        assert shown.problems_vi and shown.total == 415700, "the doctor sees it before finalising, the rest priced"
        data["services"].pop()
        visits.save_draft(store, opened["id"], data)
        final = visits.finalise(store, opened["id"], "01013")
        exam = final["data"]["services"][0]
        assert (exam["price_bh"], exam["price_bv"], exam["name"]) == (38700, 38700, "Khám Nội")
        assert final["data"]["money"] == {"t_tongchi_bv": "415700.00", "t_tongchi_bh": "415700.00",
                                          "t_bhtt": "332560.00", "t_bncct": "83140.00", "t_bntt": "0.00",
                                          "muc_huong": 80, "ma_doituong_kcb": "1.1"}
        money = visits.money(store, final)
        assert (money.bhyt_pays, money.patient_pays, money.copay_percent) == (332560, 83140, 20)
        patient_id = final["patient_id"]
        year = int(final["started_at"][:4])
        assert visits.year_copay(store, patient_id, year) == Decimal("83140.00")
        assert visits.year_copay(store, patient_id, year, final["ma_lk"]) == 0, "a visit leaves itself out"
        assert visits.year_copay(store, patient_id, year - 1) == 0
        assert visits.year_copay(store, patient_id, year, before=final["started_at"]) == 0, "only visits before it"
        prices.import_bytes(store, "Mã dịch vụ,Tên dịch vụ,Mã nhóm,Đơn giá BH\n02.1896,Khám Nội,13,50000\n".encode(),
                            "new.csv")
        assert visits.money(store, final).total == 415700, "a finalised visit keeps the prices it was claimed with"


def test_a_card_registered_elsewhere_starts_self_referred_and_a_referral_needs_its_facility(kiosk_home) -> None:
    with open_store(Settings().db_path()) as store:
        demo.prepare(store)
        opened = _visit(store, 2)  # registered at another facility
        assert opened["data"]["arrival"] == "self_referred"
        data = dict(opened["data"], arrival="referred", referred_from="1001")
        assert [p.en for p in visits.arrival_problems(data)] == [
            "Referred: the referring facility's code (5 characters) is needed"]
        assert visits.arrival_problems(dict(data, referred_from="01001")) == []
        assert visits.arrival_problems(dict(data, arrival="walked in"))[0].field == "arrival"


def test_the_base_salary_table_and_arrival_codes_are_settings(kiosk_home) -> None:
    from kiosk.bhxh.money import BASE_SALARIES

    settings = Settings()
    assert [(r["from"], r["vnd"]) for r in settings["billing.base_salary"]] == list(BASE_SALARIES)
    path = settings.paths.user_config_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('[[billing.base_salary]]\nfrom = "2024-07-01"\nvnd = 2340000\n\n'
                    '[[billing.base_salary]]\nfrom = "2026-01-01"\nvnd = 3000000\n\n'
                    '[billing.arrival_codes]\nreferred = "1.13"\n', encoding="utf-8")
    settings = Settings()
    assert settings["billing.base_salary"][-1] == {"from": "2026-01-01", "vnd": 3000000}
    with open_configured(settings) as store:
        demo.prepare(store)
        opened = _visit(store, 1, {"code": "02.1896", "name": "Khám Nội", "unit_price": 38700})
        data = dict(visits.demo_visit_data(store, opened["data"]), arrival="referred", referred_from="01001")
        kept = visits.money(store, opened, data)
        assert (kept.muc_huong, kept.copay, kept.ma_doituong_kcb) == (80, 83140, "1.3")
        raised = visits.money(store, opened, data, base_salaries=settings["billing.base_salary"],
                              arrival_codes=settings["billing.arrival_codes"])
        # 415,700 is below 15 % of 3,000,000 (450,000): the low-cost rule pays it all
        assert (raised.muc_huong, raised.copay, raised.ma_doituong_kcb) == (100, 0, "1.13")
        assert any("450,000" in reason for reason in raised.reasons_en)
    path.write_text('[[billing.base_salary]]\nfrom = "1 July"\nvnd = 1\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="billing.base_salary"):
        Settings()
