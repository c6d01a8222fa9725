"""Signed claims (DOMAIN.md §12): the facility's XML-DSig signature on the claim envelope and the XML0 check-in, from a
PKCS#12 file or a real PKCS#11 token (SoftHSM2, initialised here in a temporary folder), checked by xmlsec1 and in
Python; the outbox signs at send time and keeps a document it cannot sign; the sandbox gateway refuses what is not
signed or was edited after signing."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from lxml import etree

from kiosk.bhxh import outbox, signing, xml130
from kiosk.bhxh.gateway import GatewayClient
from kiosk.sandbox import demo
from kiosk.sandbox.server import SIGNATURE_REFUSED
from kiosk.security.secrets_store import md5_upper
from kiosk.settings import Settings
from kiosk.store.opening import open_store

DS = "{http://www.w3.org/2000/09/xmldsig#}"
P12_PASSWORD = "p12-pass"
PIN, SO_PIN, TOKEN = "123456", "12345678", "clinic-token"
SOFTHSM = next((m for m in ("/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
                            "/usr/local/lib/softhsm/libsofthsm2.so") if Path(m).is_file()), None)
needs_softhsm = pytest.mark.skipif(SOFTHSM is None or shutil.which("softhsm2-util") is None,
                                   reason="SoftHSM2 is not installed (Debian softhsm2; scripts/setup.sh installs it)")
needs_xmlsec1 = pytest.mark.skipif(shutil.which("xmlsec1") is None,
                                   reason="xmlsec1 is not installed (Debian xmlsec1; scripts/setup.sh installs it)")
NOW = dt.datetime.now(dt.UTC)


def _cert(key: rsa.RSAPrivateKey, start: dt.datetime, end: dt.datetime, *, signing_use: bool = True) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test CA for clinic 01013"),
                      x509.NameAttribute(NameOID.COMMON_NAME, "Phòng khám thử 01013")])
    usage = x509.KeyUsage(digital_signature=signing_use, content_commitment=signing_use, key_encipherment=not signing_use,
                          data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                          encipher_only=False, decipher_only=False)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(usage, critical=True).sign(key, hashes.SHA256()))


@dataclass
class Keys:
    folder: Path
    key: rsa.RSAPrivateKey
    cert: x509.Certificate
    pem: Path  # the certificate, for xmlsec1's trust (SSL_CERT_FILE)

    def p12(self, name: str, cert: x509.Certificate | None = None) -> Path:
        path = self.folder / f"{name}.p12"
        path.write_bytes(pkcs12.serialize_key_and_certificates(
            b"facility", self.key, cert or self.cert, None, serialization.BestAvailableEncryption(P12_PASSWORD.encode())))
        return path

    def signer(self, cert: x509.Certificate | None = None, name: str = "valid") -> signing.Signer:
        return signing.Signer(signing.Pkcs12Source(self.p12(name, cert), P12_PASSWORD))


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    folder = tmp_path_factory.mktemp("keys")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = _cert(key, NOW - dt.timedelta(days=1), NOW + dt.timedelta(days=730))
    pem = folder / "facility.pem"
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return Keys(folder, key, cert, pem)


def claim(ma_lk: str = "01013-2612020001", facility: str = "01013") -> bytes:
    xml1 = xml130.table_xml("XML1", [{"MA_LK": ma_lk, "STT": 1, "HO_TEN": "Nguyễn Văn An", "MA_CSKCB": facility}])
    return xml130.envelope(facility, {"XML1": xml1}, dt.date(2026, 12, 2))


def checkin(ma_lk: str = "01013-2612020001") -> bytes:
    return xml130.table_xml("XML0", [{"MA_LK": ma_lk, "STT": 1, "MA_CSKCB": "01013"}])


def xmlsec1(path: Path, trusted: Path) -> subprocess.CompletedProcess[str]:
    """The acceptance command, exactly; xmlsec1 trusts what OpenSSL's default store trusts (SSL_CERT_FILE here)."""
    return subprocess.run(["xmlsec1", "--verify", "--enabled-key-data", "x509", str(path)], capture_output=True,
                          text=True, timeout=30, env={**os.environ, "SSL_CERT_FILE": str(trusted)}, check=False)


