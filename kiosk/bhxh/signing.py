"""The facility's digital signature on what goes to the BHXH portal (DOMAIN.md §12).

The claim envelope (``GIAMDINHHS``) and the check-in (XML0, ``CHI_TIEU_TRANG_THAI_KCB``) are signed with W3C XML-DSig,
enveloped: one ``Reference URI=""`` with the enveloped-signature transform, inclusive C14N 1.0, RSA-SHA256 and a
SHA-256 digest, the whole X.509 certificate in ``KeyInfo/X509Data``. The ``ds:Signature`` goes inside the root's
``CHUKYDONVI`` (the envelope has one before the signature; XML0 has one at the end of its root, DOMAIN.md §4 — one is
added at the end of the root when missing).

Keys come from a USB token through its PKCS#11 module (how Vietnamese CAs ship them) or from a PKCS#12 file. The
token PIN (or the file's password) is never in settings or logs: ``CLINIC_KIOSK_SIGNING_PIN`` or the OS keyring
(``clinic-kiosk xml set-signing-pin``), read at each signing. Every failure is a typed ``SigningError`` with a
Vietnamese and an English message, so a document that cannot be signed waits in the outbox with a reason.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa

from kiosk.errors import KioskError

log = logging.getLogger("kiosk.signing")

DS_NS = "http://www.w3.org/2000/09/xmldsig#"
C14N_10 = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
HOLDER = "CHUKYDONVI"
SIGNED_ROOTS = ("GIAMDINHHS", "CHI_TIEU_TRANG_THAI_KCB")  # the claim envelope and the XML0 check-in
XML_HEADER = b'<?xml version="1.0" encoding="utf-8"?>\n'
MAX_XML = 32 * 1024 * 1024  # a claim is kilobytes; the portal takes 20 MB at most
MAX_KEY_FILE = 1024 * 1024  # a PKCS#12 file with its chain is a few kilobytes
SOURCES = ("auto", "demo", "pkcs11", "pkcs12", "none")
# DigestInfo of SHA-256 (RFC 8017 §9.2): for tokens that sign only with plain CKM_RSA_PKCS
_SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")


# -- errors ---------------------------------------------------------------------------------------
class SigningError(KioskError):
    """The document could not be signed: nothing is sent, it waits in the outbox with this reason."""


class NotConfigured(SigningError):
    """No key source is set for a real portal, or the PIN/password is missing."""


class TokenAbsent(SigningError):
    """The PKCS#11 module, the token or the key file is not there."""


class WrongPin(SigningError):
    """The token refused the PIN (or the PKCS#12 file its password)."""


class PinLocked(SigningError):
    """Too many wrong PINs: the token is locked until unlocked with its SO PIN / the CA's tool."""


class NoKey(SigningError):
    """The token or file has no usable private key with its certificate."""


class CertificateExpired(SigningError):
    """The certificate ended before the signing time."""


class CertificateNotYetValid(SigningError):
    """The certificate starts after the signing time (or the PC's clock is wrong)."""


class NotForSigning(SigningError):
    """The certificate may not make signatures (key usage), or its key is not RSA."""


class SignatureInvalid(KioskError):
    """A signed document does not verify: broken signature, edited content, or an unusable certificate."""


class NotSigned(SignatureInvalid):
    """The document carries no signature in CHUKYDONVI."""


# -- keys -----------------------------------------------------------------------------------------
class SigningKey(Protocol):
    """What signxml calls: a private key that signs with RSA PKCS#1 v1.5 (a cryptography key or a token's key)."""

    def sign(self, data: bytes, padding: Any, algorithm: Any) -> bytes: ...


@dataclass(frozen=True)
class KeyMaterial:
    key: Any  # SigningKey
    certificate: x509.Certificate


def _date(value: dt.datetime) -> str:
    return value.strftime("%d/%m/%Y %H:%M UTC")


def _issuer(cert: x509.Certificate) -> str:
    """The CA's name for messages (never the subject: it may name a person)."""
    for oid in (x509.NameOID.ORGANIZATION_NAME, x509.NameOID.COMMON_NAME):
        found = cert.issuer.get_attributes_for_oid(oid)
        if found:
            return str(found[0].value)[:80]
    return "?"


