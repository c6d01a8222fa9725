"""Prescriptions through the outbox to the national prescription system: kind ``erx``, keyed by the prescription
code. Delivered exactly once: a sender killed between the send and the answer leaves the item to be sent again
after its lease, and the system answers a code it already holds with «already exists» — which, for a send we
already attempted, is the receipt we missed. A refusal (HTTP 422) keeps the per-field messages for the doctor."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from kiosk.bhxh import outbox
from kiosk.bhxh.outbox import Item, Outcome, Sender
from kiosk.erx.body import field_label
from kiosk.erx.client import ErxAuthError, ErxClient, ErxRefused, ErxUnavailable
from kiosk.store.sqlite import Store

log = logging.getLogger("kiosk.erx")
KIND = "erx"


def queue(store: Store, code: str, revision: int, visit_id: int, body: dict[str, Any]) -> None:
    """Queue a prescription's body (inside the caller's transaction)."""
    outbox.enqueue(store, KIND, code, revision, visit_id, json.dumps(body, ensure_ascii=False).encode("utf-8"))


def refusal_lines(errors: dict[str, list[str]]) -> list[str]:
    """«Thuốc 2: mã thuốc — Mã thuốc không được để trống», one line per refused field."""
    return [f"{field_label(field)} — {message}" for field, messages in errors.items() for message in messages]


def _record(store: Store, code: str, **columns: Any) -> None:
    sets = ", ".join(f"{k} = ?" for k in columns)
    with store.transaction() as db:
        db.execute(f"UPDATE prescriptions SET {sets} WHERE code = ?", (*columns.values(), code))  # noqa: S608


def sender(client: ErxClient) -> Sender:
    def send(store: Store, item: Item) -> Outcome:
        row = store.conn.execute("SELECT doctor_code FROM prescriptions WHERE code = ?", (item.ma_lk,)).fetchone()
        if row is None or not row[0]:
            _record(store, item.ma_lk, status="refused", errors_json=json.dumps(
                {"bac_si": ["Bác sĩ kê đơn chưa có mã liên thông đơn thuốc quốc gia"]}, ensure_ascii=False))
            return Outcome("rejected", error="the prescribing doctor has no liên thông code")
        now = dt.datetime.now().isoformat(timespec="seconds")
        try:
            result = client.send(row[0], json.loads(item.payload))
        except ErxRefused as exc:
            if exc.duplicate and item.attempts > 1:  # our earlier send got through; its answer was lost
                _record(store, item.ma_lk, status="sent", answer="Hệ thống đã nhận đơn này ở lần gửi trước",
                        errors_json="", sent_at=now)
                return Outcome("sent", error="")
            _record(store, item.ma_lk, status="refused", errors_json=json.dumps(exc.fields, ensure_ascii=False))
            log.warning("prescription %s…%s refused: fields %s", item.ma_lk[:5], item.ma_lk[-2:],
                        ", ".join(sorted(exc.fields)))
            return Outcome("rejected", error="; ".join(refusal_lines(exc.fields))[:2000])
        except (ErxUnavailable, ErxAuthError) as exc:
            _record(store, item.ma_lk, errors_json="")
            return Outcome("pending", error=exc.en)
        _record(store, item.ma_lk, status="sent", checksum=result.checksum, answer=result.message, errors_json="",
                sent_at=now)
        return Outcome("sent", transaction=result.checksum)

    return send
