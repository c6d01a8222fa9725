"""The visit record: start from a called ticket, autosave drafts, check, finalise (locked), correct
(a new audited version with the same MA_LK). Finalising builds the XML 130/4750 tables and queues
them in the outbox in the same transaction, so a finalised visit is never without its envelope.

Money: the visit's services take their prices from the clinic's price list (kiosk/bhxh/prices.py) by code — a service
not in it cannot be finalised —, its drugs from the drug catalogue; how the patient came is the visit's ``arrival``
(registered, referred with ``referred_from`` and ``referral_slip``, emergency, self_referred; at start: registered when
the card's facility is this clinic, else self_referred). Finalising stores the priced services and a ``money`` summary
in the visit (its T_BNCCT is what the five-year waiver sums over the year); :func:`money` tells the doctor before."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from kiosk import icd10, patients
from kiosk.bhxh import outbox, prices
from kiosk.bhxh.money import BASE_SALARIES, Settlement
from kiosk.bhxh.xml130 import build_tables, checkin_xml, envelope, settle_visit
from kiosk.bhxh.xml_validate import validate_envelope
from kiosk.erx import catalogue, prescriptions, rules
from kiosk.erx.body import age_months
from kiosk.errors import BadInput, KioskError, VisitOpenElsewhere
from kiosk.model import Patient, Sex, Ticket
from kiosk.settings import ARRIVALS, CHRONIC_ICD10
from kiosk.store.sqlite import Store

MAX_SECONDARY = 12
MAX_SLIP = 50  # GIAY_CHUYEN_TUYEN
FACILITY_CODE = re.compile(r"^\d{2}[0-9A-Z]{3}$")
VITAL_RANGES = {  # plausible ranges: outside them the form asks to check the number
    "pulse": (30, 220), "temperature": (34.0, 42.5), "bp_sys": (60, 260), "bp_dia": (30, 160),
    "resp_rate": (6, 60), "weight": (0.5, 300), "height": (30, 230), "spo2": (50, 100),
}


@dataclass(frozen=True)
class Problem:
    field: str
    vi: str
    en: str

    def __str__(self) -> str:
        return f"{self.field}: {self.vi} / {self.en}"


class VisitNotFinalisable(KioskError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(p.vi for p in problems), "; ".join(p.en for p in problems))


def ma_lk(facility: str, ticket: Ticket) -> str:
    """The episode key: unique per ticket, never changed by corrections."""
    return f"{facility}{ticket.day:%y%m%d}{ticket.department_code}{ticket.number:04d}"


def get(store: Store, visit_id: int) -> dict[str, Any]:
    row = store.conn.execute("SELECT id, ma_lk, version, patient_id, ticket_id, status, started_at, finalised_at, "
                             "data_json FROM visits WHERE id = ?", (visit_id,)).fetchone()
    if row is None:
        raise BadInput(f"Không có lượt khám {visit_id}", f"No visit {visit_id}")
    keys = ("id", "ma_lk", "version", "patient_id", "ticket_id", "status", "started_at", "finalised_at")
    return {**dict(zip(keys, row[:8], strict=True)), "data": json.loads(row[8] or "{}")}


def start(store: Store, ticket: Ticket, facility: str, *, card: dict[str, Any] | None = None,
          doctor_code: str = "", exam_fee: dict[str, Any] | None = None, opened_by: str = "",
          take_over: bool = False) -> dict[str, Any]:
    """The visit of a called ticket (the existing draft when there is one), opened by ``opened_by``
    (a station's claim). A draft another station has open is refused unless ``take_over``."""
    key = ma_lk(facility, ticket)
    with store.transaction() as db:
        row = db.execute("SELECT id, status, opened_by FROM visits WHERE ma_lk = ? ORDER BY version DESC LIMIT 1",
                         (key,)).fetchone()
        if row:
            visit_id, status, holder = row
            if status == "draft" and opened_by:
                if holder and holder != opened_by and not take_over:
                    raise VisitOpenElsewhere(f"Người bệnh này đang được khám ở máy khác ({holder})",
                                             f"This patient is open at another station ({holder})", holder)
                db.execute("UPDATE visits SET opened_by = ? WHERE id = ?", (opened_by, visit_id))
    if row:
        return get(store, row[0])
    card = card or {}
    home = card.get("registered_facility", "")
    data = {"department_code": ticket.department_code, "visit_kind": "01", "card": card,
            "doctor_code": doctor_code, "diagnoses": [], "prescription": [], "labs": [], "vitals": {},
            "services": [exam_fee] if exam_fee else [], "reason": "", "exam_notes": "", "advice": "",
            "re_exam_on": "", "referral": None, "guardian": {},
            # how the patient came: the doctor changes it (a referral slip, an emergency)
            "arrival": "registered" if not card.get("card_number") or home == facility else "self_referred",
            "referred_from": "", "referral_slip": ""}
    with store.transaction() as db:
        cursor = db.execute("INSERT INTO visits(ma_lk, version, patient_id, ticket_id, status, started_at, data_json, "
                            "opened_by) VALUES (?, 1, ?, ?, 'draft', ?, ?, ?)",
                            (key, ticket.patient_id, ticket.id, dt.datetime.now().isoformat(timespec="seconds"),
                             json.dumps(data, ensure_ascii=False), opened_by))
        db.execute("UPDATE tickets SET status = 'in_room' WHERE id = ?", (ticket.id,))
    return get(store, cursor.lastrowid)


def release(store: Store, visit_id: int, opened_by: str) -> None:
    """The station closed the patient: the visit is no longer open there."""
    with store.transaction() as db:
        db.execute("UPDATE visits SET opened_by = '' WHERE id = ? AND opened_by = ?", (visit_id, opened_by))


def save_draft(store: Store, visit_id: int, data: dict[str, Any], opened_by: str = "") -> None:
    """Autosave: the form's state goes to the store; after a crash the draft comes back. With
    ``opened_by``, only while that station still has the visit open (not taken over elsewhere)."""
    with store.transaction() as db:
        status = db.execute("SELECT status, opened_by FROM visits WHERE id = ?", (visit_id,)).fetchone()
        if status is None or status[0] != "draft":
            raise BadInput("Lượt khám đã khoá: hãy tạo bản sửa", "The visit is locked: make a correction")
        if opened_by and status[1] and status[1] != opened_by:
            raise VisitOpenElsewhere(f"Lượt khám đã được mở ở máy khác ({status[1]}): không lưu ở đây",
                                     f"The visit was opened at another station ({status[1]}): not saved here",
                                     status[1])
        db.execute("UPDATE visits SET data_json = ? WHERE id = ?", (json.dumps(data, ensure_ascii=False), visit_id))


def check(store: Store, data: dict[str, Any], sex: Sex | None, *, patient: Patient | None = None,
          chronic: Sequence[str] = CHRONIC_ICD10, on: dt.date | None = None) -> list[Problem]:
    problems: list[Problem] = []
    diagnoses = data.get("diagnoses", [])
    main = [d for d in diagnoses if d.get("is_main")]
    if len(main) != 1:
        problems.append(Problem("diagnoses", "Cần đúng một chẩn đoán chính", "Exactly one main diagnosis is needed"))
    if len(diagnoses) - len(main) > MAX_SECONDARY:
        problems.append(Problem("diagnoses", f"Tối đa {MAX_SECONDARY} bệnh kèm theo",
                                f"At most {MAX_SECONDARY} secondary diagnoses"))
    for d in diagnoses:
        entry = icd10.get(store, d.get("code", ""))
        if entry is None:
            problems.append(Problem("diagnoses", f"Mã {d.get('code')} không có trong danh mục ICD-10",
                                    f"Code {d.get('code')} is not in the ICD-10 catalogue"))
            continue
        if d.get("is_main") and entry.not_main:
            problems.append(Problem("diagnoses", f"Mã {entry.code} không được dùng làm bệnh chính",
                                    f"Code {entry.code} may not be the main diagnosis"))
        if entry.sex == "F" and sex is Sex.MALE or entry.sex == "M" and sex is Sex.FEMALE:
            problems.append(Problem("diagnoses", f"Mã {entry.code} không phù hợp giới tính người bệnh",
                                    f"Code {entry.code} does not fit the patient's sex"))
    lines = data.get("prescription", [])
    codes = [d.get("code", "") for d in diagnoses]
    problems += [Problem(*p) for p in rules.check_lines(lines, codes, chronic)]
    if lines and patient is not None and not (patient.address or (data.get("card") or {}).get("address")):
        problems.append(Problem("prescription", "Đơn thuốc cần địa chỉ người bệnh: bổ sung địa chỉ ở quầy tiếp đón",
                                "A prescription needs the patient's address: add it at the reception desk"))
    if lines and patient is not None:
        months = age_months(patient.date_of_birth, on or dt.date.today())
        if months is not None:
            weight = (data.get("vitals") or {}).get("weight")
            problems += [Problem(*p) for p in rules.check_child(months, weight, data.get("guardian") or {})]
    for name, value in (data.get("vitals") or {}).items():
        low_high = VITAL_RANGES.get(name)
        if low_high and value not in (None, "") and not low_high[0] <= float(value) <= low_high[1]:
            problems.append(Problem(f"vitals.{name}", f"Giá trị {value} ngoài khoảng {low_high[0]}–{low_high[1]}",
                                    f"Value {value} outside {low_high[0]}–{low_high[1]}"))
    if data.get("re_exam_on"):
        try:
            if dt.date.fromisoformat(data["re_exam_on"]) <= dt.date.today():
                problems.append(Problem("re_exam_on", "Ngày tái khám phải sau hôm nay", "The re-exam date must be after today"))
        except ValueError:
            problems.append(Problem("re_exam_on", "Ngày tái khám không hợp lệ", "Invalid re-exam date"))
    referral = data.get("referral")
    if referral and not (len(referral.get("to_facility", "")) == 5):
        problems.append(Problem("referral", "Mã nơi chuyển đến phải có 5 ký tự", "The destination code must be 5 characters"))
    problems += arrival_problems(data)
    for line in data.get("services", []):
        try:
            prices.price_line(store, line, on or dt.date.today())
        except prices.NotPriced as why:
            problems.append(Problem("services", why.vi, why.en))
    return problems


def arrival_problems(data: dict[str, Any]) -> list[Problem]:
    """How the patient came: one of the four ways; a referral names the referring facility (5 characters)."""
    arrival = data.get("arrival") or "registered"
    if arrival not in ARRIVALS:
        return [Problem("arrival", "Đối tượng đến khám không hợp lệ", "Unknown way the patient came")]
    problems = []
    if arrival == "referred" and not FACILITY_CODE.match(str(data.get("referred_from") or "")):
        problems.append(Problem("arrival", "Chuyển tuyến đến: cần mã cơ sở chuyển đi (5 ký tự)",
                                "Referred: the referring facility's code (5 characters) is needed"))
    if len(str(data.get("referral_slip") or "")) > MAX_SLIP:
        problems.append(Problem("arrival", f"Số giấy chuyển tuyến dài quá {MAX_SLIP} ký tự",
                                f"The referral slip number is longer than {MAX_SLIP} characters"))
    return problems


def quantity(dose: float, times_per_day: int, days: int) -> float:
    """Quantity to dispense: dose per intake × times a day × days."""
    return round(dose * times_per_day * days, 3)


def finalise(store: Store, visit_id: int, facility: str, *, chronic: Sequence[str] = CHRONIC_ICD10,
             base_salaries: Any = BASE_SALARIES, arrival_codes: dict[str, str] | None = None) -> dict[str, Any]:
    """Lock the visit, price its services, build its XML tables, give its prescriptions their codes, and queue
    check-in, claim and prescriptions in the outbox — one transaction. ``base_salaries`` and ``arrival_codes`` are the
    settings ``billing.base_salary`` (rows ``{"from", "vnd"}`` or ``(from, vnd)``) and ``billing.arrival_codes``."""
    visit = get(store, visit_id)
    if visit["status"] != "draft":
        raise BadInput("Lượt khám đã hoàn tất", "The visit is already finalised")
    patient = patients.get(store, visit["patient_id"])
    assert patient is not None
    day = dt.datetime.fromisoformat(visit["started_at"]).date()
    problems = check(store, visit["data"], patient.sex, patient=patient, chronic=chronic, on=day)
    if problems:
        raise VisitNotFinalisable(problems)
    moment = dt.datetime.now().replace(microsecond=0)
    now = moment.isoformat(timespec="seconds")
    visit["finalised_at"] = now
    salaries = salary_rows(base_salaries)
    copay = year_copay(store, visit["patient_id"], day.year, visit["ma_lk"], before=visit["started_at"])
    data = dict(visit["data"], services=[prices.price_line(store, line, day)
                                         for line in visit["data"].get("services", [])])
    settled = settle_visit(data, day, base_salaries=salaries, arrival_codes=arrival_codes, copay_this_year=copay)
    data["money"] = summary(settled)
    visit["data"] = data
    tables = build_tables(visit, patient, facility, base_salaries=salaries, arrival_codes=arrival_codes,
                          copay_this_year=copay)
    claim = envelope(facility, tables, dt.date.today())
    violations = validate_envelope(claim)
    if violations:  # our own output breaking the official tables is a bug: never queue it
        raise KioskError("Hồ sơ XML không đạt QĐ 4750: " + "; ".join(map(str, violations[:5])),
                         "The XML does not meet QĐ 4750: " + "; ".join(map(str, violations[:5])))
    with store.transaction():
        locked = store.conn.execute("UPDATE visits SET status = 'final', finalised_at = ? WHERE id = ? "
                                    "AND status = 'draft'", (now, visit_id))
        if locked.rowcount == 0:  # another station finalised it in the meantime
            raise BadInput("Lượt khám đã hoàn tất", "The visit is already finalised")
        if visit["version"] == 1 and visit["data"].get("services"):
            outbox.enqueue(store, "checkin", visit["ma_lk"], 1, visit_id,
                           checkin_xml(visit, patient, facility, arrival_codes=arrival_codes))
        outbox.enqueue(store, "claim", visit["ma_lk"], visit["version"], visit_id, claim)
        given = prescriptions.issue(store, visit, patient, facility, moment)
        if given:  # the codes go on the paper and into the locked record
            data.update(prescription_codes=given, prescription_code=given.get("c") or next(iter(given.values())))
        # the priced services and the money summary (and the codes) go into the locked record
        store.conn.execute("UPDATE visits SET data_json = ? WHERE id = ?", (json.dumps(data, ensure_ascii=False),
                                                                            visit_id))
        if visit["ticket_id"]:
            store.conn.execute("UPDATE tickets SET status = 'done' WHERE id = ?", (visit["ticket_id"],))
    return get(store, visit_id)


def salary_rows(table: Any) -> list[tuple[str, int]]:
    """``billing.base_salary`` rows ({"from", "vnd"}) as kiosk/bhxh/money.py reads them ((from, vnd))."""
    return [(row["from"], int(row["vnd"])) if isinstance(row, dict) else (str(row[0]), int(row[1])) for row in table]


def summary(settled: Settlement) -> dict[str, Any]:
    """What a finalised visit keeps of its money (amounts as decimal text): the totals, the level and the code."""
    t = settled.totals
    return {"t_tongchi_bv": str(t.t_tongchi_bv), "t_tongchi_bh": str(t.t_tongchi_bh), "t_bhtt": str(t.t_bhtt),
            "t_bncct": str(t.t_bncct), "t_bntt": str(t.t_bntt), "muc_huong": settled.muc_huong,
            "ma_doituong_kcb": settled.ma_doituong_kcb}


def year_copay(store: Store, patient_id: int, year: int, except_ma_lk: str = "", *, before: str = "") -> Decimal:
    """The patient's co-payments (T_BNCCT) in the visits finalised in ``year`` (the latest version of each episode,
    ``except_ma_lk`` left out, only those started before ``before`` when given): what the five-year waiver weighs
    against six base salaries."""
    end = min(f"{year + 1:04d}-01-01", before) if before else f"{year + 1:04d}-01-01"
    rows = store.conn.execute("SELECT ma_lk, version, data_json FROM visits WHERE patient_id = ? AND status = 'final' "
                              "AND started_at >= ? AND started_at < ? AND ma_lk <> ?",
                              (patient_id, f"{year:04d}-01-01", end, except_ma_lk)).fetchall()
    latest: dict[str, tuple[int, str]] = {}
    for key, version, data_json in rows:
        if key not in latest or version > latest[key][0]:
            latest[key] = (version, data_json)
    total = Decimal(0)
    for _, data_json in latest.values():
        try:
            total += Decimal(str((json.loads(data_json or "{}").get("money") or {}).get("t_bncct") or 0))
        except (ArithmeticError, ValueError):
            continue
    return total


def _vnd(amount: Decimal) -> int:
    return int(amount.quantize(Decimal(1), ROUND_HALF_UP))


@dataclass(frozen=True)
class VisitMoney:
    """What the visit costs and who pays it, in whole VND, for the doctor's screen and the paper."""

    total: int  # T_TONGCHI_BV: everything at the clinic's prices
    insured: int  # T_TONGCHI_BH: what the fund's prices cover
    bhyt_pays: int  # T_BHTT
    copay: int  # T_BNCCT: the patient's share of the covered cost
    own_pay: int  # T_BNTT: what the fund does not cover (outside the benefit, the clinic's price above BHYT's)
    patient_pays: int  # copay + own_pay
    muc_huong: int  # the benefit level applied (80, 95, 100; 0 without one)
    arrival: str  # registered, referred, emergency, self_referred
    ma_doituong_kcb: str
    reasons_vi: list[str] = field(default_factory=list)  # why the level is what it is
    reasons_en: list[str] = field(default_factory=list)
    problems_vi: list[str] = field(default_factory=list)  # services that cannot be priced (left out of the sums)
    problems_en: list[str] = field(default_factory=list)

    @property
    def copay_percent(self) -> int:
        """The patient's share of the covered cost (20 for an 80 % card), 0 when the fund pays it all."""
        return 100 - self.muc_huong if self.copay and 0 < self.muc_huong < 100 else 0


def money(store: Store, visit: dict[str, Any], data: dict[str, Any] | None = None, *,
          base_salaries: Any = BASE_SALARIES, arrival_codes: dict[str, str] | None = None) -> VisitMoney:
    """The money of a visit as it stands (``data``: the form's current data; else the stored one): its services priced
    from the price list on the visit date, its drugs at their catalogue prices, the card's level, how the patient came,
    the low-cost rule and the five-year waiver, as finalising will reckon it. A finalised visit keeps the prices it
    was claimed with."""
    final = data is None and visit["status"] == "final"
    data = dict(visit["data"] if data is None else data)
    day = dt.datetime.fromisoformat(visit["started_at"]).date()
    priced, problems_vi, problems_en = [], [], []
    for line in data.get("services", []):
        try:
            priced.append(line if final else prices.price_line(store, line, day))
        except prices.NotPriced as why:
            problems_vi.append(why.vi)
            problems_en.append(why.en)
    data["services"] = priced
    copay = year_copay(store, visit["patient_id"], day.year, visit["ma_lk"], before=visit["started_at"])
    settled = settle_visit(data, day, base_salaries=salary_rows(base_salaries), arrival_codes=arrival_codes,
                           copay_this_year=copay)
    t = settled.totals
    return VisitMoney(total=_vnd(t.t_tongchi_bv), insured=_vnd(t.t_tongchi_bh), bhyt_pays=_vnd(t.t_bhtt),
                      copay=_vnd(t.t_bncct), own_pay=_vnd(t.t_bntt), patient_pays=_vnd(t.patient_pays),
                      muc_huong=settled.muc_huong, arrival=data.get("arrival") or "registered",
                      ma_doituong_kcb=settled.ma_doituong_kcb, reasons_vi=[vi for vi, _ in settled.reasons],
                      reasons_en=[en for _, en in settled.reasons], problems_vi=problems_vi, problems_en=problems_en)


def correct(store: Store, visit_id: int) -> dict[str, Any]:
    """A correction of a finalised visit: a new draft version, same MA_LK."""
    visit = get(store, visit_id)
    if visit["status"] != "final":
        raise BadInput("Chỉ sửa được lượt khám đã hoàn tất", "Only a finalised visit can be corrected")
    with store.transaction() as db:
        latest = db.execute("SELECT MAX(version) FROM visits WHERE ma_lk = ?", (visit["ma_lk"],)).fetchone()[0]
        cursor = db.execute("INSERT INTO visits(ma_lk, version, patient_id, ticket_id, status, started_at, data_json) "
                            "VALUES (?, ?, ?, ?, 'draft', ?, ?)",
                            (visit["ma_lk"], latest + 1, visit["patient_id"], visit["ticket_id"], visit["started_at"],
                             json.dumps(visit["data"], ensure_ascii=False)))
    return get(store, cursor.lastrowid)


def demo_drug(store: Store, name: str) -> catalogue.Drug:
    """A drug of the demo catalogue (loaded when the store has none yet)."""
    catalogue.ensure_demo(store)
    found = catalogue.search(store, name, limit=1)
    if not found:
        raise KioskError(f"Danh mục thuốc không có {name}", f"The drug catalogue has no {name}")
    return found[0]


def demo_visit_data(store: Store, data: dict[str, Any]) -> dict[str, Any]:
    """What the demo doctor records: reason, findings, vitals, two diagnoses, two catalogue drugs, a lab result and
    four services from the price list, advice, a re-exam date and a referral (``data`` is the opened visit's data)."""
    data = dict(data)
    data.update({
        "reason": "Ho, sốt 2 ngày", "exam_notes": "Họng đỏ, amidan sưng nhẹ; phổi không rale",
        "vitals": {"pulse": 88, "temperature": 38.2, "bp_sys": 120, "bp_dia": 80, "resp_rate": 20, "weight": 58.5,
                   "height": 162, "spo2": 97},
        "diagnoses": [{"code": "J02.9", "name": "Viêm họng cấp, không đặc hiệu", "is_main": True},
                      {"code": "I10", "name": "Bệnh lý tăng huyết áp vô căn (nguyên phát)", "is_main": False}],
        "prescription": [
            catalogue.line_from_drug(demo_drug(store, "Paracetamol"), dose=1, times_per_day=3, days=5,
                                     instructions="Uống sau ăn"),
            catalogue.line_from_drug(demo_drug(store, "Amlodipin"), dose=1, times_per_day=1, days=30,
                                     instructions="Uống buổi sáng"),
        ],
        "labs": [{"service_code": "23.0075.1494", "indicator_code": "GLU", "name": "Glucose máu", "value": "5.8",
                  "unit": "mmol/L", "conclusion": "Bình thường", "result_at": dt.datetime.now().isoformat(timespec="minutes")}],
        "advice": "Uống thuốc theo đơn, uống nhiều nước, tái khám sau 7 ngày",
        "re_exam_on": (dt.date.today() + dt.timedelta(days=7)).isoformat(),
        "referral": {"to_facility": "01001", "reason_code": "1", "transport": "Tự túc",
                     "plan": "Khám chuyên khoa tai mũi họng"},
    })
    prices.ensure_demo(store)  # the demo price list, when the store has none yet
    data["services"] = [*data.get("services", []), *(demo_service(store, code).line() for code in DEMO_SERVICES)]
    return data


# What the demo doctor orders besides the examination: glucose and a blood count, an ECG and a heart ultrasound for
# the hypertension — with the drugs, above the low-cost threshold, so an 80 % card shows its co-payment.
DEMO_SERVICES = ("23.0075.1494", "22.0121.1370", "21.0014.1778", "02.0085.0002")


def demo_service(store: Store, code: str) -> prices.Service:
    service = prices.get(store, code)
    if service is None:
        raise KioskError(f"Bảng giá không có dịch vụ {code}", f"The price list has no service {code}")
    return service


def demo_visit(store: Store, facility: str, ticket: Ticket, card: dict[str, Any]) -> dict[str, Any]:
    """A full demo visit: drugs, a service, a lab result, a referral and a re-exam date."""
    visit = start(store, ticket, facility, card=card, doctor_code="001234/HN-CCHN",
                  exam_fee={"code": "02.1896", "name": "Khám Nội", "unit_price": 38700, "quantity": 1})
    data = demo_visit_data(store, visit["data"])
    save_draft(store, visit["id"], data)
    return finalise(store, visit["id"], facility)
