"""The prescription box of the doctor's room (TT 26/2025, e-prescriptions): drugs chosen from the clinic's catalogue by
active ingredient or trade name, with or without accents; one line per drug named as TT 26 names it (the active
ingredient first, the trade name in brackets, the strength), its unit, dose per intake, times a day and days (the
quantity computed from them), route and how to take it, and the type of a narcotic, psychotropic or traditional drug in
words; the guardian of a child under 72 months; what keeps the prescription from being sent, said while prescribing;
and, once the visit is finalised, each prescription's code with the national prescription system's answer.

A line keeps every field the catalogue gave it (codes, price, registration number, route code, kind) through
:meth:`PrescriptionBox.lines`; only the dose, the times a day, the days (and so the quantity) and the instructions are
edited here. Free text is not a line: the national system takes only drugs with their national code."""

from __future__ import annotations

import copy
import html
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from kiosk.errors import KioskError
from kiosk.erx import catalogue, rules
from kiosk.erx.catalogue import Drug
from kiosk.erx.prescriptions import Prescription
from ui.background import run_in_background
from ui.i18n import tr
from ui.qt import (
    QColor,
    QComboBox,
    QEvent,
    QFont,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QObject,
    QPushButton,
    Qt,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    Signal,
)

RED, GREEN, GREY, AMBER, NAVY = "#b00020", "#1b7f3b", "#5a5a5a", "#8a5a00", "#0b2545"
DEFAULT_DOSE, DEFAULT_TIMES, DEFAULT_DAYS = 1, 2, 5  # a new line; its days follow the line added before it
MIN_SEARCH = 2  # characters typed before the catalogue is searched
RESULTS = 20
GUARDIAN_LIMITS = {"name": 200, "phone": 15, "address": 300}
KIND_WORDS = {"n": ("Gây nghiện", "Narcotic"), "h": ("Hướng thần", "Psychotropic"),
              "y": ("Y học cổ truyền", "Traditional medicine")}
KIND_COLOURS = {"n": (RED, "#fdecee"), "h": ("#7a3e00", "#fff0d9"), "y": ("#1b5e20", "#e6f4ea")}
PRESCRIPTION_NAMES = {"c": ("Đơn thuốc", "Prescription"), "n": ("Đơn thuốc gây nghiện", "Narcotic prescription"),
                      "h": ("Đơn thuốc hướng thần", "Psychotropic prescription"),
                      "y": ("Đơn thuốc y học cổ truyền", "Traditional-medicine prescription")}
NO_CODE = ("Không có mã trong danh mục — chọn lại thuốc từ danh mục",
           "No catalogue code — choose the drug again from the catalogue")
# How to take it: the usual phrases offered in the «Cách dùng» cell (anything else can be typed).
ORAL_USES = ["Uống sau ăn", "Uống trước ăn 30 phút", "Uống lúc đói", "Uống trong bữa ăn", "Uống buổi sáng",
             "Uống buổi tối trước khi ngủ", "Uống khi sốt trên 38,5°C", "Uống khi đau"]
OTHER_USES = ["Sáng", "Chiều", "Tối", "Khi đau", "Khi sốt trên 38,5°C"]
COLUMNS = ("drug", "kind", "unit", "dose", "times_per_day", "days", "quantity", "route", "instructions")
HEADERS = {"drug": ("Thuốc", "Drug"), "kind": ("Loại", "Type"), "unit": ("ĐVT", "Unit"),
           "dose": ("Liều/lần", "Dose"), "times_per_day": ("Lần/ngày", "Times/day"), "days": ("Số ngày", "Days"),
           "quantity": ("Số lượng", "Quantity"), "route": ("Đường dùng", "Route"),
           "instructions": ("Cách dùng", "How to take")}
HEADER_TIPS = {"drug": ("Hoạt chất (tên thuốc) hàm lượng, như TT 26 ghi", "Active ingredient (trade name) strength, "
                        "as TT 26 writes it"),
               "unit": ("Đơn vị tính", "Unit"), "dose": ("Liều mỗi lần dùng (gõ 1, 0,5 hoặc 1/2)",
                                                         "Dose per intake (type 1, 0.5 or 1/2)"),
               "quantity": ("Số lượng = liều × số lần/ngày × số ngày", "Quantity = dose × times a day × days")}
EDITABLE = ("dose", "times_per_day", "days")


