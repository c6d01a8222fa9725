"""XML 130/4750 tables of a finalised visit and the GIAMDINHHS envelope (DOMAIN.md §4).

Codes are strings with their leading zeros, times ``yyyyMMddHHmm``, dates ``yyyyMMdd``, amounts with
2 decimals and quantities/prices with 3, lists joined with ``;``. Which tables: XML1 always; XML2
when drugs were given; XML3 for services (the exam fee); XML4 when there are lab results; XML5 only
for the outpatient-treatment kinds (02, 05, 08); XML13 with a referral; XML14 with a re-exam date.

The money of every XML2/XML3 line and XML1's totals come from kiosk/bhxh/money.py (DOMAIN.md §14): the card's
benefit level, how the patient came (``data["arrival"]``: MA_DOITUONG_KCB, MA_NOI_DI for a referral), the low-cost
rule against the base salary in force on the visit date, the five-year waiver (NGAY_MIEN_CCT) and the examination-fee
rule. A drug without a BHYT code (``00.0000``) and a service outside the benefit are PHAM_VI 2 with TYLE_TT_BH 0: the
patient pays them; a patient without a card pays everything (TYLE_TT_BH 0, THANH_TIEN_BH 0).
"""

from __future__ import annotations

import base64
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from xml.etree import ElementTree as ET

from kiosk.bhxh.money import ARRIVALS, BASE_SALARIES, NO_CARD, Line, LineMoney, Settlement, card_level, settle
from kiosk.bhxh.xml_spec import ROOTS, fields
from kiosk.model import Patient, Sex

XML_HEADER = b'<?xml version="1.0" encoding="utf-8"?>\n'
TREATMENT_KINDS_WITH_XML5 = {"02", "05", "08"}
NO_BHYT_DRUG = "00.0000"  # XML2 MA_THUOC of a drug outside the BHYT list
DRUG_GROUP = 4  # MA_NHOM of a drug in the BHYT list
EXAM_GROUP = 13
ZERO = "0.00"


def t12(value: dt.datetime | None) -> str:
    return value.strftime("%Y%m%d%H%M") if value else ""


def d8(value: dt.date | None) -> str:
    return value.strftime("%Y%m%d") if value else ""


def money(value: Decimal | float | int) -> str:
    return str(Decimal(str(value)).quantize(Decimal("0.01"), ROUND_HALF_UP))


def qty(value: Decimal | float | int) -> str:
    return str(Decimal(str(value)).quantize(Decimal("0.001"), ROUND_HALF_UP))


def birth12(patient: Patient) -> str:
    """NGAY_SINH: 12 characters; unknown day/month and hour/minute are 00/0000 (QĐ 4750)."""
    d = patient.date_of_birth
    if d is None:
        return ""
    precision = patient.dob_precision.value
    if precision == "year":
        return f"{d.year:04d}00000000"
    if precision == "month":
        return f"{d.year:04d}{d.month:02d}000000"
    return d.strftime("%Y%m%d") + "0000"


def _decimal(value: Any, default: str = "0") -> Decimal:
    try:
        return Decimal(str(value if value not in (None, "") else default))
    except ArithmeticError:
        return Decimal(default)


def insured(data: dict[str, Any]) -> bool:
    """Whether the visit is on a BHYT card whose benefit level is known (a 15-character card code)."""
    return card_level(str((data.get("card") or {}).get("card_number") or "")) > 0


def drug_in_benefit(line: dict[str, Any]) -> bool:
    """A drug line the fund pays: one with a BHYT code (``drug_code``), not ``00.0000``."""
    code = str(line.get("drug_code") or "").strip()
    return bool(code) and code != NO_BHYT_DRUG