def _utc(now: dt.datetime | None) -> dt.datetime:
    """The signing time in UTC (a naive time is this PC's local time, as everywhere in the store)."""
    return dt.datetime.now(dt.UTC) if now is None else now.astimezone(dt.UTC)


def check_certificate(cert: x509.Certificate, now: dt.datetime | None = None) -> None:
    """Refuse a certificate that is not valid at the signing time ``now`` or may not sign documents."""
    at = _utc(now)
    start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
    if at > end:
        raise CertificateExpired(
            f"Chứng thư số của cơ sở đã hết hạn ngày {_date(end)} (cấp bởi {_issuer(cert)}): gia hạn với nhà cung cấp "
            "chữ ký số rồi cài chứng thư mới",
            f"The facility's certificate expired on {_date(end)} (issued by {_issuer(cert)}): renew it with the CA "
            "and install the new one")
    if at < start:
        raise CertificateNotYetValid(
            f"Chứng thư số chỉ có hiệu lực từ {_date(start)}: chờ đến ngày đó hoặc kiểm tra đồng hồ máy tính",
            f"The certificate is valid only from {_date(start)}: wait until then or check this PC's clock")
    if not isinstance(cert.public_key(), rsa.RSAPublicKey):
        raise NotForSigning("Chứng thư số không dùng khoá RSA (cần cho RSA-SHA256)",
                            "The certificate's key is not RSA (RSA-SHA256 needs one)")
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return
    if not (usage.digital_signature or usage.content_commitment):
        raise NotForSigning("Chứng thư số này không được phép ký (Key Usage không có Digital Signature / "
                            "Non Repudiation): dùng chứng thư ký số của cơ sở",
                            "This certificate may not sign (its Key Usage has neither Digital Signature nor Non "
                            "Repudiation): use the facility's signing certificate")


def certificate_summary(cert: x509.Certificate) -> dict[str, str]:
    """What a clinic needs to know about its certificate (for ``xml check-signing``)."""
    return {"issuer": _issuer(cert), "serial": format(cert.serial_number, "X"),
            "valid_from": _date(cert.not_valid_before_utc), "valid_to": _date(cert.not_valid_after_utc),
            "sha256": cert.fingerprint(hashes.SHA256()).hex(":").upper()}


# -- key sources ----------------------------------------------------------------------------------
class KeySource(Protocol):
    def open(self) -> Any:  # a context manager yielding KeyMaterial
        ...


def _no_pin() -> NotConfigured:
    return NotConfigured("Chưa có mã PIN của token (hoặc mật khẩu tệp chứng thư số): clinic-kiosk xml set-signing-pin "
                         "(kho khoá) hoặc biến CLINIC_KIOSK_SIGNING_PIN",
                         "No token PIN (or certificate file password): clinic-kiosk xml set-signing-pin (OS keyring) or "
                         "the CLINIC_KIOSK_SIGNING_PIN variable")


