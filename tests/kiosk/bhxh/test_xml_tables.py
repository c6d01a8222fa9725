"""`xml validate` on envelopes that are not ours: every table and field of the workbook known, a real-shaped
multi-table envelope from another HIS read without unknown fields, warnings (exit 0) for rules that are not in the
official texts, violations (exit 1) for what breaks the tables, hostile XML refused with a message."""

from __future__ import annotations

import base64
import runpy
import textwrap
from pathlib import Path

import pytest

from kiosk.bhxh import xml_validate
from kiosk.bhxh.xml_spec import ROOTS, TABLES, FieldSpec, fields
from kiosk.bhxh.xml_validate import WARNING, Finding, check_envelope, validate_envelope
from kiosk.cli import main as cli
from tests.conftest import REPO, SHARED

MA_LK = "79024-HIS-2605120007"


def _value(spec: FieldSpec) -> str:
    special = {"MA_LK": MA_LK, "MA_BENH_CHINH": "J02.9", "MA_BENH_KT": "I10", "MA_LOAI_KCB": "03", "MA_LOAI_RV": "2"}
    if spec.name in special:
        return special[spec.name]
    if spec.name.startswith(("T_", "THANH_TIEN_", "DON_GIA")):  # amounts that add up (the money rules), all 0
        return "0"
    if spec.format:
        return "202605120815" if spec.format == "time" else "20260512"
    return "1" if spec.numeric else "A"


def _table(kind: str, records: list[list[tuple[str, str]]], declaration: bool = True) -> bytes:
    root, holder, record = ROOTS[kind]
    body = ["".join(f"<{name}>{value}</{name}>" for name, value in fields_) for fields_ in records]
    inner = body[0] if holder is None else f"<{holder}>" + "".join(f"<{record}>{b}</{record}>" for b in body) + \
        f"</{holder}>"
    head = '<?xml version="1.0" encoding="utf-8"?>' if declaration else ""
    return f"{head}<{root}>{inner}</{root}>".encode()


def _envelope(tables: dict[str, bytes], *, wrap: set[str] = frozenset()) -> bytes:
    files = []
    for kind, content in tables.items():
        text = base64.b64encode(content).decode()
        if kind in wrap:  # MIME-style line breaks, as some Java/C# exporters write them
            text = "\n".join(textwrap.wrap(text, 76))
        files.append(f"<FILEHOSO><LOAIHOSO>{kind}</LOAIHOSO><NOIDUNGFILE>{text}</NOIDUNGFILE></FILEHOSO>")
    return ('<?xml version="1.0" encoding="utf-8"?>\n<GIAMDINHHS xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
            ' xmlns:xsd="http://www.w3.org/2001/XMLSchema"><THONGTINDONVI><MACSKCB>79024</MACSKCB></THONGTINDONVI>'
            '<THONGTINHOSO><NGAYLAP>20260512</NGAYLAP><SOLUONGHOSO>1</SOLUONGHOSO><DANHSACHHOSO><HOSO>'
            + "".join(files) + "</HOSO></DANHSACHHOSO></THONGTINHOSO><CHUKYDONVI/></GIAMDINHHS>").encode()


def _full(kind: str) -> bytes:
    records = 2 if ROOTS[kind][1] else 1
    return _table(kind, [[(f.name, _value(f) if f.name != "STT" else str(n)) for f in fields(kind)]
                         for n in range(1, records + 1)])


def test_every_field_of_every_table_is_known(kiosk_home, tmp_path: Path, capsys) -> None:
    tables = {kind: _full(kind) for kind in TABLES if kind != "XML0"}
    found = check_envelope(_envelope(tables))
    assert [f for f in found if f.is_violation] == []
    assert not [f for f in found if f.rule == "unknown"]
    assert [str(f) for f in found] == ["GIAMDINHHS LOAIHOSO: [portal] XML12 is entered on the portal, not sent by a HIS "
                                       "(the table's note)"]
    assert sum(len(fields(k)) for k in tables) + len(fields("XML0")) == 481
    checkin = tmp_path / "checkin.xml"
    checkin.write_bytes(_full("XML0"))  # the check-in file travels on its own, not in GIAMDINHHS
    assert check_envelope(checkin.read_bytes()) == []
    assert cli(["xml", "validate", str(checkin)]) == 0
    assert capsys.readouterr().out.strip() == f"{checkin}: OK (QĐ 4750 tables)"


