"""The clinic's drug catalogue: procurement lists as clinics keep them (XLSX with a title above the headers, CSV
with BOM and semicolons), bad rows skipped with their reason, re-import by code, search with or without accents,
the demo catalogue and the two `catalog` commands."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from kiosk.cli.commands import main
from kiosk.errors import BadInput
from kiosk.erx import catalogue
from kiosk.settings import Settings
from kiosk.store.opening import open_configured, open_store

HEADERS_VI = ["STT", "Tên thuốc", "Hoạt chất", "Nồng độ, hàm lượng", "ĐVT", "Đường dùng", "Số ĐK/GPNK",
              "Giá BHYT (VNĐ)", "Mã thuốc quốc gia", "Mã TT20", "Gây nghiện"]


@pytest.fixture
def store(tmp_path):
    opened = open_store(tmp_path / "c.db")
    yield opened
    opened.close()


def workbook(path: Path, rows: list[list[object]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Danh mục thuốc"
    sheet.append(["DANH MỤC THUỐC SỬ DỤNG TẠI PHÒNG KHÁM NĂM 2026"])
    sheet.append([])
    sheet.append(HEADERS_VI)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_xlsx_with_a_title_row_and_vietnamese_headers_in_another_order(store, tmp_path) -> None:
    path = workbook(tmp_path / "dm.xlsx", [
        [1, "Panadol", "Paracetamol", "500mg", "Viên", "Uống", "VD-12345-10", "1.200", "VD-12345-10", "40.48", ""],
        [2, "Morphin", "Morphin hydroclorid", "10mg/1ml", "Ống", "Tiêm dưới da", "VD-34680-20", 6200,
         "vd-34680-20", "", "x"],
        [3, "Hapacol", "Paracetamol", "250mg", "Gói", "Uống", 893110012345, "1,200.50", 893110012345, "", None],
    ])
    counts = catalogue.import_file(store, path)
    assert (counts["added"], counts["skipped"], counts["sheet"]) == (3, 0, "Danh mục thuốc")
    assert counts["missing_columns"] == []
    panadol = catalogue.get(store, "VD-12345-10")
    assert panadol == catalogue.Drug(code="VD-12345-10", bhyt_code="40.48", active_ingredient="Paracetamol",
                                     trade_name="Panadol", strength="500mg", unit="Viên", route="Uống",
                                     registration_no="VD-12345-10", bhyt_price=1200.0, kind="c")
    morphin = catalogue.get(store, "vd-34680-20 ")  # the code is looked up as printed on the list
    assert morphin is not None and morphin.kind == "n" and morphin.bhyt_price == 6200
    number_code = catalogue.get(store, "893110012345")  # a code Excel keeps as a number
    assert number_code is not None and number_code.registration_no == "893110012345"
    assert number_code.bhyt_price == 1200.5
    assert catalogue.count(store) == 3


def test_csv_with_bom_semicolons_and_english_headers(store, tmp_path) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes("\ufeffma_thuoc;Active ingredient;Trade name;Strength;Unit;Route;Registration no;Price;Kind\n"
                     "VN-22468-19;Losartan;Cozaar;50mg;Viên;Uống;VN-22468-19;5.600;\n"
                     "VN-31357-23;Diazepam;Seduxen;5mg;Viên;Uống;VN-31357-23;700,5;Hướng thần\n"
                     "VD-35791-21;Cao đinh lăng + Cao bạch quả;Hoạt huyết dưỡng não;150mg + 5mg;Viên;Uống;"
                     "VD-35791-21;950;YHCT\n".encode())
    counts = catalogue.import_file(store, path)
    assert (counts["added"], counts["skipped"]) == (3, 0)
    assert counts["missing_columns"] == []
    losartan, diazepam = catalogue.get(store, "VN-22468-19"), catalogue.get(store, "VN-31357-23")
    assert (losartan.active_ingredient, losartan.bhyt_price, losartan.kind, losartan.bhyt_code) == \
        ("Losartan", 5600.0, "c", "")
    assert (diazepam.bhyt_price, diazepam.kind) == (700.5, "h")
    assert catalogue.get(store, "VD-35791-21").kind == "y"


def test_bad_rows_are_skipped_with_their_row_number_and_reason(store, tmp_path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("Mã thuốc,Hoạt chất,Tên thuốc,Đơn vị tính,Giá BHYT\n"
                    "VD-1,Paracetamol,Panadol,Viên,500\n"            # row 2: good
                    ",Ibuprofen,Brufen,Viên,1900\n"                  # row 3: no code
                    f"{'X' * 21},Omeprazol,Kagasdine,Viên,420\n"     # row 4: code too long
                    "VD-4,Cetirizin,Zyrtec,Viên,mười nghìn\n"        # row 5: price not a number
                    "VD-5,Loratadin\x07,Clarityne,Viên,4300\n"       # row 6: a control character
                    "VD-1,Paracetamol,Hapacol,Viên,300\n"            # row 7: the code of row 2 again
                    "VD-7,Salbutamol,Salbutamol,,150\n"              # row 8: no unit
                    "\n"
                    "VD-9,Amlodipin,Kavasdin,Viên,\"1.200\"\n",      # row 10: good (after a blank line)
                    encoding="utf-8")
    counts = catalogue.import_file(store, path)
    assert (counts["added"], counts["skipped"]) == (2, 6)
    reasons = {row["row"]: row["en"] for row in counts["skipped_rows"]}
    assert reasons == {3: "no drug code", 4: "column Mã thuốc is longer than 20 characters",
                       5: "cannot read the price 'mười nghìn'",
                       6: "column Hoạt chất holds a control character (U+0007)",
                       7: "the drug code VD-1 is also on row 2", 8: "no unit"}
    assert all(row["vi"] for row in counts["skipped_rows"])
    assert catalogue.get(store, "VD-1").trade_name == "Panadol" and catalogue.get(store, "VD-9").bhyt_price == 1200
    assert sorted(counts["missing_columns"]) == ["Hàm lượng", "Số đăng ký", "Đường dùng"]


def test_reimport_updates_by_code(store, tmp_path) -> None:
    path = tmp_path / "dm.xlsx"
    first = [[1, "Panadol", "Paracetamol", "500mg", "Viên", "Uống", "VD-1", 500, "VD-1", "40.48", ""],
             [2, "Kavasdin", "Amlodipin", "5mg", "Viên", "Uống", "VD-2", 1200, "VD-2", "40.221", ""]]
    catalogue.import_file(store, workbook(path, first))
    second = [first[0][:7] + [650] + first[0][8:], first[1],
              [3, "Brufen", "Ibuprofen", "400mg", "Viên", "Uống", "VN-3", 1900, "VN-3", "", ""]]
    counts = catalogue.import_file(store, workbook(path, second))
    assert (counts["added"], counts["updated"], counts["unchanged"]) == (1, 1, 1)
    assert catalogue.get(store, "VD-1").bhyt_price == 650 and catalogue.count(store) == 3
    assert catalogue.search(store, "paracetamol")[0].bhyt_price == 650  # the search sees the new row too


def test_files_that_cannot_be_read_at_all_import_nothing(store, tmp_path, monkeypatch) -> None:
    no_header = tmp_path / "notes.csv"
    no_header.write_text("Ghi chú,Ngày\nmua thêm thuốc,01/02/2026\n", encoding="utf-8")
    with pytest.raises(BadInput, match="No header row"):
        catalogue.import_file(store, no_header)
    fake = tmp_path / "fake.xlsx"
    fake.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(BadInput, match="Cannot read the workbook"):
        catalogue.import_file(store, fake)
    utf16 = tmp_path / "unicode-text.csv"  # Excel's "Unicode text" export
    utf16.write_bytes("Mã thuốc,Hoạt chất,Đơn vị tính\n".encode("utf-16"))
    with pytest.raises(BadInput, match="UTF-8"):
        catalogue.import_file(store, utf16)
    with pytest.raises(BadInput, match="Cannot open"):
        catalogue.import_file(store, tmp_path / "missing.xlsx")
    monkeypatch.setattr(catalogue, "MAX_ROWS", 2)  # more drug rows than the limit: nothing is half-imported
    many = tmp_path / "many.csv"
    many.write_text("Mã thuốc,Hoạt chất,Đơn vị tính\n" + "".join(f"VD-{i},Thuốc {i},Viên\n" for i in range(3)),
                    encoding="utf-8")
    with pytest.raises(BadInput, match="more than 2 drug rows"):
        catalogue.import_file(store, many)
    assert catalogue.count(store) == 0


@pytest.fixture
def demo(store):
    assert catalogue.ensure_demo(store) > 20
    return store


def test_demo_catalogue_loads_once_with_every_kind(demo) -> None:
    assert catalogue.ensure_demo(demo) == 0  # already loaded
    paracetamol = catalogue.search(demo, "Paracetamol")[0]
    assert (paracetamol.trade_name, paracetamol.strength, paracetamol.bhyt_code) == ("Panadol", "500mg", "40.48")
    assert catalogue.search(demo, "amlodipin")[0].bhyt_code == "40.221"
    kinds = {d.kind for d in catalogue.search(demo, "", limit=100)}
    assert kinds == {"c", "n", "h", "y"}
    assert all(len(d.code) <= 20 and d.unit and d.bhyt_price > 0 for d in catalogue.search(demo, "", limit=100))


@pytest.mark.parametrize(("typed", "first"), [("amlodipin", "Amlodipin"), ("AMLODIPIN", "Amlodipin"),
                                              ("panadol", "Paracetamol"), ("vitamin c", "Vitamin C"),
                                              ("đinh lăng", "Cao đinh lăng + Cao bạch quả"),
                                              ("dinh lang", "Cao đinh lăng + Cao bạch quả"),
                                              ("paracetamol 500", "Paracetamol")])
def test_search_with_or_without_accents_by_ingredient_or_trade_name(demo, typed, first) -> None:
    assert catalogue.search(demo, typed)[0].active_ingredient == first


def test_search_puts_what_starts_with_the_text_first_and_needs_every_word(demo) -> None:
    found = [d.active_ingredient for d in catalogue.search(demo, "am")]
    assert found[:2] == ["Amlodipin", "Amoxicilin"] and "Vitamin C" in found[2:]  # "am" inside a word: after
    assert catalogue.search(demo, "vitamin zzz") == []
    assert len(catalogue.search(demo, "a", limit=3)) == 3


def test_a_catalogue_drug_becomes_a_prescription_line(demo) -> None:
    line = catalogue.line_from_drug(catalogue.get(demo, "VD-12345-10"), dose=1, times_per_day=3, days=5,
                                    instructions="  Uống   sau ăn ")
    assert line == {"catalogue_code": "VD-12345-10", "drug_code": "40.48", "active_ingredient": "Paracetamol",
                    "trade_name": "Panadol", "name": "Paracetamol", "strength": "500mg", "unit": "Viên",
                    "route": "Uống", "route_code": "1.01", "registration_no": "VD-12345-10", "unit_price": 500.0,
                    "dose": 1, "times_per_day": 3, "days": 5, "quantity": 15, "instructions": "Uống sau ăn",
                    "kind": "c"}
    half = catalogue.line_from_drug(catalogue.search(demo, "morphin")[0], dose=0.5, times_per_day=3, days=7)
    assert (half["quantity"], half["kind"], half["route_code"], half["drug_code"]) == (10.5, "n", "2.02", "00.0000")
    with pytest.raises(BadInput, match="dose"):
        catalogue.line_from_drug(catalogue.get(demo, "VD-12345-10"), dose=0, times_per_day=3, days=5)
    with pytest.raises(BadInput, match="control character"):
        catalogue.line_from_drug(catalogue.get(demo, "VD-12345-10"), dose=1, times_per_day=1, days=1,
                                 instructions="a\x00b")


def test_cli_imports_a_list_and_searches_it(tmp_path, capsys) -> None:
    path = tmp_path / "dm.csv"
    path.write_text("Mã thuốc,Hoạt chất,Tên thuốc,Hàm lượng,ĐVT,Đường dùng,SĐK,Đơn giá\n"
                    "VD-12345-10,Paracetamol,Panadol,500mg,Viên,Uống,VD-12345-10,500\n"
                    ",Ibuprofen,Brufen,400mg,Viên,Uống,VN-1,1900\n", encoding="utf-8")
    assert main(["catalog", "import-drugs", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Drugs: 1 added, 0 updated, 0 unchanged, 1 skipped" in out
    assert "dòng/row 3: thiếu mã thuốc / no drug code" in out
    assert main(["catalog", "drugs", "PANADOL", "--json"]) == 0
    assert [d["code"] for d in json.loads(capsys.readouterr().out)] == ["VD-12345-10"]
    assert main(["catalog", "drugs", "paracetamol"]) == 0
    assert "Paracetamol (Panadol) 500mg" in capsys.readouterr().out
    with open_configured(Settings()) as store:  # the command wrote to the configured store
        assert catalogue.count(store) == 1


def test_cli_refuses_a_file_it_cannot_read(tmp_path, capsys) -> None:
    path = tmp_path / "notes.csv"
    path.write_text("nothing useful\n", encoding="utf-8")
    assert main(["catalog", "import-drugs", str(path)]) == 1
    assert "No header row" in capsys.readouterr().err
    assert main(["catalog", "import-drugs", str(tmp_path / "missing.csv")]) == 1
