"""The Ed25519 key that signs audit exports, and checking a signature.

The key comes from CONTACTHUB_AUDIT_SIGNING_KEY (base64 of the 32-byte raw
private key) or, in the embedded default, from `audit-signing.key` in the data
folder, generated on first use (mode 0600). Public keys travel as base64 of
their 32 raw bytes: short enough to print, paste and compare.
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

KEY_FILE = "audit-signing.key"


class InvalidKey(ValueError):
    """A key that is not base64 of 32 bytes."""


class AuditSigner:
    """Signs with the hub's audit key; `public_key` is what verifiers need."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        raw = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.public_key = base64.b64encode(raw).decode()

    def sign(self, message: bytes) -> str:
        return base64.b64encode(self._key.sign(message)).decode()


def _raw_key(value: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise InvalidKey(f"{what} must be base64 of exactly 32 bytes")
    return raw


def load_signer(value: str | None, data_dir: Path) -> AuditSigner:
    """The configured key, or the data folder's own (created on first use)."""
    if value:
        raw = _raw_key(value, "CONTACTHUB_AUDIT_SIGNING_KEY")
        return AuditSigner(Ed25519PrivateKey.from_private_bytes(raw))
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat

        fresh = Ed25519PrivateKey.generate().private_bytes(
            Encoding.Raw, PrivateFormat.Raw, NoEncryption()
        )
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it meanwhile: use theirs
            pass
        else:
            with os.fdopen(fd, "wb") as file:
                file.write(base64.b64encode(fresh))
    raw = _raw_key(path.read_text(), str(path))
    return AuditSigner(Ed25519PrivateKey.from_private_bytes(raw))


def public_key_from(value: str) -> str:
    """A public key given as base64, or as the name of a file holding it; its base64."""
    text = value.strip()
    if Path(text).is_file():
        text = Path(text).read_text().strip()
    return base64.b64encode(_raw_key(text, "the public key")).decode()


def signature_holds(public_key: str, message: bytes, signature: str) -> bool:
    try:
        key = Ed25519PublicKey.from_public_bytes(_raw_key(public_key, "the public key"))
        key.verify(base64.b64decode(signature, validate=True), message)
    except (InvalidKey, InvalidSignature, binascii.Error, ValueError):
        return False
    return True
