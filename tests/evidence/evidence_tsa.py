"""An RFC 3161 time-stamping authority that runs inside the test suite.

A real HTTP server on 127.0.0.1 with its own CA and time-stamping certificate (made here with
cryptography's x509), answering TimeStampReq with TimeStampResp holding real CMS SignedData
tokens. ``mode`` makes it misbehave the ways a client must notice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from asn1crypto import cms, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

MODES = ("ok", "offline", "wrong_nonce", "wrong_imprint", "bad_signature", "reject", "not_tsa_cert")


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject: str, key: Any, issuer: str, issuer_key: Any, *, ca: bool,
                 time_stamping: bool) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    builder = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(days=1))
               .not_valid_after(now + dt.timedelta(days=365))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if time_stamping:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    return builder.sign(issuer_key, hashes.SHA256())


class TestAuthority:
    """``with TestAuthority() as tsa:`` serves at ``tsa.url``; ``tsa.ca_pem`` is its CA."""

    __test__ = False  # not a pytest test class

    def __init__(self, name: str = "Test TSA") -> None:
        self.ca_key = ec.generate_private_key(ec.SECP256R1())
        self.ca_cert = _certificate(f"{name} Root CA", self.ca_key, f"{name} Root CA",
                                    self.ca_key, ca=True, time_stamping=False)
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.cert = _certificate(name, self.key, f"{name} Root CA", self.ca_key, ca=False,
                                 time_stamping=True)
        self.plain_cert = _certificate(name, self.key, f"{name} Root CA", self.ca_key, ca=False,
                                       time_stamping=False)
        self.mode = "ok"
        self.requests = 0
        self.serial = 0
        self._server: ThreadingHTTPServer | None = None

    @property
    def ca_pem(self) -> str:
        return self.ca_cert.public_bytes(serialization.Encoding.PEM).decode("ascii")

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/tsa"

    def __enter__(self) -> TestAuthority:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        authority = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                authority.requests += 1
                if authority.mode == "offline":  # the network drops: no reply at all
                    self.close_connection = True
                    return
                reply = authority.respond(body)
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # -- the authority's work ------------------------------------------------------------
    def respond(self, body: bytes) -> bytes:
        request = tsp.TimeStampReq.load(body)
        if self.mode == "reject":
            # A TimeStampResp with a status and no token (asn1crypto insists on a token, so
            # the outer SEQUENCE is written by hand).
            status = tsp.PKIStatusInfo({"status": "rejection",
                                        "status_string": ["policy not accepted"]}).dump()
            return b"\x30" + bytes([len(status)]) + status
        return tsp.TimeStampResp({"status": {"status": "granted"},
                                  "time_stamp_token": self.token(request)}).dump()

    def token(self, request: tsp.TimeStampReq) -> cms.ContentInfo:
        self.serial += 1
        imprint = request["message_imprint"]
        if self.mode == "wrong_imprint":
            imprint = tsp.MessageImprint({"hash_algorithm": {"algorithm": "sha256"},
                                          "hashed_message": hashlib.sha256(b"other").digest()})
        nonce = request["nonce"].native
        if self.mode == "wrong_nonce":
            nonce = (nonce or 0) + 1
        tst_info = tsp.TSTInfo({
            "version": "v1", "policy": "1.3.6.1.4.1.99999.1", "message_imprint": imprint,
            "serial_number": self.serial, "gen_time": dt.datetime.now(dt.UTC).replace(microsecond=0),
            "nonce": nonce,
        })
        tst_der = tst_info.dump()
        cert = self.plain_cert if self.mode == "not_tsa_cert" else self.cert
        cert_der = cert.public_bytes(serialization.Encoding.DER)
        asn1_cert = asn1_x509.Certificate.load(cert_der)
        signed_attrs = cms.CMSAttributes([
            cms.CMSAttribute({"type": "content_type", "values": ["tst_info"]}),
            cms.CMSAttribute({"type": "message_digest",
                              "values": [hashlib.sha256(tst_der).digest()]}),
            cms.CMSAttribute({"type": "signing_certificate_v2", "values": [
                {"certs": [{"cert_hash": hashlib.sha256(cert_der).digest()}]}]}),
        ])
        signature = self.key.sign(signed_attrs.dump(), ec.ECDSA(hashes.SHA256()))
        if self.mode == "bad_signature":
            signature = self.key.sign(b"something else", ec.ECDSA(hashes.SHA256()))
        signer_info = cms.SignerInfo({
            "version": "v1",
            "sid": cms.SignerIdentifier({"issuer_and_serial_number": {
                "issuer": asn1_cert.issuer, "serial_number": asn1_cert.serial_number}}),
            "digest_algorithm": {"algorithm": "sha256"},
            "signed_attrs": signed_attrs,
            "signature_algorithm": {"algorithm": "sha256_ecdsa"},
            "signature": signature,
        })
        signed_data = cms.SignedData({
            "version": "v3",
            "digest_algorithms": [{"algorithm": "sha256"}],
            "encap_content_info": {"content_type": "tst_info",
                                   "content": cms.ParsableOctetString(tst_der)},
            "certificates": [asn1_cert],
            "signer_infos": [signer_info],
        })
        return cms.ContentInfo({"content_type": "signed_data", "content": signed_data})
