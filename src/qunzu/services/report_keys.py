"""The report-signing key (D13): an Ed25519 key kept outside the database, like the personal-data key.

It lives in `reports.signing_key_file` (default `<data_dir>/report-signing.key`), a PKCS#8 PEM file of mode 0600,
created on first use (the first package, `qunzu report public-key`, or `qunzu admin bootstrap`) and never at import.
Anyone who reads the database cannot forge a package; anyone holding a package can check it with the public key it
carries, and an authority that keeps the key id (`qunzu report public-key` prints both) knows it came from us.
Losing the file means new packages carry a new key id; the register keeps the key id of every package sent.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import structlog
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from qunzu.domain.reports import key_id, public_pem
from qunzu.errors import Unavailable

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey
    path: Path

    @property
    def key_id(self) -> str:
        return key_id(self.private.public_key())

    @property
    def public_pem(self) -> bytes:
        return public_pem(self.private.public_key())

    def sign(self, data: bytes) -> str:
        """The Ed25519 signature of `data`, hex."""
        return self.private.sign(data).hex()


def load_signing_key(path: Path, *, create: bool = True) -> SigningKey:
    """The key in `path`; created (mode 0600, never overwriting) when missing and `create`. Raises
    FileNotFoundError when missing and not `create`, ValueError when the file is not an Ed25519 private key."""
    if not path.exists():
        if not create:
            raise FileNotFoundError(str(path))
        path.parent.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it meanwhile: use theirs
            return load_signing_key(path, create=False)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        made = SigningKey(key, path)
        log.info("report_signing_key_created", path=str(path), key_id=made.key_id)
        return made
    loaded = load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return SigningKey(loaded, path)


def signing_key(path: Path) -> SigningKey:
    """The deployment's signing key for a request: made on first use; a key file that cannot be read or written
    answers `service_unavailable` (an operator's matter), never a server error."""
    try:
        return load_signing_key(path)
    except (OSError, ValueError) as exc:
        log.error("report_signing_key_unusable", path=str(path), error=exc.__class__.__name__)
        raise Unavailable("The report-signing key cannot be read or created") from exc
