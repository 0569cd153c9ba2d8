"""Keys: the hub's checkpoint key, and officers' acknowledgement signatures.

The hub signs audit checkpoints with an Ed25519 key kept in the data directory
(`audit-signing-key.pem`, made on first use, mode 0600), so every worker process of one
hub signs with the same key. Officers sign acknowledgements with keys of their own; the
hub stores only the public half, so it can check an acknowledgement but never forge one.
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from deconflict.audit.checkpoint import CheckpointSigner
from deconflict.model.errors import InvalidRequest, NotAllowed

ORIGIN = "deconflict.hub/audit"


def hub_signer(data_dir: str | Path, origin: str = ORIGIN) -> CheckpointSigner:
    """The hub's checkpoint signer (the key is created once, atomically)."""
    path = Path(data_dir) / "audit-signing-key.pem"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.touch(mode=0o600)
        temporary.write_bytes(pem)
        try:
            os.link(temporary, path)  # fails if another process made it first: keep theirs
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(key, Ed25519PrivateKey)
    return CheckpointSigner(key, origin)


def parse_public_key(text: str) -> Ed25519PublicKey:
    """An officer's public key: base64 of the 32 raw Ed25519 bytes."""
    try:
        raw = base64.b64decode(text, validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError) as exc:
        raise InvalidRequest("public_key must be base64 of 32 raw Ed25519 bytes") from exc


def check_signature(public_key: str, signature: str, digest: str) -> None:
    """The officer's signature over the notice digest (its hex text, UTF-8)."""
    key = parse_public_key(public_key)
    try:
        raw = base64.b64decode(signature, validate=True)
        key.verify(raw, digest.encode("ascii"))
    except (binascii.Error, ValueError, InvalidSignature) as exc:
        raise NotAllowed("the acknowledgement signature does not verify") from exc


def sign_digest(private_key: Ed25519PrivateKey, digest: str) -> str:
    """What an officer's client does: base64 signature over the notice digest."""
    return base64.b64encode(private_key.sign(digest.encode("ascii"))).decode("ascii")


def public_text(private_key: Ed25519PrivateKey) -> str:
    raw = private_key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return base64.b64encode(raw).decode("ascii")