# A claim as another HIS exports it: an ordinary examination (MA_LOAI_KCB 01) with XML5 and XML7 as real HIS send them,
# NHOM_MAU and NGAY_TH_YL filled, a 4-character MA_DOITUONG_KCB, empty optional fields omitted, text in CDATA, the
# drug lines' STT not in document order, a BOM before one table and MIME line breaks in one table's base64.
OTHER_HIS = {
    "XML1": f"""<?xml version="1.0" encoding="utf-8"?>
<TONG_HOP xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">
  <MA_LK>{MA_LK}</MA_LK><STT>1</STT><MA_BN>BN2026004411</MA_BN><HO_TEN><![CDATA[Trần Thị Bích Ngọc]]></HO_TEN>
  <SO_CCCD>079186004412</SO_CCCD><NGAY_SINH>198603140000</NGAY_SINH><GIOI_TINH>2</GIOI_TINH><NHOM_MAU>O+</NHOM_MAU>
  <MA_QUOCTICH>000</MA_QUOCTICH><MA_DANTOC>01</MA_DANTOC><MA_NGHE_NGHIEP>00000</MA_NGHE_NGHIEP>
  <DIA_CHI><![CDATA[12 Lê Lợi, Phường Bến Thành, TP Hồ Chí Minh]]></DIA_CHI>
  <MATINH_CU_TRU>79</MATINH_CU_TRU><MAHUYEN_CU_TRU>760</MAHUYEN_CU_TRU><MAXA_CU_TRU>26740</MAXA_CU_TRU>
  <DIEN_THOAI>0908000111</DIEN_THOAI><MA_THE_BHYT>DN4797912345678</MA_THE_BHYT><MA_DKBD>79024</MA_DKBD>
  <GT_THE_TU>20260101</GT_THE_TU><GT_THE_DEN>20261231</GT_THE_DEN><NGAY_MIEN_CCT/>
  <LY_DO_VV><![CDATA[Đau họng, sốt nhẹ]]></LY_DO_VV><CHAN_DOAN_VAO>Viêm họng cấp</CHAN_DOAN_VAO>
  <CHAN_DOAN_RV><![CDATA[J02.9 - Viêm họng cấp, không đặc hiệu]]></CHAN_DOAN_RV><MA_BENH_CHINH>J02.9</MA_BENH_CHINH>
  <MA_BENH_KT/><MA_DOITUONG_KCB>1.13</MA_DOITUONG_KCB><NGAY_VAO>202605120742</NGAY_VAO>
  <NGAY_RA>202605120905</NGAY_RA><SO_NGAY_DTRI>0</SO_NGAY_DTRI><KET_QUA_DTRI>2</KET_QUA_DTRI>
  <MA_LOAI_RV>1</MA_LOAI_RV><GHI_CHU><![CDATA[Uống thuốc theo đơn]]></GHI_CHU><NGAY_TTOAN>202605120912</NGAY_TTOAN>
  <T_THUOC>27000.00</T_THUOC><T_VTYT>0.00</T_VTYT><T_TONGCHI_BV>65700.00</T_TONGCHI_BV>
  <T_TONGCHI_BH>65700.00</T_TONGCHI_BH><T_BNTT>0.00</T_BNTT><T_BNCCT>0.00</T_BNCCT><T_BHTT>65700.00</T_BHTT>
  <T_NGUONKHAC>0.00</T_NGUONKHAC><T_BHTT_GDV>0.00</T_BHTT_GDV><NAM_QT>2026</NAM_QT><THANG_QT>5</THANG_QT>
  <MA_LOAI_KCB>01</MA_LOAI_KCB><MA_KHOA>K01</MA_KHOA><MA_CSKCB>79024</MA_CSKCB><MA_KHUVUC/>
  <CAN_NANG>52.50</CAN_NANG><MA_HSBA>HS2026004411</MA_HSBA><MA_TTDV>7900112233</MA_TTDV>
</TONG_HOP>""",
    "XML2": "".join(
        ["<CHITIEU_CHITIET_THUOC><DSACH_CHI_TIET_THUOC>"]
        + [f"""<CHI_TIET_THUOC><MA_LK>{MA_LK}</MA_LK><STT>{stt}</STT><MA_THUOC>{code}</MA_THUOC><MA_NHOM>4</MA_NHOM>
<TEN_THUOC>{name}</TEN_THUOC><DON_VI_TINH>Viên</DON_VI_TINH><HAM_LUONG>{strength}</HAM_LUONG>
<DUONG_DUNG>1.01</DUONG_DUNG><LIEU_DUNG>1 viên x 2 lần/ngày x 5 ngày</LIEU_DUNG><CACH_DUNG>Uống sau ăn</CACH_DUNG>
<SO_DANG_KY>{reg}</SO_DANG_KY><TT_THAU>57/QĐ-TTMS;G1;N1;2025</TT_THAU><PHAM_VI>1</PHAM_VI><TYLE_TT_BH>100</TYLE_TT_BH>
<SO_LUONG>{qty}.000</SO_LUONG><DON_GIA>{price}.000</DON_GIA><THANH_TIEN_BV>{total}.00</THANH_TIEN_BV>
<THANH_TIEN_BH>{total}.00</THANH_TIEN_BH><T_NGUONKHAC_NSNN>0.00</T_NGUONKHAC_NSNN><T_NGUONKHAC_VTNN>0.00</T_NGUONKHAC_VTNN>
<T_NGUONKHAC_VTTN>0.00</T_NGUONKHAC_VTTN><T_NGUONKHAC_CL>0.00</T_NGUONKHAC_CL><T_NGUONKHAC>0.00</T_NGUONKHAC>
<MUC_HUONG>100</MUC_HUONG><T_BNTT>0.00</T_BNTT><T_BNCCT>0.00</T_BNCCT><T_BHTT>{total}.00</T_BHTT><MA_KHOA>K01</MA_KHOA>
<MA_BAC_SI>000123/HCM-CCHN</MA_BAC_SI><NGAY_YL>202605120850</NGAY_YL><NGAY_TH_YL>202605120858</NGAY_TH_YL>
<MA_PTTT>1</MA_PTTT><NGUON_CTRA>1</NGUON_CTRA></CHI_TIET_THUOC>"""
           for stt, code, name, strength, reg, qty, price, total in (
               (2, "40.49", "Paracetamol", "500mg", "VD-12345-20", 10, 1500, 15000),
               (1, "40.1012", "Amoxicilin", "500mg", "VD-23456-21", 6, 2000, 12000))]
        + ["</DSACH_CHI_TIET_THUOC></CHITIEU_CHITIET_THUOC>"]),
    "XML3": f"""\ufeff<?xml version="1.0" encoding="utf-8"?><CHITIEU_CHITIET_DVKT_VTYT><DSACH_CHI_TIET_DVKT><CHI_TIET_DVKT>
<MA_LK>{MA_LK}</MA_LK><STT>1</STT><MA_DICH_VU>02.1896</MA_DICH_VU><MA_NHOM>13</MA_NHOM>
<TEN_DICH_VU>Khám Tai Mũi Họng</TEN_DICH_VU><DON_VI_TINH>Lần</DON_VI_TINH><PHAM_VI>1</PHAM_VI><SO_LUONG>1</SO_LUONG>
<DON_GIA_BV>38700</DON_GIA_BV><DON_GIA_BH>38700</DON_GIA_BH><TYLE_TT_DV>100</TYLE_TT_DV><TYLE_TT_BH>100</TYLE_TT_BH>
<THANH_TIEN_BV>38700.00</THANH_TIEN_BV><THANH_TIEN_BH>38700.00</THANH_TIEN_BH><MUC_HUONG>100</MUC_HUONG>
<T_NGUONKHAC_NSNN>0</T_NGUONKHAC_NSNN><T_NGUONKHAC_VTNN>0</T_NGUONKHAC_VTNN><T_NGUONKHAC_VTTN>0</T_NGUONKHAC_VTTN>
<T_NGUONKHAC_CL>0</T_NGUONKHAC_CL><T_NGUONKHAC>0</T_NGUONKHAC><T_BNTT>0.00</T_BNTT><T_BNCCT>0.00</T_BNCCT>
<T_BHTT>38700.00</T_BHTT><MA_KHOA>K01</MA_KHOA><MA_BAC_SI>000123/HCM-CCHN</MA_BAC_SI><MA_BENH>J02.9</MA_BENH>
<NGAY_YL>202605120745</NGAY_YL><NGAY_TH_YL>202605120750</NGAY_TH_YL><NGAY_KQ>202605120850</NGAY_KQ><MA_PTTT>1</MA_PTTT>
</CHI_TIET_DVKT></DSACH_CHI_TIET_DVKT></CHITIEU_CHITIET_DVKT_VTYT>""",
    "XML5": f"""<CHITIEU_CHITIET_DIENBIENLAMSANG><DSACH_CHI_TIET_DIEN_BIEN_BENH><CHI_TIET_DIEN_BIEN_BENH>
<MA_LK>{MA_LK}</MA_LK><STT>1</STT><DIEN_BIEN_LS><![CDATA[Họng đỏ, amidan không to. Mạch 82, HA 110/70, T 37.8]]>
</DIEN_BIEN_LS><THOI_DIEM_DBLS>202605120800</THOI_DIEM_DBLS><NGUOI_THUC_HIEN>000123/HCM-CCHN</NGUOI_THUC_HIEN>
</CHI_TIET_DIEN_BIEN_BENH></DSACH_CHI_TIET_DIEN_BIEN_BENH></CHITIEU_CHITIET_DIENBIENLAMSANG>""",
    "XML7": f"""<CHI_TIEU_DU_LIEU_GIAY_RA_VIEN><MA_LK>{MA_LK}</MA_LK><SO_LUU_TRU>LT2026-0441</SO_LUU_TRU>
<MA_YTE>BN2026004411</MA_YTE><MA_KHOA_RV>K01</MA_KHOA_RV><NGAY_VAO>202605120742</NGAY_VAO><NGAY_RA>202605120905</NGAY_RA>
<MA_DINH_CHI_THAI>0</MA_DINH_CHI_THAI><CHAN_DOAN_RV>Viêm họng cấp</CHAN_DOAN_RV><PP_DIEUTRI>Điều trị nội khoa</PP_DIEUTRI>
<MA_TTDV>7900112233</MA_TTDV><MA_BS>7900445566</MA_BS><TEN_BS>Lê Văn Minh</TEN_BS><NGAY_CT>20260512</NGAY_CT>
</CHI_TIEU_DU_LIEU_GIAY_RA_VIEN>""",
}


