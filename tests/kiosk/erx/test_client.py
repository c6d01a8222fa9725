"""The national prescription system's client against the sandbox's stand-in over real loopback HTTP; its passwords
in the keyring; ``clinic-kiosk erx set-password`` and ``erx check``."""

from __future__ import annotations

import argparse
import io
import logging
import socket
import sys
import time
from collections.abc import Iterator
from typing import Any

import keyring
import pytest
import requests
from keyring.backend import KeyringBackend
from keyring.backends import fail

from kiosk.cli import erx as erx_cli
from kiosk.errors import BadInput
from kiosk.erx.client import ErxAuthError, ErxClient, ErxRefused, ErxUnavailable, SendResult
from kiosk.sandbox import demo
from kiosk.sandbox.erx_standin import DEMO_CLINIC_PASSWORD, DEMO_DOCTOR_CODE, checksum
from kiosk.sandbox.runner import RunningSandbox
from kiosk.security.secrets_store import ENV_ERX_PASSWORD, NoKeyring, erx_password, set_erx_password
from kiosk.settings import Settings
from kiosk.store.opening import open_configured
from tests.kiosk.sandbox.erx_bodies import PATIENT_ID, PATIENT_NAME, body, child_born
from tests.kiosk.sandbox_fixtures import faults


def admin(sandbox: RunningSandbox, path: str, **data: Any) -> dict[str, Any]:
    if data or path != "erx/prescriptions":
        answer = requests.post(f"{sandbox.url}/_admin/{path}", json=data, timeout=5)
    else:
        answer = requests.get(f"{sandbox.url}/_admin/{path}", timeout=5)
    answer.raise_for_status()
    return answer.json()


def counters(sandbox: RunningSandbox) -> dict[str, int]:
    return requests.get(f"{sandbox.url}/_admin/stats", timeout=5).json()["counters"]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def erx(sandbox: RunningSandbox, clock: Clock) -> Iterator[ErxClient]:
    requests.post(f"{sandbox.url}/_admin/reset", timeout=5)
    client = ErxClient(sandbox.url, sandbox.erx_facility, sandbox.erx_password,
                       doctor_password=sandbox.erx_doctor_passwords.get, connect_timeout=1.0, read_timeout=2.0,
                       clock=clock)
    yield client
    client.close()
    requests.post(f"{sandbox.url}/_admin/reset", timeout=5)


def test_clinic_login_add_doctor_doctor_login_and_send(erx: ErxClient, sandbox: RunningSandbox) -> None:
    erx.login_clinic()
    assert erx.add_doctor(DEMO_DOCTOR_CODE) is True
    assert erx.add_doctor(DEMO_DOCTOR_CODE) is False  # already added: fine
    erx.login_doctor(DEMO_DOCTOR_CODE)
    sent = body()
    result = erx.send(DEMO_DOCTOR_CODE, sent)
    assert isinstance(result, SendResult)
    assert result.message == "Gửi đơn thuốc thành công"
    assert result.checksum == checksum(sent) and result.answer["checksum"] == result.checksum
    accepted = admin(sandbox, "erx/prescriptions")["accepted"]
    assert accepted[sent["ma_don_thuoc"]]["body"] == sent
    assert counters(sandbox)["erx:doctor_logins"] == 1  # the token was reused for the send


def test_the_first_send_adds_the_doctor_to_the_clinic_once_and_tokens_are_reused(erx: ErxClient,
                                                                                 sandbox: RunningSandbox) -> None:
    for _ in range(3):
        erx.send(DEMO_DOCTOR_CODE, body())
    seen = counters(sandbox)
    assert seen["erx:login_not_added"] == 1 and seen["erx:doctors_added"] == 1
    assert seen["erx:clinic_logins"] == 1 and seen["erx:doctor_logins"] == 1 and seen["erx:accepted"] == 3
    assert admin(sandbox, "erx/prescriptions")["added"] == {sandbox.erx_facility: [DEMO_DOCTOR_CODE]}


def test_a_refused_prescription_names_each_field_in_vietnamese(erx: ErxClient, sandbox: RunningSandbox) -> None:
    drug = {**body()["thong_tin_don_thuoc"][0], "ma_thuoc": "", "so_luong": -1}
    with pytest.raises(ErxRefused) as refused:
        erx.send(DEMO_DOCTOR_CODE, body(gioi_tinh=0, ngay_sinh_benh_nhan="1980-03-15", thong_tin_don_thuoc=[drug]))
    fields = refused.value.fields
    assert set(fields) == {"gioi_tinh", "ngay_sinh_benh_nhan", "thong_tin_don_thuoc.0.ma_thuoc",
                           "thong_tin_don_thuoc.0.so_luong"}
    assert fields["ngay_sinh_benh_nhan"] == ["Trường ngay_sinh_benh_nhan không đúng định dạng dd/mm/yyyy."]
    assert fields["thong_tin_don_thuoc.0.ma_thuoc"] == ["Trường thong_tin_don_thuoc.0.ma_thuoc là bắt buộc."]
    assert refused.value.duplicate is False
    assert "gioi_tinh" in refused.value.vi and "refused" in refused.value.en
    assert admin(sandbox, "erx/prescriptions")["accepted"] == {}


