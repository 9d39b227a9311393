"""Hashing, canonical JSON, Ed25519 signatures and AES-256-GCM (streamed and wrapped keys).

Everything that is hashed or signed goes through :func:`canonical_json`, so the same record
gives the same bytes in any process, on any machine, in any later version.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

CHUNK = 4 * 1024 * 1024  # large reads: hashing runs at memory speed, no file is loaded whole
NONCE_BYTES = 12
TAG_BYTES = 16


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8 (not escaped): one byte string per value."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: os.PathLike[str] | str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb", buffering=0) as handle:
        buffer = bytearray(CHUNK)
        view = memoryview(buffer)
        while n := handle.readinto(buffer):
            digest.update(view[:n])
    return digest.hexdigest()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


# -- Ed25519 ---------------------------------------------------------------------------------
def public_key_hex(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return public.public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def key_id_for(public_hex: str) -> str:
    """A key's id: the first 32 hex digits of the SHA-256 of its raw public key."""
    return sha256_hex(bytes.fromhex(public_hex))[:32]


def verify_signature(public_hex: str, signature_hex: str, message: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex)).verify(
            bytes.fromhex(signature_hex), message)
    except (InvalidSignature, ValueError):
        return False
    return True


# -- AES-256-GCM -----------------------------------------------------------------------------
def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def wrap_key(kek: bytes, data_key: bytes, context: bytes) -> str:
    """Encrypt a data key under a key-encryption key; ``context`` binds it to its item."""
    nonce = os.urandom(NONCE_BYTES)
    return b64(nonce + AESGCM(kek).encrypt(nonce, data_key, context))


def unwrap_key(kek: bytes, wrapped: str, context: bytes) -> bytes:
    raw = unb64(wrapped)
    return AESGCM(kek).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context)


def seal(key: bytes, plaintext: bytes, context: bytes) -> str:
    nonce = os.urandom(NONCE_BYTES)
    return b64(nonce + AESGCM(key).encrypt(nonce, plaintext, context))


def unseal(key: bytes, sealed: str, context: bytes) -> bytes:
    raw = unb64(sealed)
    return AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context)


class StreamEncryptor:
    """AES-256-GCM over a stream: ciphertext chunk by chunk, the 16-byte tag appended last."""

    def __init__(self, key: bytes, nonce: bytes, context: bytes) -> None:
        self._encryptor = Cipher(algorithms.AES(key), modes.GCM(nonce)).encryptor()
        self._encryptor.authenticate_additional_data(context)

    def update(self, data: bytes | memoryview) -> bytes:
        return self._encryptor.update(data)

    def finalize(self) -> bytes:
        return self._encryptor.finalize() + self._encryptor.tag


def decrypt_stream(key: bytes, nonce: bytes, context: bytes, source: Any, sink: Any) -> None:
    """Decrypt a stored blob (ciphertext then tag) from ``source`` into ``sink``.

    Raises :class:`cryptography.exceptions.InvalidTag` when the blob or the key is wrong; the
    caller must discard what was written to ``sink`` in that case.
    """
    source.seek(0, os.SEEK_END)
    total = source.tell()
    if total < TAG_BYTES:
        raise InvalidTag()
    source.seek(total - TAG_BYTES)
    tag = source.read(TAG_BYTES)
    source.seek(0)
    decryptor = Cipher(algorithms.AES(key), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(context)
    remaining = total - TAG_BYTES
    while remaining:
        chunk = source.read(min(CHUNK, remaining))
        remaining -= len(chunk)
        sink.write(decryptor.update(chunk))
    sink.write(decryptor.finalize())