class Pkcs12Source:
    """A PKCS#12 (.p12/.pfx) file: the key and its certificate, protected by a password."""

    def __init__(self, path: Path | str, password: Any) -> None:
        """``password``: the password, or a callable returning it (read at each signing), or None when missing."""
        self.path = Path(path).expanduser()
        self._password = password
        self._loaded: tuple[tuple[int, int, bytes], KeyMaterial] | None = None  # unlocking a file takes ~40 ms

    def __repr__(self) -> str:
        return f"Pkcs12Source({str(self.path)!r})"

    @contextmanager
    def open(self) -> Iterator[KeyMaterial]:
        yield self._material()

    def _material(self) -> KeyMaterial:
        from cryptography.hazmat.primitives.serialization import pkcs12

        password = self._password() if callable(self._password) else self._password
        if not password:
            raise _no_pin()
        try:
            stat = self.path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size, hashlib.sha256(password.encode("utf-8")).digest())
            if self._loaded is not None and self._loaded[0] == stamp:  # the same file, the same password
                return self._loaded[1]
            if stat.st_size > MAX_KEY_FILE:
                raise NoKey(f"Tệp chứng thư số {self.path} quá lớn", f"The certificate file {self.path} is too large")
            data = self.path.read_bytes()
        except FileNotFoundError:
            raise TokenAbsent(f"Không thấy tệp chứng thư số {self.path} (signing.pkcs12_file)",
                              f"The certificate file {self.path} is not there (signing.pkcs12_file)") from None
        except OSError as exc:
            raise TokenAbsent(f"Không đọc được tệp chứng thư số {self.path}",
                              f"Cannot read the certificate file {self.path}: {exc.strerror}") from None
        try:
            key, cert, _ = pkcs12.load_key_and_certificates(data, password.encode("utf-8"))
        except ValueError:
            raise WrongPin(f"Sai mật khẩu của tệp chứng thư số {self.path.name} (hoặc tệp hỏng)",
                           f"Wrong password for the certificate file {self.path.name} (or the file is damaged)") from None
        if key is None or cert is None:
            raise NoKey(f"Tệp {self.path.name} không có khoá riêng kèm chứng thư", f"{self.path.name} holds no private "
                        "key with its certificate")
        if not isinstance(key, rsa.RSAPrivateKey):
            raise NotForSigning("Khoá trong tệp chứng thư số không phải RSA", "The file's key is not RSA")
        self._loaded = (stamp, KeyMaterial(key, cert))
        return self._loaded[1]


class _TokenKey:
    """A private key that never leaves the token: signxml hands it the canonical SignedInfo to sign."""

    def __init__(self, key: Any, mechanisms: frozenset[Any]) -> None:
        self._key = key
        self._mechanisms = mechanisms

    def sign(self, data: bytes, padding: Any = None, algorithm: Any = None) -> bytes:
        from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
        from pkcs11 import Mechanism

        if not isinstance(algorithm, hashes.SHA256) or not isinstance(padding, PKCS1v15):
            raise NotForSigning("Chỉ ký RSA-SHA256", "Only RSA-SHA256 signatures are made")
        if Mechanism.SHA256_RSA_PKCS in self._mechanisms or Mechanism.RSA_PKCS not in self._mechanisms:
            return bytes(self._key.sign(data, mechanism=Mechanism.SHA256_RSA_PKCS))
        # a token that hashes nothing itself: PKCS#1 v1.5 over the DigestInfo of SHA-256
        return bytes(self._key.sign(_SHA256_DIGEST_INFO + hashlib.sha256(data).digest(), mechanism=Mechanism.RSA_PKCS))


_PKCS11_LOCK = threading.Lock()  # one token operation at a time: modules are rarely thread-safe


