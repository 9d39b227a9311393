"""RFC 9162 proofs: every inclusion and consistency proof verifies, and none survives a change
of leaf, size, root or proof (hypothesis over tree sizes and positions)."""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from tocsin.evidence.merkle import (
    MerkleTree,
    merkle_root,
    node_hash,
    verify_consistency,
    verify_inclusion,
)

LEAVES = st.lists(st.binary(min_size=1, max_size=8), min_size=1, max_size=70)


def test_known_roots_of_rfc_6962() -> None:
    # The tree of RFC 6962's test vectors' shape: three leaves hash as node(node(a, b), c).
    a, b, c = (hashlib.sha256(b"\x00" + x).digest() for x in (b"a", b"b", b"c"))
    assert merkle_root([b"a", b"b", b"c"]) == node_hash(node_hash(a, b), c)
    assert MerkleTree([b"a", b"b", b"c"]).root() == merkle_root([b"a", b"b", b"c"])
    assert merkle_root([]) == hashlib.sha256(b"").digest()


@settings(max_examples=60, deadline=None)
@given(LEAVES, st.data())
def test_inclusion_proofs_verify_and_nothing_else_does(leaves: list[bytes], data) -> None:  # type: ignore[no-untyped-def]
    tree = MerkleTree(leaves)
    size = data.draw(st.integers(1, tree.size))
    index = data.draw(st.integers(0, size - 1))
    proof = tree.inclusion_proof(index, size)
    root = tree.root(size)
    assert root == merkle_root(leaves[:size])
    assert verify_inclusion(leaves[index], index, size, proof, root)
    assert not verify_inclusion(leaves[index] + b"x", index, size, proof, root)
    if size > 1:
        other = (index + 1) % size
        assert not verify_inclusion(leaves[index], other, size, proof, root) \
            or leaves[other] == leaves[index]
        assert not verify_inclusion(leaves[index], index, size, proof[:-1], root)
    assert not verify_inclusion(leaves[index], index, size, proof, hashlib.sha256(root).digest())


@settings(max_examples=60, deadline=None)
@given(LEAVES, st.data())
def test_consistency_proofs_verify_and_a_rewrite_does_not(leaves: list[bytes], data) -> None:  # type: ignore[no-untyped-def]
    tree = MerkleTree(leaves)
    new = data.draw(st.integers(1, tree.size))
    old = data.draw(st.integers(1, new))
    proof = tree.consistency_proof(old, new)
    assert verify_consistency(old, new, tree.root(old), tree.root(new), proof)
    # A log whose first `old` entries were rewritten (one leaf changed) is not an extension.
    changed = data.draw(st.integers(0, old - 1))
    forked = MerkleTree([*leaves[:changed], leaves[changed] + b"!", *leaves[changed + 1:]])
    assert not verify_consistency(old, new, tree.root(old), forked.root(new),
                                  forked.consistency_proof(old, new))
    if old < new:
        assert not verify_consistency(new, old, tree.root(new), tree.root(old), proof)
        assert not verify_consistency(old, new, tree.root(old), tree.root(new), proof[1:]) \
            or len(proof) == 0
