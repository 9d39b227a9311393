"""Organisation keys kept in the workspace: Ed25519 signing keys and AES-256 key-encryption keys.

Layout: ``keys/org-<id>/<kind>-<key id>.json`` (mode 0600, folder 0700). Which keys are in use
is read from the signed custody log (the newest ``key_created`` / ``key_rotated`` entry of the
organisation), never from a file here: a planted file cannot make itself the active key.
Secrets are stored in clear unless the environment variable ``TOCSIN_MASTER_KEY`` holds a
passphrase when they are created; then they
are sealed with AES-256-GCM under a key derived from it (scrypt), and reading them needs the
same passphrase. Production should always set it, from outside the workspace (a secrets
manager, a prompt); see docs/methods/evidence.md.

Rotation makes new keys active and keeps the old ones: old custody entries still verify with
the old public keys and old items still decrypt with the old key-encryption keys.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from tocsin.evidence.crypto import b64, key_id_for, new_data_key, public_key_hex, seal, unb64, unseal
from tocsin.evidence.errors import EvidenceError
from tocsin.i18n import Said
from tocsin.lake import fsync_path

MASTER_KEY_ENV = "TOCSIN_MASTER_KEY"
SIGNING = "signing"
KEK = "kek"


def _master_key(salt: bytes) -> bytes | None:
    passphrase = os.environ.get(MASTER_KEY_ENV)
    if not passphrase:
        return None
    return Scrypt(salt=salt, length=32, n=2**15, r=8, p=1).derive(passphrase.encode("utf-8"))


@dataclass(frozen=True)
class SigningKeyPair:
    key_id: str
    organisation_id: int
    private: Ed25519PrivateKey

    @property
    def public_hex(self) -> str:
        return public_key_hex(self.private)

    def sign(self, message: bytes) -> str:
        return self.private.sign(message).hex()


class KeyStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def org_dir(self, organisation_id: int) -> Path:
        return self.root / f"org-{organisation_id}"

    # -- files ----------------------------------------------------------------------------
    def _write_secret(self, organisation_id: int, kind: str, key_id: str, secret: bytes) -> None:
        folder = self.org_dir(organisation_id)
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.root, 0o700)
        salt = os.urandom(16)
        master = _master_key(salt)
        record: dict[str, Any] = {
            "kind": kind, "key_id": key_id, "organisation_id": organisation_id,
            "created_at": dt.datetime.now(dt.UTC).isoformat(),
        }
        if master is None:
            record |= {"protection": "none", "secret": b64(secret)}
        else:
            record |= {"protection": "scrypt-aes256gcm", "salt": b64(salt),
                       "secret": seal(master, secret, key_id.encode())}
        path = folder / f"{kind}-{key_id}.json"
        # O_EXCL: a key file is never overwritten; 0600 from the first byte.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(record, handle)
            handle.flush()
            os.fsync(handle.fileno())
        fsync_path(folder)

    def _read_secret(self, organisation_id: int, kind: str, key_id: str) -> bytes:
        path = self.org_dir(organisation_id) / f"{kind}-{key_id}.json"
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise EvidenceError(Said("keys.file_missing", path=str(path))) from exc
        except (OSError, ValueError) as exc:
            raise EvidenceError(f"key file {path} is unreadable: {exc}") from exc
        if record.get("protection") == "none":
            if os.environ.get(MASTER_KEY_ENV):
                # Anyone who can write the workspace can write such a file: with a master key
                # set, only a file sealed under it can be a key this organisation made.
                raise EvidenceError(
                    f"key file {path} is not protected, but {MASTER_KEY_ENV} is set: refused "
                    "(a key file planted by someone without the master key looks like this)")
            return unb64(record["secret"])
        master = _master_key(unb64(record["salt"]))
        if master is None:
            raise EvidenceError(Said("keys.needs_master", key_id=key_id, env=MASTER_KEY_ENV))
        try:
            return unseal(master, record["secret"], key_id.encode())
        except InvalidTag as exc:
            raise EvidenceError(Said("keys.master_wrong", key_id=key_id, env=MASTER_KEY_ENV)) from exc

    # -- API ------------------------------------------------------------------------------
    def create_signing_key(self, organisation_id: int) -> SigningKeyPair:
        """A new Ed25519 key, stored but not yet active (see :meth:`activate`)."""
        private = Ed25519PrivateKey.generate()
        key_id = key_id_for(public_key_hex(private))
        raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        self._write_secret(organisation_id, SIGNING, key_id, raw)
        return SigningKeyPair(key_id, organisation_id, private)

    def create_kek(self, organisation_id: int) -> str:
        key = new_data_key()
        kek_id = os.urandom(16).hex()  # random: an id derived from the key would hint at it
        self._write_secret(organisation_id, KEK, kek_id, key)
        return kek_id

    def signing_key(self, organisation_id: int, key_id: str) -> SigningKeyPair:
        """The private key ``key_id`` (which one is in use is read from the signed log, never
        from a file in this folder: see :meth:`tocsin.evidence.locker.EvidenceLocker.key_state`)."""
        raw = self._read_secret(organisation_id, SIGNING, key_id)
        pair = SigningKeyPair(key_id, organisation_id, Ed25519PrivateKey.from_private_bytes(raw))
        if key_id_for(pair.public_hex) != key_id:
            raise EvidenceError(Said("keys.replaced", key_id=key_id))
        return pair

    def key_files(self, organisation_id: int) -> dict[str, dict[str, Any]]:
        """Every key file of an organisation, by file name, as stored (secrets still sealed)."""
        folder = self.org_dir(organisation_id)
        if not folder.exists():
            return {}
        files = {}
        for path in sorted(folder.glob("*.json")):
            try:
                files[path.name] = dict(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError) as exc:
                files[path.name] = {"unreadable": str(exc)}
        return files

    def public_of(self, organisation_id: int, key_id: str) -> str:
        return self.signing_key(organisation_id, key_id).public_hex

    def kek(self, organisation_id: int, kek_id: str) -> bytes:
        return self._read_secret(organisation_id, KEK, kek_id)
