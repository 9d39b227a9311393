"""RFC 3161 trusted time against an authority running in the test: tokens are verified, bad
replies refused, requests queue while offline, several authorities stamp the same root."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess

import pytest
from evidence_support import LockerSetup
from evidence_tsa import TestAuthority
from sqlalchemy import delete, select, update

from tocsin.evidence.crypto import b64, unb64
from tocsin.evidence.merkle import merkle_root_hex
from tocsin.evidence.timestamp import (
    AuthorityUnreachable,
    TimestampError,
    request_token,
    verify_token,
)
from tocsin.evidence.verify import verify_locker
from tocsin.records.evidence_models import CustodyEntry, TimestampCheckpoint, TimestampToken

DIGEST = hashlib.sha256(b"the locker's Merkle root").digest()


def test_a_token_verifies_for_its_digest_only(authority: TestAuthority) -> None:
    token, info = request_token(authority.url, DIGEST, ca_pem=authority.ca_pem)
    assert info.signer == "CN=Test TSA" and info.serial == 1
    assert verify_token(token, DIGEST, ca_pem=authority.ca_pem).gen_time == info.gen_time
    with pytest.raises(TimestampError, match="message imprint mismatch"):
        verify_token(token, hashlib.sha256(b"another root").digest())
    flipped = bytearray(token)
    flipped[-10] ^= 0x01  # inside the signature
    with pytest.raises(TimestampError):
        verify_token(bytes(flipped), DIGEST)


@pytest.mark.parametrize(("mode", "message"), [
    ("wrong_nonce", "nonce is not the request's"),
    ("wrong_imprint", "message imprint mismatch"),
    ("bad_signature", "CMS signature does not verify"),
    ("not_tsa_cert", "not for time-stamping"),
    ("reject", "the authority refused: rejection policy not accepted"),
])
def test_bad_replies_are_refused(authority: TestAuthority, mode: str, message: str) -> None:
    authority.mode = mode
    with pytest.raises(TimestampError, match=message):
        request_token(authority.url, DIGEST, ca_pem=authority.ca_pem)


def test_a_token_from_another_ca_is_refused(authority: TestAuthority) -> None:
    with pytest.raises(TimestampError, match="not issued by the authority's configured CA"):
        request_token(authority.url, DIGEST, ca_pem=TestAuthority("Impostor").ca_pem)


def test_an_unreachable_authority_is_reported_as_such(authority: TestAuthority) -> None:
    authority.mode = "offline"
    with pytest.raises(AuthorityUnreachable):
        request_token(authority.url, DIGEST, timeout=2)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl")
def test_openssl_accepts_the_tokens(authority: TestAuthority, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """What the bundle's README tells a court to run by hand."""
    token, _ = request_token(authority.url, DIGEST)
    (tmp_path / "t.tsr").write_bytes(token)
    (tmp_path / "ca.pem").write_text(authority.ca_pem)
    result = subprocess.run(["openssl", "ts", "-verify", "-digest", DIGEST.hex(), "-sha256", "-in",
                             str(tmp_path / "t.tsr"), "-token_in", "-CAfile",
                             str(tmp_path / "ca.pem")], capture_output=True, text=True)
    assert result.returncode == 0 and "Verification: OK" in result.stdout, result.stderr


def tokens(setup: LockerSetup) -> list[TimestampToken]:
    with setup.locker.session() as session:
        return list(session.scalars(select(TimestampToken).order_by(TimestampToken.id)))