def test_a_code_sent_twice_is_refused_as_duplicate_and_accepted_once(erx: ErxClient, sandbox: RunningSandbox) -> None:
    sent = body()
    first = erx.send(DEMO_DOCTOR_CODE, sent)
    with pytest.raises(ErxRefused) as again:
        erx.send(DEMO_DOCTOR_CODE, dict(sent))
    assert again.value.duplicate is True
    assert again.value.fields == {"ma_don_thuoc": ["Mã đơn thuốc đã tồn tại"]}
    with pytest.raises(ErxRefused) as changed_and_wrong:  # the same code with another mistake is no duplicate
        erx.send(DEMO_DOCTOR_CODE, {**sent, "gioi_tinh": 7})
    assert changed_and_wrong.value.duplicate is False
    seen = admin(sandbox, "erx/prescriptions")
    assert list(seen["accepted"]) == [sent["ma_don_thuoc"]]
    assert seen["accepted"][sent["ma_don_thuoc"]]["checksum"] == first.checksum
    assert seen["sends"] == {sent["ma_don_thuoc"]: 3}


def test_a_refused_session_is_logged_in_again_once(erx: ErxClient, sandbox: RunningSandbox) -> None:
    erx.send(DEMO_DOCTOR_CODE, body())
    admin(sandbox, "erx/expire-tokens")  # the system forgot every session (401 on the next call)
    erx.send(DEMO_DOCTOR_CODE, body())
    seen = counters(sandbox)
    assert seen["erx:unauthorised"] == 1 and seen["erx:doctor_logins"] == 2 and seen["erx:accepted"] == 2
    assert seen["erx:clinic_logins"] == 1  # the doctor's login did not need the clinic again
    assert erx.add_doctor(DEMO_DOCTOR_CODE) is False  # the clinic's expired token: one re-login, then the answer
    assert counters(sandbox)["erx:clinic_logins"] == 2


def test_an_expired_doctor_token_is_renewed(erx: ErxClient, sandbox: RunningSandbox, clock: Clock) -> None:
    erx.send(DEMO_DOCTOR_CODE, body())
    clock.now += 7 * 24 * 3600  # seven days later by our clock: logged in again before sending, no 401 first
    erx.send(DEMO_DOCTOR_CODE, body())
    assert counters(sandbox)["erx:doctor_logins"] == 2 and "erx:unauthorised" not in counters(sandbox)
    admin(sandbox, "erx/token-ttl", seconds=0.05)  # the system's own clock: its token ends before ours
    erx.login_doctor(DEMO_DOCTOR_CODE)
    admin(sandbox, "erx/token-ttl", seconds=3600)
    time.sleep(0.1)
    assert erx.send(DEMO_DOCTOR_CODE, body()).message == "Gửi đơn thuốc thành công"
    seen = counters(sandbox)
    assert seen["erx:unauthorised"] == 1 and seen["erx:doctor_logins"] == 4


def test_wrong_or_missing_passwords_are_auth_errors(sandbox: RunningSandbox) -> None:
    requests.post(f"{sandbox.url}/_admin/reset", timeout=5)
    wrong_clinic = ErxClient(sandbox.url, sandbox.erx_facility, "wrong-password", doctor_password=lambda _: None)
    with pytest.raises(ErxAuthError) as clinic_refused:
        wrong_clinic.login_clinic()
    assert "mật khẩu" in clinic_refused.value.vi and "password" in clinic_refused.value.en
    with pytest.raises(ErxAuthError) as no_password:  # a doctor without a password in the keyring
        wrong_clinic.send(DEMO_DOCTOR_CODE, body())
    assert "erx set-password" in no_password.value.vi
    wrong_doctor = ErxClient(sandbox.url, sandbox.erx_facility, sandbox.erx_password,
                             doctor_password=lambda _: "not-his-password")
    with pytest.raises(ErxAuthError):
        wrong_doctor.send(DEMO_DOCTOR_CODE, body())
    unknown = ErxClient(sandbox.url, sandbox.erx_facility, sandbox.erx_password, doctor_password=lambda _: "pw")
    with pytest.raises(ErxAuthError):
        unknown.send("999999/XX-CCHN", body())
    with pytest.raises(ErxAuthError):
        ErxClient(sandbox.url, "", None, doctor_password=lambda _: None).login_clinic()
    assert admin(sandbox, "erx/prescriptions")["accepted"] == {}


