"""The gateway client against the sandbox over real loopback HTTP."""

from __future__ import annotations

import base64
import dataclasses
import logging
import socket

import pytest
import requests

from kiosk.bhxh.card_codes import CODES, Decision, describe
from kiosk.bhxh.gateway import GatewayAuthError, GatewayClient, GatewayUnavailable, Staff
from kiosk.privacy.logs import setup_logging
from kiosk.sandbox import demo
from kiosk.security.secrets_store import md5_upper
from tests.kiosk.sandbox_fixtures import STAFF, faults, person, request_for

ENVELOPE = """<?xml version="1.0" encoding="utf-8"?>
<GIAMDINHHS><THONGTINDONVI><MACSKCB>01013</MACSKCB></THONGTINDONVI><THONGTINHOSO><NGAYLAP>20261122</NGAYLAP>
<SOLUONGHOSO>1</SOLUONGHOSO><DANHSACHHOSO><HOSO><FILEHOSO><LOAIHOSO>XML1</LOAIHOSO><NOIDUNGFILE>{xml1}</NOIDUNGFILE>
</FILEHOSO></HOSO></DANHSACHHOSO></THONGTINHOSO><CHUKYDONVI/></GIAMDINHHS>"""


def envelope(ma_lk: str) -> bytes:
    xml1 = f'<?xml version="1.0" encoding="utf-8"?><TONG_HOP><MA_LK>{ma_lk}</MA_LK><STT>1</STT></TONG_HOP>'
    return ENVELOPE.format(xml1=base64.b64encode(xml1.encode()).decode()).encode()


def test_every_code_has_a_decision_and_two_messages() -> None:
    for code, info in CODES.items():
        assert info.vi and info.en and info.vi != info.en, code
    assert describe("000").decision is Decision.USABLE
    assert {describe(c).decision for c in ("003", "004")} == {Decision.USABLE_NEW_CARD}
    assert {describe(c).decision for c in ("010", "110", "120", "121", "122", "123", "124")} == {Decision.NOT_USABLE}
    assert {describe(c).decision for c in ("001", "002", "050", "130")} == {Decision.CHECK_PAPER}
    assert {describe(c).decision for c in ("100", "101", "401", "999", None)} == {Decision.RETRY}


@pytest.mark.parametrize(
    ("state", "decision"),
    [("000", Decision.USABLE), ("001", Decision.CHECK_PAPER), ("002", Decision.CHECK_PAPER),
     ("003", Decision.USABLE_NEW_CARD), ("004", Decision.USABLE_NEW_CARD), ("010", Decision.NOT_USABLE),
     ("110", Decision.NOT_USABLE), ("120", Decision.NOT_USABLE), ("121", Decision.NOT_USABLE),
     ("122", Decision.NOT_USABLE), ("123", Decision.NOT_USABLE), ("124", Decision.NOT_USABLE),
     ("130", Decision.CHECK_PAPER)],
)
def test_card_states_map_to_decisions(sandbox, gateway, state: str, decision: Decision) -> None:
    p = person(sandbox, state)
    check = gateway.check_card(request_for(p), STAFF)
    assert check.code == state and check.decision is decision
    assert check.message_vi and check.message_en
    if state in ("003", "004"):
        assert check.new_card is not None and check.new_card.card_number == p.new_card_number
        assert check.card_for_visit.card_number == p.new_card_number, "switch to maTheMoi"
    if state == "000":
        assert check.card.card_number == p.card_number and check.card.holder_name == p.full_name


def test_lookup_by_bhxh_number_and_by_cccd(sandbox, gateway) -> None:
    p = person(sandbox, "000")
    assert gateway.check_card(request_for(p, p.bhxh_number), STAFF).code == "000"
    assert gateway.check_card(request_for(p, p.id_number), STAFF).code == "000"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"full_name": "Xa Văn Không"}, "060"),
        ("first-letter", "061"),
        ("dob", "070"),
        ({"key": "HC4019999999999"}, "050"),
        ({"key": "12345"}, "051"),
        ({"key": "HC4AA0123456789"}, "052"),
        ({"key": "HC9010123456789"}, "053"),
    ],
)
def test_input_errors_ask_to_check_the_card(sandbox, gateway, change, code: str) -> None:
    p = person(sandbox, "000")
    request = request_for(p)
    if change == "first-letter":
        request = dataclasses.replace(request, full_name=p.full_name[:1] + "x" + p.full_name[2:])
    elif change == "dob":
        request = dataclasses.replace(request, date_of_birth=p.date_of_birth.replace(year=p.date_of_birth.year - 1))
    else:
        request = dataclasses.replace(request, **change)
    check = gateway.check_card(request, STAFF)
    assert check.code == code and check.decision is Decision.CHECK_PAPER


def test_staff_must_be_registered_and_named_right(sandbox, gateway) -> None:
    p = person(sandbox, "000")
    assert gateway.check_card(request_for(p), Staff("Nguyễn Thị Lan", "001085009999")).code == "054"
    assert gateway.check_card(request_for(p), Staff("Lê Văn Sai", "001085001234")).code == "055"


def test_history_uses_a_form_body_and_returns_visits(sandbox, gateway) -> None:
    p = next(p for p in sandbox.world.people if p.history_length == 500)
    code, visits = gateway.history(request_for(p), STAFF)
    assert code == "000" and len(visits) == 500
    assert {"maHoSo", "maCSKCB", "ngayVao", "ngayRa", "tenBenh", "tinhTrang", "kqDieuTri"} <= set(visits[0])


