"""The A4/A5 documents of a visit: re-exam appointment slip (TT 01/2025 Phụ lục V, A5), referral slip
"Phiếu chuyển cơ sở khám bệnh, chữa bệnh" (TT 01/2025 Phụ lục VI, A4), outpatient prescription
(TT 26/2025 Phụ lục I–III, A5: one page or more per prescription, each with its 14-character code as
text and as a QR code for the pharmacy's scanner) and the visit summary (A4, what the health book shows
for the visit). Each carries the facility header and the back-link QR.

These go to the patient (or the next facility), so they carry the identity the forms require; only
the queue ticket, handed out in public, masks the name (printing/ticket.py).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4, A5
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, KeepTogether, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from kiosk.errors import BadInput
from printing.fonts import initial_font, register
from printing.qr import qr_drawing, qr_with_symbol


@dataclass(frozen=True)
class Facility:
    code: str
    name: str
    address: str
    phone: str
    authority: str = ""  # the governing authority above the name (e.g. "SỞ Y TẾ HÀ NỘI"); empty: no such line


@dataclass(frozen=True)
class PatientInfo:
    full_name: str
    date_of_birth: str  # as printed: dd/mm/yyyy (or yyyy)
    age_text: str
    sex: str  # Nam / Nữ
    address: str
    id_number: str
    card_number: str
    card_valid: str  # "01/01/2026 - 31/12/2026"
    patient_code: str


PRESCRIPTION_TITLES = {"c": "ĐƠN THUỐC", "n": "ĐƠN THUỐC \"N\"", "h": "ĐƠN THUỐC \"H\"",
                       "y": "ĐƠN THUỐC Y HỌC CỔ TRUYỀN"}
MAX_LINES = 200  # drug lines on one prescription
LINE_LIMITS = {"name": 500, "quantity_text": 100, "usage": 4000}  # a name must fit one page: it is never split


@dataclass(frozen=True)
class PrescriptionPaper:
    """One prescription as printed: its code, its type (``c`` ordinary, ``n`` narcotic, ``h`` psychotropic or
    precursor, ``y`` traditional medicine) and its drug lines, already worded by the caller: ``name`` ("Paracetamol
    (Panadol) 500mg"), ``quantity_text`` ("05 Viên"; narcotic "05 (năm) Ống"), ``usage`` ("Uống, ngày 3 lần, …").
    ``replaces``: the code of the prescription this one replaces; ``period``: the treatment period ("Đợt 1: từ …
    đến …"), printed on n/h/y prescriptions."""

    code: str
    kind: str
    lines: list[dict[str, str]]
    replaces: str = ""
    period: str = ""

    def __post_init__(self) -> None:
        if self.kind not in PRESCRIPTION_TITLES:
            raise BadInput(f"Loại đơn thuốc không hợp lệ: {self.kind[:5]!r}",
                           f"Unknown prescription type {self.kind[:5]!r} (c, n, h, y)")
        for label, value, limit in (("code", self.code, 40), ("replaces", self.replaces, 40),
                                    ("period", self.period, 300)):
            if not isinstance(value, str) or len(value) > limit:
                raise BadInput(f"Đơn thuốc: trường {label} quá dài", f"Prescription: {label} too long (> {limit})")
        if len(self.lines) > MAX_LINES:
            raise BadInput(f"Đơn thuốc có quá {MAX_LINES} dòng thuốc", f"More than {MAX_LINES} drug lines")
        for line in self.lines:
            for key, limit in LINE_LIMITS.items():
                value = line.get(key, "")
                if not isinstance(value, str) or len(value) > limit:
                    raise BadInput(f"Dòng thuốc: trường {key} sai hoặc quá dài",
                                   f"Drug line: {key} is not text or longer than {limit}")


def vnd(amount: int | float) -> str:
    """Money the Vietnamese way: dots between thousands, then «đ» (430.960 đ)."""
    return f"{round(amount):,}".replace(",", ".") + " đ"


@dataclass(frozen=True)
class VisitCosts:
    """What a visit cost and who pays it, in whole VND (the claim's T_TONGCHI_BV, T_BHTT, T_BNCCT + T_BNTT)."""

    total: int
    bhyt_pays: int
    patient_pays: int
    copay_percent: int = 0  # the patient's share of the covered cost (20 for an 80 % card); 0: none

    def __post_init__(self) -> None:
        for value in (self.total, self.bhyt_pays, self.patient_pays, self.copay_percent):
            if not isinstance(value, int) or not 0 <= value <= 10**12:
                raise BadInput("Chi phí lượt khám không hợp lệ", "The visit's costs are not valid")


@dataclass
class VisitInfo:
    ma_lk: str
    started_at: dt.datetime
    finalised_at: dt.datetime
    reason: str
    exam_notes: str
    vitals: dict[str, Any]
    diagnoses: list[dict[str, Any]]
    prescription: list[dict[str, Any]]
    labs: list[dict[str, Any]]
    advice: str
    re_exam_on: dt.date | None
    referral: dict[str, Any] | None
    prescription_code: str
    doctor: str  # the signing doctor's full name
    department: str
    extra: dict[str, Any] = field(default_factory=dict)
    doctor_cert: str = ""  # the signing doctor's practising-certificate number (số CCHN)
    prescriptions: list[PrescriptionPaper] = field(default_factory=list)  # one per code (empty: the old lines)
    weight_kg: float | None = None  # printed on the prescription when given (the caller gives it for children)
    guardian: dict[str, str] | None = None  # {"name", "phone", "address"}: printed on the prescription when given
    costs: VisitCosts | None = None  # printed on the visit summary when given


def _styles() -> dict[str, ParagraphStyle]:
    regular, bold = register()
    return {
        "org": ParagraphStyle("org", fontName=bold, fontSize=9.5, leading=12),
        "small": ParagraphStyle("small", fontName=regular, fontSize=8, leading=10),
        "title": ParagraphStyle("title", fontName=bold, fontSize=14, leading=18, alignment=1, spaceBefore=6,
                                spaceAfter=2),
        "subtitle": ParagraphStyle("subtitle", fontName=regular, fontSize=9, leading=11, alignment=1, spaceAfter=6),
        "body": ParagraphStyle("body", fontName=regular, fontSize=10, leading=13.5),
        "bold": ParagraphStyle("bold", fontName=bold, fontSize=10, leading=13.5),
        "sign": ParagraphStyle("sign", fontName=regular, fontSize=10, leading=13.5, alignment=1),
        "signer": ParagraphStyle("signer", fontName=bold, fontSize=10, leading=13.5, alignment=1),
        "code": ParagraphStyle("code", fontName=bold, fontSize=11, leading=14, alignment=1),
        "usage": ParagraphStyle("usage", fontName=regular, fontSize=9.5, leading=12.5),
        "quantity": ParagraphStyle("quantity", fontName=bold, fontSize=10, leading=13.5, alignment=2),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _line(label: str, value: str, styles: dict[str, ParagraphStyle]) -> Paragraph:
    return Paragraph(f"<font name='DejaVuSans-Bold'>{escape(label)}:</font> {escape(value or '…')}", styles["body"])


MOTTO = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO_2 = "Độc lập - Tự do - Hạnh phúc"
NBSP = "\u00a0"
FRAME_PADDING = 6  # reportlab's frame keeps 6 pt each side: a table as wide as the text starts where the lines do


def _table(rows: list[list[Any]], widths: list[float], style: list[tuple[Any, ...]]) -> Table:
    """A table whose own font is the embedded one: reportlab sets each cell's font (Helvetica unless told), and a
    PDF naming Helvetica carries an unembedded font even when no letter is drawn in it."""
    table = Table(rows, colWidths=widths)
    table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), initial_font()), *style]))
    return table