# -- numbers -----------------------------------------------------------------------------------------------------
def parse_number(text: str) -> float | None:
    """What a doctor types for a dose: "1", "0,5", "0.5", "1/2"; None when it is not a number."""
    text = " ".join(str(text).split()).replace(",", ".")
    if not text or len(text) > 20:
        return None
    try:
        if "/" in text:
            top, _, bottom = text.partition("/")
            value = float(top) / float(bottom)
        else:
            value = float(text)
    except (ValueError, ZeroDivisionError):
        return None
    return value if math.isfinite(value) else None


def number_cell(value: Any) -> str:
    """1 -> "1", 0.5 -> "0,5" (the Vietnamese decimal comma)."""
    number = parse_number(str(value)) if not isinstance(value, int | float) else float(value)
    if number is None:
        return str(value or "")
    return f"{number:g}".replace(".", ",")


def whole(number: float) -> float | int:
    return int(number) if float(number).is_integer() else number


def with_quantity(line: Mapping[str, Any]) -> dict[str, Any]:
    """The line with its quantity recomputed from dose × times a day × days."""
    out = dict(line)
    dose, times, days = (parse_number(str(line.get(k, ""))) for k in ("dose", "times_per_day", "days"))
    if dose is not None and times is not None and days is not None:
        out["quantity"] = whole(round(dose * times * days, 3))
    return out


def kind_words(kind: str) -> str:
    words = KIND_WORDS.get(kind)
    return tr(*words) if words else ""


def drug_tip(line: Mapping[str, Any]) -> str:
    """The line's codes and its usage sentence, as the paper and the national system will read it."""
    code, registration = line.get("catalogue_code") or "—", line.get("registration_no") or "—"
    return tr(f"Mã thuốc {code} · Số đăng ký {registration}\nCách dùng: {rules.usage_text(line)}",
              f"Drug code {code} · Registration {registration}\nUsage: {rules.usage_text(line)}")


def quantity_cell(line: Mapping[str, Any]) -> str:
    try:
        return rules.quantity_text(line.get("quantity") or 0, str(line.get("unit") or ""), line.get("kind") or "c")
    except KioskError:
        return str(line.get("quantity") or "")


