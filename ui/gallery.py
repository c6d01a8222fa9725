"""The screens gallery (``clinic-kiosk screens --out DIR``): every named state of the four stations, driven the way
their users drive them from the demo data of a private, throw-away clinic, rendered offscreen at the station's real
size as ``DIR/<state>.png``, with ``DIR/index.json`` saying for each what was on screen and whether any label's text
was cut or showed both languages at once. Reviewers look at the pictures; the test suite reads the index."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import numpy as np

from kiosk.errors import KioskError
from kiosk.facade import Clinic
from kiosk.identify import identity_from_payload
from kiosk.sandbox import demo
from kiosk.sandbox.runner import start_sandbox
from kiosk.sandbox.server import Faults
from kiosk.settings import Settings
from scanner.payloads import parse_payload
from scanner.sources import CaptureSource
from ui import i18n
from ui.qt import QApplication, QDialog, QLabel, QPainter, QPushButton, QWidget

log = logging.getLogger("ui.gallery")

SIZES = {"reception": (1366, 768), "doctor": (1366, 768), "kiosk": (1080, 1920), "board": (1920, 1080)}
STATES = ["reception-idle", "reception-patient", "reception-second-scan", "reception-checked-in",
          "reception-gateway-down", "reception-camera-lost", "reception-new-patient", "doctor-queue",
          "doctor-healthbook", "doctor-labs", "doctor-visit-form", "doctor-finalised", "kiosk-idle", "kiosk-confirm",
          "kiosk-service", "kiosk-ticket", "kiosk-unknown", "kiosk-admin-pin", "board-calling", "board-720p"]
VIETNAMESE = re.compile(r"[ăâđêôơưạảãàáậẩẫầấặẳẵằắẹẻẽèéệểễềếịỉĩìíọỏõòóộổỗồốợởỡờớụủũùúựửữừứỵỷỹỳý]", re.I)


class GalleryError(KioskError):
    """A state could not be reached (the window never showed what the state needs)."""


@dataclass
class Shot:
    name: str
    station: str
    width: int
    height: int
    file: str
    texts: list[str] = field(default_factory=list)
    clipped: list[str] = field(default_factory=list)  # labels or buttons whose text does not fit
    both_languages: list[str] = field(default_factory=list)  # texts carrying Vietnamese and English at once
    error: str = ""


# -- what a person would see wrong -------------------------------------------------------------------------------
def _plain(text: str) -> str:
    return re.sub(r"<[^>]+>", "", text).replace("&nbsp;", " ").replace("&amp;", "&")


def text_cut(widget: QWidget) -> bool:
    """Whether a label's or button's own text is cut by its size (elided texts end in "…" and fit by design)."""
    text = _plain(widget.text()).strip()
    if not text or text.endswith("…"):
        return False
    if isinstance(widget, QPushButton):
        rect, metrics = widget.contentsRect(), widget.fontMetrics()
        if widget.icon().isNull():
            return metrics.horizontalAdvance(text.replace("&&", "&")) > rect.width() - 4
        return False
    if widget.width() <= 0 or widget.height() <= 0:
        return True
    # The label's own measure of what it needs (rich text, margins and style sheets included).
    if widget.wordWrap():
        return widget.heightForWidth(widget.width()) > widget.height() + 2
    hint = widget.sizeHint()
    return hint.width() > widget.width() + 1 or hint.height() > widget.height() + 2


def both_languages(text: str) -> bool:
    """A text showing Vietnamese and its English together ("Đã lưu / Saved")."""
    for sep in (" / ", " | ", "\n"):
        if sep in text:
            parts = [p.strip() for p in text.split(sep) if p.strip()]
            viet = [p for p in parts if VIETNAMESE.search(p)]
            english = [p for p in parts if not VIETNAMESE.search(p) and len(re.findall(r"[A-Za-z]{3,}", p)) >= 3]
            if viet and english:
                return True
    return False


def _visible(widget: QWidget, root: QWidget) -> bool:
    return widget.isVisibleTo(root) and widget.isVisible() and widget.width() > 0 and widget.height() > 0


def inspect_window(root: QWidget, extra: list[QWidget]) -> tuple[list[str], list[str], list[str]]:
    texts, clipped, mixed = [], [], []
    for top in [root, *extra]:
        for widget in [*top.findChildren(QLabel), *top.findChildren(QPushButton)]:
            if not _visible(widget, top) or not widget.text():
                continue
            text = _plain(widget.text())
            texts.append(text)
            if text_cut(widget):
                clipped.append(text)
            if both_languages(text):
                mixed.append(text)
    return texts, clipped, mixed


# -- the gallery ----------------------------------------------------------------------------------------------------
class Gallery:
    def __init__(self, out: Path, home: Path) -> None:
        self.out = out
        self.home = home
        os.environ["CLINIC_KIOSK_HOME"] = str(home)  # a clinic of its own: the real one is never touched
        self.settings = Settings()
        for key in ("board.voice", "board.chime", "kiosk.voice"):  # pictures, not sounds
            self.settings.set_for_run(key, False)
        self.sandbox = start_sandbox()
        self.world = self.sandbox.world
        self.clinics: dict[str, Clinic] = {}
        self.shots: list[Shot] = []
        self.still = self._still_camera()
        self.windows: list[QWidget] = []

    def clinic(self, station: str) -> Clinic:
        """One clinic per station on the same store, each with its own user (as four PCs would be)."""
        if station not in self.clinics:
            clinic = Clinic.open(self.settings, gateway_url=self.sandbox.url)
            if not self.clinics:
                demo.prepare(clinic.store)
            if station == "reception":
                clinic.sign_in("lan", "demo-lan-2026")
            elif station == "doctor":
                clinic.sign_in("minh", "demo-minh-2026")
            self.clinics[station] = clinic
        return self.clinics[station]

    def _still_camera(self) -> Path:
        """A camera picture with no code in it: the stations wait for a patient, as at opening time."""
        h, w = 720, 1280
        y, x = np.mgrid[0:h, 0:w]
        image = np.dstack([(60 + x * 60 // w), (70 + y * 50 // h), np.full((h, w), 90)]).astype(np.uint8)
        path = self.home / "still-camera.png"
        cv2.imwrite(str(path), image)
        return path

    # -- helpers --------------------------------------------------------------------------------------------------
    @staticmethod
    def wait(state: str, condition: Callable[[], object], timeout: float = 20.0, settle: float = 0.3) -> None:
        app = QApplication.instance()
        end = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > end:
                raise GalleryError(f"Không tới được trạng thái {state}", f"State {state} was not reached")
            app.processEvents()
            time.sleep(0.02)
        end = time.monotonic() + settle
        while time.monotonic() < end:  # let the layouts and the last answers land
            app.processEvents()
            time.sleep(0.02)

    def open(self, window: QWidget, station: str, size: tuple[int, int] | None = None) -> QWidget:
        width, height = size or SIZES[station]
        window.resize(width, height)
        window.show()
        self.windows.append(window)
        self.wait("open", lambda: window.isVisible(), settle=0.5)
        return window

    def shoot(self, name: str, station: str, window: QWidget) -> Shot:
        popups = [w for w in QApplication.topLevelWidgets()
                  if w is not window and isinstance(w, QDialog) and w.isVisible()]
        picture = window.grab()
        if popups:
            painter = QPainter(picture)
            for popup in popups:
                where = popup.mapToGlobal(popup.rect().topLeft()) - window.mapToGlobal(window.rect().topLeft())
                painter.drawPixmap(where, popup.grab())
            painter.end()
        file = f"{name}.png"
        picture.save(str(self.out / file))
        texts, clipped, mixed = inspect_window(window, popups)
        shot = Shot(name, station, picture.width(), picture.height(), file, texts, clipped, mixed)
        self.shots.append(shot)
        log.info("screen %s: %d texts, %d cut, %d bilingual", name, len(texts), len(clipped), len(mixed))
        return shot

    def person(self, test: Callable[[object], bool], taken: set[int]):  # noqa: ANN205
        found = next(p for p in self.world.people if p.index not in taken and test(p))
        taken.add(found.index)
        return found

    def close_all(self) -> None:
        for window in self.windows:
            window.close()
        self.wait("close", lambda: True, settle=0.2)
        for clinic in self.clinics.values():
            clinic.close()
        self.sandbox.stop()

    # -- the stations ---------------------------------------------------------------------------------------------
    def run(self, only: set[str] | None = None) -> list[Shot]:
        taken: set[int] = set()
        steps = [("reception", self.reception), ("doctor", self.doctor), ("kiosk", self.kiosk), ("board", self.board)]
        try:
            for station, step in steps:
                if only and not any(s.startswith(station) for s in only):
                    continue
                try:
                    step(taken)
                except Exception as exc:  # one station's failure is reported; the others are still drawn
                    log.exception("gallery: %s failed", station)
                    done = {s.name for s in self.shots}
                    for name in STATES:
                        if name.startswith(station) and name not in done:
                            self.shots.append(Shot(name, station, 0, 0, "", error=f"{type(exc).__name__}: {exc}"))
        finally:
            self.close_all()
        return self.shots

    def reception(self, taken: set[int]) -> None:
        from ui.reception import ReceptionWindow

        clinic = self.clinic("reception")
        window = self.open(ReceptionWindow(clinic, camera=str(self.still)), "reception")
        self.shoot("reception-idle", "reception", window)

        # a patient with allergies, chronic conditions, a card to look at, and a ticket already today
        def telling(p) -> bool:  # noqa: ANN001
            book = p.health_book()
            return p.card_state in ("003", "004", "010") and bool(book["diUng"]) and bool(book["benhManTinh"])

        first = self.person(telling, taken)
        patient = clinic.identify(identity_from_payload(parse_payload(first.cccd_qr)))
        clinic.record_consent(patient, {"care": True}, "desk")
        clinic.check_in(patient, "K01")
        window.handle_payload(parse_payload(first.cccd_qr))
        self.wait("reception-patient", lambda: window.lookup_result is not None, settle=1.0)
        self.shoot("reception-patient", "reception", window)

        second = self.person(lambda p: p.card_state == "000", taken)
        window.handle_payload(parse_payload(second.cccd_qr))
        self.wait("reception-second-scan", lambda: any(w.isVisible() for w in window.findChildren(QWidget)
                                                       if w.objectName() == "switchPrompt"), timeout=5, settle=0.5)
        self.shoot("reception-second-scan", "reception", window)
        window.accept_switch()
        self.wait("reception-checked-in", lambda: window.lookup_result is not None
                  and window.lookup_result.patient.full_name.upper() == second.full_name.upper(), settle=0.5)
        self._answer_consent(window)
        window.on_check_in()
        self.wait("reception-checked-in", lambda: window.last_print is not None, settle=0.8)
        self.shoot("reception-checked-in", "reception", window)

        window.clear_patient()
        self.world.faults = Faults(error_rate=1.0, error_status=503)  # the BHXH gateway is down
        try:
            third = self.person(lambda p: p.card_state == "000", taken)
            window.handle_payload(parse_payload(third.cccd_qr))
            self.wait("reception-gateway-down", lambda: window.lookup_result is not None, settle=1.0)
            self.shoot("reception-gateway-down", "reception", window)
        finally:
            self.world.faults = Faults()
        window.clear_patient()
        window.close()

        lost = self.open(ReceptionWindow(clinic, camera="97"), "reception")  # a camera that is not there
        self.wait("reception-camera-lost", lambda: bool(lost.coaching.text()), settle=1.5)
        self.shoot("reception-camera-lost", "reception", lost)
        self._new_patient(lost)
        self.shoot("reception-new-patient", "reception", lost)
        lost.close()

    @staticmethod
    def _answer_consent(window) -> None:  # noqa: ANN001
        box = getattr(window, "consent_box", None)
        if box is not None and box.isVisible():
            box.yes["care"].click()

    def _new_patient(self, window) -> None:  # noqa: ANN001
        """The receptionist types a newcomer known by name and date of birth: what will be saved is shown first."""
        form = getattr(window, "manual_form", None) or getattr(window, "name_form", None)
        tabs = getattr(window, "manual_tabs", None)
        if form is None and tabs is not None:
            form = tabs.widget(tabs.count() - 1)
        if tabs is not None and form is not None:
            tabs.setCurrentWidget(form)
        form.name_input.setText("Nguyễn Thị Mai Anh")
        form.dob_input.setText("23071984")
        female = getattr(form, "female", None)
        if female is not None:
            female.setChecked(True)
        self.wait("reception-new-patient", lambda: True, settle=0.5)

    def doctor(self, taken: set[int]) -> None:
        from ui.doctor import DoctorWindow

        clinic = self.clinic("doctor")
        desk = self.clinic("reception")
        for p in [self.person(lambda p: p.card_state == "000" and p.history_length >= 3, taken) for _ in range(3)]:
            self._check_in(desk, p, "K01")
        window = self.open(DoctorWindow(clinic), "doctor")
        window.department.setCurrentIndex(0)
        window.refresh_queue()
        self.wait("doctor-queue", lambda: window.queue.count() >= 2, settle=0.5)
        self.shoot("doctor-queue", "doctor", window)
        window.call_next()
        self.wait("doctor-healthbook", lambda: window.visit is not None, settle=1.0)
        window.tabs.setCurrentIndex(0)
        self.shoot("doctor-healthbook", "doctor", window)
        book = window.health
        book.tabs.setCurrentIndex(2)  # lab results, with the trend of the first indicator
        if book.labs.rowCount():
            book.labs.selectRow(0)
        self.wait("doctor-labs", lambda: True, settle=0.5)
        self.shoot("doctor-labs", "doctor", window)
        window.tabs.setCurrentIndex(1)
        for key, value in zip(["pulse", "temperature", "bp_sys", "bp_dia", "resp_rate", "weight", "height", "spo2"],
                              "82 37.2 165 95 18 58 155 97".split(), strict=True):
            window.vitals[key].setText(value)
        window.reason.setText("Sốt, ho 2 ngày")
        window.icd_search.setText("viem hong cap")
        self.wait("doctor-visit-form", lambda: window.icd_results.count() > 0)
        window.add_diagnosis(True)
        for count, typed in enumerate(("paracetamol", "amlo"), 1):  # from the drug catalogue, as the doctor types
            window.rx_box.search_field.setText(typed)
            window.rx_box.add_highlighted()  # added when the catalogue answers
            self.wait("doctor-visit-form", lambda n=count: len(window.rx_box.lines()) == n, settle=0)
        from ui.prescription_box import COLUMNS

        window.rx_box.table.item(0, COLUMNS.index("days")).setText("3")  # paracetamol for three days
        window.re_exam_date.setText((dt.date.today() + dt.timedelta(days=7)).strftime("%d/%m/%Y"))
        self.wait("doctor-visit-form", lambda: True, settle=0.5)
        self.shoot("doctor-visit-form", "doctor", window)
        window.finalise()  # the review before sending, then its «Gửi cổng BHXH», as the doctor presses it
        self.wait("doctor-finalised", lambda: window.review is not None and window.review.isVisible())
        window.review.send_button.click()
        self.wait("doctor-finalised", lambda: bool(window.visit and window.visit.get("status") == "final"),
                  timeout=30, settle=1.5)
        self.shoot("doctor-finalised", "doctor", window)

    @staticmethod
    def _check_in(desk: Clinic, person, department: str) -> None:  # noqa: ANN001
        """At the desk: the patient identified, their answer on data for care recorded, a ticket issued."""
        patient = desk.identify(identity_from_payload(parse_payload(person.cccd_qr)))
        desk.record_consent(patient, {"care": True}, "desk")
        desk.check_in(patient, department)

    def kiosk(self, taken: set[int]) -> None:
        from ui.kiosk_window import CONFIRM, START, TICKET, KioskWindow

        clinic = self.clinic("kiosk")
        window = self.open(KioskWindow(clinic, camera=str(self.still)), "kiosk")
        window.camera.start(CaptureSource(str(self.still), live=True, loop=True))  # a camera that keeps running
        self.wait("kiosk-idle", lambda: window.pages.currentIndex() == START, settle=1.0)
        self.shoot("kiosk-idle", "kiosk", window)
        person = self.person(lambda p: p.card_state == "000", taken)
        window.handle_payload(parse_payload(person.cccd_qr))
        self.wait("kiosk-confirm", lambda: window.pages.currentIndex() == CONFIRM)
        self.shoot("kiosk-confirm", "kiosk", window)
        window.choose_service()
        self.wait("kiosk-service", lambda: window._card is not None)
        self.shoot("kiosk-service", "kiosk", window)
        window.service_buttons[0].click()
        if window.department_buttons and window.pages.currentIndex() != TICKET:
            window.department_buttons[0].click()
        self.wait("kiosk-ticket", lambda: window.pages.currentIndex() == TICKET)
        self.shoot("kiosk-ticket", "kiosk", window)
        window.wipe()
        window.show_page(1)
        for key in "079999999999✓":
            window.on_key(key)
        self.wait("kiosk-unknown", lambda: bool(window.start_notice.text()))
        self.shoot("kiosk-unknown", "kiosk", window)
        window.wipe()
        window.ask_exit()
        for key in "24":
            window.pin_pad.press(key)
        self.wait("kiosk-admin-pin", lambda: window.pin_pad.isVisible())
        self.shoot("kiosk-admin-pin", "kiosk", window)
        window.pin_pad.reject()

    def board(self, taken: set[int]) -> None:
        from ui.board import BoardWindow

        clinic = self.clinic("board")
        doctor = self.clinic("doctor")
        desk = self.clinic("reception")
        for p in [self.person(lambda p: p.card_state == "000", taken) for _ in range(4)]:
            self._check_in(desk, p, "K02")
        doctor.call_next("K02", clinic.settings.department("K02")["rooms"][0])
        window = self.open(BoardWindow(clinic), "board")
        self.wait("board-calling", lambda: True, settle=2.0)
        self.shoot("board-calling", "board", window)
        window.close()
        small = self.open(BoardWindow(clinic), "board", (1280, 720))  # a smaller hall screen, from the start
        self.wait("board-720p", lambda: small.width() == 1280, settle=2.0)
        self.shoot("board-720p", "board", small)


def render(out: Path, only: set[str] | None = None, language: str = "vi") -> dict:
    """Render the gallery into ``out``; returns the index (also written to ``out/index.json``)."""
    out.mkdir(parents=True, exist_ok=True)
    i18n.set_language(language)
    app = QApplication.instance() or QApplication(["clinic-kiosk-screens"])
    app.setQuitOnLastWindowClosed(False)
    with tempfile.TemporaryDirectory(prefix="clinic-kiosk-screens-") as home:
        gallery = Gallery(out, Path(home))
        shots = gallery.run(only)
    wanted = [s for s in STATES if not only or s in only]
    by_name = {s.name: s for s in shots}
    index = {"made_at": dt.datetime.now().isoformat(timespec="seconds"), "language": language,
             "states": [asdict(by_name[name]) if name in by_name else
                        asdict(Shot(name, name.split("-")[0], 0, 0, "", error="not rendered")) for name in wanted]}
    (out / "index.json").write_text(json.dumps(index, ensure_ascii=False, indent=2), encoding="utf-8")
    return index
