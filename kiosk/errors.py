"""Typed errors of the core. Each carries a message for people in Vietnamese and English.

The UI and the CLI show ``str(error)`` (Vietnamese, then English); nothing here may contain a full
ID number, a name or a diagnosis, because messages end up in logs.
"""

from __future__ import annotations


class KioskError(Exception):
    """Base of every error the program expects and explains to its user."""

    #: CLI exit code when this error ends a command.
    exit_code = 2

    def __init__(self, vi: str, en: str | None = None) -> None:
        self.vi = vi
        self.en = en or vi
        super().__init__(f"{vi} / {en}" if en else vi)

    def message(self, language: str = "vi") -> str:
        return self.en if language == "en" else self.vi


class BadInput(KioskError):
    """What was typed or scanned cannot be used (exit 1, so 2 and 3 keep their own meanings)."""

    exit_code = 1


class SettingsError(KioskError):
    """A settings file or value is wrong: the message names the file and the key."""


class StoreError(KioskError):
    """The database cannot be opened, migrated or written."""


class DiskFull(StoreError):
    """The disk holding the database is full: the write did not happen (all or nothing)."""


class CorruptStore(StoreError):
    """The database file is damaged; ``backup`` is the last good backup, if there is one."""

    exit_code = 4

    def __init__(self, vi: str, en: str, path: object = None, backup: object = None) -> None:
        super().__init__(vi, en)
        self.path = path
        self.backup = backup


class NoDisplayError(KioskError):
    """A station window was asked for on a machine without a screen."""

    exit_code = 3


class WrongPatient(KioskError):
    """A record (ticket, visit, print job) belongs to another patient than the one it was asked for:
    the action is refused rather than printing or sending for the wrong person."""


class ConsentNeeded(BadInput):
    """Check-in at the desk needs the patient's answer (yes or no) on processing data for care."""


class CardNotUsable(BadInput):
    """An insurance service was chosen for a card the gateway said cannot be used, with no reason given."""


class VisitOpenElsewhere(KioskError):
    """The visit is open at another station; opening it here too needs the user's word (take over)."""

    def __init__(self, vi: str, en: str, holder: str = "") -> None:
        super().__init__(vi, en)
        self.holder = holder


class LockedOut(KioskError):
    """Too many wrong passwords, PINs or pairing codes: wait before the next try."""

    exit_code = 5
    wait_s = 0.0

    def __init__(self, wait_s: float) -> None:
        self.wait_s = wait_s
        wait = max(1, round(wait_s))
        shown_vi = f"{wait} giây" if wait < 120 else f"{round(wait / 60)} phút"
        shown_en = f"{wait} seconds" if wait < 120 else f"{round(wait / 60)} minutes"
        super().__init__(f"Nhập sai quá nhiều lần: thử lại sau {shown_vi}",
                         f"Too many wrong attempts: try again in {shown_en}")


class NotEnrolled(KioskError):
    """The station's token is unknown or disabled: it must be enrolled (again)."""

    exit_code = 5