def _unbroken(text: str) -> str:
    """Spaces that a line never breaks at (a phone number, a label and its value)."""
    return text.replace(" ", NBSP)


def _header(facility: Facility, slip: str, styles: dict[str, ParagraphStyle], width: float) -> Table:
    """The facility (its governing authority above its name when known) on the left, the national motto in the
    middle on one line with «Độc lập - Tự do - Hạnh phúc» centred under it, the back-link QR on the right."""
    _, bold = register()
    width -= 2 * FRAME_PADDING
    qr_width = 19 * mm
    least_left = 34 * mm  # the facility's column never gets narrower than this
    size = next((z for z in (9.5, 9, 8.5, 8, 7.5) if stringWidth(MOTTO, bold, z) + 8 <= width - qr_width - least_left),
                7)
    motto_width = stringWidth(MOTTO, bold, size) + 8
    motto = ParagraphStyle("motto", parent=styles["org"], fontSize=size, leading=size * 1.3, alignment=1)
    motto_2 = ParagraphStyle("motto2", parent=styles["org"], fontSize=size, leading=size * 1.3, alignment=1)
    left = [_p(facility.authority, styles["small"])] if facility.authority.strip() else []
    left += [_p(facility.name.upper(), styles["org"]), _p(facility.address, styles["small"])]
    if facility.phone.strip():
        left.append(_p(_unbroken(f"ĐT: {facility.phone.strip()}"), styles["small"]))
    left.append(_p(_unbroken(f"Mã cơ sở KBCB: {facility.code}"), styles["small"]))
    right = [Paragraph(_unbroken(escape(MOTTO)), motto),
             Paragraph(f"<u>{escape(MOTTO_2)}</u>", motto_2)]
    qr = qr_drawing(slip, 18 * mm)
    return _table([[left, right, qr]], [width - motto_width - qr_width, motto_width, qr_width],
                  [("VALIGN", (0, 0), (-1, -1), "TOP"), ("ALIGN", (2, 0), (2, 0), "RIGHT"),
                   ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 4),
                   ("RIGHTPADDING", (2, 0), (2, 0), 0)])