def one_character_edited(signed: bytes) -> bytes:
    """One base64 character of the XML1 table (the patient's data) changed."""
    at = signed.index(b"<NOIDUNGFILE>") + len(b"<NOIDUNGFILE>") + 20
    return signed[:at] + (b"B" if signed[at:at + 1] != b"B" else b"C") + signed[at + 1:]


# -- the signature itself -------------------------------------------------------------------------
@needs_xmlsec1
def test_pkcs12_signature_is_enveloped_xmldsig_in_chukydonvi_and_verifies_in_both(keys: Keys, tmp_path: Path) -> None:
    signer = keys.signer()
    for document in (claim(), checkin()):
        signed = signer.sign(document)
        root = etree.fromstring(signed)
        signature = root.find(f"CHUKYDONVI/{DS}Signature")
        assert signature is not None and root[-1].tag == "CHUKYDONVI", "the signature sits in the root's CHUKYDONVI"
        info = signature.find(f"{DS}SignedInfo")
        assert info.find(f"{DS}CanonicalizationMethod").get("Algorithm") == signing.C14N_10
        assert info.find(f"{DS}SignatureMethod").get("Algorithm") == signing.RSA_SHA256
        (reference,) = info.findall(f"{DS}Reference")
        assert reference.get("URI") == ""
        assert [t.get("Algorithm") for t in reference.iter(f"{DS}Transform")] == [signing.ENVELOPED]
        assert reference.find(f"{DS}DigestMethod").get("Algorithm") == signing.SHA256
        in_key_info = signature.findtext(f"{DS}KeyInfo/{DS}X509Data/{DS}X509Certificate")
        assert base64.b64decode("".join(in_key_info.split())) == keys.cert.public_bytes(serialization.Encoding.DER)
        assert signing.verify(signed) == keys.cert
        path = tmp_path / "signed.xml"
        path.write_bytes(signed)
        result = xmlsec1(path, keys.pem)
        assert result.returncode == 0 and "OK" in result.stdout + result.stderr, result.stderr
    again = signer.sign(signed)  # signing a signed document replaces its signature (PKCS#1 v1.5: the same bytes)
    assert len(etree.fromstring(again).findall(f".//{DS}Signature")) == 1 and signing.verify(again) == keys.cert


@needs_xmlsec1
def test_a_one_character_edit_is_caught_by_python_and_by_xmlsec1(keys: Keys, tmp_path: Path) -> None:
    signed = keys.signer().sign(claim())
    edited = one_character_edited(signed)
    with pytest.raises(signing.SignatureInvalid) as err:
        signing.verify(edited)
    assert "sửa sau khi ký" in err.value.vi and "edited after signing" in err.value.en
    path = tmp_path / "edited.xml"
    path.write_bytes(edited)
    assert xmlsec1(path, keys.pem).returncode != 0
    with pytest.raises(signing.NotSigned):
        signing.verify(claim())
    forged = signed.replace(b"<ds:SignatureValue>", b"<ds:SignatureValue>AAAA", 1)
    with pytest.raises(signing.SignatureInvalid):
        signing.verify(forged)


def test_a_certificate_out_of_date_or_not_for_signing_is_refused(keys: Keys) -> None:
    expired = _cert(keys.key, NOW - dt.timedelta(days=800), NOW - dt.timedelta(days=2))
    with pytest.raises(signing.CertificateExpired) as err:
        keys.signer(expired, "expired").sign(claim())
    assert "hết hạn" in err.value.vi and "expired" in err.value.en
    future = _cert(keys.key, NOW + dt.timedelta(days=3), NOW + dt.timedelta(days=700))
    with pytest.raises(signing.CertificateNotYetValid):
        keys.signer(future, "future").sign(claim())
    later = dt.datetime.now() + dt.timedelta(days=5)  # checked against the signing time
    assert signing.verify(keys.signer(future, "future").sign(claim(), now=later), now=later) == future
    with pytest.raises(signing.NotForSigning) as refused:
        keys.signer(_cert(keys.key, NOW - dt.timedelta(days=1), NOW + dt.timedelta(days=9), signing_use=False),
                    "encrypt-only").sign(claim())
    assert "không được phép ký" in refused.value.vi
    with pytest.raises(signing.WrongPin):
        signing.Signer(signing.Pkcs12Source(keys.p12("valid"), "not-the-password")).sign(claim())
    with pytest.raises(signing.TokenAbsent):
        signing.Signer(signing.Pkcs12Source(keys.folder / "missing.p12", P12_PASSWORD)).sign(claim())
    with pytest.raises(signing.NotConfigured, match="set-signing-pin"):
        signing.Signer(signing.Pkcs12Source(keys.p12("valid"), None)).sign(claim())


