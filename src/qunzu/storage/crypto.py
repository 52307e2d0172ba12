"""Field encryption for personal data (R-6.2-1): AES-256-GCM under keys kept outside the database.

A ciphertext names its key: `v1.<key id>.<base64(nonce ‖ ciphertext ‖ tag)>`, and is bound to where it belongs by
associated data (e.g. `identities.phone:42`), so a value copied into another row or column does not decrypt.
Keys live in a key file (`var/master.keys`, mode 0600, created on first run) or come from QUNZU_MASTER_KEY.
Lookups that must not decrypt (uniqueness, accounts per identity, blacklist) use an HMAC with its own secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from qunzu.errors import QunzuError

VERSION = "v1"


class KeyError_(QunzuError):
    """A ciphertext names a key this deployment does not have, or does not decrypt."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class KeyRing:
    active: str
    keys: dict[str, bytes]
    hmac_key: bytes
    path: Path | None = field(default=None, repr=False)

    def encrypt(self, plaintext: str, *, aad: str) -> str:
        nonce = secrets.token_bytes(12)
        ct = AESGCM(self.keys[self.active]).encrypt(nonce, plaintext.encode(), aad.encode())
        return f"{VERSION}.{self.active}.{_b64(nonce + ct)}"

    def key_id(self, token: str) -> str:
        return token.split(".", 2)[1]

    def decrypt(self, token: str, *, aad: str) -> str:
        try:
            version, key_id, body = token.split(".", 2)
            if version != VERSION:
                raise ValueError(version)
            if key_id not in self.keys:
                self.reload()  # `qunzu keys rotate` ran in another process: pick up the new key
            raw = _unb64(body)
            return AESGCM(self.keys[key_id]).decrypt(raw[:12], raw[12:], aad.encode()).decode()
        except KeyError:
            raise KeyError_("A personal-data field names a key this deployment does not have") from None
        except Exception:
            raise KeyError_("A personal-data field does not decrypt (wrong key or tampered)") from None

    def blind_index(self, kind: str, normalised: str) -> str:
        """HMAC-SHA256 of a normalised value under the identity secret: equal values match, nothing is revealed."""
        return hmac.new(self.hmac_key, f"{kind}:{normalised}".encode(), hashlib.sha256).hexdigest()

    def reload(self) -> None:
        """Re-read the key file (new keys, new active key); keys it no longer lists stay usable here."""
        if self.path is None or not self.path.exists():
            return
        fresh = load_keyring(self.path)
        self.keys = {**self.keys, **fresh.keys}
        self.active = fresh.active

    # --- rotation ------------------------------------------------------------------------------------------
    def add_key(self) -> str:
        """Add a fresh key and make it the active one (old keys stay to decrypt until re-encryption is done)."""
        n = 1 + max((int(k[1:]) for k in self.keys if k[1:].isdigit()), default=0)
        key_id = f"k{n}"
        self.keys[key_id] = AESGCM.generate_key(bit_length=256)
        self.active = key_id
        self.save()
        return key_id

    def retire(self, key_id: str) -> None:
        if key_id == self.active:
            raise ValueError("the active key cannot be retired")
        self.keys.pop(key_id, None)
        self.save()

    def save(self) -> None:
        if self.path is None:
            raise ValueError("this key ring comes from the environment; rotate it there")
        data = {
            "active": self.active,
            "keys": {k: _b64(v) for k, v in self.keys.items()},
            "hmac": _b64(self.hmac_key),
        }
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh)
        os.replace(tmp, self.path)


def load_keyring(path: Path, *, master_key: str | None = None, hmac_key: str | None = None) -> KeyRing:
    """The key ring from QUNZU_MASTER_KEY (+ QUNZU_IDENTITY_HMAC_KEY) or the key file, created on first use."""
    if master_key:
        key = _unb64(master_key)
        if len(key) != 32:
            raise ValueError("QUNZU_MASTER_KEY must be 32 bytes, base64url encoded")
        if not hmac_key:
            raise ValueError("QUNZU_IDENTITY_HMAC_KEY is required with QUNZU_MASTER_KEY")
        return KeyRing(active="env", keys={"env": key}, hmac_key=_unb64(hmac_key))
    if path.exists():
        data = json.loads(path.read_text())
        return KeyRing(
            active=data["active"],
            keys={k: _unb64(v) for k, v in data["keys"].items()},
            hmac_key=_unb64(data["hmac"]),
            path=path,
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    ring = KeyRing(
        active="k1", keys={"k1": AESGCM.generate_key(bit_length=256)}, hmac_key=secrets.token_bytes(32), path=path
    )
    ring.save()
    return ring