def money_lines(data: dict[str, Any]) -> tuple[list[Line], list[Line]]:
    """The visit's drug (XML2) and service (XML3) lines as kiosk/bhxh/money.py reckons them. A service line priced
    from the price list carries ``price_bh``/``price_bv``/``group``/``in_benefit``; an older one its ``unit_price``."""
    on_card = insured(data)
    drugs = []
    for line in data.get("prescription", []):
        price = _decimal(line.get("unit_price"))
        covered = on_card and drug_in_benefit(line)
        drugs.append(Line("XML2", _decimal(line.get("quantity")), price, price, group=DRUG_GROUP, in_benefit=covered,
                          tyle_tt_bh=100 if covered else 0))
    services = []
    for line in data.get("services", []):
        price_bv = _decimal(line.get("price_bv", line.get("unit_price")))
        covered = on_card and bool(line.get("in_benefit", True))
        services.append(Line("XML3", _decimal(line.get("quantity"), "1"), price_bv,
                             _decimal(line.get("price_bh", line.get("unit_price"))),
                             group=int(line.get("group") or EXAM_GROUP), in_benefit=covered,
                             tyle_tt_bh=100 if covered else 0))
    return drugs, services


def settle_visit(data: dict[str, Any], visit_date: dt.date, *, base_salaries: Any = BASE_SALARIES,
                 arrival_codes: dict[str, str] | None = None, copay_this_year: Decimal = Decimal(0)) -> Settlement:
    """The visit's money: its drug lines first, then its service lines, in the order of the visit's data."""
    card = data.get("card") or {}
    five = card.get("five_year_date") or ""
    drugs, services = money_lines(data)
    return settle([*drugs, *services], card_number=str(card.get("card_number") or ""),
                  arrival=data.get("arrival") or "registered", visit_date=visit_date, base_salaries=base_salaries,
                  five_year_date=dt.date.fromisoformat(five) if five else None, copay_this_year=copay_this_year,
                  arrival_codes=arrival_codes)


def arrival_code(data: dict[str, Any], arrival_codes: dict[str, str] | None = None) -> str:
    """MA_DOITUONG_KCB from how the patient came (as kiosk/bhxh/money.py decides it; 9 without a card)."""
    if not insured(data):
        return NO_CARD
    arrival = data.get("arrival") or "registered"
    arrival = arrival if arrival in ARRIVALS else "registered"
    return (arrival_codes or {}).get(arrival, ARRIVALS[arrival][0])


def _line_money(m: LineMoney) -> dict[str, str]:
    return {"THANH_TIEN_BV": money(m.thanh_tien_bv), "THANH_TIEN_BH": money(m.thanh_tien_bh),
            "MUC_HUONG": str(m.muc_huong), "T_NGUONKHAC_NSNN": ZERO, "T_NGUONKHAC_VTNN": ZERO,
            "T_NGUONKHAC_VTTN": ZERO, "T_NGUONKHAC_CL": ZERO, "T_NGUONKHAC": money(m.t_nguonkhac),
            "T_BNTT": money(m.t_bntt), "T_BNCCT": money(m.t_bncct), "T_BHTT": money(m.t_bhtt)}


def _record(table: str, values: dict[str, Any], parent: ET.Element) -> ET.Element:
    element = ET.SubElement(parent, "_")
    for spec in fields(table):
        child = ET.SubElement(element, spec.name)
        value = values.get(spec.name, "")
        child.text = "" if value is None else str(value)
    return element


def table_xml(table: str, records: list[dict[str, Any]]) -> bytes:
    root_tag, list_tag, record_tag = ROOTS[table]
    if list_tag is None:
        root = ET.Element(root_tag)
        for spec in fields(table):
            child = ET.SubElement(root, spec.name)
            value = records[0].get(spec.name, "")
            child.text = "" if value is None else str(value)
    else:
        root = ET.Element(root_tag)
        holder = ET.SubElement(root, list_tag)
        for values in records:
            _record(table, values, holder).tag = record_tag
        if table == "XML0":
            ET.SubElement(root, "CHUKYDONVI")
    return XML_HEADER + ET.tostring(root, encoding="utf-8", xml_declaration=False)


def envelope(facility: str, tables: dict[str, bytes], made_on: dt.date) -> bytes:
    root = ET.Element("GIAMDINHHS", {"xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
                                     "xmlns:xsd": "http://www.w3.org/2001/XMLSchema"})
    ET.SubElement(ET.SubElement(root, "THONGTINDONVI"), "MACSKCB").text = facility
    info = ET.SubElement(root, "THONGTINHOSO")
    ET.SubElement(info, "NGAYLAP").text = d8(made_on)
    ET.SubElement(info, "SOLUONGHOSO").text = "1"
    record = ET.SubElement(ET.SubElement(info, "DANHSACHHOSO"), "HOSO")
    for kind, content in tables.items():
        file = ET.SubElement(record, "FILEHOSO")
        ET.SubElement(file, "LOAIHOSO").text = kind
        ET.SubElement(file, "NOIDUNGFILE").text = base64.b64encode(content).decode("ascii")
    ET.SubElement(root, "CHUKYDONVI")  # the facility signature: added by the signing step
    return XML_HEADER + ET.tostring(root, encoding="utf-8")


