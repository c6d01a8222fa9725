"""Prescription bodies (QĐ 808, DOMAIN.md §11) the stand-in accepts, for the stand-in's and the client's tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kiosk.erx.codes import make
from kiosk.sandbox.erx_standin import DEMO_CLINIC_FACILITY

PATIENT_NAME = "Nguyễn Văn Bình"
PATIENT_ID = "001080012345"


def prescribed_at(day: dt.date | None = None) -> str:
    when = dt.datetime.combine(day, dt.time(9, 30)) if day else dt.datetime.now().replace(microsecond=0)
    return when.strftime("%Y-%m-%d %H:%M:%S")


def body(kind: str = "c", *, code: str | None = None, **changes: Any) -> dict[str, Any]:
    """A valid prescription of type ``kind`` with a fresh code of the demo clinic; ``changes`` replace fields
    (``None`` removes one)."""
    today = dt.date.today()
    data: dict[str, Any] = {
        "loai_don_thuoc": kind,
        "ma_don_thuoc": code or make(DEMO_CLINIC_FACILITY, kind),
        "ho_ten_benh_nhan": PATIENT_NAME,
        "ngay_sinh_benh_nhan": "15/03/1980",
        "ma_dinh_danh_cong_dan": PATIENT_ID,
        "can_nang": 62.5,
        "gioi_tinh": 2,
        "ma_so_the_bao_hiem_y_te": "0112345678",
        "dia_chi": "12 Trần Hưng Đạo, Hoàn Kiếm, Hà Nội",
        "chan_doan": [{"ma_chan_doan": "J06.9", "ten_chan_doan": "Nhiễm trùng hô hấp trên cấp",
                       "ket_luan": "Viêm họng cấp"}],
        "luu_y": "",
        "thong_tin_don_thuoc": [{"ma_thuoc": "VD-23456-15", "biet_duoc": "Paracetamol", "ten_thuoc": "Panadol 500mg",
                                 "don_vi_tinh": "Viên", "so_luong": 10,
                                 "cach_dung": "Uống 1 viên/lần, 2 lần/ngày sau ăn"}],
        "loi_dan": "Tái khám nếu sốt cao trên 39 độ",
        "so_dien_thoai_nguoi_kham_benh": "0912345678",
        "ngay_tai_kham": 5,
        "ngay_gio_ke_don": prescribed_at(),
    }
    if kind == "c":
        data["hinh_thuc_dieu_tri"] = 2
    else:
        data["dot_dung_thuoc"] = {"dot": 1, "tu_ngay": today.strftime("%d/%m/%Y"),
                                  "den_ngay": (today + dt.timedelta(days=9)).strftime("%d/%m/%Y"),
                                  "so_thang_thuoc": 0}
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def child_born(months: int, on: dt.date | None = None) -> str:
    """The birth date (dd/mm/yyyy) of a child exactly ``months`` old on ``on`` (today)."""
    on = on or dt.date.today()
    total = on.year * 12 + on.month - 1 - months
    year, month = divmod(total, 12)
    day = min(on.day, 28)
    return dt.date(year, month + 1, day).strftime("%d/%m/%Y")
