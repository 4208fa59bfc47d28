"""Protection of ID numbers: a keyed hash to find a person, encryption to keep the value."""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def _derive(secret: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret)


class IdProtector:
    """HMAC-SHA256 for lookups (a dump shows no ID; a guessed ID cannot be checked without the
    key) and Fernet for the value itself (shown only to the person, when a document needs it)."""

    def __init__(self, secret: bytes) -> None:
        self._hash_key = _derive(secret, b"cebot id-number lookup")
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(secret, b"cebot id-number cipher")))

    def lookup_hash(self, id_number: str) -> str:
        return hmac.new(self._hash_key, id_number.encode(), hashlib.sha256).hexdigest()

    def encrypt(self, id_number: str) -> str:
        return self._fernet.encrypt(id_number.encode()).decode()

    def decrypt(self, token: str) -> str:
        return self._fernet.decrypt(token.encode()).decode()

    def token(self, purpose: str, value: str) -> str:
        """A keyed digest for other secrets (invitation codes), distinct from ID lookups."""
        return hmac.new(self._hash_key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()
