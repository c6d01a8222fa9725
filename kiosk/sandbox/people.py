"""Deterministic synthetic patients for the sandbox: Vietnamese names with diacritics, valid-looking
12-digit IDs, BHYT cards of every kind and state, visit histories from none to 500 visits, and
health-book content shaped after QĐ 1332/QĐ-BYT. Fictional people only."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from functools import cached_property

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ",
          "Ngô", "Dương", "Lý"]
MIDDLE_M = ["Văn", "Hữu", "Đức", "Minh", "Quốc", "Thành", "Công", "Xuân"]
MIDDLE_F = ["Thị", "Ngọc", "Thu", "Thanh", "Kim", "Mỹ", "Bích"]
GIVEN_M = ["An", "Bình", "Cường", "Dũng", "Hùng", "Khánh", "Long", "Nam", "Phúc", "Quân", "Sơn", "Tuấn",
           "Việt", "Đạt", "Hiếu"]
GIVEN_F = ["Anh", "Chi", "Dung", "Hà", "Hằng", "Hương", "Lan", "Linh", "Mai", "Ngân", "Oanh", "Phương", "Thảo",
           "Trang", "Yến"]
# (ID province code, card/facility province code, name)
PROVINCES = [("001", "01", "Hà Nội"), ("079", "79", "TP Hồ Chí Minh"), ("048", "48", "Đà Nẵng"),
             ("031", "31", "Hải Phòng"), ("092", "92", "Cần Thơ"), ("046", "46", "Huế"),
             ("066", "66", "Đắk Lắk"), ("051", "51", "Quảng Ngãi")]
STREETS = ["Lê Lợi", "Trần Hưng Đạo", "Nguyễn Huệ", "Hai Bà Trưng", "Lý Thường Kiệt", "Phan Đình Phùng",
           "Điện Biên Phủ", "Nguyễn Trãi"]
WARDS = ["Phường Bến Thành", "Phường Ba Đình", "Phường Hải Châu", "Xã Hòa Phước", "Phường Ninh Kiều",
         "Phường Thuận Hóa", "Phường Buôn Ma Thuột", "Phường Cẩm Thành"]
# Card states in rotation, so every kind appears among the first patients.
CARD_STATES = ["000", "000", "010", "003", "004", "110", "120", "121", "122", "123", "124", "130", "001",
               "002", "000", "000", "000", "000"]
# Visit-history lengths in rotation (one patient of every eight has 500 visits).
HISTORY_LENGTHS = [0, 3, 12, 1, 40, 7, 120, 500]
DIAGNOSES = [("J00", "Viêm mũi họng cấp [cảm thường]"), ("J02.9", "Viêm họng cấp, không đặc hiệu"),
             ("I10", "Bệnh lý tăng huyết áp vô căn (nguyên phát)"), ("E11.9", "Bệnh đái tháo đường không phụ thuộc insulin, không có biến chứng"),
             ("K29.7", "Viêm dạ dày, không đặc hiệu"), ("M54.5", "Đau vùng thắt lưng"),
             ("J20.9", "Viêm phế quản cấp, không đặc hiệu"), ("H10.9", "Viêm kết mạc, không đặc hiệu"),
             ("A09", "Tiêu chảy và viêm dạ dày-ruột do nhiễm trùng"), ("R50.9", "Sốt, không đặc hiệu")]
FACILITIES = ["01013", "01001", "01832", "79024", "48011", "92002"]
ALLERGENS = [("Penicillin", "Phát ban, ngứa", "vừa"), ("Hải sản", "Nổi mề đay", "nhẹ"),
             ("Aspirin", "Khó thở", "nặng"), ("Sulfamid", "Phát ban", "vừa")]
VACCINES = ["BCG", "Viêm gan B", "Bạch hầu - Ho gà - Uốn ván", "Sởi - Rubella", "COVID-19", "Cúm mùa"]
DRUGS = [("Amlodipin", "5mg", "1 viên x 1 lần/ngày"), ("Metformin", "500mg", "1 viên x 2 lần/ngày"),
         ("Paracetamol", "500mg", "1 viên x 3 lần/ngày"), ("Amoxicilin", "500mg", "1 viên x 3 lần/ngày"),
         ("Omeprazol", "20mg", "1 viên x 1 lần/ngày")]
LABS = [("GLU", "Glucose máu lúc đói", "mmol/L", "3.9 - 6.4", 5.6, 1.6),
        ("HBA1C", "HbA1c", "%", "4.0 - 6.0", 6.2, 1.0),
        ("CHOL", "Cholesterol toàn phần", "mmol/L", "3.9 - 5.2", 5.0, 0.9),
        ("CREA", "Creatinin", "µmol/L", "62 - 120", 88.0, 18.0)]
BENEFIT = {"DN": "4", "HC": "4", "HT": "3", "GD": "4", "TE": "1", "HS": "4", "CN": "3", "CC": "1",
           "QN": "5", "CA": "5"}
# The sandbox account's facility (01013_BV): the demo clinic. The first two people with a usable card (indices 0
# and 1, whom demo visits see first) are registered there — a 100 % card and an 80 % card — so that the demo shows
# both a visit BHYT pays in full and one with a co-payment; the rest are registered anywhere.
HOME_FACILITY = "01013"
HOME_PEOPLE = {0: None, 1: "4"}  # index -> the benefit digit the card must have (None: as drawn)


def _md(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def _dmy(day: dt.date) -> str:
    return day.strftime("%d%m%Y")


@dataclass
class SyntheticPatient:
    index: int
    seed: int
    today: dt.date
    rng: random.Random = field(repr=False)

    def __post_init__(self) -> None:
        r = self.rng
        self.card_state = CARD_STATES[self.index % len(CARD_STATES)]
        self.history_length = HISTORY_LENGTHS[self.index % len(HISTORY_LENGTHS)]
        self.sex = "male" if r.random() < 0.5 else "female"
        if self.card_state == "130":
            age = r.randint(0, 5)
        elif self.card_state in ("001", "002"):
            age = r.randint(22, 50)
        else:
            age = r.randint(15, 88)
        self.date_of_birth = self.today - dt.timedelta(days=age * 365 + r.randint(0, 364))
        male = self.sex == "male"
        self.full_name = " ".join([r.choice(FAMILY), r.choice(MIDDLE_M if male else MIDDLE_F),
                                   r.choice(GIVEN_M if male else GIVEN_F)])
        self.province_id, self.province_card, province_name = r.choice(PROVINCES)
        self.address = f"Số {r.randint(1, 300)} {r.choice(STREETS)}, {r.choice(WARDS)}, {province_name}"
        century = (self.date_of_birth.year - 1900) // 100
        sex_digit = century * 2 + (0 if male else 1)
        self.id_number = f"{self.province_id}{sex_digit}{self.date_of_birth.year % 100:02d}{r.randint(0, 999999):06d}"
        self.old_id_number = f"{r.randint(0, 999999999):09d}" if age > 30 and r.random() < 0.5 else ""
        self.id_issue_date = max(self.date_of_birth + dt.timedelta(days=14 * 365), dt.date(2021, 1, 1))
        if self.id_issue_date > self.today:
            self.id_issue_date = self.today - dt.timedelta(days=30)
        self.bhxh_number = f"{self.province_card}{r.randint(0, 99_999_999):08d}"
        obj = {"001": "QN", "002": "CA"}.get(self.card_state) or ("TE" if age < 6 else r.choice(
            ["DN", "HC", "HT", "GD", "HS", "CN", "CC"] if age >= 18 else ["HS", "GD"]))
        wanted = HOME_PEOPLE.get(self.index)
        if wanted and BENEFIT.get(obj) != wanted:
            obj = next(o for o, digit in BENEFIT.items() if digit == wanted)  # no draw added: the others stay
        self.card_object = obj
        self.card_number = f"{obj}{BENEFIT[obj]}{self.province_card}{self.bhxh_number}"
        self.registered_facility = r.choice(FACILITIES)
        if self.index in HOME_PEOPLE:
            self.registered_facility = HOME_FACILITY
        year = self.today.year
        self.valid_from = dt.date(year, 1, 1)
        self.valid_to = dt.date(year, 12, 31)
        if self.card_state == "010":
            self.valid_from, self.valid_to = dt.date(year - 1, 1, 1), dt.date(year - 1, 12, 31)
        if self.card_state == "003":
            self.valid_to = self.today - dt.timedelta(days=20)
        self.card_issue_date = self.valid_from
        # 5-year date: reached for some, ahead for others
        self.five_year_date = self.today - dt.timedelta(days=400) if self.index % 2 else \
            self.today + dt.timedelta(days=500 + self.index)
        self.area_code = r.choice(["", "", "", "K1", "K2", "K3"])
        self.new_card_number = ""
        if self.card_state in ("003", "004"):
            new_obj = "HT" if obj == "DN" else obj
            self.new_card_number = f"{new_obj}{BENEFIT.get(new_obj, '4')}{self.province_card}{self.bhxh_number}"
            if self.new_card_number == self.card_number:
                self.new_card_number = f"DN4{self.province_card}{self.bhxh_number}"

    @property
    def has_card(self) -> bool:
        return self.card_state != "130"

    @property
    def cccd_qr(self) -> str:
        sex = "Nam" if self.sex == "male" else "Nữ"
        return "|".join([self.id_number, self.old_id_number, self.full_name.upper(), _dmy(self.date_of_birth),
                         sex, self.address, _dmy(self.id_issue_date)])

    @property
    def bhyt_qr(self) -> str:
        if not self.has_card:
            return ""
        facility = f"{self.registered_facility[:2]} - {self.registered_facility[2:]}"
        return "|".join([
            self.card_number, self.full_name.encode().hex(), _md(self.date_of_birth),
            "1" if self.sex == "male" else "2", self.address.encode().hex(), facility,
            _md(self.valid_from), _md(self.valid_to), _md(self.card_issue_date), "", "-",
            self.area_code or "4", _md(self.five_year_date), "", "$",
        ])

    # -- history and health book (generated on demand, deterministic) ----------------------------
    @cached_property
    def visits(self) -> list[dict[str, str]]:
        r = random.Random(self.seed * 1_000_003 + self.index)
        out = []
        day = self.today - dt.timedelta(days=1)
        for n in range(self.history_length):
            day -= dt.timedelta(days=r.randint(1, 9) if self.history_length > 60 else r.randint(10, 120))
            start = dt.datetime.combine(day, dt.time(r.randint(7, 16), r.choice([0, 15, 30, 45])))
            end = start + dt.timedelta(minutes=r.randint(20, 90))
            code, name = r.choice(DIAGNOSES)
            out.append({
                "maHoSo": f"{self.seed % 100:02d}{self.index:04d}{n:05d}",
                "maCSKCB": r.choice(FACILITIES),
                "ngayVao": start.strftime("%Y%m%d%H%M"),
                "ngayRa": end.strftime("%Y%m%d%H%M"),
                "tenBenh": f"{code} - {name}",
                "tinhTrang": "1",
                "kqDieuTri": r.choice(["1", "2", "2", "3"]),
                "lyDoVV": "1",
            })
        return out

    def health_book(self) -> dict[str, object]:
        r = random.Random(self.seed * 7_919 + self.index)
        chronic = []
        if self.today.year - self.date_of_birth.year > 45 and r.random() < 0.6:
            chronic.append({"maBenh": "I10", "tenBenh": DIAGNOSES[2][1], "tuNgay": "2019-03-01"})
        if r.random() < 0.3:
            chronic.append({"maBenh": "E11.9", "tenBenh": DIAGNOSES[3][1], "tuNgay": "2021-06-15"})
        allergies = [{"tacNhan": a, "phanUng": p, "mucDo": m, "ngayGhiNhan": "2020-05-12"}
                     for a, p, m in r.sample(ALLERGENS, k=r.choice([0, 0, 1, 2]))]
        vaccines = [{"vacXin": v, "muiThu": 1, "ngayTiem": (self.date_of_birth + dt.timedelta(days=30 * (i + 1))).isoformat()}
                    for i, v in enumerate(VACCINES[: r.randint(2, len(VACCINES))])]
        labs = []
        for code, name, unit, ref, base, spread in LABS[: r.randint(1, len(LABS))]:
            for k in range(r.randint(2, 6)):
                when = dt.datetime.combine(self.today - dt.timedelta(days=90 * (k + 1)), dt.time(8, 0))
                labs.append({"maChiSo": code, "tenChiSo": name, "giaTri": f"{base + r.uniform(-spread, spread):.1f}",
                             "donVi": unit, "khoangThamChieu": ref, "ngayKetQua": when.isoformat(timespec="minutes")})
        prescriptions = []
        for k in range(r.randint(0, 3)):
            drug, strength, dose = r.choice(DRUGS)
            start = self.today - dt.timedelta(days=r.choice([3, 10, 40, 120]) + k)
            prescriptions.append({"tenThuoc": drug, "hamLuong": strength, "lieuDung": dose, "duongDung": "Uống",
                                  "ngayKe": start.isoformat(), "soNgay": r.choice([5, 7, 30])})
        summaries = [{"maCSKCB": v["maCSKCB"], "ngayVao": v["ngayVao"], "chanDoan": v["tenBenh"],
                      "loiDan": "Uống thuốc theo đơn, tái khám khi có bất thường", "ngayTaiKham": "",
                      "bacSi": "BS. " + r.choice(FAMILY) + " " + r.choice(GIVEN_M + GIVEN_F)}
                     for v in self.visits[:5]]
        return {"diUng": allergies, "benhManTinh": chronic, "tiemChung": vaccines, "xetNghiem": labs,
                "donThuoc": prescriptions, "tomTatKham": summaries}

    def listing(self) -> dict[str, object]:
        return {"index": self.index, "full_name": self.full_name, "cccd": self.id_number,
                "card_number": self.card_number if self.has_card else "", "cccd_qr": self.cccd_qr,
                "bhyt_qr": self.bhyt_qr, "card_state": self.card_state, "visits": self.history_length,
                "new_card_number": self.new_card_number}


def make_people(seed: int, count: int, today: dt.date | None = None) -> list[SyntheticPatient]:
    today = today or dt.date.today()
    master = random.Random(seed)
    return [SyntheticPatient(i, seed, today, random.Random(master.getrandbits(64))) for i in range(count)]