def build_tables(visit: dict[str, Any], patient: Patient, facility: str, *, base_salaries: Any = BASE_SALARIES,
                 arrival_codes: dict[str, str] | None = None,
                 copay_this_year: Decimal = Decimal(0)) -> dict[str, bytes]:
    """All tables that apply to one finalised visit (``visit``: the stored visit record). ``base_salaries`` is the
    dated base-salary table (settings ``billing.base_salary``), ``arrival_codes`` MA_DOITUONG_KCB by how the patient
    came (``billing.arrival_codes``), ``copay_this_year`` the patient's co-payments of the year before this visit."""
    data = visit["data"]
    ma_lk = visit["ma_lk"]
    started = dt.datetime.fromisoformat(visit["started_at"])
    ended = dt.datetime.fromisoformat(visit["finalised_at"])
    card = data.get("card") or {}
    card_number = card.get("card_number", "")
    on_card = insured(data)
    settled = settle_visit(data, started.date(), base_salaries=base_salaries, arrival_codes=arrival_codes,
                           copay_this_year=copay_this_year)
    drug_money = settled.lines[:len(data.get("prescription", []))]
    service_money = settled.lines[len(drug_money):]
    doctor = data.get("doctor_code", "")
    department = data.get("department_code", "K01")
    kind = data.get("visit_kind", "01")
    diagnoses = data.get("diagnoses", [])
    main = next((d for d in diagnoses if d.get("is_main")), None)
    secondary = [d for d in diagnoses if not d.get("is_main")]
    diagnosis_text = "; ".join(f"{d['code']} - {d['name']}" for d in diagnoses)
    common = {"MA_LK": ma_lk, "HO_TEN": patient.full_name, "NGAY_SINH": birth12(patient),
              "GIOI_TINH": (patient.sex or Sex.UNDETERMINED).xml_code, "DIA_CHI": patient.address,
              "MA_THE_BHYT": card_number, "GT_THE_DEN": (card.get("valid_to") or "").replace("-", ""),
              "NGAY_VAO": t12(started), "NGAY_RA": t12(ended), "MA_CSKCB": facility,
              "MA_BENH_CHINH": main["code"] if main else "", "MA_BENH_KT": ";".join(d["code"] for d in secondary),
              "CHAN_DOAN_RV": diagnosis_text}

    drugs = []
    for n, (line, m) in enumerate(zip(data.get("prescription", []), drug_money, strict=True), 1):
        covered = on_card and drug_in_benefit(line)  # as money_lines reckons it
        drugs.append({"MA_LK": ma_lk, "STT": n, "MA_THUOC": line.get("drug_code") or NO_BHYT_DRUG,
                      "TEN_THUOC": line["name"], "DON_VI_TINH": line.get("unit", "Viên"),
                      "HAM_LUONG": line.get("strength", ""), "DUONG_DUNG": line.get("route_code", "1.01"),
                      "LIEU_DUNG": f"{line['dose']} x {line['times_per_day']} lần/ngày x {line['days']} ngày",
                      "CACH_DUNG": line.get("instructions", ""), "SO_DANG_KY": line.get("registration_no", ""),
                      "PHAM_VI": 1 if drug_in_benefit(line) else 2, "TYLE_TT_BH": 100 if covered else 0,
                      "SO_LUONG": qty(line["quantity"]), "DON_GIA": qty(line.get("unit_price", 0)),
                      "MA_NHOM": DRUG_GROUP, "MA_KHOA": department, "MA_BAC_SI": doctor, "NGAY_YL": t12(ended),
                      "MA_PTTT": 1, "NGUON_CTRA": 1, **_line_money(m)})
    services = []
    for n, (line, m) in enumerate(zip(data.get("services", []), service_money, strict=True), 1):
        in_benefit = bool(line.get("in_benefit", True))
        supply = line.get("kind") == "supply"
        price_bv = line.get("price_bv", line.get("unit_price", 0))
        services.append({"MA_LK": ma_lk, "STT": n, "MA_DICH_VU": "" if supply else line["code"],
                         "MA_VAT_TU": line["code"] if supply else "", "MA_NHOM": line.get("group") or EXAM_GROUP,
                         "TEN_VAT_TU": line["name"] if supply else "", "TEN_DICH_VU": "" if supply else line["name"],
                         "DON_VI_TINH": line.get("unit") or "Lần", "PHAM_VI": 1 if in_benefit else 2,
                         "SO_LUONG": qty(line.get("quantity", 1)), "DON_GIA_BV": qty(price_bv),
                         "DON_GIA_BH": qty(line.get("price_bh", price_bv)), "TYLE_TT_DV": m.tyle_tt_dv,
                         "TYLE_TT_BH": 100 if (on_card and in_benefit) else 0,
                         "MA_KHOA": department, "MA_BAC_SI": doctor, "MA_BENH": common["MA_BENH_CHINH"],
                         "NGAY_YL": t12(started), "NGAY_TH_YL": t12(started), "NGAY_KQ": t12(ended),
                         "MA_PTTT": 1, **_line_money(m)})
    labs = [{"MA_LK": ma_lk, "STT": n, "MA_DICH_VU": r.get("service_code", ""), "MA_CHI_SO": r["indicator_code"],
             "TEN_CHI_SO": r["name"], "GIA_TRI": r["value"], "DON_VI_DO": r.get("unit", ""),
             "KET_LUAN": r.get("conclusion", ""), "NGAY_KQ": t12(dt.datetime.fromisoformat(r["result_at"])),
             "MA_BS_DOC_KQ": doctor} for n, r in enumerate(data.get("labs", []), 1)]
    totals = settled.totals
    referred = data.get("arrival") == "referred"
    vitals = data.get("vitals", {})
    re_exam = dt.date.fromisoformat(data["re_exam_on"]) if data.get("re_exam_on") else None
    referral = data.get("referral")
    xml1 = {**common, "STT": 1, "MA_BN": patient.patient_code, "SO_CCCD": patient.id_number,
            "MA_QUOCTICH": "000", "MA_DANTOC": "01", "MA_NGHE_NGHIEP": "00000",
            "MA_DKBD": card.get("registered_facility", ""), "GT_THE_TU": (card.get("valid_from") or "").replace("-", ""),
            "NAM_NAM_LIEN_TUC": (card.get("five_year_date") or "").replace("-", ""),
            "LY_DO_VV": data.get("reason", ""), "CHAN_DOAN_VAO": data.get("reason", ""),
            "NGAY_MIEN_CCT": t12(started) if settled.exempt_from else "",
            "MA_DOITUONG_KCB": settled.ma_doituong_kcb,
            "MA_NOI_DI": data.get("referred_from", "") if referred else "",
            "GIAY_CHUYEN_TUYEN": data.get("referral_slip", "") if referred else "",
            "SO_NGAY_DTRI": 0 if kind in ("01", "07", "09") else (ended.date() - started.date()).days + 1,
            "KET_QUA_DTRI": data.get("result_code", 2),
            "MA_LOAI_RV": 2 if referral else 1, "GHI_CHU": data.get("advice", ""),
            "MA_NOI_DEN": referral.get("to_facility", "") if referral else "",
            "T_THUOC": money(totals.t_thuoc), "T_VTYT": money(totals.t_vtyt),
            "T_TONGCHI_BV": money(totals.t_tongchi_bv),
            "T_TONGCHI_BH": money(totals.t_tongchi_bh), "T_BNTT": money(totals.t_bntt),
            "T_BNCCT": money(totals.t_bncct), "T_BHTT": money(totals.t_bhtt), "T_NGUONKHAC": money(totals.t_nguonkhac),
            "T_BHTT_GDV": money(totals.t_bhtt), "NAM_QT": ended.year, "THANG_QT": ended.month, "MA_LOAI_KCB": kind,
            "MA_KHOA": department, "MA_KHUVUC": card.get("area_code", ""),
            "CAN_NANG": f"{Decimal(str(vitals['weight'])):.2f}" if vitals.get("weight") else "",
            "NGAY_TAI_KHAM": d8(re_exam), "MA_HSBA": ma_lk, "MA_TTDV": data.get("head_code", "")}
    tables = {"XML1": table_xml("XML1", [xml1])}
    if drugs:
        tables["XML2"] = table_xml("XML2", drugs)
    if services:
        tables["XML3"] = table_xml("XML3", services)
    if labs:
        tables["XML4"] = table_xml("XML4", labs)
    if kind in TREATMENT_KINDS_WITH_XML5:
        vital_text = ", ".join(f"{k}: {v}" for k, v in vitals.items() if v not in (None, ""))
        tables["XML5"] = table_xml("XML5", [{"MA_LK": ma_lk, "STT": 1, "DIEN_BIEN_LS": f"{data.get('exam_notes', '')} "
                                             f"{vital_text}".strip(), "THOI_DIEM_DBLS": t12(started),
                                             "NGUOI_THUC_HIEN": doctor}])
    if referral:
        tables["XML13"] = table_xml("XML13", [{**common, "SO_HOSO": ma_lk, "SO_CHUYENTUYEN": referral.get("number", ma_lk),
                                               "GIAY_CHUYEN_TUYEN": referral.get("number", ma_lk), "MA_NOI_DI": facility,
                                               "MA_NOI_DEN": referral["to_facility"], "MA_QUOCTICH": "000",
                                               "MA_DANTOC": "01", "MA_NGHE_NGHIEP": "00000",
                                               "DAU_HIEU_LS": data.get("exam_notes", ""),
                                               "QT_BENHLY": data.get("reason", ""), "PP_DIEUTRI": "Điều trị ngoại trú",
                                               "TEN_THUOC": "; ".join(x["TEN_THUOC"] for x in drugs),
                                               "MA_LOAI_RV": 2, "MA_LYDO_CT": referral.get("reason_code", "1"),
                                               "HUONG_DIEU_TRI": referral.get("plan", ""),
                                               "PHUONGTIEN_VC": referral.get("transport", ""), "MA_BAC_SI": doctor,
                                               "MA_TTDV": data.get("head_code", "")}])
    if re_exam:
        tables["XML14"] = table_xml("XML14", [{**common, "SO_GIAYHEN_KL": ma_lk,
                                               "NGAY_HEN_KL": t12(dt.datetime.combine(re_exam, dt.time(8, 0))),
                                               "MA_DOITUONG_KCB": xml1["MA_DOITUONG_KCB"], "MA_BAC_SI": doctor,
                                               "MA_TTDV": data.get("head_code", ""), "NGAY_CT": d8(ended.date())}])
    return tables


