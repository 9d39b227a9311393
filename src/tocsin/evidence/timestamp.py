"""RFC 3161 trusted time: requests, replies and their verification (asn1crypto + cryptography).

A request asks an authority to sign "this SHA-256 existed now"; the reply's TimeStampToken is a
CMS SignedData over a TSTInfo. :func:`verify_token` checks what a court would: the imprint is
our hash, the nonce is ours (for fresh replies), the CMS signature verifies with the signing
certificate in the token, that certificate is for time-stamping, and (when an authority's CA
is configured) it was issued by that CA.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass

from asn1crypto import cms, core, tsp
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

CONTENT_TYPE_QUERY = "application/timestamp-query"
CONTENT_TYPE_REPLY = "application/timestamp-reply"
_HASHES = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512,
           "sha1": hashes.SHA1}


class TimestampError(Exception):
    """A time-stamp request failed or a token does not verify; the message says which check."""


class AuthorityUnreachable(TimestampError):
    """The authority could not be reached (offline): the request stays queued."""


@dataclass(frozen=True)
class TokenInfo:
    gen_time: dt.datetime
    serial: int
    policy: str
    signer: str  # the signing certificate's subject


def build_request(digest: bytes, nonce: int) -> bytes:
    return tsp.TimeStampReq({
        "version": 1,
        "message_imprint": {"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": digest},
        "nonce": nonce,
        "cert_req": True,
    }).dump()


def new_nonce() -> int:
    return secrets.randbits(63)


def request_token(url: str, digest: bytes, *, ca_pem: str | None = None,
                  timeout: float = 10.0) -> tuple[bytes, TokenInfo]:
    """Ask the authority at ``url`` to time-stamp ``digest``; returns the verified token (DER)."""
    nonce = new_nonce()
    request = urllib.request.Request(url, data=build_request(digest, nonce), method="POST",
                                     headers={"Content-Type": CONTENT_TYPE_QUERY})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        raise TimestampError(f"{url} answered HTTP {exc.code}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise AuthorityUnreachable(f"{url} is unreachable: {getattr(exc, 'reason', exc)}") from exc
    token = parse_response(body)
    return token, verify_token(token, digest, nonce=nonce, ca_pem=ca_pem)


class _TimeStampResp(core.Sequence):
    """RFC 3161's TimeStampResp, whose token is OPTIONAL (absent when the authority refuses);
    asn1crypto's own class requires it."""

    _fields = [("status", tsp.PKIStatusInfo),  # noqa: RUF012 - asn1crypto's declaration style
               ("time_stamp_token", cms.ContentInfo, {"optional": True})]


def parse_response(body: bytes) -> bytes:
    try:
        response = _TimeStampResp.load(body)
        status = response["status"]["status"].native
    except (ValueError, TypeError) as exc:
        raise TimestampError(f"the reply is not an RFC 3161 TimeStampResp ({exc})") from exc
    if status not in ("granted", "granted_with_mods"):
        text = " ".join(response["status"]["status_string"].native or [])
        raise TimestampError(f"the authority refused: {status} {text}".strip())
    return bytes(response["time_stamp_token"].dump())