def test_sandbox_refuses_a_json_body_for_lskcb2025(sandbox, gateway) -> None:
    access, id_token, _ = gateway._current_token()
    params = {"token": access, "id_token": id_token, "username": sandbox.username,
              "password": md5_upper(sandbox.password)}
    answer = requests.post(f"{sandbox.url}/api/egw/Lskcb2025", params=params, json={"maThe": "x"}, timeout=5)
    assert answer.json()["maKetQua"] == "205"


def test_token_is_cached_and_renewed_once_after_401(sandbox, gateway) -> None:
    p = person(sandbox, "000")
    gateway.check_card(request_for(p), STAFF)
    gateway.check_card(request_for(p), STAFF)
    assert gateway.logins == 1, "the token is reused until it expires"
    requests.post(f"{sandbox.url}/_admin/expire-tokens", timeout=5)
    assert gateway.check_card(request_for(p), STAFF).code == "000"
    assert gateway.logins == 2, "one re-login after the 401"


def test_token_expiry_is_honoured_before_the_gateway_refuses(sandbox) -> None:
    now = [0.0]
    client = GatewayClient(sandbox.url, sandbox.username, md5_upper(sandbox.password), clock=lambda: now[0])
    p = person(sandbox, "000")
    client.check_card(request_for(p), STAFF)
    now[0] += 600  # the sandbox's token lives 600 s; the client renews 30 s early
    client.check_card(request_for(p), STAFF)
    assert client.logins == 2
    client.close()


def test_wrong_password_is_an_auth_error(sandbox) -> None:
    client = GatewayClient(sandbox.url, sandbox.username, md5_upper("wrong"))
    with pytest.raises(GatewayAuthError):
        client.check_card(request_for(person(sandbox, "000")), STAFF)
    client.close()


@pytest.mark.parametrize(
    ("fault", "needle"),
    [
        ({"error_rate": 1.0, "error_status": 503}, "HTTP 503"),
        ({"error_rate": 1.0, "error_status": 500}, "HTTP 500"),
        ({"timeout_rate": 1.0, "timeout_s": 3.0}, "timeout"),
        ({"latency_ms": 2500}, "timeout"),
        ({"drop_rate": 1.0}, "Cannot reach"),
        ({"malformed_rate": 1.0}, "garbage"),
    ],
    ids=["503", "500", "timeout", "latency", "drop", "malformed"],
)
def test_injected_faults_become_gateway_unavailable(sandbox, gateway, fault, needle: str) -> None:
    faults(sandbox, **fault)
    with pytest.raises(GatewayUnavailable) as err:
        gateway.check_card(request_for(person(sandbox, "000")), STAFF)
    assert needle in err.value.en


def test_wrong_code_fault_means_retry(sandbox, gateway) -> None:
    p = person(sandbox, "000")
    gateway.check_card(request_for(p), STAFF)  # log in first: the fault hits the lookup
    faults(sandbox, wrong_code_rate=1.0, paths=["/api/egw"])
    check = gateway.check_card(request_for(p), STAFF)
    assert check.code == "999" and check.decision is Decision.RETRY


def test_small_latency_is_just_slower(sandbox, gateway) -> None:
    faults(sandbox, latency_ms=200)
    assert gateway.check_card(request_for(person(sandbox, "000")), STAFF).code == "000"


def test_claim_submission_receipt_and_idempotency(sandbox, gateway, tmp_path) -> None:
    signer = demo.demo_signer(tmp_path)  # the portal takes signed claims only (test_signing.py)
    first = gateway.submit_claim(signer.sign(envelope("01013-2611220001")), "01013")
    assert first.accepted and first.transaction.startswith("GD") and first.received_at is not None
    again = gateway.submit_claim(signer.sign(envelope("01013-2611220001")), "01013")
    assert again.transaction == first.transaction, "the same MA_LK is received once"
    bad = gateway.submit_claim(b"<GIAMDINHHS><broken>", "01013")
    assert bad.code == "400" and not bad.accepted and "XML" in bad.message
    wrong_facility = gateway.submit_claim(signer.sign(envelope("01013-2611220002")), "79024")
    assert wrong_facility.code == "400"


def test_checkin_xml0(sandbox, gateway, tmp_path) -> None:
    xml0 = ("<CHI_TIEU_TRANG_THAI_KCB><DSACH_TRANG_THAI_KCB><TRANG_THAI_KCB><MA_LK>01013-2611220009</MA_LK>"
            "<STT>1</STT></TRANG_THAI_KCB></DSACH_TRANG_THAI_KCB></CHI_TIEU_TRANG_THAI_KCB>").encode()
    receipt = gateway.submit_checkin(demo.demo_signer(tmp_path).sign(xml0), "01013")
    assert receipt.accepted


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_no_secret_reaches_the_log_or_the_error(sandbox, tmp_path) -> None:
    log_file = setup_logging(tmp_path, level=logging.DEBUG)
    password_md5 = md5_upper(sandbox.password)
    client = GatewayClient(sandbox.url, sandbox.username, password_md5, read_timeout=2)
    p = person(sandbox, "000")
    client.check_card(request_for(p), STAFF)
    client.history(request_for(p), STAFF)
    access, id_token, _ = client._current_token()
    requests.post(f"{sandbox.url}/_admin/expire-tokens", timeout=5)
    client.check_card(request_for(p), STAFF)
    down = GatewayClient(f"http://127.0.0.1:{_closed_port()}", sandbox.username, password_md5)
    down._token = (access, id_token, float("inf"))
    with pytest.raises(GatewayUnavailable) as err:
        down.check_card(request_for(p), STAFF)
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = log_file.read_text(encoding="utf-8") + str(err.value) + repr(client) + repr(STAFF)
    for secret in (password_md5, password_md5.lower(), access, id_token, sandbox.password, STAFF.cccd):
        assert secret not in text
    assert "gateway" in text
    client.close()
    down.close()
