"""Signed tree heads: signed by the organisation's current key, time-stamped (RFC 3161) over
their signed part, refused over a log that does not verify, and checked by a witness."""

from __future__ import annotations

import hashlib

import pytest
from evidence_support import LockerSetup
from evidence_tsa import TestAuthority
from sqlalchemy import update

from tocsin.evidence.crypto import unb64
from tocsin.evidence.errors import EvidenceError
from tocsin.evidence.heads import head_problems, signed_part
from tocsin.evidence.timestamp import verify_token
from tocsin.records.evidence_models import CustodyEntry


def test_a_head_is_signed_and_time_stamped(sqlite_setup: LockerSetup,
                                           authority: TestAuthority) -> None:
    sqlite_setup.add(b"photo", "a.jpg")
    sqlite_setup.locker.add_authority("tsa", authority.url, authority.ca_pem)
    head = sqlite_setup.locker.signed_head("amira")
    assert head["tree_size"] == 3 and head["timestamp_failures"] == []
    assert head_problems(head) == []
    (stamp,) = head["timestamps"]
    info = verify_token(unb64(stamp["token"]), hashlib.sha256(signed_part(head)).digest(),
                        ca_pem=authority.ca_pem)
    assert info.gen_time.isoformat() == stamp["gen_time"]
    assert sqlite_setup.locker.published_head()["root_hash"] == head["root_hash"]
    edited = {**head, "tree_size": 2}
    assert head_problems(edited) == ["its signature does not verify: the head was edited or forged"]


def test_no_head_is_signed_over_a_log_that_does_not_verify(sqlite_setup: LockerSetup) -> None:
    sqlite_setup.add(b"photo", "a.jpg")
    with sqlite_setup.locker.session() as session, session.begin():
        session.execute(update(CustodyEntry).where(CustodyEntry.seq == 3)
                        .values(payload='{"forged": true}'))
    with pytest.raises(EvidenceError, match="does not verify"):
        sqlite_setup.locker.signed_head("amira")