def verify_token(token_der: bytes, digest: bytes, *, nonce: int | None = None,
                 ca_pem: str | None = None) -> TokenInfo:
    """Verify a TimeStampToken for ``digest`` (SHA-256); raises TimestampError naming the check."""
    try:
        token = cms.ContentInfo.load(token_der)
        if token["content_type"].native != "signed_data":
            raise TimestampError("the token is not CMS SignedData")
        signed = token["content"]
        encap = signed["encap_content_info"]
        if encap["content_type"].native != "tst_info":
            raise TimestampError("the token does not carry a TSTInfo")
        tst_der = bytes(encap["content"].contents)
        tst = tsp.TSTInfo.load(tst_der)
        imprint = tst["message_imprint"]
        algorithm = imprint["hash_algorithm"]["algorithm"].native
        hashed = bytes(imprint["hashed_message"].native)
    except (ValueError, TypeError, KeyError) as exc:
        raise TimestampError(f"the token is malformed ({exc})") from exc
    if algorithm != "sha256" or hashed != digest:
        raise TimestampError("the token time-stamps another hash (message imprint mismatch)")
    if nonce is not None and tst["nonce"].native != nonce:
        raise TimestampError("the reply's nonce is not the request's (replayed or mixed up)")
    signer_infos = signed["signer_infos"]
    if len(signer_infos) != 1:
        raise TimestampError(f"the token has {len(signer_infos)} signers, expected 1")
    signer = signer_infos[0]
    certificate = _signing_certificate(signed, signer)
    _verify_cms_signature(signer, tst_der, certificate)
    if ExtendedKeyUsageOID.TIME_STAMPING not in _eku(certificate):
        raise TimestampError("the signing certificate is not for time-stamping (no EKU)")
    gen_time = tst["gen_time"].native
    if not certificate.not_valid_before_utc <= gen_time <= certificate.not_valid_after_utc:
        raise TimestampError("the token was signed outside its certificate's validity")
    if ca_pem:
        ca = x509.load_pem_x509_certificate(ca_pem.encode("ascii"))
        try:
            certificate.verify_directly_issued_by(ca)
        except (ValueError, TypeError, InvalidSignature) as exc:
            raise TimestampError("the signing certificate was not issued by the authority's "
                                 "configured CA") from exc
    return TokenInfo(gen_time, int(tst["serial_number"].native), tst["policy"].dotted,
                     certificate.subject.rfc4514_string())


def token_gen_time(token_der: bytes) -> dt.datetime:
    token = cms.ContentInfo.load(token_der)
    tst = tsp.TSTInfo.load(bytes(token["content"]["encap_content_info"]["content"].contents))
    return tst["gen_time"].native  # type: ignore[no-any-return]


def _signing_certificate(signed: cms.SignedData, signer: cms.SignerInfo) -> x509.Certificate:
    sid = signer["sid"]
    for choice in signed["certificates"] or []:
        if choice.name != "certificate":
            continue
        cert = choice.chosen
        if sid.name == "issuer_and_serial_number":
            wanted = sid.chosen
            if (cert.issuer == wanted["issuer"]
                    and cert.serial_number == wanted["serial_number"].native):
                return x509.load_der_x509_certificate(cert.dump())
        elif cert.key_identifier == sid.chosen.native:
            return x509.load_der_x509_certificate(cert.dump())
    raise TimestampError("the token does not include its signing certificate")


def _verify_cms_signature(signer: cms.SignerInfo, content: bytes,
                          certificate: x509.Certificate) -> None:
    digest_name = signer["digest_algorithm"]["algorithm"].native
    if digest_name not in _HASHES:
        raise TimestampError(f"unsupported digest algorithm {digest_name}")
    signed_attrs = signer["signed_attrs"]
    if not signed_attrs:
        raise TimestampError("the token's signature has no signed attributes")
    digest = hashlib.new(digest_name, content).digest()
    declared = [a["values"][0].native for a in signed_attrs if a["type"].native == "message_digest"]
    if declared != [digest]:
        raise TimestampError("the token's signed message digest does not match its TSTInfo")
    # Signed attributes are signed as a SET OF (tag 0x31), not as the implicit [0] they carry.
    to_verify = b"\x31" + signed_attrs.dump()[1:]
    signature = bytes(signer["signature"].native)
    public = certificate.public_key()
    hash_algorithm = _HASHES[digest_name]()
    try:
        if isinstance(public, rsa.RSAPublicKey):
            public.verify(signature, to_verify, padding.PKCS1v15(), hash_algorithm)
        elif isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(signature, to_verify, ec.ECDSA(hash_algorithm))
        else:
            raise TimestampError(f"unsupported signing key {type(public).__name__}")
    except InvalidSignature as exc:
        raise TimestampError("the token's CMS signature does not verify") from exc


def _eku(certificate: x509.Certificate) -> list[x509.ObjectIdentifier]:
    try:
        return list(certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    except x509.ExtensionNotFound:
        return []


__all__ = ["AuthorityUnreachable", "TimestampError", "TokenInfo", "build_request",
           "parse_response", "request_token", "token_gen_time", "verify_token"]