class Pkcs11Source:
    """A key and its certificate on a USB token (or an HSM) through the vendor's PKCS#11 module."""

    def __init__(self, module: str, token_label: str, key_label: str, key_id: str, pin: Any) -> None:
        self.module = module.strip()
        self.token_label = token_label.strip()
        self.key_label = key_label.strip()
        self.key_id = key_id.strip()
        self._pin = pin

    def __repr__(self) -> str:  # never the PIN
        return f"Pkcs11Source({self.module!r}, token={self.token_label!r}, key={self.key_label or self.key_id!r})"

    def _absent(self, what_vi: str, what_en: str) -> TokenAbsent:
        return TokenAbsent(f"Không thấy token chữ ký số: {what_vi}. Cắm token của cơ sở vào máy này rồi thử lại",
                           f"The signing token is not there: {what_en}. Plug the facility's token into this PC and "
                           "try again")

    def _lib(self) -> Any:
        import pkcs11

        if not self.module:
            raise NotConfigured("Chưa đặt đường dẫn thư viện PKCS#11 của token (signing.pkcs11_module)",
                                "No PKCS#11 module of the token is set (signing.pkcs11_module)")
        if not Path(self.module).is_file():
            raise self._absent(f"không có thư viện PKCS#11 {self.module} (cài phần mềm token của nhà cung cấp)",
                               f"no PKCS#11 module {self.module} (install the CA's token software)")
        try:
            return pkcs11.lib(self.module)
        except pkcs11.PKCS11Error as exc:
            raise self._absent(f"không nạp được thư viện {self.module}",
                               f"cannot load the module {self.module} ({type(exc).__name__})") from None

    def _token(self, lib: Any) -> Any:
        import pkcs11

        def present() -> list[Any]:
            found = []
            for slot in lib.get_slots(token_present=True):
                try:
                    token = slot.get_token()
                except (pkcs11.TokenNotPresent, pkcs11.TokenNotRecognised, pkcs11.DeviceRemoved):
                    continue
                if not token.flags & pkcs11.TokenFlag.TOKEN_INITIALIZED:
                    continue
                if self.token_label and token.label != self.token_label:
                    continue
                found.append(token)
            return found

        tokens = present()
        if not tokens:  # a token plugged in after the module was loaded: many modules see it only after a restart
            try:
                lib.reinitialize()
            except pkcs11.PKCS11Error:
                pass
            tokens = present()
        if not tokens:
            label = f" tên {self.token_label!r}" if self.token_label else ""
            raise self._absent(f"không có token{label}", f"no token{' labelled ' + repr(self.token_label) if label else ''}")
        if len(tokens) > 1:
            raise NoKey("Có nhiều token: đặt signing.token_label là tên token của cơ sở",
                        "More than one token: set signing.token_label to the facility token's label")
        return tokens[0]

    def _find(self, session: Any) -> KeyMaterial:
        from pkcs11 import Attribute, ObjectClass

        template: dict[Any, Any] = {Attribute.CLASS: ObjectClass.PRIVATE_KEY}
        if self.key_id:
            try:
                template[Attribute.ID] = bytes.fromhex(self.key_id)
            except ValueError:
                raise NoKey(f"signing.key_id phải là số hex: {self.key_id[:40]!r}",
                            f"signing.key_id must be hexadecimal: {self.key_id[:40]!r}") from None
        elif self.key_label:
            template[Attribute.LABEL] = self.key_label
        keys = list(session.get_objects(template))
        if not keys:
            raise NoKey("Token không có khoá riêng" + (f" {self.key_label or self.key_id!r}" if len(template) > 1 else "")
                        + " (signing.key_label, signing.key_id)",
                        "The token has no private key" + (f" {self.key_label or self.key_id!r}" if len(template) > 1
                                                         else "") + " (signing.key_label, signing.key_id)")
        if len(keys) > 1:
            raise NoKey("Token có nhiều khoá riêng: đặt signing.key_label hoặc signing.key_id",
                        "The token has several private keys: set signing.key_label or signing.key_id")
        key = keys[0]
        cert_template: dict[Any, Any] = {Attribute.CLASS: ObjectClass.CERTIFICATE}
        key_id = _attribute(key, Attribute.ID)
        if key_id:
            cert_template[Attribute.ID] = key_id
        else:
            cert_template[Attribute.LABEL] = _attribute(key, Attribute.LABEL) or self.key_label
        certs = [c for c in session.get_objects(cert_template)]
        if not certs:
            raise NoKey("Token không có chứng thư số đi kèm khoá riêng", "The token holds no certificate for the key")
        cert = x509.load_der_x509_certificate(bytes(certs[0][Attribute.VALUE]))
        modulus = _attribute(key, Attribute.MODULUS)
        public = cert.public_key()
        if modulus and isinstance(public, rsa.RSAPublicKey) and int.from_bytes(modulus, "big") != public.public_numbers().n:
            raise NoKey("Chứng thư số trên token không khớp với khoá riêng", "The certificate on the token does not "
                        "match the private key")
        return KeyMaterial(_TokenKey(key, frozenset(session.token.slot.get_mechanisms())), cert)

    @contextmanager
    def open(self) -> Iterator[KeyMaterial]:
        import pkcs11

        with _PKCS11_LOCK:
            lib = self._lib()
            token = self._token(lib)
            pin = self._pin() if callable(self._pin) else self._pin
            if not pin:
                raise _no_pin()
            try:
                session = token.open(user_pin=pin)
            except pkcs11.PinLocked:
                raise PinLocked("Token đã bị khoá vì nhập sai PIN nhiều lần: mở khoá bằng công cụ của nhà cung cấp "
                                "chữ ký số", "The token is locked after too many wrong PINs: unlock it with the CA's "
                                "tool") from None
            except (pkcs11.PinIncorrect, pkcs11.PinInvalid, pkcs11.PinLenRange):
                raise WrongPin("Sai mã PIN của token chữ ký số: đặt lại bằng clinic-kiosk xml set-signing-pin (token có "
                               "thể bị khoá sau vài lần sai)", "Wrong PIN for the signing token: set it again with "
                               "clinic-kiosk xml set-signing-pin (the token may lock after a few wrong tries)") from None
            except pkcs11.PinExpired:
                raise WrongPin("Mã PIN của token đã hết hạn: đổi PIN bằng công cụ của nhà cung cấp",
                               "The token's PIN has expired: change it with the CA's tool") from None
            except (pkcs11.TokenNotPresent, pkcs11.DeviceRemoved, pkcs11.TokenNotRecognised):
                raise self._absent("token vừa bị rút ra", "the token was removed") from None
            try:
                yield self._find(session)
            except (pkcs11.TokenNotPresent, pkcs11.DeviceRemoved, pkcs11.SessionClosed,
                    pkcs11.SessionHandleInvalid):
                raise self._absent("token bị rút ra khi đang ký", "the token was removed while signing") from None
            except pkcs11.PKCS11Error as exc:
                raise NoKey(f"Token không ký được ({type(exc).__name__})",
                            f"The token could not sign ({type(exc).__name__})") from None
            finally:
                try:
                    session.close()
                except pkcs11.PKCS11Error:
                    pass