def _signature_block(place_date: str, role: str, visit: VisitInfo, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    name = visit.doctor.strip() or "Họ tên: ……………………………"
    cert = f"Số CCHN: {visit.doctor_cert.strip() or '………………………'}"
    return [_p(place_date, styles["sign"]), _p(role, styles["bold"]), Spacer(1, 14 * mm), _p(name, styles["signer"]),
            _p(cert, styles["sign"])]


def _signature(place_date: str, role: str, visit: VisitInfo, styles: dict[str, ParagraphStyle], width: float) -> Table:
    """Date, the signer's role, room to sign, then the doctor's full name and practising-certificate number
    (dotted lines to write them by hand when the program does not know them)."""
    return _table([["", _signature_block(place_date, role, visit, styles)]], [width * 0.45, width * 0.55],
                  [("ALIGN", (1, 0), (1, 0), "CENTER")])


def _beside_signature(left: list[Flowable], place_date: str, role: str, visit: VisitInfo,
                      styles: dict[str, ParagraphStyle], width: float) -> list[Flowable]:
    """``left`` in the empty column beside the signature when it is no taller than the signature (the forms put the
    advice there), else above it at full width: a table row is never split between pages, so nothing tall goes in."""
    block = _signature_block(place_date, role, visit, styles)
    widths = [width * 0.45, width * 0.55]
    tall = sum(f.wrap(widths[0] - 2 * FRAME_PADDING, 10_000)[1] for f in left)
    if tall > sum(f.wrap(widths[1] - 2 * FRAME_PADDING, 10_000)[1] for f in block):
        return [*left, Spacer(1, 2 * mm), _signature(place_date, role, visit, styles, width)]
    return [_table([[left, block]], widths, [("ALIGN", (1, 0), (1, 0), "CENTER"), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                                             ("TOPPADDING", (0, 0), (0, 0), 0)])]


PAPER = {"A4": A4, "A5": A5}


@dataclass(frozen=True)
class Page:
    """Paper size and margins of one document (from the per-document print settings)."""

    paper: str = ""  # "A4" / "A5"; empty: the form's own size
    margin_mm: float = 0.0  # 0: the default for the size


def _doc(path: Path, pagesize: tuple[float, float], title: str, author: str, page: Page = Page()) -> SimpleDocTemplate:
    path.parent.mkdir(parents=True, exist_ok=True)
    pagesize = PAPER.get(page.paper, pagesize)
    margin = page.margin_mm * mm if page.margin_mm else (12 * mm if pagesize == A4 else 9 * mm)
    return SimpleDocTemplate(str(path), pagesize=pagesize, leftMargin=margin, rightMargin=margin, topMargin=margin,
                             bottomMargin=margin, title=title, author=author, pageCompression=1,
                             initialFontName=initial_font())


def _today_line(day: dt.date) -> str:
    return f"Ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"


def _diagnosis_text(visit: VisitInfo) -> str:
    main = [d for d in visit.diagnoses if d.get("is_main")]
    rest = [d for d in visit.diagnoses if not d.get("is_main")]
    return "; ".join(f"{d['name']} ({d['code']})" for d in main + rest)


def _needed(field: tuple[str, str], styles: dict[str, ParagraphStyle]) -> float:
    regular, bold = register()
    size = styles["body"].fontSize
    return stringWidth(f"{field[0]}: ", bold, size) + stringWidth(field[1] or "…", regular, size) + 6


def _pairs(pairs: list[tuple[tuple[str, str], tuple[str, str]]], styles: dict[str, ParagraphStyle],
           width: float) -> list[Paragraph | Table]:
    """Two labelled fields on one line, the second in a column of its own (one column for every pair, so they line
    up): it never runs into the first. A pair that does not fit on one line, or whose first field would wrap before
    that column, is written as two lines."""
    width -= 2 * FRAME_PADDING
    fitting = [p for p in pairs if _needed(p[0], styles) + _needed(p[1], styles) <= width]
    right = min(max([_needed(p[1], styles) for p in fitting] + [width * 0.3]), width * 0.5)
    out: list[Paragraph | Table] = []
    for first, second in pairs:
        if (first, second) not in fitting or _needed(second, styles) > right or _needed(first, styles) > width - right:
            out += [_line(*first, styles), _line(*second, styles)]
            continue
        out.append(_table([[_line(*first, styles), _line(*second, styles)]], [width - right, right],
                          [("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                           ("RIGHTPADDING", (0, 0), (-1, -1), 4), ("TOPPADDING", (0, 0), (-1, -1), 0),
                           ("BOTTOMPADDING", (0, 0), (-1, -1), 0)]))
    return out


def _patient_lines(patient: PatientInfo, styles: dict[str, ParagraphStyle], width: float) -> list[Paragraph | Table]:
    who = _pairs([(("Họ và tên", patient.full_name), ("Mã người bệnh", patient.patient_code or "—")),
                  (("Ngày sinh", f"{patient.date_of_birth} ({patient.age_text})"), ("Giới tính", patient.sex))],
                 styles, width)
    card = _pairs([(("Số thẻ BHYT", patient.card_number or "Không có"), ("Hạn thẻ", patient.card_valid or "—"))],
                  styles, width)
    return [*who, _line("Số định danh cá nhân/CCCD", patient.id_number, styles),
            _line("Địa chỉ", patient.address, styles), *card]


def write_appointment(path: Path, facility: Facility, patient: PatientInfo, visit: VisitInfo, slip: str,
                      page: Page = Page()) -> Path:
    styles = _styles()
    doc = _doc(path, A5, "Giấy hẹn khám lại", facility.name, page)
    width = doc.width
    story = [_header(facility, slip, styles, width), _p("GIẤY HẸN KHÁM LẠI", styles["title"]),
             _p(f"Số: {visit.ma_lk}", styles["subtitle"]), *_patient_lines(patient, styles, width),
             _line("Đến khám lần này", visit.started_at.strftime("%H:%M ngày %d/%m/%Y"), styles),
             _line("Chẩn đoán", _diagnosis_text(visit), styles),
             _line("Hẹn khám lại vào ngày", visit.re_exam_on.strftime("%d/%m/%Y") if visit.re_exam_on else "", styles),
             _line("Lời dặn", visit.advice, styles), Spacer(1, 4 * mm),
             _signature(_today_line(visit.finalised_at.date()), "BÁC SĨ KHÁM BỆNH", visit, styles, width)]
    doc.build(story)
    return path


def working_days_after(start: dt.date, days: int) -> dt.date:
    day, left = start, days
    while left:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    return day


REFERRAL_REASONS = {"1": "Đủ điều kiện chuyển cơ sở KBCB theo quy định",
                    "2": "Vượt quá khả năng chuyên môn của cơ sở KBCB",
                    "3": "Theo yêu cầu của người bệnh hoặc người đại diện hợp pháp"}


def write_referral(path: Path, facility: Facility, patient: PatientInfo, visit: VisitInfo, slip: str,
                   page: Page = Page(), valid_working_days: int = 10) -> Path:
    styles = _styles()
    doc = _doc(path, A4, "Phiếu chuyển cơ sở khám bệnh, chữa bệnh", facility.name, page)
    width = doc.width
    ref = visit.referral or {}
    valid_until = working_days_after(visit.finalised_at.date(), valid_working_days)
    labs = "; ".join(f"{r['name']}: {r['value']} {r.get('unit', '')}".strip() for r in visit.labs) or "Không"
    drugs = "; ".join(_drug_names(visit)) or "Không"
    story = [
        _header(facility, slip, styles, width),
        _p("PHIẾU CHUYỂN CƠ SỞ KHÁM BỆNH, CHỮA BỆNH", styles["title"]),
        _p(f"Số: {visit.ma_lk}    (Phụ lục VI, Thông tư 01/2025/TT-BYT)", styles["subtitle"]),
        _line("Kính gửi", f"Cơ sở khám bệnh, chữa bệnh mã {ref.get('to_facility', '')}", styles),
        _p(f"{facility.name} trân trọng giới thiệu người bệnh:", styles["body"]),
        *_patient_lines(patient, styles, width),
        _line("Đã được khám bệnh, điều trị tại", f"{facility.name} ({visit.department}) từ "
              f"{visit.started_at:%H:%M %d/%m/%Y} đến {visit.finalised_at:%H:%M %d/%m/%Y}", styles),
        _p("TÓM TẮT BỆNH ÁN", styles["bold"]),
        _line("Dấu hiệu lâm sàng", visit.exam_notes or visit.reason, styles),
        _line("Kết quả xét nghiệm, cận lâm sàng", labs, styles),
        _line("Chẩn đoán", _diagnosis_text(visit), styles),
        _line("Phương pháp, thủ thuật, kỹ thuật, thuốc đã sử dụng", drugs, styles),
        _line("Tình trạng người bệnh lúc chuyển", ref.get("condition", "Ổn định"), styles),
        _line("Lý do chuyển", REFERRAL_REASONS.get(str(ref.get("reason_code", "1")), ""), styles),
        _line("Hướng điều trị", ref.get("plan", ""), styles),
        _line("Chuyển hồi", visit.finalised_at.strftime("%H:%M ngày %d/%m/%Y"), styles),
        _line("Phương tiện vận chuyển", ref.get("transport", ""), styles),
        _line("Giấy chuyển có giá trị đến hết ngày", valid_until.strftime("%d/%m/%Y"), styles),
        Spacer(1, 4 * mm),
        _signature(_today_line(visit.finalised_at.date()), "NGƯỜI HÀNH NGHỀ KHÁM BỆNH, CHỮA BỆNH", visit,
                   styles, width),
    ]
    doc.build(story)
    return path


def _quantity(d: dict[str, Any]) -> str:
    quantity = float(d.get("quantity", 0))
    return f"{int(quantity):02d}" if quantity == int(quantity) else f"{quantity:g}"


def _usage(d: dict[str, Any]) -> str:
    dose = f"{d.get('dose', 1):g}" if isinstance(d.get("dose", 1), (int, float)) else str(d.get("dose"))
    return (f"{d.get('route', 'Uống')}, ngày {d.get('times_per_day', 1)} lần, mỗi lần {dose} "
            f"{d.get('unit', 'viên').lower()}, trong {d.get('days', 1)} ngày. {d.get('instructions', '')}").rstrip()


def _drug_line(n: int, d: dict[str, Any]) -> str:
    """One line of a visit's own prescription (the lines of visits finalised before prescriptions were worded)."""
    return (f"{n}. {d['name']} {d.get('strength', '')}".rstrip() + f"    Số lượng: {_quantity(d)} {d.get('unit', 'Viên')}"
            f"\n    {_usage(d)}")


def _drug_names(visit: VisitInfo) -> list[str]:
    if visit.prescriptions:
        return [line.get("name", "") for rx in visit.prescriptions for line in rx.lines]
    return [f"{d['name']} {d.get('strength', '')}".strip() for d in visit.prescription]


def _papers(visit: VisitInfo) -> list[PrescriptionPaper]:
    """The prescriptions to print: the visit's own, else one ordinary prescription from the old lines and code."""
    if visit.prescriptions:
        return list(visit.prescriptions)
    lines = [{"name": f"{d['name']} {d.get('strength', '')}".strip(), "usage": _usage(d),
              "quantity_text": f"{_quantity(d)} {d.get('unit', 'Viên')}"} for d in visit.prescription]
    return [PrescriptionPaper(visit.prescription_code, "c", lines)]


RX_QR_SYMBOL = 21 * mm  # the code's QR without its quiet zone: a pharmacy's scanner reads it at arm's length
RX_FOOTER = 6 * mm  # room under the frame for «Mã đơn thuốc: … — trang i/n»
VALIDITY = "Đơn thuốc có giá trị mua, lĩnh thuốc trong 05 ngày kể từ ngày kê đơn."


class _Starts(Flowable):
    """Drawn first on a prescription's first page: tells the canvas whose pages follow (for their footers)."""

    def __init__(self, index: int, code: str) -> None:
        super().__init__()
        self.index, self.code = index, code
        self.width = self.height = 0

    def draw(self) -> None:
        self.canv.rx = (self.index, self.code)  # type: ignore[attr-defined]


class _FooterCanvas(Canvas):
    """Keeps the pages back until the end, then writes on each «Mã đơn thuốc: … — trang i/n», counting the pages of
    its own prescription (a visit's prescriptions share one PDF)."""

    def __init__(self, *args: Any, footer_margin: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rx: tuple[int, str] = (0, "")
        self._footer_margin = footer_margin
        self._held: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802 - reportlab's name
        self._held.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        totals: dict[int, int] = {}
        for state in self._held:
            totals[state["rx"][0]] = totals.get(state["rx"][0], 0) + 1
        seen: dict[int, int] = {}
        regular, _ = register()
        for state in self._held:
            self.__dict__.update(state)
            index, code = self.rx
            seen[index] = seen.get(index, 0) + 1
            width, _height = self._pagesize
            margin = self._footer_margin
            self.setFont(regular, 7.5)
            self.drawRightString(width - margin, margin + 1 * mm,
                                 f"Mã đơn thuốc: {code or '…'} — trang {seen[index]}/{totals[index]}")
            Canvas.showPage(self)
        Canvas.save(self)


def _code_block(rx: PrescriptionPaper, styles: dict[str, ParagraphStyle], width: float) -> Table:
    """The form's title, the code as text and, on its left, the code alone as a QR code for the pharmacy."""
    width -= 2 * FRAME_PADDING
    title = PRESCRIPTION_TITLES[rx.kind]
    texts = [_p(title, styles["title"]), _p(f"Mã đơn thuốc: {rx.code or '…'}", styles["code"])]
    if rx.replaces:
        texts.append(_p(f"Thay thế đơn thuốc mã {rx.replaces}", styles["subtitle"]))
    qr = qr_with_symbol(rx.code, RX_QR_SYMBOL) if rx.code else Spacer(1, 1)
    return _table([[qr, texts]], [qr.width, width - qr.width],
                  [("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                   ("RIGHTPADDING", (0, 0), (-1, -1), 0), ("TOPPADDING", (0, 0), (-1, -1), 0),
                   ("BOTTOMPADDING", (0, 0), (-1, -1), 0)])


def _drug_rows(rx: PrescriptionPaper, styles: dict[str, ParagraphStyle], width: float) -> list[Flowable]:
    """Numbered lines: the drug's name (wrapping under itself) with its quantity on the right of the same line, how to
    use it under the name. Each drug is kept on one page when it fits one (a long usage text may still run over)."""
    width -= 2 * FRAME_PADDING
    _, bold = register()
    number = stringWidth(f"{len(rx.lines)}.", bold, 10) + 6
    quantity = min(max([stringWidth(line.get("quantity_text", ""), bold, 10) + 8 for line in rx.lines] + [18 * mm]),
                   width * 0.4)
    usage = ParagraphStyle("usage-indented", parent=styles["usage"], leftIndent=number, spaceAfter=2)
    rows: list[Flowable] = []
    for n, line in enumerate(rx.lines, 1):
        name = _table([[_p(f"{n}.", styles["bold"]), _p(line.get("name", ""), styles["bold"]),
                        _p(line.get("quantity_text", ""), styles["quantity"])]], [number, width - number - quantity, quantity],
                      [("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                       ("RIGHTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (1, 0), (1, 0), 6),
                       ("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 0)])
        rows.append(KeepTogether([name, _p(line.get("usage", ""), usage)]))
    return rows


def _kilograms(weight: float) -> str:
    return f"{weight:.1f}".rstrip("0").rstrip(".").replace(".", ",")


def _prescription_story(index: int, rx: PrescriptionPaper, facility: Facility, patient: PatientInfo,
                        visit: VisitInfo, slip: str, styles: dict[str, ParagraphStyle], width: float) -> list[Flowable]:
    story: list[Flowable] = [_Starts(index, rx.code), _header(facility, slip, styles, width), Spacer(1, 1 * mm),
                             _code_block(rx, styles, width), Spacer(1, 1 * mm)]
    story += _patient_lines(patient, styles, width)
    if visit.weight_kg is not None:
        story.append(_line("Cân nặng", f"{_kilograms(visit.weight_kg)} kg", styles))
    if visit.guardian:
        guardian = visit.guardian
        story += _pairs([(("Người giám hộ", guardian.get("name", "")), ("Điện thoại", guardian.get("phone", "")))],
                        styles, width)
        story.append(_line("Địa chỉ người giám hộ", guardian.get("address", ""), styles))
    story.append(_line("Chẩn đoán", _diagnosis_text(visit), styles))
    if rx.period and rx.kind != "c":
        story.append(_line("Đợt điều trị", rx.period, styles))
    story += [Spacer(1, 1 * mm), _p("Thuốc điều trị:", styles["bold"]), *_drug_rows(rx, styles, width)]
    advice = visit.advice
    if visit.re_exam_on:
        advice = f"{advice}. Tái khám ngày {visit.re_exam_on:%d/%m/%Y}".strip(". ")
    left = [_line("Lời dặn", advice, styles), Spacer(1, 1 * mm), _p(VALIDITY, styles["small"])]
    story.append(KeepTogether(_beside_signature(left, _today_line(visit.finalised_at.date()), "BÁC SĨ KHÁM BỆNH",
                                                visit, styles, width)))
    return story


def write_prescription(path: Path, facility: Facility, patient: PatientInfo, visit: VisitInfo, slip: str,
                       page: Page = Page()) -> Path:
    """One page (or more) per prescription in one PDF; every page ends with its code and «trang i/n»."""
    styles = _styles()
    doc = _doc(path, A5, "Đơn thuốc", facility.name, page)
    margin = doc.bottomMargin
    doc.bottomMargin = margin + RX_FOOTER
    story: list[Flowable] = []
    for index, rx in enumerate(_papers(visit)):
        if story:
            story.append(PageBreak())
        story += _prescription_story(index, rx, facility, patient, visit, slip, styles, doc.width)
    doc.build(story, canvasmaker=functools.partial(_FooterCanvas, footer_margin=margin))
    return path


VITAL_LABELS = {"pulse": ("Mạch", "lần/phút"), "temperature": ("Nhiệt độ", "°C"), "bp_sys": ("HA tâm thu", "mmHg"),
                "bp_dia": ("HA tâm trương", "mmHg"), "resp_rate": ("Nhịp thở", "lần/phút"),
                "weight": ("Cân nặng", "kg"), "height": ("Chiều cao", "cm"), "spo2": ("SpO2", "%")}


def write_visit_summary(path: Path, facility: Facility, patient: PatientInfo, visit: VisitInfo, slip: str,
                        page: Page = Page()) -> Path:
    styles = _styles()
    doc = _doc(path, A4, "Tóm tắt lượt khám", facility.name, page)
    width = doc.width
    vitals = ", ".join(f"{VITAL_LABELS.get(k, (k, ''))[0]} {v} {VITAL_LABELS.get(k, ('', ''))[1]}".strip()
                       for k, v in visit.vitals.items() if v not in (None, ""))
    story = [_header(facility, slip, styles, width), _p("TÓM TẮT LƯỢT KHÁM BỆNH", styles["title"]),
             _p(f"Mã lượt khám: {visit.ma_lk}", styles["subtitle"]), *_patient_lines(patient, styles, width),
             _line("Thời gian khám", f"{visit.started_at:%H:%M %d/%m/%Y} – {visit.finalised_at:%H:%M %d/%m/%Y}", styles),
             _line("Lý do khám", visit.reason, styles), _line("Sinh hiệu", vitals, styles),
             _line("Khám lâm sàng", visit.exam_notes, styles), _line("Chẩn đoán", _diagnosis_text(visit), styles)]
    if visit.labs:
        rows = [["Chỉ số", "Kết quả", "Đơn vị", "Kết luận"]] + [[r["name"], r["value"], r.get("unit", ""),
                                                                  r.get("conclusion", "")] for r in visit.labs]
        table = _table([[_p(c, styles["body"]) for c in row] for row in rows],
                       [width * 0.4, width * 0.15, width * 0.15, width * 0.3], [("GRID", (0, 0), (-1, -1), 0.4, "grey")])
        story += [_p("Kết quả xét nghiệm:", styles["bold"]), table]
    if visit.prescriptions:
        for rx in visit.prescriptions:
            story.append(_p(f"Đơn thuốc (mã {rx.code}):", styles["bold"]))
            story += [_p(f"{n}. {line.get('name', '')}    {line.get('quantity_text', '')}\n    {line.get('usage', '')}",
                         styles["body"]) for n, line in enumerate(rx.lines, 1)]
    elif visit.prescription:
        story.append(_p("Đơn thuốc:", styles["bold"]))
        story += [_p(_drug_line(n, d), styles["body"]) for n, d in enumerate(visit.prescription, 1)]
    story += [_line("Lời dặn", visit.advice, styles),
              _line("Hẹn tái khám", visit.re_exam_on.strftime("%d/%m/%Y") if visit.re_exam_on else "Không", styles)]
    if visit.referral:
        story.append(_line("Chuyển đến cơ sở", visit.referral.get("to_facility", ""), styles))
    if visit.costs is not None:
        costs = visit.costs
        share = f" (cùng chi trả {costs.copay_percent}%)" if costs.copay_percent else ""
        story += [_p("Chi phí:", styles["bold"]), _line("Tổng chi phí", vnd(costs.total), styles),
                  _line("BHYT trả", vnd(costs.bhyt_pays), styles),
                  _line("Người bệnh trả", vnd(costs.patient_pays) + share, styles)]
    story += [Spacer(1, 4 * mm),
              _signature(_today_line(visit.finalised_at.date()), "BÁC SĨ ĐIỀU TRỊ", visit, styles, width)]
    doc.build(story)
    return path


WRITERS = {"appointment": write_appointment, "referral": write_referral, "prescription": write_prescription,
           "visit-summary": write_visit_summary}
