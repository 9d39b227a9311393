"""Property-based tests: the custody chain catches any single change, the Merkle root is RFC
6962's, encryption never loses a byte, and any sequence of locker operations verifies and
keeps every item's content."""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from evidence_support import make_locker
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tocsin.evidence.crypto import StreamEncryptor, decrypt_stream, key_id_for, public_key_hex
from tocsin.evidence.custody import GENESIS, Entry, make_entry, verify_chain
from tocsin.evidence.errors import AccessDenied, EvidenceError
from tocsin.evidence.media import pdf_metadata, sniff_media_type
from tocsin.evidence.merkle import leaf_hash, merkle_root, node_hash
from tocsin.evidence.verify import verify_locker


class Signer:
    def __init__(self) -> None:
        self.private = Ed25519PrivateKey.generate()
        self.public_hex = public_key_hex(self.private)
        self.key_id = key_id_for(self.public_hex)

    def sign(self, message: bytes) -> str:
        return self.private.sign(message).hex()


SIGNER = Signer()


def chain(details: list[str]) -> list[Entry]:
    entries = [make_entry(1, GENESIS, {"action": "key_created", "organisation": {"id": 1},
                                       "details": {"public_key": SIGNER.public_hex}}, SIGNER)]
    for text in details:
        entries.append(make_entry(len(entries) + 1, entries[-1].entry_hash,
                                  {"action": "view", "organisation": {"id": 1}, "item": 1,
                                   "details": {"note": text}}, SIGNER))
    return entries


def with_payload(entry: Entry, payload: str) -> Entry:
    return Entry(entry.seq, entry.prev_hash, entry.entry_hash, entry.key_id, entry.signature,
                 payload, hashlib.sha256(payload.encode()).hexdigest())


notes = st.lists(st.text(max_size=20), min_size=2, max_size=12)


@settings(max_examples=60, deadline=None)
@given(notes, st.data())
def test_any_single_change_to_the_log_is_found(details: list[str], data: st.DataObject) -> None:
    entries = chain(details)
    assert verify_chain(entries)[0] == []
    n = len(entries)
    i = data.draw(st.integers(0, n - 1), label="entry")
    j = data.draw(st.integers(0, n - 1).filter(lambda x: x != i), label="other entry")
    change = data.draw(st.sampled_from(["edit", "delete", "swap", "swap_signatures",
                                        "relink", "resign_other"]), label="change")
    changed = list(entries)
    if change == "edit":
        payload = entries[i].payload or ""
        changed[i] = with_payload(entries[i], payload.replace('"seq":', '"seq": ', 1))
    elif change == "delete":
        del changed[i]
    elif change == "swap":
        changed[i], changed[j] = entries[j], entries[i]
    elif change == "swap_signatures":
        a, b = entries[i], entries[j]
        changed[i] = Entry(a.seq, a.prev_hash, a.entry_hash, a.key_id, b.signature, a.payload,
                           a.payload_sha256)
    elif change == "relink":
        a = entries[i]
        changed[i] = Entry(a.seq, "1" * 64, a.entry_hash, a.key_id, a.signature, a.payload,
                           a.payload_sha256)
    else:  # an impostor signs an edited entry with a key the log never introduced
        impostor = Signer()
        body = dict(entries[i].body)
        body["details"] = {"note": "forged"}
        forged = make_entry(entries[i].seq, entries[i].prev_hash,
                            {k: v for k, v in body.items() if k not in ("seq", "key_id", "format")},
                            impostor)
        changed[i] = forged
    findings, _ = verify_chain(changed)
    if change == "delete" and i == n - 1:
        assert findings == []  # a cut tail is invisible to the chain alone: the mirror's job
    else:
        assert findings, change


def reference_root(leaves: list[bytes]) -> bytes:
    """RFC 6962 section 2.1, as written: split at the largest power of two below n."""
    if len(leaves) == 1:
        return leaf_hash(leaves[0])
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(reference_root(leaves[:k]), reference_root(leaves[k:]))


@given(st.lists(st.binary(max_size=8), min_size=1, max_size=40))
def test_merkle_root_is_rfc_6962(leaves: list[bytes]) -> None:
    assert merkle_root(leaves) == reference_root(leaves)


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=3 << 20), st.binary(max_size=32))
def test_stream_encryption_round_trips_every_byte(content: bytes, context: bytes) -> None:
    key, nonce = os.urandom(32), os.urandom(12)
    encryptor = StreamEncryptor(key, nonce, context)
    sealed = b"".join(encryptor.update(content[i:i + 65536])
                      for i in range(0, len(content), 65536)) + encryptor.finalize()
    sink = io.BytesIO()
    decrypt_stream(key, nonce, context, io.BytesIO(sealed), sink)
    assert sink.getvalue() == content


@given(st.binary(max_size=300), st.text(max_size=30))
def test_media_sniffing_never_fails(head: bytes, name: str) -> None:
    assert "/" in sniff_media_type(head, name)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=2000))