def _attribute(obj: Any, attribute: Any) -> Any:
    try:
        return obj[attribute]
    except Exception:  # noqa: BLE001 - a module may refuse any attribute (sensitive, invalid): then it is unknown
        return None


class NoSource:
    """Nothing configured for a real portal: every signing says what to set."""

    def __repr__(self) -> str:
        return "NoSource()"

    @contextmanager
    def open(self) -> Iterator[KeyMaterial]:
        raise NotConfigured("Chưa cài chữ ký số của cơ sở: đặt signing.source = pkcs11 (token USB) hoặc pkcs12 (tệp) "
                            "và các cài đặt signing.*; hồ sơ chờ trong hàng gửi",
                            "The facility's signature is not set up: set signing.source = pkcs11 (USB token) or "
                            "pkcs12 (file) and the signing.* settings; the documents wait in the outbox")
        yield  # pragma: no cover


# -- signing --------------------------------------------------------------------------------------
def _parse(xml: bytes) -> Any:
    from lxml import etree

    if len(xml) > MAX_XML:
        raise SignatureInvalid("Hồ sơ quá lớn", "The document is too large")
    if b"<!DOCTYPE" in xml[:4096] or b"<!ENTITY" in xml:
        raise SignatureInvalid("Hồ sơ có DTD/ENTITY: không chấp nhận", "The document has a DTD/ENTITY: refused")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=False)
    try:
        return etree.fromstring(xml, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise SignatureInvalid(f"XML sai cú pháp ({exc})", f"Malformed XML ({exc})") from None


def sign_xml(xml: bytes, material: KeyMaterial, now: dt.datetime | None = None) -> bytes:
    """``xml`` (an envelope or an XML0 check-in) with the facility's signature inside its CHUKYDONVI; any signature
    already there is replaced."""
    from lxml import etree
    from signxml import CanonicalizationMethod, DigestAlgorithm, SignatureMethod, XMLSigner

    check_certificate(material.certificate, now)
    try:
        root = _parse(xml)
    except SignatureInvalid as exc:
        raise SigningError(f"Không ký được: {exc.vi}", f"Cannot sign: {exc.en}") from None
    if root.tag not in SIGNED_ROOTS:
        raise SigningError(f"Không ký loại hồ sơ {str(root.tag)[:40]}", f"Not a document that is signed: "
                           f"{str(root.tag)[:40]}")
    holder = root.find(HOLDER)
    if holder is None:
        holder = etree.SubElement(root, HOLDER)
    for child in list(holder):
        holder.remove(child)
    holder.text = None
    etree.SubElement(holder, f"{{{DS_NS}}}Signature", {"Id": "placeholder"}, nsmap={"ds": DS_NS})
    signer = XMLSigner(signature_algorithm=SignatureMethod.RSA_SHA256, digest_algorithm=DigestAlgorithm.SHA256,
                       c14n_algorithm=CanonicalizationMethod.CANONICAL_XML_1_0)
    signed = signer.sign(root, key=material.key, cert=[material.certificate], exclude_c14n_transform_element=True)
    out = XML_HEADER + etree.tostring(signed, encoding="utf-8")
    verify(out, now)  # never send a signature that does not check (a key and certificate that do not match)
    return out


class Signer:
    """Signs documents with one key source; the source is opened (token session, file read) at each signing."""

    def __init__(self, source: Any, *, name: str = "") -> None:
        self.source = source
        self.name = name or type(source).__name__

    def __repr__(self) -> str:
        return f"Signer({self.source!r})"

    def sign(self, xml: bytes, now: dt.datetime | None = None) -> bytes:
        with self.source.open() as material:
            out = sign_xml(xml, material, now)
        log.info("signed %s (%d bytes) with %s", _root_name(xml), len(out), self.name)
        return out

    def certificate(self) -> x509.Certificate:
        with self.source.open() as material:
            return material.certificate


class Unsigned:
    """``signing.source = none``: documents go as they are (a portal that does not ask for signatures yet)."""

    name = "none"

    def __repr__(self) -> str:
        return "Unsigned()"

    def sign(self, xml: bytes, now: dt.datetime | None = None) -> bytes:
        return xml


def from_settings(settings: Any, source: str | None = None) -> Signer | Unsigned:
    """The signer the ``signing.*`` settings describe (``source`` overrides ``signing.source``). ``auto`` and ``demo``
    (the demo certificate) are the facade's to resolve: here they mean nothing is set up."""
    from kiosk.security.secrets_store import signing_pin

    source = source or settings["signing.source"]
    if source == "none":
        return Unsigned()
    if source == "pkcs11":
        return Signer(Pkcs11Source(settings["signing.pkcs11_module"], settings["signing.token_label"],
                                   settings["signing.key_label"], settings["signing.key_id"], signing_pin), name="token")
    if source == "pkcs12" and settings["signing.pkcs12_file"]:
        return Signer(Pkcs12Source(settings["signing.pkcs12_file"], signing_pin), name="PKCS#12")
    return Signer(NoSource(), name="none set up")


def _root_name(xml: bytes) -> str:
    return "check-in" if b"CHI_TIEU_TRANG_THAI_KCB" in xml[:512] else "claim"


# -- verifying ------------------------------------------------------------------------------------
def verify(xml: bytes, now: dt.datetime | None = None) -> x509.Certificate:
    """Check the one enveloped signature in the root's CHUKYDONVI: the digest of the whole document (so any edit of
    the signed content shows), the signature over SignedInfo with the certificate in KeyInfo, and that certificate's
    validity at ``now`` (None: the current time). Returns the certificate; who it belongs to (is it the facility's,
    registered with the portal?) is the caller's question."""
    from signxml import CanonicalizationMethod, DigestAlgorithm, SignatureConfiguration, SignatureMethod, XMLVerifier
    from signxml.exceptions import InvalidInput, InvalidSignature

    root = _parse(xml)
    signatures = root.findall(f".//{{{DS_NS}}}Signature")
    if not signatures:
        raise NotSigned("Hồ sơ chưa được ký số (CHUKYDONVI trống)", "The document is not signed (CHUKYDONVI is empty)")
    if len(signatures) > 1 or signatures[0].getparent() is None or signatures[0].getparent().tag != HOLDER \
            or signatures[0].getparent().getparent() is not root:
        raise SignatureInvalid("Chữ ký số phải là một, nằm trong CHUKYDONVI của thẻ gốc",
                               "There must be one signature, inside the root's CHUKYDONVI")
    signature = signatures[0]
    references = signature.findall(f"{{{DS_NS}}}SignedInfo/{{{DS_NS}}}Reference")
    if len(references) != 1 or references[0].get("URI") != "":
        raise SignatureInvalid("Chữ ký số phải ký cả hồ sơ (Reference URI=\"\")",
                               "The signature must cover the whole document (Reference URI=\"\")")
    method = signature.find(f"{{{DS_NS}}}SignedInfo/{{{DS_NS}}}CanonicalizationMethod")
    if method is None or method.get("Algorithm") != C14N_10:
        raise SignatureInvalid("Chữ ký số phải dùng C14N 1.0", "The signature must use inclusive C14N 1.0")
    cert_text = signature.findtext(f"{{{DS_NS}}}KeyInfo/{{{DS_NS}}}X509Data/{{{DS_NS}}}X509Certificate")
    if not cert_text:
        raise SignatureInvalid("Chữ ký số thiếu chứng thư (KeyInfo/X509Data)", "The signature has no certificate "
                               "(KeyInfo/X509Data)")
    try:
        cert = x509.load_der_x509_certificate(base64.b64decode("".join(cert_text.split())))
    except ValueError:
        raise SignatureInvalid("Chứng thư trong chữ ký số hỏng", "The certificate in the signature is damaged") from None
    try:
        check_certificate(cert, now)
    except SigningError as exc:
        raise SignatureInvalid(exc.vi, exc.en) from None
    config = SignatureConfiguration(location=f"./{HOLDER}/", expect_references=1,
                                    signature_methods=frozenset({SignatureMethod.RSA_SHA256}),
                                    digest_algorithms=frozenset({DigestAlgorithm.SHA256}),
                                    default_reference_c14n_method=CanonicalizationMethod.CANONICAL_XML_1_0,
                                    verification_time=_utc(now))
    try:
        result = XMLVerifier().verify(xml, x509_cert=cert, expect_config=config)
    except InvalidSignature as exc:
        digest = "digest" in str(exc).lower()
        raise SignatureInvalid(
            "Nội dung hồ sơ đã bị sửa sau khi ký (sai mã băm)" if digest else "Chữ ký số không khớp (sai chữ ký)",
            "The document was edited after signing (digest mismatch)" if digest else
            f"The signature does not verify ({str(exc)[:120]})") from None
    except InvalidInput as exc:
        raise SignatureInvalid("Chữ ký số không đúng dạng XML-DSig", f"Not a usable XML-DSig signature "
                               f"({str(exc)[:120]})") from None
    if result.signed_xml is None or result.signed_xml.tag != root.tag:
        raise SignatureInvalid("Chữ ký số không ký cả hồ sơ", "The signature does not cover the whole document")
    if not isinstance(cert.public_key(), rsa.RSAPublicKey):  # pragma: no cover - check_certificate refused it
        raise SignatureInvalid("Khoá không phải RSA", "Not an RSA key")
    return cert


def signed_with(xml: bytes) -> x509.Certificate | None:
    """The certificate in a document's signature, without checking anything (None when there is none)."""
    try:
        root = _parse(xml)
    except SignatureInvalid:
        return None
    text = root.findtext(f"{HOLDER}/{{{DS_NS}}}Signature/{{{DS_NS}}}KeyInfo/{{{DS_NS}}}X509Data/"
                         f"{{{DS_NS}}}X509Certificate")
    if not text:
        return None
    try:
        return x509.load_der_x509_certificate(base64.b64decode("".join(text.split())))
    except ValueError:
        return None


def still_good(signed: bytes, now: dt.datetime | None = None) -> bool:
    """Whether bytes signed earlier still verify now (their certificate still valid): resent as they are."""
    try:
        verify(signed, now)
    except SignatureInvalid:
        return False
    return True


__all__ = ["CertificateExpired", "CertificateNotYetValid", "KeyMaterial", "NoKey", "NoSource", "NotConfigured",
           "NotForSigning", "NotSigned", "PinLocked", "Pkcs11Source", "Pkcs12Source", "SignatureInvalid", "Signer",
           "SigningError", "TokenAbsent", "Unsigned", "WrongPin", "check_certificate", "sign_xml", "signed_with",
           "from_settings", "still_good", "verify"]
