"""The clinic's domain model: plain dataclasses, no Qt, no SQL.

Dates are ``datetime.date`` and times ``datetime.datetime``; a date of birth known only to the
month or year keeps its precision beside it (``DatePrecision``) instead of becoming a string.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field


class Sex(enum.StrEnum):
    MALE = "male"
    FEMALE = "female"
    UNDETERMINED = "undetermined"

    @property
    def xml_code(self) -> str:
        """GIOI_TINH of XML 130: 1 male, 2 female, 3 undetermined."""
        return {"male": "1", "female": "2", "undetermined": "3"}[self.value]


class DatePrecision(enum.StrEnum):
    DAY = "day"
    MONTH = "month"
    YEAR = "year"


class IdentitySource(enum.StrEnum):
    CCCD_QR = "cccd"  # chip ID card or VNeID identity QR
    BHYT_QR = "bhyt"  # insurance card QR, paper or VNeID
    SLIP_QR = "slip"  # a slip this program printed
    MANUAL = "manual"  # typed in at the desk


class Role(enum.StrEnum):
    RECEPTIONIST = "receptionist"
    DOCTOR = "doctor"
    ADMIN = "admin"
    KIOSK = "kiosk"
    BOARD = "board"


class Source(enum.StrEnum):
    """Where an item of the health book comes from."""

    CLINIC = "clinic"  # this clinic's own records
    BHXH = "bhxh"  # BHXH gateway (card check, Lskcb2025 history)
    HEALTH_BOOK = "health_book"  # the QĐ 1332 health-book source
    PATIENT = "patient"  # told by the patient at the desk


@dataclass(frozen=True)
class Provenance:
    source: Source
    as_of: dt.datetime


@dataclass(frozen=True)
class Identity:
    """Who stands at the desk, as read from a QR code or typed in."""

    source: IdentitySource
    id_number: str = ""  # 12-digit personal ID (CCCD); "" when unknown
    old_id_number: str = ""  # 9-digit CMND
    full_name: str = ""
    date_of_birth: dt.date | None = None
    dob_precision: DatePrecision = DatePrecision.DAY
    sex: Sex | None = None
    address: str = ""
    issue_date: dt.date | None = None
    card_number: str = ""  # BHYT card code (15 chars) or 10-digit BHXH number

    @property
    def lookup_key(self) -> str:
        """What the gateway lookup takes: card number first, else the personal ID."""
        return self.card_number or self.id_number


@dataclass(frozen=True)
class InsuranceCard:
    card_number: str
    holder_name: str = ""
    date_of_birth: dt.date | None = None
    dob_precision: DatePrecision = DatePrecision.DAY
    sex: Sex | None = None
    address: str = ""
    registered_facility: str = ""  # MA_DKBD, 5 chars
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    issue_date: dt.date | None = None
    five_year_date: dt.date | None = None
    area_code: str = ""
    bhxh_number: str = ""

    def is_valid_on(self, day: dt.date) -> bool:
        if self.valid_from and day < self.valid_from:
            return False
        return not (self.valid_to and day > self.valid_to)


@dataclass
class Patient:
    id: int | None
    patient_code: str  # MA_BN, this clinic's patient id
    full_name: str
    date_of_birth: dt.date | None = None
    dob_precision: DatePrecision = DatePrecision.DAY
    sex: Sex | None = None
    id_number: str = ""
    card_number: str = ""
    address: str = ""
    phone: str = ""
    created_at: dt.datetime | None = None

    def age_on(self, day: dt.date) -> int | None:
        if self.date_of_birth is None:
            return None
        born = self.date_of_birth
        years = day.year - born.year
        if self.dob_precision is DatePrecision.DAY and (day.month, day.day) < (born.month, born.day):
            years -= 1
        return years


@dataclass(frozen=True)
class Diagnosis:
    code: str  # ICD-10, with the dot (J02.9)
    name: str
    is_main: bool = False


@dataclass(frozen=True)
class PrescriptionNote:
    """A prescription of a visit as the health book shows it: its code and where it stands with the national
    prescription system."""

    code: str
    kind: str  # c ordinary, n narcotic, h psychotropic/precursor, y traditional
    status: str  # pending, sent, refused
    replaces: str = ""


@dataclass(frozen=True)
class VisitRecord:
    """One visit in the health book's timeline (from any source)."""

    provenance: Provenance
    facility_code: str
    admitted_at: dt.datetime
    discharged_at: dt.datetime | None = None
    diagnoses: tuple[Diagnosis, ...] = ()
    diagnosis_text: str = ""
    discharge_status: str = ""  # MA_LOAI_RV / tinhTrang
    treatment_result: str = ""  # KET_QUA_DTRI / kqDieuTri
    record_id: str = ""  # maHoSo or MA_LK
    prescriptions: tuple[PrescriptionNote, ...] = ()  # this clinic's visits: their e-prescriptions


