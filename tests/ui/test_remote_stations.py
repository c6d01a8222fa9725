"""Station windows on the clinic server: the board follows the queue within a second; the
reception shows a lost server at once, keeps checking patients in offline, and hands them in."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.kiosk.clinic_world import World
from tests.kiosk.sandbox_fixtures import sandbox  # noqa: F401 - fixture
from tests.ui.conftest import widget_texts
from ui.board import BoardWindow
from ui.reception import ReceptionWindow

pytestmark = pytest.mark.gui


@pytest.fixture
def world(tmp_path: Path, sandbox) -> Iterator[World]:  # noqa: F811
    w = World(tmp_path, sandbox.url, "remote")
    yield w
    w.close()


def _qr(sandbox, index: int) -> str:  # noqa: F811
    return [p for p in sandbox.world.people if p.card_state == "000"][index].cccd_qr


def test_remote_board_shows_a_check_in_within_a_second(qtbot, world: World, sandbox) -> None:  # noqa: F811
    from kiosk.identify import identity_from_payload
    from scanner.payloads import parse_payload

    board = BoardWindow(world.station("board", "hall"))
    qtbot.addWidget(board)
    qtbot.waitUntil(lambda: board.state is not None, timeout=5000)
    desk = world.station("reception", "desk")
    patient = desk.identify(identity_from_payload(parse_payload(_qr(sandbox, 0))))
    desk.record_consent(patient, {"care": True}, "reception")
    start = time.monotonic()
    desk.check_in(patient, "K01")
    qtbot.waitUntil(lambda: board.state is not None and board.state.waiting.get("K01") == 1, timeout=3000)
    assert time.monotonic() - start < 1.0
    board.close()


def test_reception_keeps_working_offline_and_hands_in(qtbot, world: World, sandbox, artifacts: Path,  # noqa: F811
                                                      tmp_path: Path) -> None:
    from kiosk.server.run import start_server

    clinic = world.station("reception", "desk-1")
    window = ReceptionWindow(clinic, camera="97")
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    port = int(world.server.url.rsplit(":", 1)[1])
    world.server.stop()
    window.on_typed_scan(_qr(sandbox, 1))
    qtbot.waitUntil(lambda: window.server_warning.isVisible(), timeout=5000)
    qtbot.waitUntil(lambda: window.lookup_result is not None, timeout=10000)
    assert window.checkin_button.isEnabled(), "the patient stays on screen and can be checked in"
    assert "Ngoại tuyến" in widget_texts(window.panel), "the panel says the health book is offline"
    window.on_check_in()
    qtbot.waitUntil(lambda: window.last_print is not None, timeout=10000)
    label = window.ticket_label.text()
    assert label.split()[0][0].isalpha(), f"an offline number of this station's series: {label}"
    window.grab().save(str(artifacts / "reception-offline.png"))
    import shutil

    shutil.copyfile(window.last_print.pdf_path, artifacts / "ticket-offline.pdf")
    world.server = start_server(world.core, port=port, cert_dir=tmp_path / "server-tls")
    qtbot.waitUntil(lambda: not window.server_warning.isVisible(), timeout=15000)
    numbers = [r[0] for r in world.store.conn.execute("SELECT number FROM tickets")]
    assert numbers == [window.last_checkin.ticket.number]
    window.close()


def test_remote_doctor_room_calls_records_and_prints(qtbot, world: World, sandbox, artifacts: Path) -> None:  # noqa: F811
    from kiosk.identify import identity_from_payload
    from scanner.payloads import parse_payload
    from ui.doctor import DoctorWindow

    window = DoctorWindow(world.station("doctor", "room-101"))
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    desk = world.station("reception", "desk")
    patient = desk.identify(identity_from_payload(parse_payload(_qr(sandbox, 4))))
    found = desk.lookup(patient, desk.lookup_staff())
    desk.record_consent(found.patient, {"care": True}, "reception")
    desk.check_in(found.patient, "K01", card_check=found.card_check)
    qtbot.waitUntil(lambda: window.queue.count() >= 1, timeout=3000)  # the long-poll brings it
    window.call_next()
    qtbot.waitUntil(lambda: window.visit is not None, timeout=15000)
    assert patient.full_name.upper() in window.health.banner.text().upper()
    window.tabs.setCurrentIndex(1)
    window.reason.setText("Sốt, ho 2 ngày")
    window.icd_search.setText("viem mui hong")
    qtbot.waitUntil(lambda: window.icd_results.count() > 0, timeout=5000)
    window.add_diagnosis(True)
    window.rx_box.search_field.setText("paracetamol")  # the catalogue, searched through the clinic server
    qtbot.waitUntil(lambda: window.rx_box.results.count() > 0 and not window.rx_box._searching, timeout=10000)
    window.rx_box.add_highlighted()
    window.finalise()
    window.review.send_button.click()  # the doctor reads the summary and sends it
    qtbot.waitUntil(lambda: window.visit["status"] == "final", timeout=15000)
    qtbot.waitUntil(lambda: "transaction" in window.visit_status.text() or "mã giao dịch" in window.visit_status.text(),
                    timeout=15000)
    window.grab().save(str(artifacts / "doctor-remote-1366x768.png"))
    window.print_buttons["prescription"].click()
    qtbot.waitUntil(lambda: window.last_print is not None, timeout=10000)
    assert window.last_print.pdf_path.exists(), "printed on the room's own printer (here: the PDF kept)"
    assert world.store.conn.execute("SELECT COUNT(*) FROM print_jobs WHERE document = 'prescription'").fetchone()[0] == 1
    window.close()


def test_remote_kiosk_gives_offline_numbers_and_says_so(qtbot, world: World, sandbox, artifacts: Path) -> None:  # noqa: F811
    from kiosk.identify import identity_from_payload
    from scanner.payloads import parse_payload
    from ui.kiosk_window import KioskWindow

    window = KioskWindow(world.station("kiosk", "hall"), camera="97")
    qtbot.addWidget(window)
    window.resize(1080, 1920)
    window.show()
    world.server.stop()
    window.handle_payload(parse_payload(_qr(sandbox, 5)))
    qtbot.waitUntil(lambda: window.patient is not None, timeout=10000)
    assert window.server_warning.isVisible()
    window.check_in(window.clinic.settings["facility.departments"][0]["code"])
    qtbot.waitUntil(lambda: window.last_print is not None, timeout=10000)
    assert window.last_checkin.ticket.station == "offline"
    assert window.ticket_number.text()[0].isalpha()
    window.grab().scaled(540, 960).save(str(artifacts / "kiosk-offline.png"))
    del identity_from_payload
    window.close()
