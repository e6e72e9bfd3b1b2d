"""Sealing anonymous ballots while they wait in the pool: authenticated encryption with a
key derived from the application's secret, which the database never holds."""
from __future__ import annotations

import base64
import json
from functools import lru_cache

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app


def _fernet() -> Fernet:
    return _fernet_for(current_app.config["SECRET_KEY"])


@lru_cache(maxsize=4)
def _fernet_for(secret_key: str) -> Fernet:
    # Derived once per process, as the token keys are: every answer is sealed with it.
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"review-ballot-pool",
               info=b"anonymous ballots v1").derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def seal(content: dict) -> bytes:
    return _fernet().encrypt(json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode())


def unseal(token: bytes) -> dict:
    return json.loads(_fernet().decrypt(bytes(token)))
