"""The evidence locker: content-addressed blobs, a signed hash-chained custody log, envelope
encryption of confidential items, RFC 3161 timestamps and court bundles.

The Python API is :class:`tocsin.evidence.locker.EvidenceLocker`; the web app and the CLI both
call it. Method: docs/methods/evidence.md.
"""

from tocsin.evidence.errors import AccessDenied, EvidenceError

__all__ = ["AccessDenied", "EvidenceError"]