# -- a real PKCS#11 token -------------------------------------------------------------------------
@dataclass
class Token:
    module: str
    cert: x509.Certificate
    pem: Path

    def signer(self, *, module: str | None = None, token: str = TOKEN, key: str = "facility",
               pin: str = PIN) -> signing.Signer:
        return signing.Signer(signing.Pkcs11Source(module or self.module, token, key, "", pin), name="token")


@pytest.fixture(scope="module")
def token(tmp_path_factory: pytest.TempPathFactory, keys: Keys) -> Token:
    """A SoftHSM2 token of its own (config and token folder in a temporary folder) holding the facility key (imported
    as PKCS#8 by softhsm2-util) and its certificate (a certificate object, as a CA's tool writes it)."""
    import pkcs11
    from pkcs11 import Attribute, CertificateType, ObjectClass

    root = tmp_path_factory.mktemp("softhsm")
    (root / "tokens").mkdir()
    conf = root / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {root / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    before = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    key_file = root / "facility-key.pem"
    key_file.write_bytes(keys.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption()))
    for command in (["--init-token", "--free", "--label", TOKEN, "--pin", PIN, "--so-pin", SO_PIN],
                    ["--import", str(key_file), "--token", TOKEN, "--label", "facility", "--id", "0a0b", "--pin", PIN]):
        subprocess.run(["softhsm2-util", *command], check=True, capture_output=True, timeout=30)
    key_file.unlink()
    lib = pkcs11.lib(SOFTHSM)
    lib.reinitialize()  # SoftHSM2 reads SOFTHSM2_CONF when initialised
    with lib.get_token(token_label=TOKEN).open(rw=True, user_pin=PIN) as session:
        session.create_object({Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                               Attribute.TOKEN: True, Attribute.LABEL: "facility", Attribute.ID: bytes.fromhex("0a0b"),
                               Attribute.SUBJECT: keys.cert.subject.public_bytes(),
                               Attribute.VALUE: keys.cert.public_bytes(serialization.Encoding.DER)})
    yield Token(SOFTHSM, keys.cert, keys.pem)
    pkcs11.unload(SOFTHSM)
    if before is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = before


@needs_softhsm
@needs_xmlsec1
def test_a_softhsm2_token_signs_and_the_signature_verifies_in_both(token: Token, tmp_path: Path) -> None:
    for document in (claim(), checkin()):
        signed = token.signer().sign(document)
        assert signing.verify(signed) == token.cert
        path = tmp_path / "token-signed.xml"
        path.write_bytes(signed)
        assert xmlsec1(path, token.pem).returncode == 0
        path.write_bytes(one_character_edited(signed) if b"NOIDUNGFILE" in document
                         else signed.replace(b"<MA_LK>01013-2612020001", b"<MA_LK>01013-2612020002"))
        assert xmlsec1(path, token.pem).returncode != 0
        with pytest.raises(signing.SignatureInvalid):
            signing.verify(path.read_bytes())


