"""XML 130/4750 tables of a finalised visit and the GIAMDINHHS envelope (DOMAIN.md §4).

Codes are strings with their leading zeros, times ``yyyyMMddHHmm``, dates ``yyyyMMdd``, amounts with
2 decimals and quantities/prices with 3, lists joined with ``;``. Which tables: XML1 always; XML2
when drugs were given; XML3 for services (the exam fee); XML4 when there are lab results; XML5 only
for the outpatient-treatment kinds (02, 05, 08); XML13 with a referral; XML14 with a re-exam date.
"""

from __future__ import annotations

import base64
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from xml.etree import ElementTree as ET

from kiosk.bhxh.xml_spec import ROOTS, fields
from kiosk.model import Patient, Sex

XML_HEADER = b'<?xml version="1.0" encoding="utf-8"?>\n'
TREATMENT_KINDS_WITH_XML5 = {"02", "05", "08"}


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


def benefit_rate(card_number: str) -> int:
    """MUC_HUONG from the benefit digit of a 15-character card (1, 2, 5: 100; 3: 95; 4: 80).

    Since 2025 the rate actually applied depends on MA_DOITUONG_KCB and the facility's level too
    (DOMAIN.md §2.2): a clinic configures its own rule; this is the plain right-route default.
    """
    if len(card_number) == 15 and card_number[2] in "12345":
        return {"1": 100, "2": 100, "3": 95, "4": 80, "5": 100}[card_number[2]]
    return 80 if card_number else 0


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


