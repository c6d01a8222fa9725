"""The national prescription system's stand-in, spoken to over loopback HTTP as the real system is (QĐ 808)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from kiosk.sandbox.erx_standin import (ADD_DOCTOR_PATH, ALREADY_ADDED, CLINIC_LOGIN_PATH, DEMO_CLINIC_CODE,
                                       DEMO_CLINIC_PASSWORD, DEMO_DOCTOR_CODE, DEMO_DOCTORS, DOCTOR_LOGIN_PATH,
                                       DUPLICATE, MAX_BODY, NOT_ADDED, REMOVE_DOCTOR_PATH, SEND_PATH,
                                       WRONG_CREDENTIALS)
from kiosk.sandbox.runner import RunningSandbox
from tests.kiosk.sandbox.erx_bodies import body, child_born, prescribed_at
from tests.kiosk.sandbox_fixtures import faults


class Erx:
    """The stand-in as a client sees it, over HTTP."""

    def __init__(self, url: str) -> None:
        self.url = url

    def post(self, path: str, payload: Any = None, token: str | None = None, **kwargs: Any) -> requests.Response:
        headers = {**({"Authorization": f"bearer {token}"} if token else {}), **kwargs.pop("headers", {})}
        if payload is not None:
            kwargs["json"] = payload
        return requests.post(self.url + path, headers=headers, timeout=5, **kwargs)

    def clinic_token(self) -> str:
        answer = self.post(CLINIC_LOGIN_PATH, {"ma_lien_thong_co_so_kham_chua_benh": DEMO_CLINIC_CODE,
                                               "password": DEMO_CLINIC_PASSWORD})
        assert answer.status_code == 200, answer.text
        return answer.json()["token"]

    def doctor_login(self, code: str = DEMO_DOCTOR_CODE, password: str | None = None) -> requests.Response:
        return self.post(DOCTOR_LOGIN_PATH, {"ma_lien_thong_bac_si": code,
                                             "ma_lien_thong_co_so_kham_chua_benh": DEMO_CLINIC_CODE,
                                             "password": password or DEMO_DOCTORS.get(code, "")})

    def doctor_token(self, code: str = DEMO_DOCTOR_CODE, password: str | None = None) -> str:
        self.post(ADD_DOCTOR_PATH, {"ma_lien_thong_bac_si": code}, self.clinic_token())
        answer = self.doctor_login(code, password)
        assert answer.status_code == 200, answer.text
        return answer.json()["token"]

    def send(self, data: Any, token: str) -> requests.Response:
        return self.post(SEND_PATH, data, token)

    def accepted(self) -> dict[str, Any]:
        return requests.get(f"{self.url}/_admin/erx/prescriptions", timeout=5).json()


@pytest.fixture
def erx(sandbox: RunningSandbox) -> Iterator[Erx]:
    requests.post(f"{sandbox.url}/_admin/reset", timeout=5)
    yield Erx(sandbox.url)
    requests.post(f"{sandbox.url}/_admin/reset", timeout=5)


def errors(answer: requests.Response) -> dict[str, list[str]]:
    assert answer.status_code == 422, answer.text
    return answer.json()["error"]


def test_clinic_login_gives_a_bearer_token_and_wrong_credentials_are_refused(erx: Erx) -> None:
    answer = erx.post(CLINIC_LOGIN_PATH, {"ma_lien_thong_co_so_kham_chua_benh": DEMO_CLINIC_CODE,
                                          "password": DEMO_CLINIC_PASSWORD})
    assert answer.status_code == 200
    assert answer.json()["token_type"] == "bearer" and len(answer.json()["token"]) >= 32
    wrong = erx.post(CLINIC_LOGIN_PATH, {"ma_lien_thong_co_so_kham_chua_benh": DEMO_CLINIC_CODE, "password": "x"})
    assert wrong.status_code == 422 and wrong.json() == {"danh_sach_cac_loi": [WRONG_CREDENTIALS]}
    missing = erx.post(CLINIC_LOGIN_PATH, {"ma_lien_thong_co_so_kham_chua_benh": DEMO_CLINIC_CODE})
    assert list(errors(missing)) == ["password"]
    as_form = erx.post(CLINIC_LOGIN_PATH, data={"ma_lien_thong_co_so_kham_chua_benh": DEMO_CLINIC_CODE,
                                                "password": DEMO_CLINIC_PASSWORD})
    assert as_form.status_code == 422  # JSON bodies only


def test_a_doctor_logs_in_only_after_the_clinic_added_him(erx: Erx) -> None:
    refused = erx.doctor_login()
    assert refused.status_code == 422 and refused.json()["danh_sach_cac_loi"] == [NOT_ADDED]
    assert erx.post(ADD_DOCTOR_PATH, {"ma_lien_thong_bac_si": DEMO_DOCTOR_CODE}).status_code == 401  # no token
    clinic = erx.clinic_token()
    assert erx.post(ADD_DOCTOR_PATH, {"ma_lien_thong_bac_si": DEMO_DOCTOR_CODE}, clinic).json() == {
        "success": "Thêm bác sĩ thành công"}
    again = erx.post(ADD_DOCTOR_PATH, {"ma_lien_thong_bac_si": DEMO_DOCTOR_CODE}, clinic)
    assert again.status_code == 422 and again.json()["danh_sach_cac_loi"] == [ALREADY_ADDED]
    unknown = erx.post(ADD_DOCTOR_PATH, {"ma_lien_thong_bac_si": "999999/XX-CCHN"}, clinic)
    assert unknown.status_code == 422 and "Không tìm thấy" in unknown.json()["danh_sach_cac_loi"][0]
    assert erx.doctor_login(password="wrong-password").json() == {"danh_sach_cac_loi": [WRONG_CREDENTIALS]}
    doctor = erx.doctor_login()
    assert doctor.status_code == 200 and doctor.json()["token_type"] == "bearer"
    token = doctor.json()["token"]
    assert erx.send(body(), token).status_code == 200
    # removed from the clinic: his session ends and he cannot log in again
    assert erx.post(REMOVE_DOCTOR_PATH, {"ma_lien_thong_bac_si": DEMO_DOCTOR_CODE}, clinic).status_code == 200
    assert erx.send(body(), token).status_code == 401
    assert erx.doctor_login().json()["danh_sach_cac_loi"] == [NOT_ADDED]


def test_an_accepted_prescription_answers_success_and_the_checksum_of_its_canonical_body(erx: Erx) -> None:
    sent = body()
    answer = erx.send(sent, erx.doctor_token())
    assert answer.status_code == 200, answer.text
    canonical = json.dumps(sent, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    assert answer.json() == {"success": "Gửi đơn thuốc thành công", "checksum": hashlib.sha256(canonical).hexdigest()}
    seen = erx.accepted()
    assert seen["accepted"][sent["ma_don_thuoc"]]["body"] == sent
    assert seen["accepted"][sent["ma_don_thuoc"]]["doctor"] == DEMO_DOCTOR_CODE
    assert seen["sends"] == {sent["ma_don_thuoc"]: 1}


LONG = "x" * 501
REFUSALS = [
    ("wrong facility in the code", {"ma_don_thuoc": "79024abc1234-c"}, "ma_don_thuoc"),
    ("code type letter differs", {"ma_don_thuoc": "01013abc1234-n"}, "ma_don_thuoc"),
    ("code format", {"ma_don_thuoc": "01013-ABC"}, "ma_don_thuoc"),
    ("type unknown", {"loai_don_thuoc": "x"}, "loai_don_thuoc"),
    ("name missing", {"ho_ten_benh_nhan": None}, "ho_ten_benh_nhan"),
    ("name blank", {"ho_ten_benh_nhan": "   "}, "ho_ten_benh_nhan"),
    ("name too long", {"ho_ten_benh_nhan": LONG}, "ho_ten_benh_nhan"),
    ("name not text", {"ho_ten_benh_nhan": ["Bình"]}, "ho_ten_benh_nhan"),
    ("birth date ISO", {"ngay_sinh_benh_nhan": "1980-03-15"}, "ngay_sinh_benh_nhan"),
    ("birth date impossible", {"ngay_sinh_benh_nhan": "31/02/1980"}, "ngay_sinh_benh_nhan"),
    ("prescription time as a date", {"ngay_gio_ke_don": "15/03/2026 09:30"}, "ngay_gio_ke_don"),
    ("sex out of range", {"gioi_tinh": 4}, "gioi_tinh"),
    ("sex as text", {"gioi_tinh": "2"}, "gioi_tinh"),
    ("personal ID short", {"ma_dinh_danh_cong_dan": "0010800123"}, "ma_dinh_danh_cong_dan"),
    ("card code of 15", {"ma_so_the_bao_hiem_y_te": "DN4010112345678"}, "ma_so_the_bao_hiem_y_te"),
    ("weight as text", {"can_nang": "62kg"}, "can_nang"),
    ("address missing", {"dia_chi": None}, "dia_chi"),
    ("no diagnosis", {"chan_doan": []}, "chan_doan"),
    ("diagnosis not ICD-10", {"chan_doan": [{"ma_chan_doan": "viêm họng", "ten_chan_doan": "Viêm họng",
                                             "ket_luan": ""}]}, "chan_doan.0.ma_chan_doan"),
    ("treatment form missing for c", {"hinh_thuc_dieu_tri": None}, "hinh_thuc_dieu_tri"),
    ("no drugs", {"thong_tin_don_thuoc": []}, "thong_tin_don_thuoc"),
    ("drug code too long", {"thong_tin_don_thuoc": [{**body()["thong_tin_don_thuoc"][0], "ma_thuoc": "V" * 21}]},
     "thong_tin_don_thuoc.0.ma_thuoc"),
    ("quantity zero", {"thong_tin_don_thuoc": [{**body()["thong_tin_don_thuoc"][0], "so_luong": 0}]},
     "thong_tin_don_thuoc.0.so_luong"),
    ("quantity as text", {"thong_tin_don_thuoc": [{**body()["thong_tin_don_thuoc"][0], "so_luong": "10"}]},
     "thong_tin_don_thuoc.0.so_luong"),
    ("usage empty", {"thong_tin_don_thuoc": [{**body()["thong_tin_don_thuoc"][0], "cach_dung": ""}]},
     "thong_tin_don_thuoc.0.cach_dung"),
    ("phone with dashes", {"so_dien_thoai_nguoi_kham_benh": "0912-345-678"}, "so_dien_thoai_nguoi_kham_benh"),
    ("phone of 13 digits", {"so_dien_thoai_nguoi_kham_benh": "0912345678901"}, "so_dien_thoai_nguoi_kham_benh"),
    ("follow-up as a date", {"ngay_tai_kham": "20/12/2026"}, "ngay_tai_kham"),
    ("note too long", {"luu_y": "x" * 2001}, "luu_y"),
    ("advice too long", {"loi_dan": "x" * 2001}, "loi_dan"),
    ("field not in the spec", {"ten_bac_si": "Trần Văn Minh"}, "ten_bac_si"),
]


@pytest.mark.parametrize(("change", "field"), [(c, f) for _, c, f in REFUSALS], ids=[r[0] for r in REFUSALS])
def test_every_field_is_checked_and_refused_with_vietnamese_messages(erx: Erx, change: dict[str, Any],
                                                                     field: str) -> None:
    refused = errors(erx.send(body(**change), erx.doctor_token()))
    assert list(refused) == [field], refused
    message = " ".join(refused[field])
    assert any(word in message for word in ("Trường", "mã", "Ký tự", "ký tự")), message
    assert erx.accepted()["accepted"] == {}


def test_many_wrong_fields_are_all_named_at_once(erx: Erx) -> None:
    refused = errors(erx.send(body(gioi_tinh=9, dia_chi="", chan_doan=None, ngay_tai_kham=-1), erx.doctor_token()))
    assert set(refused) == {"gioi_tinh", "dia_chi", "chan_doan", "ngay_tai_kham"}


def test_a_child_under_72_months_needs_a_guardian(erx: Erx) -> None:
    token = erx.doctor_token()
    young = errors(erx.send(body(ngay_sinh_benh_nhan=child_born(71), ma_dinh_danh_cong_dan=None), token))
    assert young == {"thong_tin_nguoi_giam_ho": [
        "Trường thong_tin_nguoi_giam_ho là bắt buộc khi người bệnh dưới 72 tháng tuổi."]}
    guardian = {"ho_ten": "Nguyễn Thị Hoa", "so_dien_thoai": "0987654321", "dia_chi": "12 Trần Hưng Đạo, Hà Nội"}
    with_guardian = erx.send(body(ngay_sinh_benh_nhan=child_born(71), thong_tin_nguoi_giam_ho=guardian), token)
    assert with_guardian.status_code == 200, with_guardian.text
    assert erx.send(body(ngay_sinh_benh_nhan=child_born(72)), token).status_code == 200  # six years old
    half = errors(erx.send(body(ngay_sinh_benh_nhan=child_born(3), thong_tin_nguoi_giam_ho={
        "ho_ten": "Nguyễn Thị Hoa", "so_dien_thoai": "09-87", "dia_chi": ""}), token))
    assert set(half) == {"thong_tin_nguoi_giam_ho.so_dien_thoai", "thong_tin_nguoi_giam_ho.dia_chi"}


@pytest.mark.parametrize("kind", ["n", "h", "y"])
def test_narcotic_psychotropic_and_traditional_prescriptions_need_their_supply_period(erx: Erx, kind: str) -> None:
    token = erx.doctor_token()
    assert list(errors(erx.send(body(kind, dot_dung_thuoc=None), token))) == ["dot_dung_thuoc"]
    backwards = {"dot": 1, "tu_ngay": "20/11/2026", "den_ngay": "10/11/2026", "so_thang_thuoc": 0}
    assert list(errors(erx.send(body(kind, dot_dung_thuoc=backwards), token))) == ["dot_dung_thuoc.den_ngay"]
    assert erx.send(body(kind), token).status_code == 200


def test_a_code_is_accepted_once_and_the_first_copy_is_kept(erx: Erx) -> None:
    token = erx.doctor_token()
    first = body()
    assert erx.send(first, token).status_code == 200
    second = body(code=first["ma_don_thuoc"], loi_dan="Uống nhiều nước")
    assert errors(erx.send(second, token)) == {"ma_don_thuoc": [DUPLICATE]}
    assert errors(erx.send(first, token)) == {"ma_don_thuoc": [DUPLICATE]}
    seen = erx.accepted()
    assert list(seen["accepted"]) == [first["ma_don_thuoc"]]
    assert seen["accepted"][first["ma_don_thuoc"]]["body"] == first
    assert seen["sends"] == {first["ma_don_thuoc"]: 3}


def test_unknown_expired_and_clinic_tokens_cannot_send(erx: Erx) -> None:
    token = erx.doctor_token()
    assert erx.send(body(), "not-a-token").status_code == 401
    assert erx.send(body(), erx.clinic_token()).status_code == 401
    assert requests.post(f"{erx.url}{SEND_PATH}", json=body(), headers={"Authorization": f"Basic {token}"},
                         timeout=5).status_code == 401
    assert erx.send(body(), token).status_code == 200
    requests.post(f"{erx.url}/_admin/erx/expire-tokens", json={"kind": "doctor"}, timeout=5).raise_for_status()
    assert erx.send(body(), token).status_code == 401
    requests.post(f"{erx.url}/_admin/erx/token-ttl", json={"seconds": 0}, timeout=5).raise_for_status()
    assert erx.send(body(), erx.doctor_token()).status_code == 401  # born expired
    assert len(erx.accepted()["accepted"]) == 1


def test_bodies_that_are_not_a_json_object_or_too_big_are_refused(erx: Erx) -> None:
    token = erx.doctor_token()
    assert list(errors(erx.send([body()], token))) == ["body"]
    not_json = erx.post(SEND_PATH, token=token, data=b"{not json", headers={"Content-Type": "application/json"})
    assert list(errors(not_json)) == ["body"]
    nan = erx.post(SEND_PATH, token=token, data=b'{"can_nang": NaN}', headers={"Content-Type": "application/json"})
    assert list(errors(nan)) == ["body"]
    deep = erx.post(SEND_PATH, token=token, data=b"[" * 100_000 + b"]" * 100_000,
                    headers={"Content-Type": "application/json"})
    assert list(errors(deep)) == ["body"]
    huge = erx.send(body(luu_y="x" * (MAX_BODY + 1)), token)
    assert huge.status_code == 413
    assert erx.accepted()["accepted"] == {}


def test_the_fault_switches_reach_the_prescription_calls(erx: Erx, sandbox: RunningSandbox) -> None:
    token = erx.doctor_token()
    faults(sandbox, error_rate=1.0, paths=[SEND_PATH])
    assert erx.send(body(), token).status_code == 503
    assert erx.doctor_login().status_code == 200  # other paths untouched
    faults(sandbox)
    assert erx.send(body(), token).status_code == 200


def test_reset_forgets_prescriptions_added_doctors_and_test_doctors(erx: Erx) -> None:
    requests.post(f"{erx.url}/_admin/erx/doctor", json={"code": "012345/HCM-GPHN", "password": "pw-test-1"},
                  timeout=5).raise_for_status()
    token = erx.doctor_token("012345/HCM-GPHN", "pw-test-1")
    assert erx.send(body(ngay_gio_ke_don=prescribed_at()), token).status_code == 200
    requests.post(f"{erx.url}/_admin/reset", timeout=5).raise_for_status()
    assert erx.accepted() == {"accepted": {}, "sends": {}, "added": {}}
    assert erx.send(body(), token).status_code == 401
    assert erx.doctor_login("012345/HCM-GPHN", "pw-test-1").json()["danh_sach_cac_loi"] == [WRONG_CREDENTIALS]