def _other_his(**changes: str) -> bytes:
    tables = {kind: changes.get(kind, text).encode() for kind, text in OTHER_HIS.items()}
    return _envelope(tables, wrap={"XML2"})


def test_a_real_shaped_envelope_from_another_his_reads_clean_with_warnings(kiosk_home, tmp_path: Path, capsys) -> None:
    data = _other_his()
    assert validate_envelope(data) == []  # what finalise and the portal care about: no violation
    found = check_envelope(data)
    assert all(f.level == WARNING for f in found)
    assert [str(f) for f in found] == [
        "XML2 STT: [sequence] STT 2, 1 is not 1, 2, 3 … in document order",
        "XML5 -: [when] sent for MA_LOAI_KCB '01'; the table's note names 02, 03, 04, 05, 06, 08, 09",
    ]
    path = tmp_path / "other-his.xml"
    path.write_bytes(data)
    assert cli(["xml", "validate", str(path)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "warning: XML2 STT: [sequence] STT 2, 1 is not 1, 2, 3 … in document order",
        "warning: XML5 -: [when] sent for MA_LOAI_KCB '01'; the table's note names 02, 03, 04, 05, 06, 08, 09",
        f"{path}: OK (QĐ 4750 tables), 2 warnings",
    ]


def _xml(kind: str, old: str, new: str) -> dict[str, str]:
    assert old in OTHER_HIS[kind]
    return {kind: OTHER_HIS[kind].replace(old, new, 1)}


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        (_xml("XML2", "<SO_LUONG>10.000", "<SO_LUONG>10,000"), "XML2 SO_LUONG: [number] '10,000' is not a number"),
        (_xml("XML1", "<MA_DOITUONG_KCB>1.13", "<MA_DOITUONG_KCB>1.131"), "XML1 MA_DOITUONG_KCB: [length] 5 characters"),
        (_xml("XML1", "<NHOM_MAU>O+", "<NHOM_MAU>AB Rh+"), "XML1 NHOM_MAU: [length] 6 characters, at most 5"),
        (_xml("XML2", "<NGAY_TH_YL>202605120858", "<NGAY_TH_YL>202613120858"), "XML2 NGAY_TH_YL: [time]"),
        (_xml("XML7", "<NGAY_CT>20260512", "<NGAY_CT>12/05/2026"), "XML7 NGAY_CT: [date] '12/05/2026' is not a valid"),
        (_xml("XML1", "<NGAY_SINH>198603140000", "<NGAY_SINH>14/03/1986"),  # a birth date is not repeated
         "XML1 NGAY_SINH: [time] the value is not a valid yyyyMMddHHmm"),
        (_xml("XML1", "<NGAY_SINH>198603140000", "<NGAY_SINH>198600140000"), "XML1 NGAY_SINH: [time]"),
        (_xml("XML5", f"<MA_LK>{MA_LK}</MA_LK>", ""), "XML5 MA_LK: [required] missing"),
        (_xml("XML7", f"<MA_LK>{MA_LK}", "<MA_LK>79024-OTHER"), "GIAMDINHHS MA_LK: [same] tables disagree"),
        (_xml("XML7", "<SO_LUU_TRU>", "<SO_LUU_TRU_CU>x</SO_LUU_TRU_CU><SO_LUU_TRU>"), "XML7 SO_LUU_TRU_CU: [unknown]"),
        (_xml("XML1", "<MA_BENH_KT/>", "<MA_BENH_KT>" + ";".join(["I10"] * 13) + "</MA_BENH_KT>"),
         "XML1 MA_BENH_KT: [count] 13 codes, at most 12"),
        (_xml("XML3", "<CHI_TIET_DVKT>", "<CHI_TIET_THUOC>"), "XML3 -: [xml] not well-formed XML"),
    ],
)
def test_violations_are_still_caught(changes: dict[str, str], needle: str) -> None:
    found = validate_envelope(_other_his(**changes))
    assert any(str(f).startswith(needle) for f in found), found