@pytest.mark.parametrize(("fault", "words"), [
    ({"timeout_rate": 1.0, "timeout_s": 0.6}, "thời gian chờ"),
    ({"error_rate": 1.0, "error_status": 503}, "HTTP 503"),
    ({"malformed_rate": 1.0}, "dữ liệu hỏng"),
    ({"wrong_code_rate": 1.0}, "không rõ"),
    ({"drop_rate": 1.0}, "Không kết nối"),
])
def test_a_system_that_does_not_answer_properly_is_unavailable(sandbox: RunningSandbox, erx: ErxClient,
                                                               fault: dict[str, Any], words: str) -> None:
    slow = ErxClient(sandbox.url, sandbox.erx_facility, sandbox.erx_password,
                     doctor_password=sandbox.erx_doctor_passwords.get, connect_timeout=0.5, read_timeout=0.2)
    slow.login_doctor(DEMO_DOCTOR_CODE)  # logged in already: the fault meets the send itself
    faults(sandbox, paths=["/api/v1/gui-don-thuoc"], **fault)
    with pytest.raises(ErxUnavailable) as unavailable:
        slow.send(DEMO_DOCTOR_CODE, body())
    assert words in unavailable.value.vi
    faults(sandbox)
    slow.close()


def test_an_unreachable_system_is_unavailable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = ErxClient(f"http://127.0.0.1:{port}", "0101301", "pw", doctor_password=lambda _: "pw",
                       connect_timeout=0.5, read_timeout=0.5)
    with pytest.raises(ErxUnavailable):
        client.send(DEMO_DOCTOR_CODE, body())


def test_the_young_child_and_the_supply_period_rules_come_back_as_refusals(erx: ErxClient) -> None:
    with pytest.raises(ErxRefused) as child:
        erx.send(DEMO_DOCTOR_CODE, body(ngay_sinh_benh_nhan=child_born(30), ma_dinh_danh_cong_dan=None))
    assert list(child.value.fields) == ["thong_tin_nguoi_giam_ho"]
    assert "72 tháng" in child.value.fields["thong_tin_nguoi_giam_ho"][0]
    for kind in ("n", "h"):
        with pytest.raises(ErxRefused) as no_period:
            erx.send(DEMO_DOCTOR_CODE, body(kind, dot_dung_thuoc=None))
        assert list(no_period.value.fields) == ["dot_dung_thuoc"]


def test_no_secret_and_no_patient_data_in_the_log(erx: ErxClient, sandbox: RunningSandbox,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    sent = body()
    erx.send(DEMO_DOCTOR_CODE, sent)
    with pytest.raises(ErxRefused) as duplicate:
        erx.send(DEMO_DOCTOR_CODE, sent)
    tokens = list(sandbox.world.erx.tokens)  # before the next login prunes the expired ones
    admin(sandbox, "erx/expire-tokens")
    erx.send(DEMO_DOCTOR_CODE, body())
    with pytest.raises(ErxAuthError) as refused:
        ErxClient(sandbox.url, sandbox.erx_facility, "Secret-Clinic-Pw-77",
                  doctor_password=lambda _: None).login_clinic()
    tokens += list(sandbox.world.erx.tokens)
    assert len(set(tokens)) >= 3
    text = caplog.text + str(duplicate.value) + str(refused.value) + repr(erx)
    assert "erx send" in caplog.text  # the sends are logged, masked
    for secret in (*tokens, DEMO_CLINIC_PASSWORD, "Secret-Clinic-Pw-77", sandbox.erx_doctor_passwords[DEMO_DOCTOR_CODE],
                   PATIENT_NAME, PATIENT_ID, sent["ma_don_thuoc"], "J06.9"):
        assert secret not in text, secret


# -- passwords ------------------------------------------------------------------------------------------------------
class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.items.pop((service, username), None)


@pytest.fixture
def memory_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryKeyring]:
    monkeypatch.delenv(ENV_ERX_PASSWORD, raising=False)
    before = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(before)


