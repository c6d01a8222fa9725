"""The prescription body the national prescription system takes (QĐ 808/QĐ-BYT §VII, DOMAIN.md §11), built from a
finalised visit: one body per prescription type (ordinary ``c``, narcotic ``n``, psychotropic/precursor ``h``,
traditional ``y``), and the Vietnamese names of its fields for the doctor when the system refuses one."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from typing import Any

from kiosk.erx import rules
from kiosk.model import DatePrecision, Patient, Sex

OUTPATIENT = 2  # hinh_thuc_dieu_tri: 1 inpatient, 2 outpatient
SEX_CODES = {Sex.MALE: 2, Sex.FEMALE: 3}  # gioi_tinh: 1 unknown, 2 male, 3 female
CHILD_MONTHS = 72  # TT 26: weight and guardian under 72 months

FIELD_LABELS = {  # what the doctor reads when the national system refuses a field
    "loai_don_thuoc": "Loại đơn thuốc", "ma_don_thuoc": "Mã đơn thuốc", "ho_ten_benh_nhan": "Họ tên người bệnh",
    "ngay_sinh_benh_nhan": "Ngày sinh", "ma_dinh_danh_y_te": "Mã định danh y tế",
    "ma_dinh_danh_cong_dan": "Số định danh cá nhân (CCCD)", "can_nang": "Cân nặng", "gioi_tinh": "Giới tính",
    "ma_so_the_bao_hiem_y_te": "Mã số BHXH (thẻ BHYT)", "thong_tin_nguoi_giam_ho": "Người giám hộ",
    "dia_chi": "Địa chỉ", "chan_doan": "Chẩn đoán", "luu_y": "Lưu ý", "hinh_thuc_dieu_tri": "Hình thức điều trị",
    "dot_dung_thuoc": "Đợt dùng thuốc", "thong_tin_don_thuoc": "Thuốc", "loi_dan": "Lời dặn",
    "so_dien_thoai_nguoi_kham_benh": "Số điện thoại người bệnh", "ngay_tai_kham": "Ngày tái khám",
    "ngay_gio_ke_don": "Ngày giờ kê đơn", "signature": "Chữ ký số", "ma_thuoc": "mã thuốc",
    "biet_duoc": "hoạt chất", "ten_thuoc": "tên thuốc", "don_vi_tinh": "đơn vị tính", "so_luong": "số lượng",
    "cach_dung": "cách dùng", "ma_chan_doan": "mã chẩn đoán", "ten_chan_doan": "tên chẩn đoán",
    "ket_luan": "kết luận", "ho_ten": "họ tên", "so_dien_thoai": "số điện thoại", "tu_ngay": "từ ngày",
    "den_ngay": "đến ngày", "dot": "đợt", "so_thang_thuoc": "số thang thuốc", "bac_si": "Bác sĩ kê đơn",
}
FIELD_LABELS_EN = {"thong_tin_don_thuoc": "Drug", "chan_doan": "Diagnosis", "thong_tin_nguoi_giam_ho": "Guardian",
                   "dot_dung_thuoc": "Treatment period"}


def field_label(field: str) -> str:
    """``thong_tin_don_thuoc.1.ma_thuoc`` → ``Thuốc 2: mã thuốc`` (positions counted from 1, as on paper)."""
    parts = [p for p in re.split(r"[.\[\]]+", field) if p]
    words: list[str] = []
    for part in parts:
        if part.isdigit() and words:
            words[-1] = f"{words[-1]} {int(part) + 1}"
        else:
            words.append(FIELD_LABELS.get(part, part))
    return ": ".join(words) if words else field


def age_months(born: dt.date | None, on: dt.date) -> int | None:
    if born is None:
        return None
    months = (on.year - born.year) * 12 + on.month - born.month
    return months - 1 if on.day < born.day else months


def _birth(patient: Patient) -> str:
    born = patient.date_of_birth
    if born is None:
        return ""
    if patient.dob_precision is DatePrecision.YEAR:  # only the year is known: the first of January, as cards do
        return f"01/01/{born.year:04d}"
    if patient.dob_precision is DatePrecision.MONTH:
        return f"01/{born.month:02d}/{born.year:04d}"
    return born.strftime("%d/%m/%Y")


def _bhxh_number(card_number: str) -> str:
    """The 10-digit BHXH number: the last 10 characters of a 15-character card code."""
    card = card_number.strip().upper()
    return card[-10:] if len(card) == 15 else card if len(card) == 10 and card.isdigit() else ""


def build(visit: dict[str, Any], patient: Patient, *, code: str, kind: str, lines: list[dict[str, Any]],
          written_at: dt.datetime, replaces: str = "") -> dict[str, Any]:
    """The QĐ 808 body of one prescription of a visit (``lines`` are the visit's lines of this ``kind``)."""
    data = visit["data"]
    day = written_at.date()
    diagnoses = sorted(data.get("diagnoses", []), key=lambda d: not d.get("is_main"))
    body: dict[str, Any] = {
        "loai_don_thuoc": kind,
        "ma_don_thuoc": code,
        "ho_ten_benh_nhan": patient.full_name[:500],
        "ngay_sinh_benh_nhan": _birth(patient),
        "gioi_tinh": SEX_CODES.get(patient.sex, 1) if patient.sex else 1,
        "dia_chi": (patient.address or (data.get("card") or {}).get("address", ""))[:500],
        "chan_doan": [{"ma_chan_doan": d.get("code", ""), "ten_chan_doan": d.get("name", ""),
                       "ket_luan": d.get("name", "")} for d in diagnoses],
        "thong_tin_don_thuoc": [{
            "ma_thuoc": line.get("catalogue_code", ""),
            "biet_duoc": line.get("active_ingredient") or line.get("name", ""),
            "ten_thuoc": line.get("trade_name") or line.get("active_ingredient") or line.get("name", ""),
            "don_vi_tinh": line.get("unit", ""),
            "so_luong": line.get("quantity", 0),
            "cach_dung": rules.usage_text(line),
        } for line in lines],
        "ngay_gio_ke_don": written_at.strftime("%Y-%m-%d %H:%M:%S"),
    }
    if patient.id_number:
        body["ma_dinh_danh_cong_dan"] = patient.id_number
    card = patient.card_number or (data.get("card") or {}).get("card_number", "")
    if _bhxh_number(card):
        body["ma_so_the_bao_hiem_y_te"] = _bhxh_number(card)
    weight = (data.get("vitals") or {}).get("weight")
    if weight not in (None, ""):
        body["can_nang"] = float(weight)
    months = age_months(patient.date_of_birth, day)
    guardian = data.get("guardian") or {}
    if months is not None and months < CHILD_MONTHS and any(guardian.values()):
        body["thong_tin_nguoi_giam_ho"] = {"ho_ten": guardian.get("name", ""),
                                           "so_dien_thoai": re.sub(r"\D", "", str(guardian.get("phone", ""))),
                                           "dia_chi": guardian.get("address", "")}
    if kind == "c":
        body["hinh_thuc_dieu_tri"] = OUTPATIENT
    else:
        days = max((int(line.get("days") or 1) for line in lines), default=1)
        body["dot_dung_thuoc"] = {"dot": 1, "tu_ngay": day.strftime("%d/%m/%Y"),
                                  "den_ngay": (day + dt.timedelta(days=days - 1)).strftime("%d/%m/%Y"),
                                  "so_thang_thuoc": int(data.get("herbal_packs") or 0) if kind == "y" else 0}
    note = f"Thay thế đơn thuốc mã {replaces}" if replaces else ""
    if note:
        body["luu_y"] = note
    if data.get("advice"):
        body["loi_dan"] = str(data["advice"])[:2000]
    phone = re.sub(r"\D", "", patient.phone or "")
    if phone and len(phone) <= 12:
        body["so_dien_thoai_nguoi_kham_benh"] = phone
    if data.get("re_exam_on"):
        body["ngay_tai_kham"] = (dt.date.fromisoformat(data["re_exam_on"]) - day).days
    return body


def content_key(body: dict[str, Any]) -> str:
    """What a prescription says, without when it was written or what it replaces: equal keys = the same
    prescription (a correction that left the drugs as they were sends nothing new)."""
    same = {k: v for k, v in body.items() if k not in ("ma_don_thuoc", "ngay_gio_ke_don", "luu_y")}
    return hashlib.sha256(json.dumps(same, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()