@needs_softhsm
def test_token_errors_are_clear_and_never_show_the_pin(token: Token) -> None:
    with pytest.raises(signing.WrongPin) as wrong:
        token.signer(pin="654321").sign(claim())
    assert "Sai mã PIN" in wrong.value.vi and "Wrong PIN" in wrong.value.en and "654321" not in str(wrong.value)
    with pytest.raises(signing.TokenAbsent) as no_module:
        token.signer(module="/usr/lib/vnpt-ca/libnot-installed.so").sign(claim())
    assert "Cắm token" in no_module.value.vi and "Plug the facility's token" in no_module.value.en
    with pytest.raises(signing.TokenAbsent) as no_token:
        token.signer(token="another-clinic").sign(claim())
    assert "another-clinic" in no_token.value.en
    with pytest.raises(signing.NoKey):
        token.signer(key="no-such-key").sign(claim())
    assert "123456" not in repr(token.signer())


# -- the outbox signs at send time ----------------------------------------------------------------
@pytest.fixture
def store(kiosk_home: Path):  # noqa: ANN201
    s = open_store(Settings().db_path())
    yield s
    s.close()


@pytest.fixture
def client(sandbox):  # noqa: ANN001, ANN201
    requests.post(f"{sandbox.url}/_admin/reset", timeout=5)
    c = GatewayClient(sandbox.url, sandbox.username, md5_upper(sandbox.password), read_timeout=5)
    yield c
    c.close()


def _row(store, ma_lk: str) -> dict:  # noqa: ANN001
    return next(r for r in outbox.status(store) if r["ma_lk"] == ma_lk)


def _portal_calls(sandbox) -> int:  # noqa: ANN001
    return sum(n for k, n in sandbox.world.counters.items() if k.startswith("requests:/api/qd130"))


def test_a_claim_that_cannot_be_signed_is_not_sent_and_waits_with_the_reason(store, sandbox, client,
                                                                            keys: Keys) -> None:
    outbox.enqueue(store, "claim", "01013-2612020001", 1, None, claim())
    expired = keys.signer(_cert(keys.key, NOW - dt.timedelta(days=800), NOW - dt.timedelta(days=1)), "expired")
    assert outbox.drain(store, client, "01013", signer=expired) == {"pending": 1}
    row = _row(store, "01013-2612020001")
    assert row["status"] == "pending" and _portal_calls(sandbox) == 0, "nothing sent"
    vi, _, en = row["last_error"].partition(" / ")  # the doctor's screen shows one language of the two
    assert "hết hạn" in vi and "expired" in en and " / " not in en, "Vietnamese and English for the clinic"
    assert row["next_attempt_at"] > dt.datetime.now().isoformat(), "tried again later"
    absent = signing.Signer(signing.Pkcs11Source("/usr/lib/not-plugged/libtoken.so", TOKEN, "facility", "", PIN))
    later = dt.datetime.now() + dt.timedelta(hours=1)
    assert outbox.drain(store, client, "01013", now=later, signer=absent, max_items=1) == {"pending": 1}
    vi, _, en = _row(store, "01013-2612020001")["last_error"].partition(" / ")
    assert "Cắm token" in vi and "Plug the facility's token" in en and _portal_calls(sandbox) == 0
    assert outbox.drain(store, client, "01013", now=later + dt.timedelta(hours=1), signer=keys.signer()) == {"sent": 1}
    sent = store.conn.execute("SELECT signed_payload FROM outbox WHERE ma_lk = ?", ("01013-2612020001",)).fetchone()[0]
    assert signing.verify(bytes(sent)) == keys.cert
    received = sandbox.world.submissions[("claim", "01013-2612020001")]
    assert received.digest == hashlib.sha256(bytes(sent)).hexdigest(), "the signed bytes kept are those received"


def test_a_resend_after_a_network_failure_is_the_very_same_signed_document(store, sandbox, client, keys: Keys) -> None:
    outbox.enqueue(store, "checkin", "01013-2612020003", 1, None, checkin("01013-2612020003"))
    requests.post(f"{sandbox.url}/_admin/faults", json={"error_rate": 1.0, "paths": ["/api/qd130"]}, timeout=5)
    assert outbox.drain(store, client, "01013", signer=keys.signer()) == {"pending": 1}
    first = store.conn.execute("SELECT signed_payload FROM outbox").fetchone()[0]
    requests.post(f"{sandbox.url}/_admin/faults", json={}, timeout=5)
    later = dt.datetime.now() + dt.timedelta(hours=1)
    assert outbox.drain(store, client, "01013", now=later, signer=keys.signer()) == {"sent": 1}
    assert sandbox.world.submissions[("checkin", "01013-2612020003")].digest == hashlib.sha256(first).hexdigest()


