"""From a parsed QR payload (or typed details) to the model's Identity."""

from __future__ import annotations

from kiosk.model import DatePrecision, Identity, IdentitySource, Sex
from kiosk.privacy import masking
from scanner.payloads import Payload


def identity_from_payload(payload: Payload) -> Identity:
    """A validated CCCD/VNeID or BHYT payload as an Identity (the name is remembered for masking)."""
    if not payload.ok or payload.kind not in ("cccd", "bhyt"):
        raise ValueError("only a valid cccd or bhyt payload makes an identity")
    f = payload.fields
    birth = payload.dates.get("date_of_birth")
    issued = payload.dates.get("issue_date")
    masking.remember(f.get("full_name"), f.get("address"))
    return Identity(
        source=IdentitySource(payload.kind),
        id_number=f.get("id_number", ""),
        old_id_number=f.get("old_id_number", ""),
        full_name=f["full_name"],
        date_of_birth=birth[0] if birth else None,
        dob_precision=DatePrecision(birth[1]) if birth else DatePrecision.DAY,
        sex=Sex(f["sex"]) if f.get("sex") else None,
        address=f.get("address", ""),
        issue_date=issued[0] if issued else None,
        card_number=f.get("card_number", ""),
    )
