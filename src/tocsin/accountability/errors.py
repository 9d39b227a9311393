"""The one error of the accountability package: it names what is wrong and where."""

from __future__ import annotations


class AccountabilityError(Exception):
    """Bad input or a request that cannot be carried out; the message says what and where."""