def checkin_xml(visit: dict[str, Any], patient: Patient, facility: str, *,
                arrival_codes: dict[str, str] | None = None) -> bytes:
    """XML0: the check-in record, sent at the first cost line (the exam fee)."""
    data = visit["data"]
    card = data.get("card") or {}
    first = (data.get("services") or [{}])[0]
    started = dt.datetime.fromisoformat(visit["started_at"])
    return table_xml("XML0", [{
        "MA_LK": visit["ma_lk"], "STT": 1, "MA_BN": patient.patient_code, "HO_TEN": patient.full_name,
        "SO_CCCD": patient.id_number, "NGAY_SINH": birth12(patient),
        "GIOI_TINH": (patient.sex or Sex.UNDETERMINED).xml_code, "MA_THE_BHYT": card.get("card_number", ""),
        "MA_DKBD": card.get("registered_facility", ""), "GT_THE_TU": (card.get("valid_from") or "").replace("-", ""),
        "GT_THE_DEN": (card.get("valid_to") or "").replace("-", ""),
        "MA_DOITUONG_KCB": arrival_code(data, arrival_codes), "NGAY_VAO": t12(started),
        "MA_LOAI_KCB": data.get("visit_kind", "01"), "MA_CSKCB": facility, "MA_DICH_VU": first.get("code", ""),
        "TEN_DICH_VU": first.get("name", ""), "NGAY_YL": t12(started)}])
