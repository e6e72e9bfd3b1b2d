"""Sealing anonymous ballots and survey responses while they wait in a pool.

A sealed row must tell a reader of the database (or of a backup taken while people vote) nothing but
that it exists. So:

* **fixed size**: every row of one pool has the same length. The content is padded to the pool's
  size, which depends only on what the pool holds (ballots: one size; a survey: a size computed from
  its questionnaire's longest possible answer), never on what a person wrote. Fernet, used before,
  hid no length: a long comment showed as a long row.
* **no clear time**: AES-256-GCM with a random nonce; Fernet kept its timestamp in clear.
* **bound to its pool**: the pool's kind and id are authenticated with the row (a row copied into
  another campaign's pool does not open).

Two keys: the server's, derived from the application's secret, which the database never holds; or,
for a campaign counted by scrutineers (review/ballots/scrutineers.py), the campaign's X25519 public key,
whose private key exists only as the scrutineers' shares until they count — then the server holds no
key that opens a ballot while voting is open. Rows sealed by an earlier version (Fernet) still open,
so a pool filled before an upgrade is counted.
"""
from __future__ import annotations

import base64
import json
import os
import struct
import unicodedata
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

VERSION = b"\x02"          # sealed with the server's key
VERSION_PUBLIC = b"\x03"   # sealed to a campaign's public key (scrutineers hold the private key's shares)
PUBLIC_KEY = 32
NONCE = 12
TAG = 16
# The fixed size of a ballot's plaintext: a comment of COMMENT_MAX characters (at most 4 bytes each
# once control characters are gone, see plain_text) and the answers of a ballot of up to about 35
# questions. A larger ballot rounds up to the next STEP, which then tells only that its plan is large.
COMMENT_MAX = 2000
BALLOT_SIZE = 10 * 1024
STEP = 2 * 1024


class SealError(Exception):
    """A row that does not open with this key for this pool (altered, moved, or another key)."""


def plain_text(text: str | None, limit: int) -> str:
    """Typed text as it is sealed and kept: control characters other than line breaks and tabs removed
    (JSON would write each as six bytes, so a row's size could depend on them) and at most ``limit``
    characters."""
    text = "".join(c for c in (text or "") if c in "\n\t" or unicodedata.category(c) != "Cc")
    return text.strip()[:limit]


def _secret() -> str:
    return current_app.config["SECRET_KEY"]


@lru_cache(maxsize=4)
def _aead_for(secret_key: str) -> AESGCM:
    # Derived once per process, as the token keys are: every answer is sealed with it.
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"review-ballot-pool",
               info=b"anonymous pools v2").derive(secret_key.encode())
    return AESGCM(key)


@lru_cache(maxsize=4)
def _fernet_for(secret_key: str) -> Fernet:
    # Version 1 (Fernet), for rows sealed before the upgrade.
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"review-ballot-pool",
               info=b"anonymous ballots v1").derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _pool_label(pool: str, pool_id: int) -> bytes:
    return f"{pool}:{pool_id}".encode()


def padded_size(length: int, size: int) -> int:
    """The plaintext size a content of ``length`` bytes is padded to in a pool of ``size``."""
    if length <= size:
        return size
    return size + -(-(length - size) // STEP) * STEP


def seal(content: dict, *, pool: str, pool_id: int, size: int = BALLOT_SIZE) -> bytes:
    """The content sealed for the pool ``pool`` (``"ballots"``, ``"survey"``) number ``pool_id``,
    padded to ``size`` bytes of plaintext: every row of the pool has the same length."""
    nonce = os.urandom(NONCE)
    return VERSION + nonce + _aead_for(_secret()).encrypt(nonce, _framed(content, size), _pool_label(pool, pool_id))


def seal_to(public_key: bytes, content: dict, *, pool: str, pool_id: int, size: int = BALLOT_SIZE) -> bytes:
    """The content sealed to an X25519 public key (an ephemeral key pair, ECDH, HKDF, AES-256-GCM), padded
    as :func:`seal` pads: only the holder of the private key opens it — the server keeps none."""
    recipient = X25519PublicKey.from_public_bytes(bytes(public_key))
    ephemeral = X25519PrivateKey.generate()
    mine = ephemeral.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    key = _public_key_aead(ephemeral.exchange(recipient), mine, bytes(public_key))
    nonce = os.urandom(NONCE)
    return VERSION_PUBLIC + mine + nonce + key.encrypt(nonce, _framed(content, size), _pool_label(pool, pool_id))


def _public_key_aead(shared: bytes, ephemeral: bytes, recipient: bytes) -> AESGCM:
    return AESGCM(HKDF(algorithm=hashes.SHA256(), length=32, salt=ephemeral + recipient,
                       info=b"review sealed to scrutineers v3").derive(shared))


def _framed(content: dict, size: int) -> bytes:
    data = json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()
    framed = struct.pack(">I", len(data)) + data
    return framed + bytes(padded_size(len(framed), size) - len(framed))


def _unframed(framed: bytes) -> dict:
    (length,) = struct.unpack(">I", framed[:4])
    return json.loads(framed[4:4 + length])


def sealed_length(size: int = BALLOT_SIZE, *, public: bool = False) -> int:
    """The length of every row of a pool of ``size``."""
    return len(VERSION) + (PUBLIC_KEY if public else 0) + NONCE + size + TAG


def unseal(token: bytes, *, pool: str, pool_id: int, private_key: X25519PrivateKey | None = None) -> dict:
    """Open a sealed row: with the server's key, or for a row sealed to a public key, with its private key."""
    token = bytes(token)
    if token[:1] == VERSION_PUBLIC:
        if private_key is None:
            raise SealError("this row is sealed to the scrutineers' key")
        ephemeral = token[1:1 + PUBLIC_KEY]
        nonce = token[1 + PUBLIC_KEY:1 + PUBLIC_KEY + NONCE]
        mine = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        try:
            shared = private_key.exchange(X25519PublicKey.from_public_bytes(ephemeral))
            framed = _public_key_aead(shared, ephemeral, mine).decrypt(
                nonce, token[1 + PUBLIC_KEY + NONCE:], _pool_label(pool, pool_id))
        except Exception as e:  # noqa: BLE001 - InvalidTag, a malformed key
            raise SealError("this row does not open with this key for this pool") from e
        return _unframed(framed)
    if token[:1] == VERSION:
        try:
            framed = _aead_for(_secret()).decrypt(token[1:1 + NONCE], token[1 + NONCE:], _pool_label(pool, pool_id))
        except Exception as e:  # noqa: BLE001 - cryptography's InvalidTag
            raise SealError("this row does not open for this pool") from e
        return _unframed(framed)
    try:
        return json.loads(_fernet_for(_secret()).decrypt(token))
    except InvalidToken as e:
        raise SealError("this row does not open with this key") from e