@dataclass(frozen=True)
class Allergy:
    provenance: Provenance
    substance: str
    reaction: str = ""
    severity: str = ""
    recorded_on: dt.date | None = None


@dataclass(frozen=True)
class ChronicCondition:
    provenance: Provenance
    code: str
    name: str
    since: dt.date | None = None


@dataclass(frozen=True)
class Medication:
    provenance: Provenance
    name: str
    strength: str = ""
    dose: str = ""
    route: str = ""
    start: dt.date | None = None
    days: int = 0

    @property
    def end(self) -> dt.date | None:
        return self.start + dt.timedelta(days=self.days - 1) if self.start and self.days else None


@dataclass(frozen=True)
class LabResult:
    provenance: Provenance
    indicator_code: str
    name: str
    value: str
    unit: str = ""
    taken_at: dt.datetime | None = None
    reference_range: str = ""


@dataclass(frozen=True)
class Vaccination:
    provenance: Provenance
    vaccine: str
    given_on: dt.date
    dose_number: int = 1


@dataclass(frozen=True)
class Appointment:
    provenance: Provenance
    on: dt.date
    facility_code: str = ""
    reason: str = ""


@dataclass(frozen=True)
class Referral:
    provenance: Provenance
    issued_on: dt.date
    from_facility: str
    to_facility: str
    reason_code: str = ""  # MA_LYDO_CT
    diagnosis_text: str = ""


@dataclass(frozen=True)
class SourceNotice:
    """A source that failed or answered late: the health book says so instead of "nothing"."""

    source: Source
    message_vi: str
    message_en: str
    as_of: dt.datetime | None = None


@dataclass
class HealthBook:
    patient: Patient
    card: InsuranceCard | None = None
    visits: list[VisitRecord] = field(default_factory=list)
    allergies: list[Allergy] = field(default_factory=list)
    chronic_conditions: list[ChronicCondition] = field(default_factory=list)
    medications: list[Medication] = field(default_factory=list)
    lab_results: list[LabResult] = field(default_factory=list)
    vaccinations: list[Vaccination] = field(default_factory=list)
    appointments: list[Appointment] = field(default_factory=list)
    referrals: list[Referral] = field(default_factory=list)
    notices: list[SourceNotice] = field(default_factory=list)


class TicketStatus(enum.StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    IN_ROOM = "in_room"
    DONE = "done"
    SKIPPED = "skipped"
    NO_SHOW = "no_show"


@dataclass
class Ticket:
    id: int | None
    patient_id: int
    day: dt.date
    department_code: str
    number: int
    room: str = ""
    service: str = ""
    priority: str = ""
    status: TicketStatus = TicketStatus.WAITING
    issued_at: dt.datetime | None = None
    station: str = ""

    @property
    def label(self) -> str:
        """What the ticket and the board show: ``K01-023`` (``K01-A07`` offline at station 1)."""
        return f"{self.department_code}-{number_text(self.number)}"


OFFLINE_SERIES = 10_000  # station N's offline check-ins are numbered N*10000 + 1, 2, …


def number_text(number: int) -> str:
    """A queue number as people read it: ``023``; an offline one by its station's letter: ``A07``."""
    station, n = divmod(number, OFFLINE_SERIES)
    if station == 0:
        return f"{n:03d}"
    prefix = chr(ord("A") + station - 1) if station <= 26 else f"S{station}-"
    return f"{prefix}{n:02d}"


class VisitStatus(enum.StrEnum):
    DRAFT = "draft"
    FINAL = "final"


@dataclass
class Visit:
    id: int | None
    ma_lk: str  # episode key of XML 130, unique and never changed
    patient_id: int
    ticket_id: int | None = None
    status: VisitStatus = VisitStatus.DRAFT
    version: int = 1
    started_at: dt.datetime | None = None
    finalised_at: dt.datetime | None = None
    reason: str = ""
    diagnoses: list[Diagnosis] = field(default_factory=list)
    advice: str = ""
    re_exam_on: dt.date | None = None


@dataclass
class StaffUser:
    id: int | None
    username: str
    full_name: str  # hoTenCb for gateway lookups
    cccd: str  # cccdCb for gateway lookups
    role: Role
    active: bool = True


@dataclass(frozen=True)
class AuditEvent:
    id: int | None
    at: dt.datetime
    actor: str
    action: str
    patient_ref: str = ""  # a keyed hash of the patient, never the ID number
    detail: str = ""
    reason: str = ""
    prev_hash: str = ""
    hash: str = ""