def test_unknown_table_and_bad_base64(kiosk_home, tmp_path: Path, capsys) -> None:
    data = _other_his()
    unknown = data.replace(b"<LOAIHOSO>XML7</LOAIHOSO>", b"<LOAIHOSO>XML16</LOAIHOSO>")
    assert "GIAMDINHHS LOAIHOSO: [unknown] table 'XML16' is not in QĐ 4750" in map(str, validate_envelope(unknown))
    start = data.index(b"<NOIDUNGFILE>") + len(b"<NOIDUNGFILE>")
    broken = data[:start] + b"!!" + data[start + 2:]
    path = tmp_path / "broken.xml"
    path.write_bytes(broken)
    assert cli(["xml", "validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert "XML1 NOIDUNGFILE: [base64] not valid base64" in out and "XML1 is missing" not in out
    assert "warning: XML2 STT: [sequence]" in out and "OK" not in out


LAUGHS = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>'
HOSTILE = {
    "entities": LAUGHS + b"<GIAMDINHHS>&lol2;</GIAMDINHHS>",
    "external entity": b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><GIAMDINHHS>&e;</GIAMDINHHS>',
    "utf-16 dtd": '<?xml version="1.0" encoding="utf-16"?><!DOCTYPE x [<!ENTITY e "x">]><GIAMDINHHS>&e;</GIAMDINHHS>'
                  .encode("utf-16"),
    "deep": b"<GIAMDINHHS>" + b"<a>" * 100_000 + b"</a>" * 100_000 + b"</GIAMDINHHS>",
    "garbage": b"\x00\xff\xfe not xml at all",
    "empty": b"",
    "table with entities": _envelope({"XML1": LAUGHS + b"<TONG_HOP><MA_LK>&lol2;</MA_LK></TONG_HOP>"}),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_envelopes_are_refused_with_a_message(name: str) -> None:
    found = check_envelope(HOSTILE[name])
    assert found and all(isinstance(f, Finding) for f in found)
    assert any(f.is_violation and f.rule == "xml" for f in found), found
    assert "lollollol" not in repr(found)


def test_a_huge_file_is_refused_unread(kiosk_home, tmp_path: Path, capsys) -> None:
    path = tmp_path / "huge.xml"
    with path.open("wb") as handle:  # sparse: 40 MB that cost nothing to write
        handle.write(b"<GIAMDINHHS>")
        handle.truncate(40 * 1024 * 1024)
    assert cli(["xml", "validate", str(path)]) == 1
    assert capsys.readouterr().out == f"GIAMDINHHS -: [size] more than {xml_validate.MAX_ENVELOPE_BYTES} bytes: refused " \
                                     "unread\n"


def test_cross_table_rules_are_a_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rules across tables are functions of the claim in CROSS_TABLE_RULES (the money rules among them): they see
    every table read."""
    seen: dict[str, list[str]] = {}

    def totals(claim: xml_validate.Claim):  # noqa: ANN202
        seen.update({kind: [r.get("STT", "") for r in records] for kind, records in claim.items()})
        lines = sum(float(r["THANH_TIEN_BV"]) for kind in ("XML2", "XML3") for r in claim.get(kind, []))
        if abs(lines - float(claim["XML1"][0]["T_TONGCHI_BV"])) > 0.01:
            yield Finding("XML1", "T_TONGCHI_BV", "sum", f"{lines:.2f} in the lines")

    monkeypatch.setattr(xml_validate, "CROSS_TABLE_RULES", [*xml_validate.CROSS_TABLE_RULES, totals])
    assert validate_envelope(_other_his()) == []
    assert seen == {"XML1": ["1"], "XML2": ["2", "1"], "XML3": ["1"], "XML5": ["1"], "XML7": [""]}
    wrong = _other_his(**_xml("XML1", "<T_TONGCHI_BV>65700.00", "<T_TONGCHI_BV>65000.00"))
    assert [str(f) for f in validate_envelope(wrong)] == [
        "XML1 T_TONGCHI_BV: [money] 65000.00, but the lines add up to 65700.00",  # the money rules, registered here
        "XML1 T_TONGCHI_BV: [sum] 65700.00 in the lines"]


def test_field_order_is_a_warning_and_the_table_is_still_read() -> None:
    moved = OTHER_HIS["XML1"].replace("<NHOM_MAU>O+</NHOM_MAU>", "").replace("<MA_TTDV>", "<NHOM_MAU>O+</NHOM_MAU><MA_TTDV>")
    found = check_envelope(_other_his(XML1=moved))
    assert "XML1 -: [order] fields are not in the order of the QĐ 4750 table" in [str(f) for f in found]
    assert not [f for f in found if f.is_violation]


def test_our_own_tables_write_every_field_of_the_complete_spec() -> None:
    from kiosk.bhxh.xml130 import table_xml

    xml1 = table_xml("XML1", [{"MA_LK": MA_LK}]).decode()
    assert "<NHOM_MAU />" in xml1 and xml1.index("<GIOI_TINH") < xml1.index("<NHOM_MAU") < xml1.index("<MA_QUOCTICH")
    xml2 = table_xml("XML2", [{"MA_LK": MA_LK, "STT": 1}]).decode()
    assert "<NGAY_TH_YL />" in xml2
    for kind in TABLES:
        assert check_envelope(table_xml(kind, [{f.name: _value(f) for f in fields(kind)}])) == [], kind


def test_the_generated_spec_is_what_the_workbooks_give() -> None:
    """Formats and checklist marks too: scripts/gen_xml_spec.py run on ../shared gives the committed module."""
    generate = runpy.run_path(str(REPO / "scripts" / "gen_xml_spec.py"))["generate"]
    assert generate(SHARED) == (REPO / "kiosk" / "bhxh" / "xml_spec.py").read_text(encoding="utf-8")