def test_the_sandbox_accepts_a_signed_claim_and_refuses_an_unsigned_or_edited_one(store, sandbox, client,
                                                                                keys: Keys) -> None:
    signer = keys.signer()
    assert client.submit_claim(signer.sign(claim("01013-2612020010")), "01013").accepted
    assert client.submit_checkin(signer.sign(checkin("01013-2612020010")), "01013").accepted
    edited = client.submit_claim(signer.sign(claim("01013-2612020011")).replace(b"<NGAYLAP>20261202",
                                                                                   b"<NGAYLAP>20261203"), "01013")
    assert edited.code == SIGNATURE_REFUSED and "sửa sau khi ký" in edited.message and not edited.accepted
    edited_checkin = signer.sign(checkin("01013-2612020011")).replace(b"<MA_CSKCB>01013", b"<MA_CSKCB>01014")
    assert client.submit_checkin(edited_checkin, "01013").code == SIGNATURE_REFUSED
    outbox.enqueue(store, "claim", "01013-2612020012", 1, None, claim("01013-2612020012"))
    assert outbox.drain(store, client, "01013") == {"rejected": 1}  # no signer: sent unsigned
    row = _row(store, "01013-2612020012")
    assert row["status"] == "rejected" and row["last_error"].startswith(f"{SIGNATURE_REFUSED}: Hồ sơ chưa được ký số")
    assert ("claim", "01013-2612020011") not in sandbox.world.submissions


# -- the demo certificate and the export ----------------------------------------------------------
def test_the_demo_certificate_is_kept_and_renewed_30_days_before_it_ends(tmp_path: Path) -> None:
    path = demo.ensure_demo_certificate(tmp_path)
    assert path.stat().st_mode & 0o777 == 0o600
    first = path.read_bytes()
    assert demo.ensure_demo_certificate(tmp_path).read_bytes() == first, "an existing one is kept"
    cert = demo.demo_signer(tmp_path).certificate()
    assert "01013" in cert.subject.rfc4514_string()
    assert (cert.not_valid_after_utc - cert.not_valid_before_utc).days >= 729
    assert demo.ensure_demo_certificate(tmp_path, cert.not_valid_after_utc - dt.timedelta(days=40)).read_bytes() == first
    demo.ensure_demo_certificate(tmp_path, cert.not_valid_after_utc - dt.timedelta(days=20))
    assert demo.demo_signer(tmp_path).certificate().serial_number != cert.serial_number, "renewed"


@needs_xmlsec1
def test_xml_export_is_signed_and_a_sent_claim_exports_as_sent(kiosk_home: Path, tmp_path: Path, sandbox,
                                                              client) -> None:
    from kiosk.cli import main

    out = tmp_path / "F.xml"
    assert main(["xml", "export", "--demo", "--out", str(out)]) == 0
    data_dir = Settings().paths.data_dir
    pem = data_dir / demo.DEMO_SIGNING_CERT
    result = xmlsec1(out, pem)  # the acceptance command, trusting the demo certificate
    assert result.returncode == 0, result.stderr
    assert signing.verify(out.read_bytes()) == demo.demo_signer(data_dir).certificate()
    store = open_store(Settings().db_path())
    try:
        visit_id = store.conn.execute("SELECT id FROM visits WHERE status = 'final'").fetchone()[0]
        assert outbox.drain(store, client, "01013", signer=demo.demo_signer(data_dir)) == {"sent": 2}
        sent = bytes(store.conn.execute("SELECT signed_payload FROM outbox WHERE kind = 'claim'").fetchone()[0])
    finally:
        store.close()
    again = tmp_path / "sent.xml"
    assert main(["xml", "export", str(visit_id), "--out", str(again)]) == 0
    assert again.read_bytes() == sent, "exactly what was sent"
    assert xmlsec1(again, pem).returncode == 0
