"""What stations do by themselves: show a wrong clock at once, take the day's backup."""

from __future__ import annotations

import datetime as dt

from kiosk import checkin, patients
from kiosk.model import DatePrecision, Identity, IdentitySource
from kiosk.store import backup
from ui.board import BoardWindow
from ui.doctor import DoctorWindow


def _future_ticket(clinic) -> None:
    """A ticket another PC (with a right clock) issued three days 'after' this PC's clock."""
    person = patients.register(clinic.store, Identity(IdentitySource.MANUAL, id_number="001090012345",
                                                      full_name="Người Thử", date_of_birth=dt.date(1990, 1, 1),
                                                      dob_precision=DatePrecision.DAY))
    checkin.check_in(clinic.store, person.id, clinic.settings["facility.departments"][0],
                     now=dt.datetime.now() + dt.timedelta(days=3))


def test_staff_station_shows_a_wrong_clock_and_takes_the_daily_backup(qtbot, clinic, artifacts) -> None:
    _future_ticket(clinic)
    window = DoctorWindow(clinic)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitUntil(lambda: window.clock_warning.isVisible(), timeout=5000)
    text = window.clock_warning.text()
    assert "Đồng hồ máy tính" in text and "chỉnh đồng hồ" in text
    qtbot.waitUntil(lambda: backup.latest(clinic.settings.backup_dir()) is not None, timeout=5000)
    window.grab().save(str(artifacts / "doctor-clock-warning.png"))


def test_right_clock_shows_nothing(qtbot, clinic) -> None:
    window = DoctorWindow(clinic)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.housekeeping.verdict is not None, timeout=5000)
    assert window.housekeeping.verdict.ok and not window.clock_warning.isVisible()


def test_board_tells_the_hall_when_the_clock_is_wrong(qtbot, clinic) -> None:
    _future_ticket(clinic)
    window = BoardWindow(clinic)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: "Đồng hồ máy tính" in window.notice.text(), timeout=5000)


def test_station_purges_the_print_spool_past_its_retention(qtbot, clinic) -> None:
    from kiosk import paper

    spool = paper.output_dir(clinic.settings)
    old = spool / (dt.date.today() - dt.timedelta(days=30)).isoformat()
    recent = spool / dt.date.today().isoformat()
    for folder in (old, recent):
        folder.mkdir(parents=True)
        (folder / "ticket-1.pdf").write_bytes(b"%PDF-")
    window = BoardWindow(clinic)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.housekeeping.files_done is not None, timeout=5000)
    assert window.housekeeping.files_done["spool_folders"] == 1
    assert not old.exists() and (recent / "ticket-1.pdf").exists()


def test_a_single_pc_sends_what_waits_in_the_outbox_by_itself(qtbot, clinic) -> None:
    """A prescription that could not go at finalise (the national system was down) goes within minutes on a
    station with its own store, without another visit being finalised — and only when the signed-in user may send."""
    from kiosk.cli.visit import demo_visit_id
    from kiosk.erx import prescriptions
    from kiosk.model import Role
    from kiosk import visits

    visit_id = demo_visit_id(clinic.store, clinic.settings)
    ma_lk = visits.get(clinic.store, visit_id)["ma_lk"]
    clinic.act_as(Role.RECEPTIONIST, "lan")
    window = DoctorWindow(clinic)
    qtbot.addWidget(window)
    window.housekeeping.send_outbox()
    assert window.housekeeping.outbox_sent is None  # a receptionist does not send claims
    clinic.act_as(Role.DOCTOR, "minh")
    window.housekeeping.send_outbox()
    qtbot.waitUntil(lambda: window.housekeeping.outbox_sent is not None, timeout=15000)
    assert [p.status for p in prescriptions.for_episode(clinic.store, ma_lk)] == ["sent"]
