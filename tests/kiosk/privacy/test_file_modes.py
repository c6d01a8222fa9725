"""Personal data at rest is the user's only (0600 files, 0700 folders, even without umask 077), old
installations are fixed when the store opens, and the print spool and offline.db are purged after
their retention (printing.spool_keep_days, offline.keep_days)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import stat
from pathlib import Path

import pytest

from kiosk import checkin, cli, paper, patients, retention
from kiosk.errors import SettingsError
from kiosk.identify import identity_from_payload
from kiosk.model import DatePrecision, Identity, IdentitySource, TicketStatus
from kiosk.privacy import filemodes
from kiosk.privacy.logs import setup_logging, write_crash_report
from kiosk.remote.offline import OfflineSpool
from kiosk.settings import OPTIONS_BY_KEY, Settings
from kiosk.store import backup
from kiosk.store.opening import open_configured
from scanner.payloads import parse_payload
from tests.scanner.test_payloads import CCCD

pytestmark = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def not_private(*roots: Path) -> list[str]:
    """Every file under ``roots`` that is not 0600 and every folder that is not 0700."""
    wrong = []
    for root in roots:
        if mode(root) != 0o700:
            wrong.append(f"{root} {oct(mode(root))}")
        for folder, dirs, files in os.walk(root):
            for name in dirs:
                if mode(Path(folder, name)) != 0o700:
                    wrong.append(f"{Path(folder, name)} {oct(mode(Path(folder, name)))}")
            for name in files:
                path = Path(folder, name)
                if not path.is_symlink() and mode(path) != 0o600:
                    wrong.append(f"{path} {oct(mode(path))}")
    return wrong


@pytest.fixture
def default_umask() -> None:
    """What an unconfigured process has: files 0644, folders 0755 (the protection must not rely on
    the entry points' umask 077)."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def demo_flow(settings: Settings, printer_dir: Path) -> dict:
    """Open the store, register and check in a patient, print the ticket to a folder printer, take
    a backup, write logs and a crash report."""
    settings.set_for_run("printing.ticket_printer", f"folder:{printer_dir}")
    setup_logging(settings.paths.log_dir)
    with open_configured(settings) as store:
        patient = patients.register(store, identity_from_payload(parse_payload(CCCD)))
        ticket = checkin.check_in(store, patient.id, settings["facility.departments"][0]).ticket
        job, outcome = paper.print_document(store, settings, "ticket", ticket_id=ticket.id)
        assert outcome.printed, outcome.message_en
        made = backup.make(store, settings.backup_dir())
        logging.getLogger("kiosk.test").info("checked in %s", patient.patient_code)
        for handler in logging.getLogger().handlers:
            handler.flush()
        try:
            raise RuntimeError("boom")
        except RuntimeError as exc:
            crash = write_crash_report(settings.paths.crash_dir, type(exc), exc, exc.__traceback__)
        return {"db": store.path, "pdf": outcome.pdf_path, "backup": made, "crash": crash, "job": job}


def test_demo_flow_leaves_only_private_files(default_umask, kiosk_home, tmp_path) -> None:
    settings = Settings()
    settings.set_user("ui.language", "en")  # the user settings file and its folder
    done = demo_flow(settings, tmp_path / "printer")
    wal = done["db"].with_name(done["db"].name + "-wal")
    with open_configured(settings):  # open: the -wal and -shm exist now
        assert wal.exists()
        assert mode(wal) == 0o600 and mode(done["db"].with_name(done["db"].name + "-shm")) == 0o600
        paths = settings.paths
        assert not not_private(paths.data_dir, paths.log_dir, paths.user_config_file.parent)
    for key in ("db", "pdf", "backup", "crash"):
        assert mode(done[key]) == 0o600, key
    assert done["pdf"].parent.parent == paths.data_dir / "printed" and mode(done["pdf"].parent) == 0o700
    assert mode(paths.log_dir / "clinic-kiosk.log") == 0o600
    assert kiosk_home.stat().st_mode & 0o077 == 0  # the folder made to hold all of it


def test_exports_are_private_without_the_umask(default_umask, kiosk_home, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr("kiosk.cli.commands.private_umask", lambda: None)  # the explicit mode, not the umask
    settings = Settings()
    with open_configured(settings) as store:
        patients.register(store, identity_from_payload(parse_payload(CCCD)))
    monkeypatch.setattr("kiosk.cli.admin.require", lambda *a: None)
    out = tmp_path / "exports" / "patient.json"
    assert cli.main(["patient", "export", "001099012345", "--out", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["patient"]["id_number"] == "001099012345"
    assert mode(out) == 0o600 and mode(out.parent) == 0o700


def test_entry_point_sets_umask_077(kiosk_home) -> None:
    assert cli.main(["config", "path"]) == 0
    now = os.umask(0o077)
    assert now == 0o077  # the keep_umask fixture puts the test process's own back afterwards


def test_existing_readable_files_are_fixed_at_next_open(default_umask, kiosk_home, tmp_path) -> None:
    settings = Settings()
    done = demo_flow(settings, tmp_path / "printer")
    paths = settings.paths
    outside = tmp_path / "elsewhere.txt"
    outside.write_text("not ours to change")
    os.chmod(outside, 0o644)
    os.symlink(outside, done["pdf"].parent / "link.pdf")  # a link out of the folder: never followed
    (paths.data_dir / "offline.db").write_bytes(b"")
    for path in (done["db"], done["pdf"], done["backup"], done["crash"], paths.log_dir / "clinic-kiosk.log",
                 paths.data_dir / "offline.db"):
        os.chmod(path, 0o644)
    for folder in (paths.data_dir, done["pdf"].parent, settings.backup_dir(), paths.log_dir, paths.crash_dir):
        os.chmod(folder, 0o755)
    assert not_private(paths.data_dir, paths.log_dir)
    with open_configured(settings):
        assert not not_private(paths.data_dir, paths.log_dir)
    assert mode(outside) == 0o644
    assert filemodes.fix_modes(settings) == 0  # idempotent: nothing left to change


def test_a_chosen_output_folder_keeps_its_mode_its_spool_is_private(default_umask, kiosk_home, tmp_path) -> None:
    chosen = tmp_path / "shared-out"
    chosen.mkdir(mode=0o755)
    os.chmod(chosen, 0o755)
    settings = Settings()
    settings.set_for_run("printing.output_dir", str(chosen))
    pdf = paper.new_pdf_path(settings, "ticket")
    pdf.write_bytes(b"%PDF-")  # as a remote station writes the server's PDF: "wb" keeps the mode
    assert mode(pdf) == 0o600 and mode(pdf.parent) == 0o700 and mode(chosen) == 0o755


def _day_folder(spool: Path, day: str) -> Path:
    folder = spool / day
    folder.mkdir(parents=True)
    (folder / "visit-summary-1.pdf").write_bytes(b"%PDF-")
    return folder


def test_purge_spool_deletes_only_day_folders_past_retention(kiosk_home, tmp_path) -> None:
    settings = Settings()
    spool = paper.output_dir(settings)
    now = dt.datetime(2026, 11, 22, 9, 0)
    old, edge_out, edge_in, today = (_day_folder(spool, d) for d in ("2026-10-01", "2026-11-14", "2026-11-15",
                                                                       "2026-11-22"))
    (spool / "notes").mkdir()
    elsewhere = _day_folder(tmp_path, "2020-01-01")
    os.symlink(elsewhere, spool / "2020-01-01")
    assert paper.purge_spool(settings, now=now) == 2
    assert not old.exists() and not edge_out.exists() and edge_in.exists() and today.exists()
    assert (spool / "notes").exists() and (elsewhere / "visit-summary-1.pdf").exists()
    settings.set_for_run("printing.spool_keep_days", 1)
    assert paper.purge_spool(settings, now=now) == 1 and not edge_in.exists() and today.exists()


def _identity(n: int) -> Identity:
    return Identity(IdentitySource.MANUAL, id_number=f"00109001234{n}", full_name=f"Người Thử {n}",
                    date_of_birth=dt.date(1990, 1, 1), dob_precision=DatePrecision.DAY)


def test_offline_purge_keeps_what_is_not_handed_in(default_umask, kiosk_home, tmp_path) -> None:
    settings = Settings()
    dep = settings["facility.departments"][0]
    spool = OfflineSpool(settings.paths.data_dir / "offline.db")
    try:
        assert mode(spool.path) == 0o600 and mode(spool.path.with_name("offline.db-wal")) == 0o600
        spool.set_station(1)
        now = dt.datetime(2026, 11, 22, 9, 0)
        made = {}
        for name, when in (("old-in", now - dt.timedelta(days=10)), ("old-waiting", now - dt.timedelta(days=10)),
                           ("new-in", now - dt.timedelta(days=2))):
            ticket = spool.check_in(_identity(len(made)), dep, local_id=name, now=when).ticket
            made[name] = spool.print_ticket(settings, ticket)
            assert ticket.status is TicketStatus.WAITING and mode(made[name].pdf_path) == 0o600
        spool.handed_in(["old-in", "new-in"])
        assert spool.purge(7, now=now) == 1
        rows = dict(spool._db.execute("SELECT local_id, handed_in FROM pending").fetchall())
        assert rows == {"old-waiting": 0, "new-in": 1}
        assert [i.local_id for i in spool.pending()] == ["old-waiting"]
        assert not made["old-in"].pdf_path.exists()
        assert made["old-waiting"].pdf_path.exists() and made["new-in"].pdf_path.exists()
        spool.reprint(settings, made["old-waiting"].log_id)  # its ticket can still be reprinted
        with pytest.raises(Exception, match="gone"):
            spool.reprint(settings, made["old-in"].log_id)
        assert spool.purge(7, now=now) == 0  # idempotent
        assert spool.purge(1, now=now + dt.timedelta(days=30)) == 1  # new-in, at last; old-waiting never
        assert [i.local_id for i in spool.pending()] == ["old-waiting"]
        with pytest.raises(ValueError):
            spool.purge(0)
    finally:
        spool.close()


def test_housekeep_files_purges_both(kiosk_home) -> None:
    settings = Settings()
    old = _day_folder(paper.output_dir(settings), "2000-01-01")
    spool = OfflineSpool(settings.paths.data_dir / "offline.db")
    spool.set_station(2)
    spool.check_in(_identity(1), settings["facility.departments"][0], local_id="x",
                   now=dt.datetime(2000, 1, 1, 8, 0))
    spool.handed_in(["x"])
    spool.close()
    done = retention.housekeep_files(settings)
    assert done["spool_folders"] == 1 and done["offline_rows"] == 1 and not old.exists()


def test_retention_settings_exist_with_defaults_and_refuse_zero(kiosk_home) -> None:
    settings = Settings()
    assert settings["printing.spool_keep_days"] == 7 and settings["offline.keep_days"] == 7
    for key in ("printing.spool_keep_days", "offline.keep_days"):
        assert OPTIONS_BY_KEY[key].help
        with pytest.raises(SettingsError):
            settings.set_user(key, "0")
        assert settings.set_user(key, "30") == 30
    settings.paths.user_config_file.write_text("[offline]\nkeep_days = 0\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="keep_days"):
        Settings()