def test_passwords_live_in_the_keyring_and_the_clinic_may_use_the_environment(
        memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch) -> None:
    assert erx_password(None) is None and erx_password("minh") is None
    set_erx_password(None, "clinic-pw-1")
    set_erx_password("minh", "minh-pw-1")
    assert memory_keyring.items == {("clinic-kiosk", "erx:clinic"): "clinic-pw-1",
                                    ("clinic-kiosk", "erx:minh"): "minh-pw-1"}
    assert erx_password(None) == "clinic-pw-1" and erx_password("minh") == "minh-pw-1"
    monkeypatch.setenv(ENV_ERX_PASSWORD, "from-env")
    assert erx_password(None) == "from-env"  # the environment first, for services
    assert erx_password("minh") == "minh-pw-1"  # a doctor's password never comes from it
    for bad in ("", "two\nlines", "x" * 300):
        with pytest.raises(BadInput):
            set_erx_password("minh", bad)
    with pytest.raises(BadInput):  # would be the clinic's key
        set_erx_password("clinic", "pw")


def test_without_a_keyring_backend_setting_a_password_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        with pytest.raises(NoKeyring) as none:
            set_erx_password(None, "clinic-pw-1")
        assert ENV_ERX_PASSWORD in none.value.vi and ENV_ERX_PASSWORD in none.value.en
        assert "clinic-pw-1" not in str(none.value)
        assert erx_password("minh") is None
    finally:
        keyring.set_keyring(before)


def run_cli(*argv: str, settings: Settings | None = None) -> int:
    parser = argparse.ArgumentParser()
    erx_cli.add_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(list(argv))
    return args.handler(args, settings or Settings())


def test_set_password_reads_one_line_from_stdin_and_never_prints_it(
        memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    settings = Settings()
    with open_configured(settings) as store:
        demo.prepare(store)
    monkeypatch.setattr(sys, "stdin", io.StringIO("Clinic-Secret-1\n"))
    assert run_cli("erx", "set-password", settings=settings) == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO("Minh-Secret-2\r\n"))
    assert run_cli("erx", "set-password", "minh", settings=settings) == 0
    out = capsys.readouterr()
    assert "Clinic-Secret-1" not in out.out + out.err and "Minh-Secret-2" not in out.out + out.err
    assert erx_password(None) == "Clinic-Secret-1" and erx_password("minh") == "Minh-Secret-2"
    monkeypatch.setattr(sys, "stdin", io.StringIO("pw\n"))
    with pytest.raises(BadInput):
        run_cli("erx", "set-password", "nobody", settings=settings)


def test_erx_check_logs_in_the_clinic_and_every_doctor(
        sandbox: RunningSandbox, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    requests.post(f"{sandbox.url}/_admin/reset", timeout=5)
    settings = Settings()
    settings.set_for_run("erx.facility_code", sandbox.erx_facility)
    settings.set_for_run("erx.read_timeout", 1.0)
    with open_configured(settings) as store:
        demo.prepare(store)
        with store.transaction() as db:
            db.execute("UPDATE staff SET erx_code = ? WHERE username = 'minh'", (DEMO_DOCTOR_CODE,))
    monkeypatch.setenv(ENV_ERX_PASSWORD, sandbox.erx_password)
    set_erx_password("minh", sandbox.erx_doctor_passwords[DEMO_DOCTOR_CODE])
    assert run_cli("erx", "check", "--url", sandbox.url, settings=settings) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [f"OK    cơ sở / clinic {sandbox.erx_facility}", f"OK    minh {DEMO_DOCTOR_CODE}"]
    set_erx_password("minh", "wrong-password")
    assert run_cli("erx", "check", "--url", sandbox.url, settings=settings) == 4
    assert capsys.readouterr().out.splitlines()[1].startswith(f"LỖI  minh {DEMO_DOCTOR_CODE}")
    faults(sandbox, error_rate=1.0, paths=["/api/auth/"])
    try:
        assert run_cli("erx", "check", "--url", sandbox.url, settings=settings) == 3
    finally:
        faults(sandbox)
    assert "chưa kiểm tra / not checked" in capsys.readouterr().out
    requests.post(f"{sandbox.url}/_admin/reset", timeout=5)


def test_erx_check_on_the_built_in_sandbox_needs_no_keyring(capsys: pytest.CaptureFixture[str]) -> None:
    settings = Settings()  # erx.url empty: the built-in stand-in with its demo accounts
    with open_configured(settings) as store:
        demo.prepare(store)
        with store.transaction() as db:
            db.execute("UPDATE staff SET erx_code = ? WHERE username = 'minh'", (DEMO_DOCTOR_CODE,))
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        assert run_cli("erx", "check", settings=settings) == 0
    finally:
        keyring.set_keyring(before)
    out = capsys.readouterr()
    assert out.out.splitlines() == ["OK    cơ sở / clinic 0101301", f"OK    minh {DEMO_DOCTOR_CODE}"]
    assert "DEMO" in out.err