def test_pdf_metadata_reads_any_bytes(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "x.pdf"
    path.write_bytes(b"%PDF-1.4\n" + data + b"/CreationDate (D:20240510143000+02'00')")
    assert pdf_metadata(path)["CreationDate"] == "2024-05-10T14:30:00+02:00"


operation = st.one_of(
    st.tuples(st.just("add"), st.sampled_from(["public", "restricted", "confidential"]),
              st.binary(min_size=0, max_size=5000)),
    st.tuples(st.just("open"), st.sampled_from(["amira", "badr", "vera", "salim"]), st.integers(0, 9)),
    st.tuples(st.just("transfer"), st.sampled_from(["amira", "musa"]), st.integers(0, 9)),
    st.tuples(st.just("redact"), st.sampled_from(["badr", "vera"]), st.integers(0, 9)),
    st.tuples(st.just("delete"), st.sampled_from(["amira", "badr"]), st.integers(0, 9)),
    st.tuples(st.just("rotate"), st.sampled_from(["amira", "sara"]), st.just(0)),
)


@pytest.mark.usefixtures("sqlite_env")
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operation, min_size=1, max_size=8))
def test_any_sequence_of_operations_verifies_and_loses_nothing(ops: list[tuple]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        setup = make_locker(Path(folder))
        try:
            contents: dict[int, bytes] = {}  # what each live item must still hold
            for n, (kind, arg, extra) in enumerate(ops):
                ids = sorted(contents)
                target = ids[extra % len(ids)] if ids and isinstance(extra, int) else None
                try:
                    if kind == "add":
                        contents[setup.add(extra, f"f{n}.bin", sensitivity=arg)] = extra
                    elif kind == "open" and target is not None:
                        sink = io.BytesIO()
                        setup.locker.open(target, arg, sink)
                        assert sink.getvalue() == contents[target]
                    elif kind == "transfer" and target is not None:
                        setup.locker.transfer(target, user=arg, to_organisation="Sudan Archive")
                    elif kind == "redact" and target is not None:
                        new = setup.locker.redact(target, setup.file(f"r{n}.bin", b"redacted"),
                                                  user=arg, reason="protect")
                        contents[new.item_id] = b"redacted"
                    elif kind == "delete" and target is not None:
                        setup.locker.delete(target, user=arg, reason="safety")
                        del contents[target]
                    elif kind == "rotate":
                        setup.locker.rotate_keys(arg)
                except (AccessDenied, EvidenceError) as exc:
                    assert isinstance(exc, AccessDenied) or "already" in str(exc), exc
            report = verify_locker(setup.locker)
            assert report.ok, report.findings
            for item_id, content in contents.items():
                sink = io.BytesIO()
                setup.locker.open(item_id, "amira", sink)
                assert sink.getvalue() == content
                assert hashlib.sha256(sink.getvalue()).hexdigest() == \
                    setup.locker.metadata(item_id, "amira")["sha256"]
        finally:
            setup.locker.close()


@pytest.fixture
def sqlite_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOCSIN_DATABASE_URL", raising=False)
    monkeypatch.delenv("TOCSIN_MASTER_KEY", raising=False)




tamper = st.sampled_from(["flip_blob_byte", "edit_entry", "delete_entry", "swap_signatures",
                          "edit_item", "truncate_mirror"])


@pytest.mark.usefixtures("sqlite_env")
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["public", "restricted", "confidential"]),
                          st.binary(min_size=1, max_size=3000)), min_size=1, max_size=4),
       tamper, st.data())
def test_any_tampering_after_any_history_is_found(items: list[tuple[str, bytes]], how: str,
                                                  data: st.DataObject) -> None:
    from sqlalchemy import delete, update

    from tocsin.records.evidence_models import CustodyEntry, EvidenceItem

    with tempfile.TemporaryDirectory() as folder:
        setup = make_locker(Path(folder))
        try:
            ids = [setup.add(content, f"f{n}.bin", sensitivity=sensitivity)
                   for n, (sensitivity, content) in enumerate(items)]
            assert verify_locker(setup.locker).ok
            locker = setup.locker
            with locker.session() as session:
                entries = locker.db_entries(session)
                rows = {i: session.get(EvidenceItem, i) for i in ids}
            target = data.draw(st.sampled_from(ids), label="item")
            seq = data.draw(st.integers(1, len(entries)), label="entry")
            if how == "flip_blob_byte":
                path = locker.store.path_for(rows[target].stored_sha256)
                blob = bytearray(path.read_bytes())
                blob[data.draw(st.integers(0, len(blob) - 1), label="byte")] ^= 0x80
                path.write_bytes(bytes(blob))
            elif how == "truncate_mirror":
                lines = locker.store.mirror_path.read_text().splitlines(keepends=True)
                locker.store.mirror_path.write_text("".join(lines[:seq - 1]))
            else:
                with locker.session() as session, session.begin():
                    if how == "edit_entry":
                        payload = entries[seq - 1].payload or ""
                        session.execute(update(CustodyEntry).where(CustodyEntry.seq == seq)
                                        .values(payload=payload.replace('"at":"', '"at":"1', 1)))
                    elif how == "delete_entry":
                        session.execute(delete(CustodyEntry).where(CustodyEntry.seq == seq))
                    elif how == "swap_signatures":
                        other = entries[seq % len(entries)]  # the next one, or the first
                        session.execute(update(CustodyEntry).where(CustodyEntry.seq == seq)
                                        .values(signature=other.signature))
                    else:
                        session.execute(update(EvidenceItem).where(EvidenceItem.id == target)
                                        .values(size=rows[target].size + 1))
            assert not verify_locker(setup.locker).ok, how
        finally:
            setup.locker.close()
