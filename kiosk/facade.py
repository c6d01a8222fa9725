"""The core's facade: every use case a station, the CLI or a test runs goes through ``Clinic``.

Later issues add identify, check card, health book, check-in, visit and print use cases here; the
windows in ui/ never touch SQL or HTTP themselves.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from kiosk.settings import Settings
from kiosk.store import Store, open_store


@dataclass(frozen=True)
class DepartmentQueue:
    code: str
    name: str
    name_en: str
    rooms: tuple[str, ...]
    waiting: int
    calling: tuple[tuple[str, int], ...]  # (room, number) being called now


class Clinic:
    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store

    @classmethod
    def open(cls, settings: Settings | None = None, db_path: Path | None = None) -> Clinic:
        settings = settings or Settings()
        return cls(settings, open_store(db_path or settings.db_path()))

    def close(self) -> None:
        self.store.close()

    def queue_overview(self, day: dt.date | None = None) -> list[DepartmentQueue]:
        """Per department: how many wait, and which numbers are being called to which room."""
        day = day or dt.date.today()
        rows = self.store.conn.execute(
            "SELECT department_code, status, room, number FROM tickets WHERE day = ?",
            (day.isoformat(),),
        ).fetchall()
        result = []
        for dep in self.settings["facility.departments"]:
            mine = [r for r in rows if r[0] == dep["code"]]
            result.append(
                DepartmentQueue(
                    code=dep["code"],
                    name=dep["name"],
                    name_en=dep.get("name_en", dep["name"]),
                    rooms=tuple(dep.get("rooms", [])),
                    waiting=sum(1 for r in mine if r[1] == "waiting"),
                    calling=tuple((r[2], r[3]) for r in mine if r[1] == "called"),
                )
            )
        return result
