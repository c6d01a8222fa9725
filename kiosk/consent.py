"""Consent records (Luật 91/2025, NĐ 356/2025): one answer per purpose, never pre-ticked, stored
with the text version and its hash, the time and the channel, so that it can be proved. Refusing
an optional purpose never blocks care."""

from __future__ import annotations

import datetime as dt
import hashlib
import tomllib
from dataclasses import dataclass
from functools import cache

from kiosk.errors import BadInput
from kiosk.model import Patient
from kiosk.security import audit
from kiosk.store.sqlite import Store
from kiosk.texts import TEXTS


@dataclass(frozen=True)
class Purpose:
    key: str
    vi: str
    en: str
    required_for_care: bool


@dataclass(frozen=True)
class ConsentText:
    version: str
    sha256: str
    intro_vi: str
    intro_en: str
    purposes: tuple[Purpose, ...]


@cache
def consent_text() -> ConsentText:
    raw = (TEXTS / "consent.toml").read_bytes()
    data = tomllib.loads(raw.decode("utf-8"))
    return ConsentText(data["version"], hashlib.sha256(raw).hexdigest(), data["intro_vi"], data["intro_en"],
                       tuple(Purpose(p["key"], p["vi"], p["en"], bool(p["required_for_care"]))
                             for p in data["purposes"]))


def record(store: Store, patient: Patient, answers: dict[str, bool], *, channel: str, recorded_by: str) -> None:
    """Store the answers given now (a purpose not answered is not consent)."""
    text = consent_text()
    known = {p.key for p in text.purposes}
    unknown = set(answers) - known
    if unknown:
        raise BadInput(f"Mục đích không có: {', '.join(sorted(unknown))}", f"Unknown purposes: {', '.join(sorted(unknown))}")
    now = dt.datetime.now().isoformat(timespec="seconds")
    with store.transaction() as db:
        for key, granted in answers.items():
            db.execute("INSERT INTO consents(patient_id, purpose, granted, text_version, text_sha256, channel, "
                       "recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (patient.id, key, int(bool(granted)), text.version, text.sha256, channel, recorded_by, now))
        audit.append(store, recorded_by, "consent.record", patient=patient,
                     detail=", ".join(f"{k}={'yes' if v else 'no'}" for k, v in sorted(answers.items())))


def current(store: Store, patient: Patient) -> dict[str, dict]:
    """The latest answer per purpose; purposes never answered are absent (= no consent)."""
    rows = store.conn.execute(
        "SELECT purpose, granted, text_version, channel, recorded_by, recorded_at FROM consents WHERE patient_id = ? "
        "ORDER BY recorded_at, id", (patient.id,)).fetchall()
    latest: dict[str, dict] = {}
    for purpose, granted, version, channel, by, at in rows:
        latest[purpose] = {"granted": bool(granted), "text_version": version, "channel": channel, "recorded_by": by,
                           "recorded_at": at}
    return latest


def allows(store: Store, patient: Patient, purpose: str) -> bool:
    return current(store, patient).get(purpose, {}).get("granted", False)