# -- what keeps the prescription from being sent -------------------------------------------------------------------
def prescription_checks(data: Mapping[str, Any], months: int | None, chronic: Iterable[str],
                        allergies: Iterable[str] = ()) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(what the clinic's own checks refuse at finalise, each with where to fix it; what the national system is
    likely to refuse though the clinic's checks let it through). The same checks as ``kiosk.visits.check``."""
    lines = list(data.get("prescription") or [])
    codes = [d.get("code", "") for d in data.get("diagnoses") or []]
    blocking: list[tuple[str, str]] = []
    for _, vi, en in rules.check_lines(lines, codes, list(chronic)):
        blocking.append((f"Đơn thuốc — {vi}", f"Prescription — {en}"))
    warnings: list[tuple[str, str]] = [
        (f"DỊ ỨNG: người bệnh có ghi dị ứng «{substance}» — xem lại thuốc {drug}",
         f"ALLERGY: the patient's record says «{substance}» — check the drug {drug}")
        for drug, substance in rules.allergy_matches(lines, allergies)]
    if lines and months is not None and months < rules.CHILD_MONTHS:
        weight = (data.get("vitals") or {}).get("weight")
        guardian = data.get("guardian") or {}
        for field, vi, en in rules.check_child(months, weight, guardian):
            if field == "weight":
                blocking.append((f"{vi}: ghi ô «Cân nặng» ở «Sinh hiệu»", f"{en}: fill in «Weight» in «Vital signs»"))
            else:
                blocking.append((f"{vi}: điền «Người giám hộ» trong «Đơn thuốc»",
                                 f"{en}: fill in «Guardian» in «Prescription»"))
    return blocking, warnings


# -- the box -------------------------------------------------------------------------------------------------------
class PrescriptionBox(QGroupBox):
    """Search the catalogue, add and remove lines, edit doses; the guardian of a young child."""

    changed = Signal()  # a line added, removed or edited, or the guardian typed: the form's draft autosaves
    wants_sight = Signal()  # the doctor is prescribing: the form scrolls the box into view

    def __init__(self, search: Callable[[str], list[Drug]], parent: QWidget | None = None) -> None:
        super().__init__(tr("Đơn thuốc", "Prescription"), parent)
        self.setObjectName("prescriptionBox")
        self._search = search
        self._search_serial = 0
        self._searching = False  # a search is on its way back
        self._add_when_found = False
        self._lines: list[dict[str, Any]] = []
        self._loading = False
        self.months: int | None = None
        layout = QVBoxLayout(self)
        layout.setSpacing(4)

        self.child_row = QWidget()  # only for a child under 72 months
        self.child_row.setObjectName("guardianRow")
        child = QVBoxLayout(self.child_row)
        child.setContentsMargins(0, 0, 0, 0)
        child.setSpacing(2)
        self.child_note = QLabel()
        self.child_note.setObjectName("childNote")
        self.child_note.setWordWrap(True)
        self.child_note.setStyleSheet(f"color: {NAVY}; font-weight: bold;")
        child.addWidget(self.child_note)
        fields = QHBoxLayout()
        label = QLabel(tr("Người giám hộ", "Guardian"))
        label.setStyleSheet("font-weight: bold;")
        fields.addWidget(label)
        self.guardian_fields: dict[str, QLineEdit] = {}
        for key, vi, en, stretch in (("name", "Họ tên người giám hộ", "Guardian's full name", 3),
                                     ("phone", "Số điện thoại", "Phone number", 2),
                                     ("address", "Địa chỉ", "Address", 4)):
            field = QLineEdit()
            field.setObjectName(f"guardian_{key}")
            field.setPlaceholderText(tr(vi, en))
            field.setAccessibleName(tr(vi, en))
            field.setMaxLength(GUARDIAN_LIMITS[key])
            field.textChanged.connect(self._edited)
            self.guardian_fields[key] = field
            fields.addWidget(field, stretch)
        label.setBuddy(self.guardian_fields["name"])
        child.addLayout(fields)
        layout.addWidget(self.child_row)
        self.child_row.setVisible(False)

        search_row = QHBoxLayout()
        self.search_field = QLineEdit()
        self.search_field.setObjectName("drugSearch")
        self.search_field.setPlaceholderText(tr("Tìm thuốc (hoạt chất hoặc tên thuốc)",
                                                "Find a drug (active ingredient or trade name)"))
        self.search_field.setToolTip(tr("Gõ có dấu hoặc không dấu; ↑↓ chọn, Enter thêm vào đơn",
                                        "With or without accents; ↑↓ choose, Enter adds it"))
        self.search_field.setMaxLength(catalogue.MAX_QUERY)
        self.add_button = QPushButton(tr("Thêm vào đơn", "Add to prescription"))
        self.add_button.setObjectName("addDrug")
        self.add_button.clicked.connect(self.add_highlighted)
        search_row.addWidget(self.search_field, 1)
        search_row.addWidget(self.add_button)
        layout.addLayout(search_row)
        self.results = QListWidget()  # in sight while something is typed, as tall as its results (up to four)
        self.results.setObjectName("drugResults")
        self.results.setVisible(False)
        self.results.itemClicked.connect(lambda _item: self.add_highlighted())
        self.results.itemActivated.connect(lambda _item: self.add_highlighted())
        layout.addWidget(self.results)
        self.search_field.textChanged.connect(self.search)
        self.search_field.returnPressed.connect(self.add_highlighted)
        self.search_field.installEventFilter(self)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("prescriptionTable")
        self.table.setHorizontalHeaderLabels([tr(*HEADERS[c]) for c in COLUMNS])
        for i, c in enumerate(COLUMNS):
            if c in HEADER_TIPS:
                self.table.horizontalHeaderItem(i).setToolTip(tr(*HEADER_TIPS[c]))
        header = self.table.horizontalHeader()
        for i, c in enumerate(COLUMNS):
            mode = (QHeaderView.ResizeMode.Stretch if c == "drug" else QHeaderView.ResizeMode.Interactive
                    if c == "instructions" else QHeaderView.ResizeMode.ResizeToContents)
            header.setSectionResizeMode(i, mode)
        self.table.setColumnWidth(COLUMNS.index("instructions"), 200)
        self.table.setWordWrap(True)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QTableWidget.EditTrigger.DoubleClicked | QTableWidget.EditTrigger.EditKeyPressed
                                   | QTableWidget.EditTrigger.AnyKeyPressed | QTableWidget.EditTrigger.SelectedClicked)
        self.table.itemChanged.connect(self._cell_changed)
        self.table.installEventFilter(self)
        layout.addWidget(self.table)

        bottom = QHBoxLayout()
        self.remove_button = QPushButton(tr("Xoá thuốc đã chọn", "Remove the chosen drug"))
        self.remove_button.setObjectName("removeDrug")
        self.remove_button.setToolTip(tr("Hoặc bấm phím Delete trong bảng", "Or press Delete in the table"))
        self.remove_button.clicked.connect(self.remove_selected)
        bottom.addWidget(self.remove_button, 0, Qt.AlignmentFlag.AlignTop)
        self.notice = QLabel()  # what the last edit did or why not
        self.notice.setObjectName("prescriptionNotice")
        self.notice.setWordWrap(True)
        bottom.addWidget(self.notice, 1)
        layout.addLayout(bottom)
        self.problems = QLabel()  # what keeps the prescription from being sent, while prescribing
        self.problems.setObjectName("prescriptionProblems")
        self.problems.setWordWrap(True)
        self.problems.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.problems)
        self._fit_height()

    # -- the patient -------------------------------------------------------------------------------------------------
    def set_child(self, months: int | None) -> None:
        """The patient's age in months: under 72 the guardian row shows; otherwise (or unknown) it is hidden."""
        self.months = months
        young = months is not None and 0 <= months < rules.CHILD_MONTHS
        self.child_row.setVisible(young)
        if young:
            self.child_note.setText(tr(
                f"Trẻ {months} tháng tuổi (dưới {rules.CHILD_MONTHS} tháng): đơn thuốc cần cân nặng (ô «Cân nặng» ở "
                "«Sinh hiệu») và người giám hộ — họ tên, số điện thoại, địa chỉ",
                f"A child of {months} months (under {rules.CHILD_MONTHS}): the prescription needs the weight («Weight» "
                "in «Vital signs») and the guardian — name, phone number, address"))

    @property
    def is_child(self) -> bool:
        return self.months is not None and 0 <= self.months < rules.CHILD_MONTHS

    def guardian(self) -> dict[str, str]:
        """The guardian as typed (the phone as digits: spaces, dots and dashes dropped)."""
        text = {k: " ".join(f.text().split()) for k, f in self.guardian_fields.items()}
        text["phone"] = "".join(ch for ch in text["phone"] if ch not in " .-")
        return text

    # -- load and read -----------------------------------------------------------------------------------------------
    def load(self, lines: Sequence[Mapping[str, Any]], guardian: Mapping[str, Any] | None = None) -> None:
        self._loading = True
        self._lines = [copy.deepcopy(dict(line)) for line in lines]
        for key, field in self.guardian_fields.items():
            field.setText(str((guardian or {}).get(key) or ""))
            field.setStyleSheet("")
            field.setToolTip("")
        self.search_field.clear()
        self.results.clear()
        self.notice.clear()
        self.problems.clear()
        self._render()
        self._loading = False

    def lines(self) -> list[dict[str, Any]]:
        """The prescription's lines, every field of each kept, the quantity computed."""
        return [copy.deepcopy(line) for line in self._lines]

    # -- search ------------------------------------------------------------------------------------------------------
    def search(self, text: str) -> None:
        """Results as the doctor types, looked up off the GUI thread (on a station of the clinic server the catalogue
        is an HTTP call: a slow or absent server must not freeze the typing); an answer for older text is dropped."""
        self._search_serial += 1
        serial = self._search_serial
        self.results.clear()
        self.results.setVisible(len(text.strip()) >= MIN_SEARCH)
        self._searching = len(text.strip()) >= MIN_SEARCH
        if not self._searching:
            self._add_when_found = False
            return
        search = self._search
        run_in_background(lambda: search(text), lambda found: self._found(serial, text, found),
                          lambda exc: self._search_failed(serial, exc), owner=self)

    def _search_failed(self, serial: int, exc: Exception) -> None:
        if serial != self._search_serial:
            return
        self._searching = self._add_when_found = False
        self._result_note(tr(exc.vi, exc.en) if isinstance(exc, KioskError) else
                          tr("Không tìm được trong danh mục thuốc", "The drug catalogue could not be searched"), RED)
        self._fit_results()

    def _found(self, serial: int, text: str, found: list[Drug]) -> None:
        if serial != self._search_serial:  # the doctor typed on: this answer is for older text
            return
        self._searching = False
        for drug in found[:RESULTS]:
            words = kind_words(drug.kind)
            item = QListWidgetItem(" · ".join(p for p in (rules.display_name(drug.__dict__), drug.unit, drug.route,
                                                          words.upper()) if p))
            item.setData(Qt.ItemDataRole.UserRole, drug)
            item.setToolTip(tr(f"Mã thuốc {drug.code} · Số đăng ký {drug.registration_no or '—'}",
                               f"Drug code {drug.code} · Registration {drug.registration_no or '—'}"))
            if drug.kind in KIND_COLOURS:
                item.setForeground(QColor(KIND_COLOURS[drug.kind][0]))
            self.results.addItem(item)
        if self.results.count():
            self.results.setCurrentRow(0)
        else:
            self._result_note(tr(f"Không có thuốc nào khớp «{text.strip()}» trong danh mục thuốc của phòng khám",
                                 f"No drug matches «{text.strip()}» in the clinic's drug catalogue"), GREY)
        self._fit_results()
        if self._add_when_found:  # Enter was pressed before the answer came: the first result, as Enter means
            self._add_when_found = False
            self.add_highlighted()

    def _fit_results(self) -> None:
        rows = min(max(self.results.count(), 1), 4)
        row = self.results.sizeHintForRow(0) if self.results.count() else self.fontMetrics().height() + 4
        self.results.setFixedHeight(rows * row + 2 * self.results.frameWidth() + 4)

    def _result_note(self, text: str, colour: str) -> None:
        item = QListWidgetItem(text)
        item.setFlags(Qt.ItemFlag.NoItemFlags)
        item.setForeground(QColor(colour))
        self.results.addItem(item)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.FocusIn and watched is self.search_field:
            self.wants_sight.emit()
        if event.type() == QEvent.Type.KeyPress:
            key = event.key()
            if watched is self.search_field and key in (Qt.Key.Key_Down, Qt.Key.Key_Up) and self.results.count():
                step = 1 if key == Qt.Key.Key_Down else -1
                row = max(0, min(self.results.count() - 1, self.results.currentRow() + step))
                self.results.setCurrentRow(row)
                return True
            if watched is self.search_field and key == Qt.Key.Key_Escape and self.search_field.text():
                self.search_field.clear()
                return True
            if watched is self.table and key == Qt.Key.Key_Delete and self.table.state() != \
                    QTableWidget.State.EditingState:
                self.remove_selected()
                return True
        return super().eventFilter(watched, event)

    def add_highlighted(self) -> None:
        """Enter or a click: the highlighted result becomes a line; the search is emptied for the next drug."""
        item = self.results.currentItem()
        drug = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        if drug is None and self._searching:  # typed and Enter at once: taken when the answer comes
            self._add_when_found = True
            return
        if not isinstance(drug, Drug) or not self.isEnabled():
            return
        self.add_drug(drug)
        self.search_field.clear()
        self.search_field.setFocus()

    def add_drug(self, drug: Drug, *, dose: float = DEFAULT_DOSE, times_per_day: int = DEFAULT_TIMES,
                 days: int | None = None, instructions: str = "") -> None:
        """A line for ``drug`` (its days those of the line before it, else 5); a drug already on the prescription is
        not added twice: its line is chosen instead."""
        for row, line in enumerate(self._lines):
            if line.get("catalogue_code") == drug.code:
                self.table.selectRow(row)
                self._say(tr(f"{rules.display_name(line)} đã có ở dòng {row + 1}: sửa liều ở dòng đó",
                             f"{rules.display_name(line)} is already on line {row + 1}: change its dose there"), NAVY)
                return
        if days is None:  # a course is usually the same length for every drug: the days of the line before
            before = parse_number(str(self._lines[-1].get("days", ""))) if self._lines else None
            days = int(before) if before and before == int(before) and 1 <= before <= catalogue.MAX_DAYS \
                else DEFAULT_DAYS
        line = catalogue.line_from_drug(drug, dose=dose, times_per_day=times_per_day, days=days,
                                        instructions=instructions)
        self._lines.append(line)
        self._render()
        self.table.selectRow(len(self._lines) - 1)
        self.wants_sight.emit()
        self._say(tr(f"Đã thêm {rules.display_name(line)}: {number_cell(dose)} {line['unit'].lower()} × "
                     f"{times_per_day} lần/ngày × {days} ngày — sửa trong bảng nếu cần",
                     f"Added {rules.display_name(line)}: {number_cell(dose)} × {times_per_day} a day × {days} days "
                     "— change it in the table if needed"), GREEN)
        self._edited()

    def remove_selected(self) -> None:
        rows = sorted({index.row() for index in self.table.selectedIndexes()}, reverse=True)
        if not rows and self.table.currentRow() >= 0:
            rows = [self.table.currentRow()]
        if not rows or not self.isEnabled():
            return
        names = [rules.display_name(self._lines[r]) for r in sorted(rows)]
        for r in rows:
            del self._lines[r]
        self._render()
        self._say(tr(f"Đã xoá {', '.join(names)}", f"Removed {', '.join(names)}"), GREY)
        self._edited()

    # -- the table ---------------------------------------------------------------------------------------------------
    def _render(self) -> None:
        blocked = self.table.blockSignals(True)
        self.table.setRowCount(0)
        for row, line in enumerate(self._lines):
            self.table.insertRow(row)
            self._fill_row(row, line)
        self.table.blockSignals(blocked)
        self.table.resizeRowsToContents()
        self._fit_height()

    def _fill_row(self, row: int, line: Mapping[str, Any]) -> None:
        coded = bool(str(line.get("catalogue_code") or "").strip())
        kind = line.get("kind") or "c"
        values = {"drug": rules.display_name(line) + ("" if coded else f"\n⚠ {tr(*NO_CODE)}"),
                  "kind": kind_words(kind), "unit": str(line.get("unit") or ""), "dose": number_cell(line.get("dose")),
                  "times_per_day": number_cell(line.get("times_per_day")), "days": number_cell(line.get("days")),
                  "quantity": quantity_cell(line), "route": str(line.get("route") or "")}
        for column, key in enumerate(COLUMNS):
            if key == "instructions":
                self.table.setCellWidget(row, column, self._uses(row, line))
                continue
            item = QTableWidgetItem(values[key])
            if key not in EDITABLE or not coded:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
            if key in EDITABLE:
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            if key == "drug":
                item.setToolTip(drug_tip(line))
            if key == "kind" and kind in KIND_COLOURS:
                fg, bg = KIND_COLOURS[kind]
                item.setForeground(QColor(fg))
                item.setBackground(QColor(bg))
                font = QFont(item.font())
                font.setBold(True)
                item.setFont(font)
                item.setToolTip(tr(f"{kind_words(kind)}: kê trên đơn riêng, có mã đơn riêng",
                                   f"{kind_words(kind)}: on a prescription of its own, with its own code"))
            if not coded:
                item.setForeground(QColor(RED))
                item.setBackground(QColor("#fdecee"))
                item.setToolTip(tr(*NO_CODE))
            self.table.setItem(row, column, item)

    def _uses(self, row: int, line: Mapping[str, Any]) -> QComboBox:
        """«Cách dùng»: the usual phrases for the drug's route, or anything typed."""
        box = QComboBox()
        box.setEditable(True)
        box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        oral = str(line.get("route_code") or "").startswith("1.") or str(line.get("route") or "").lower() == "uống"
        box.addItems(["", *(ORAL_USES if oral else OTHER_USES)])
        box.lineEdit().setMaxLength(catalogue.MAX_INSTRUCTIONS)
        box.lineEdit().setPlaceholderText(tr("Uống sau ăn…", "After meals…") if oral else "")
        box.setEditText(str(line.get("instructions") or ""))
        box.setAccessibleName(tr(f"Cách dùng dòng {row + 1}", f"How to take, line {row + 1}"))
        box.setObjectName(f"uses_{row}")
        box.currentTextChanged.connect(lambda text, b=box: self._uses_changed(b, text))
        return box

    def _uses_changed(self, box: QComboBox, text: str) -> None:
        for row in range(self.table.rowCount()):
            if self.table.cellWidget(row, COLUMNS.index("instructions")) is box and row < len(self._lines):
                self._lines[row]["instructions"] = " ".join(text.split())[:catalogue.MAX_INSTRUCTIONS]
                drug = self.table.item(row, COLUMNS.index("drug"))
                if drug is not None and str(self._lines[row].get("catalogue_code") or "").strip():
                    drug.setToolTip(drug_tip(self._lines[row]))  # the usage sentence, as the paper will print it
                self._edited()
                return

    def _cell_changed(self, item: QTableWidgetItem) -> None:
        key, row = COLUMNS[item.column()], item.row()
        if key not in EDITABLE or row >= len(self._lines) or self._loading:
            return
        line = self._lines[row]
        value = parse_number(item.text())
        problem = self._invalid(key, value)
        if problem is not None:
            self._say(tr(f"Dòng {row + 1}: {problem[0]} — giữ {number_cell(line.get(key))}",
                         f"Line {row + 1}: {problem[1]} — kept {number_cell(line.get(key))}"), RED)
            self._set_cell(row, key, number_cell(line.get(key)))
            return
        line[key] = whole(value) if key == "dose" else int(value)
        self._lines[row] = with_quantity(line)
        self._set_cell(row, key, number_cell(line[key]))
        self._set_cell(row, "quantity", quantity_cell(self._lines[row]))
        drug = self.table.item(row, COLUMNS.index("drug"))
        if drug is not None:
            drug.setToolTip(drug_tip(self._lines[row]))
        self.notice.clear()
        self._edited()

    @staticmethod
    def _invalid(key: str, value: float | None) -> tuple[str, str] | None:
        if key == "dose":
            if value is None or not 0 < value <= catalogue.MAX_DOSE:
                return (f"liều mỗi lần phải là số lớn hơn 0 và không quá {catalogue.MAX_DOSE} (gõ 1, 0,5 hoặc 1/2)",
                        f"the dose must be a number above 0 and at most {catalogue.MAX_DOSE} (type 1, 0.5 or 1/2)")
            return None
        limit = catalogue.MAX_TIMES_PER_DAY if key == "times_per_day" else catalogue.MAX_DAYS
        vi, en = ("số lần mỗi ngày", "the times a day") if key == "times_per_day" else ("số ngày", "the days")
        if value is None or value != int(value) or not 1 <= value <= limit:
            return f"{vi} phải là số nguyên từ 1 đến {limit}", f"{en} must be a whole number from 1 to {limit}"
        return None

    def _set_cell(self, row: int, key: str, text: str) -> None:
        blocked = self.table.blockSignals(True)
        item = self.table.item(row, COLUMNS.index(key))
        if item is not None:
            item.setText(text)
        self.table.blockSignals(blocked)

    def _fit_height(self) -> None:
        """Every line in sight (up to eight; then the table scrolls), never less than three rows' room."""
        rows = self.table.rowCount()
        row_height = self.table.verticalHeader().defaultSectionSize()
        body = sum(self.table.rowHeight(r) for r in range(min(rows, 8))) + row_height * max(0, 3 - rows)
        self.table.setFixedHeight(self.table.horizontalHeader().height() + body + 2 * self.table.frameWidth() + 2)

    def _say(self, text: str, colour: str) -> None:
        self.notice.setStyleSheet(f"color: {colour};")
        self.notice.setText(text)

    def _edited(self) -> None:
        if not self._loading:
            self.changed.emit()

    def mark_refused(self, refused: Mapping[str, Iterable[str]]) -> None:
        """While correcting: the fields the national system refused (``{kind: [field, …]}``, its field names) marked
        in red — the guardian's, and the drug lines (``thong_tin_don_thuoc.N`` counts the lines of that kind)."""
        guardian = {"ho_ten": "name", "so_dien_thoai": "phone", "dia_chi": "address"}
        for kind, fields in refused.items():
            rows = [r for r, line in enumerate(self._lines) if (line.get("kind") or "c") == kind]
            for field in fields:
                parts = field.split(".")
                if parts[0] == "thong_tin_nguoi_giam_ho":
                    keys = [guardian[parts[1]]] if len(parts) > 1 and parts[1] in guardian else list(guardian.values())
                    for key in keys:
                        self._mark(self.guardian_fields[key])
                elif parts[0] == "thong_tin_don_thuoc" and len(parts) > 1 and parts[1].isdigit() \
                        and int(parts[1]) < len(rows):
                    item = self.table.item(rows[int(parts[1])], COLUMNS.index("drug"))
                    if item is not None:
                        item.setBackground(QColor("#fdecee"))
                        item.setForeground(QColor(RED))

    @staticmethod
    def _mark(field: QLineEdit) -> None:
        field.setStyleSheet(f"QLineEdit {{ border: 2px solid {RED}; background: #fdecee; }}")
        field.setToolTip(tr("Hệ thống đơn thuốc quốc gia đã từ chối mục này: sửa rồi hoàn tất lại",
                            "The national prescription system refused this: correct it and finalise again"))

    # -- what keeps it from being sent ------------------------------------------------------------------------------
    def show_problems(self, blocking: Sequence[tuple[str, str]], warnings: Sequence[tuple[str, str]]) -> None:
        """The checks of :func:`prescription_checks` under the table, while prescribing."""
        if not self._lines:
            self.problems.setText(f"<span style='color:{GREY}'>" + html.escape(tr(
                "Chưa kê thuốc — gõ tên thuốc vào ô «Tìm thuốc» rồi Enter",
                "No drugs yet — type a drug's name in «Find a drug» and press Enter")) + "</span>")
            return
        parts = [f"<span style='color:{RED}'>⚠ {html.escape(tr(vi, en), quote=False)}</span>" for vi, en in blocking]
        parts += [f"<span style='color:{RED}; font-weight:bold'>⚠ {html.escape(tr(vi, en), quote=False)}</span>"
                  if vi.startswith("DỊ ỨNG") else  # an allergy the record names: red and bold, first among warnings
                  f"<span style='color:{AMBER}'>⚠ {html.escape(tr(vi, en), quote=False)}</span>" for vi, en in warnings]
        kinds = sorted({line.get("kind") for line in self._lines if line.get("kind") in KIND_WORDS})
        if kinds:
            names = ", ".join(kind_words(k).lower() for k in kinds)
            parts.append(f"<span style='color:{GREY}'>" + html.escape(tr(
                f"Thuốc {names} được kê trên đơn riêng, mỗi đơn một mã", f"{names.capitalize()} drugs go on a "
                "prescription of their own, each with its own code")) + "</span>")
        self.problems.setText("<br>".join(parts))