def test_the_locker_state_is_stamped_by_several_authorities(setup: LockerSetup,
                                                             authority: TestAuthority) -> None:
    with TestAuthority("Second TSA") as second:
        setup.locker.add_authority("first", authority.url, authority.ca_pem)
        setup.locker.add_authority("second", second.url, second.ca_pem)
        setup.add(b"photo", "p.jpg")
        assert setup.locker.timestamp() == {"stamped": 2, "queued": 0, "failed": 0}
    stamped = tokens(setup)
    assert [t.authority for t in stamped] == ["first", "second"]
    with setup.locker.session() as session:
        checkpoint = session.scalars(select(TimestampCheckpoint)).one()
        entries = setup.locker.db_entries(session)
    assert checkpoint.head_seq == len(entries)
    assert checkpoint.root == merkle_root_hex(setup.locker.leaves(entries))
    assert {leaf.split(":")[0] for leaf in checkpoint.leaves} == {"blob", "meta", "log"}
    report = verify_locker(setup.locker)
    assert report.ok and report.checked["time-stamps verified"] == 2
    assert setup.locker.timestamp() == {"stamped": 0, "queued": 0, "failed": 0}  # nothing new


def test_requests_queue_while_offline_and_go_out_when_online(setup: LockerSetup,
                                                            authority: TestAuthority) -> None:
    setup.locker.add_authority("field", authority.url, authority.ca_pem)
    authority.mode = "offline"
    setup.add(b"first photo", "1.jpg")
    assert setup.locker.timestamp(timeout=2) == {"stamped": 0, "queued": 1, "failed": 0}
    setup.add(b"second photo", "2.jpg")
    assert setup.locker.timestamp(timeout=2) == {"stamped": 0, "queued": 2, "failed": 0}
    report = verify_locker(setup.locker)
    assert report.ok and sum("still queued" in n for n in report.notes) == 2

    authority.mode = "ok"
    assert setup.locker.send_timestamps() == {"stamped": 2, "queued": 0, "failed": 0}
    assert [t.status for t in tokens(setup)] == ["stamped", "stamped"]
    # Once an authority is found unreachable, the other requests to it wait for the next round.
    assert [t.attempts for t in tokens(setup)] == [3, 1]
    assert verify_locker(setup.locker).checked["time-stamps verified"] == 2


def test_editing_a_stamped_entry_or_token_is_named(setup: LockerSetup,
                                                   authority: TestAuthority) -> None:
    setup.locker.add_authority("tsa", authority.url, authority.ca_pem)
    setup.add(b"photo", "p.jpg")
    setup.locker.timestamp()
    token = tokens(setup)[0]
    flipped = bytearray(unb64(token.token or ""))
    flipped[-5] ^= 0x01
    with setup.locker.session() as session, session.begin():
        session.execute(update(TimestampToken).values(token=b64(bytes(flipped))))
        row = session.get(CustodyEntry, 3)
        assert row is not None
        # A rewrite by someone holding the key: chain and signature redone, stamp still differs.
        session.execute(update(TimestampCheckpoint).values(
            leaves=[leaf.replace(row.entry_hash, "f" * 64) for leaf in
                    session.scalars(select(TimestampCheckpoint)).one().leaves]))
    found = [str(f) for f in verify_locker(setup.locker).findings]
    assert any(f.startswith("time-stamp 1 (tsa) of checkpoint 1:") for f in found), found
    assert "checkpoint 1: its Merkle root does not match its leaves" in found
    assert "checkpoint 1: custody entry 3 changed or vanished after it was time-stamped" in found


def test_tokens_are_kept_outside_the_database_too(setup: LockerSetup,
                                                 authority: TestAuthority) -> None:
    setup.locker.add_authority("tsa", authority.url, authority.ca_pem)
    setup.add(b"photo", "p.jpg")
    setup.locker.timestamp()
    files = setup.locker.store.timestamp_files()
    assert list(files) == [1]
    kept = json.loads(files[1].read_text())
    assert verify_token(unb64(kept["token"]), bytes.fromhex(kept["checkpoint"]["root"])).gen_time \
        .isoformat() == kept["gen_time"]
    with setup.locker.session() as session, session.begin():
        session.execute(delete(TimestampToken))
        session.execute(delete(TimestampCheckpoint))
    found = [str(f) for f in verify_locker(setup.locker).findings]
    assert found == ["time-stamp 1 (tsa): is kept in timestamps/1.json but gone from the database"]
    files[1].unlink()
    assert verify_locker(setup.locker).ok  # nothing left to compare: a wiped copy and file