def build_tables(visit: dict[str, Any], patient: Patient, facility: str) -> dict[str, bytes]:
    """All tables that apply to one finalised visit (``visit``: the stored visit record)."""
    data = visit["data"]
    ma_lk = visit["ma_lk"]
    started = dt.datetime.fromisoformat(visit["started_at"])
    ended = dt.datetime.fromisoformat(visit["finalised_at"])
    card = data.get("card") or {}
    card_number = card.get("card_number", "")
    rate = benefit_rate(card_number)
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

    def cost(unit_price: Any, quantity: Any) -> dict[str, str]:
        total = Decimal(str(unit_price)) * Decimal(str(quantity))
        insured = total if card_number else Decimal(0)
        fund = (insured * rate / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
        return {"THANH_TIEN_BV": money(total), "THANH_TIEN_BH": money(insured), "MUC_HUONG": str(rate),
                "T_BHTT": money(fund), "T_BNCCT": money(insured - fund), "T_BNTT": money(total - insured),
                "T_NGUONKHAC": money(0)}

    drugs, drug_total = [], Decimal(0)
    for n, line in enumerate(data.get("prescription", []), 1):
        c = cost(line.get("unit_price", 0), line["quantity"])
        drug_total += Decimal(c["THANH_TIEN_BV"])
        drugs.append({"MA_LK": ma_lk, "STT": n, "MA_THUOC": line.get("drug_code", "00.0000"),
                      "TEN_THUOC": line["name"], "DON_VI_TINH": line.get("unit", "Viên"),
                      "HAM_LUONG": line.get("strength", ""), "DUONG_DUNG": line.get("route_code", "1.01"),
                      "LIEU_DUNG": f"{line['dose']} x {line['times_per_day']} lần/ngày x {line['days']} ngày",
                      "CACH_DUNG": line.get("instructions", ""), "SO_DANG_KY": line.get("registration_no", ""),
                      "PHAM_VI": 1, "TYLE_TT_BH": 100, "SO_LUONG": qty(line["quantity"]),
                      "DON_GIA": qty(line.get("unit_price", 0)), "MA_NHOM": 4, "MA_KHOA": department,
                      "MA_BAC_SI": doctor, "NGAY_YL": t12(ended), "MA_PTTT": 1, "NGUON_CTRA": 1, **c})
    services, service_total = [], Decimal(0)
    for n, line in enumerate(data.get("services", []), 1):
        c = cost(line["unit_price"], line.get("quantity", 1))
        service_total += Decimal(c["THANH_TIEN_BV"])
        services.append({"MA_LK": ma_lk, "STT": n, "MA_DICH_VU": line["code"], "TEN_DICH_VU": line["name"],
                         "MA_NHOM": line.get("group", 13), "DON_VI_TINH": "Lần", "PHAM_VI": 1,
                         "SO_LUONG": qty(line.get("quantity", 1)), "DON_GIA_BV": qty(line["unit_price"]),
                         "DON_GIA_BH": qty(line["unit_price"]), "TYLE_TT_DV": 100, "TYLE_TT_BH": 100,
                         "MA_KHOA": department, "MA_BAC_SI": doctor, "MA_BENH": common["MA_BENH_CHINH"],
                         "NGAY_YL": t12(started), "NGAY_TH_YL": t12(started), "NGAY_KQ": t12(ended),
                         "MA_PTTT": 1, **c})
    labs = [{"MA_LK": ma_lk, "STT": n, "MA_DICH_VU": r.get("service_code", ""), "MA_CHI_SO": r["indicator_code"],
             "TEN_CHI_SO": r["name"], "GIA_TRI": r["value"], "DON_VI_DO": r.get("unit", ""),
             "KET_LUAN": r.get("conclusion", ""), "NGAY_KQ": t12(dt.datetime.fromisoformat(r["result_at"])),
             "MA_BS_DOC_KQ": doctor} for n, r in enumerate(data.get("labs", []), 1)]
    totals = drug_total + service_total
    insured_total = totals if card_number else Decimal(0)
    fund_total = sum((Decimal(x["T_BHTT"]) for x in drugs + services), Decimal(0))
    vitals = data.get("vitals", {})
    re_exam = dt.date.fromisoformat(data["re_exam_on"]) if data.get("re_exam_on") else None
    referral = data.get("referral")
    xml1 = {**common, "STT": 1, "MA_BN": patient.patient_code, "SO_CCCD": patient.id_number,
            "MA_QUOCTICH": "000", "MA_DANTOC": "01", "MA_NGHE_NGHIEP": "00000",
            "MA_DKBD": card.get("registered_facility", ""), "GT_THE_TU": (card.get("valid_from") or "").replace("-", ""),
            "NAM_NAM_LIEN_TUC": (card.get("five_year_date") or "").replace("-", ""),
            "LY_DO_VV": data.get("reason", ""), "CHAN_DOAN_VAO": data.get("reason", ""),
            "MA_DOITUONG_KCB": "1.1" if card_number else "9", "SO_NGAY_DTRI": 0 if kind in ("01", "07", "09") else
            (ended.date() - started.date()).days + 1, "KET_QUA_DTRI": data.get("result_code", 2),
            "MA_LOAI_RV": 2 if referral else 1, "GHI_CHU": data.get("advice", ""),
            "MA_NOI_DEN": referral.get("to_facility", "") if referral else "",
            "T_THUOC": money(drug_total), "T_VTYT": money(0), "T_TONGCHI_BV": money(totals),
            "T_TONGCHI_BH": money(insured_total), "T_BNTT": money(totals - insured_total),
            "T_BNCCT": money(insured_total - fund_total), "T_BHTT": money(fund_total), "T_NGUONKHAC": money(0),
            "T_BHTT_GDV": money(0), "NAM_QT": ended.year, "THANG_QT": ended.month, "MA_LOAI_KCB": kind,
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


def checkin_xml(visit: dict[str, Any], patient: Patient, facility: str) -> bytes:
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
        "MA_DOITUONG_KCB": "1.1" if card.get("card_number") else "9", "NGAY_VAO": t12(started),
        "MA_LOAI_KCB": data.get("visit_kind", "01"), "MA_CSKCB": facility, "MA_DICH_VU": first.get("code", ""),
        "TEN_DICH_VU": first.get("name", ""), "NGAY_YL": t12(started)}])