# -- the national system's answer ----------------------------------------------------------------------------------
def refusal_text(line: str) -> str:
    """A refusal line as the doctor reads it (the clinic's own refusal of a doctor without a code has no field
    label in the core: named here)."""
    return tr("Bác sĩ kê đơn", "Prescribing doctor") + line[len("bac_si"):] if line.startswith("bac_si —") else line


def prescriptions_html(found: Sequence[Prescription]) -> str:
    """Each prescription with its code and where it stands at the national prescription system; a refusal with each
    refused field as the system said it, in red, and what to do."""
    parts = []
    for p in found:
        name = tr(*PRESCRIPTION_NAMES.get(p.kind, PRESCRIPTION_NAMES["c"]))
        head = html.escape(f"{name} {p.code}: ")
        replaced = (html.escape(tr(f" (thay đơn {p.replaces})", f" (replaces {p.replaces})")) if p.replaces else "")
        if p.status == "sent":
            parts.append(f"<span style='color:{GREEN}'>✔ {head}"
                         + html.escape(tr("đã gửi Hệ thống đơn thuốc quốc gia",
                                          "sent to the national prescription system")) + f"{replaced}</span>")
        elif p.status == "refused":
            refused = [f"<br>&nbsp;&nbsp;• {html.escape(refusal_text(line), quote=False)}" for line in p.refusals]
            parts.append(f"<span style='color:{RED}'><b>✖ {head}" + html.escape(tr("BỊ TỪ CHỐI", "REFUSED"))
                         + f"</b>{replaced}{''.join(refused)}</span><br><span style='color:{NAVY}'>"
                         + html.escape(tr('Bấm "Sửa (bản mới)", sửa các mục trên rồi hoàn tất lại: đơn được gửi lại '
                                          'với cùng mã',
                                          'Press "Correct (new version)", fix the items above and finalise again: the '
                                          'prescription is sent again with the same code'), quote=False) + "</span>")
        else:
            parts.append(f"<span style='color:{AMBER}'>… {head}"
                         + html.escape(tr("đang chờ gửi — sẽ được gửi khi kết nối được Hệ thống đơn thuốc quốc gia",
                                          "waiting to be sent — it goes when the national prescription system can be "
                                          "reached")) + replaced + "</span>")
    return "<br>".join(parts)


class PrescriptionStatus(QLabel):
    """The visit's prescriptions in the status area: code and the national system's answer."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("prescriptionStatus")
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)  # the code can be copied
        self.prescriptions: list[Prescription] = []

    def show_prescriptions(self, found: Sequence[Prescription], waiting: Mapping[str, str] | None = None) -> None:
        """``waiting``: why a prescription still waits (the sender's last error, for IT), in the tooltip."""
        self.prescriptions = list(found)
        self.setText(prescriptions_html(found))
        self.setToolTip("\n".join(f"{code}: {why}" for code, why in (waiting or {}).items()))
        self.setVisible(bool(found))

    def clear(self) -> None:  # noqa: D102 - QLabel's
        self.prescriptions = []
        super().clear()
        self.setVisible(False)

    @property
    def waiting(self) -> bool:
        return any(p.status == "pending" for p in self.prescriptions)
