"""Errors of the evidence locker."""

from __future__ import annotations


class EvidenceError(Exception):
    """An evidence operation cannot be done as asked (bad input, missing key, unknown item)."""


class AccessDenied(EvidenceError):
    """The acting user's organisation may not see or change this item."""
