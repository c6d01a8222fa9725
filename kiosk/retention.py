"""What personal data is kept only for a while: the print spool's PDFs (``printing.spool_keep_days``)
and the offline check-ins a station has handed in (``offline.keep_days``), purged by the server's and
the stations' periodic housekeeping, which also keeps the file modes right (kiosk.privacy.filemodes)."""

from __future__ import annotations

import logging

from kiosk import paper
from kiosk.privacy.filemodes import fix_modes
from kiosk.settings import Settings

log = logging.getLogger("kiosk.retention")


def housekeep_files(settings: Settings) -> dict[str, int]:
    """The periodic file housekeeping of a server or a station: purge the print spool's days past
    ``printing.spool_keep_days``, the handed-in offline check-ins past ``offline.keep_days`` (a
    station's offline.db, when there is one), and fix modes. Never raises: it runs in the
    background and says what went wrong in the log."""
    done = {"spool_folders": 0, "offline_rows": 0, "modes_fixed": 0}
    try:
        done["spool_folders"] = paper.purge_spool(settings)
    except OSError as exc:
        log.warning("print spool purge failed: %s", exc)
    offline_db = settings.paths.data_dir / "offline.db"
    if offline_db.is_file():
        try:
            from kiosk.remote.offline import OfflineSpool

            spool = OfflineSpool(offline_db)
            try:
                done["offline_rows"] = spool.purge(settings["offline.keep_days"])
            finally:
                spool.close()
        except Exception as exc:  # sqlite3 errors, a damaged file: the station keeps working
            log.warning("offline spool purge failed: %s", exc)
    done["modes_fixed"] = fix_modes(settings)
    if done["spool_folders"] or done["offline_rows"]:
        log.info("housekeeping: %s", done)
    return done
