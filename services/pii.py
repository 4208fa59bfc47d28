"""Protection of ID numbers: a keyed hash to find a person, encryption to keep the value."""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def _derive(secret: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret)


def _fernet(secret: bytes) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derive(secret, b"cebot id-number cipher")))


class IdProtector:
    """HMAC-SHA256 for lookups (a dump shows no ID; a guessed ID cannot be checked without the
    key) and Fernet for the value itself (shown only to the person, when a document needs it).

    Key rotation: construct with the new secret and the `previous` ones. Encryption and lookup
    hashes use the new key; decryption accepts every key; `tokens` gives a digest under each
    key so that links signed before the rotation (certificate QR codes) still verify.
    `cebot keys rotate` re-encrypts and re-hashes every stored ID number (docs/deploy.md)."""

    def __init__(self, secret: bytes, previous: tuple[bytes, ...] = ()) -> None:
        self._hash_key = _derive(secret, b"cebot id-number lookup")
        self._old_hash_keys = tuple(_derive(p, b"cebot id-number lookup") for p in previous)
        self._current = _fernet(secret)
        self._fernet = MultiFernet([self._current, *(_fernet(p) for p in previous)])

    @property
    def rotating(self) -> bool:
        return bool(self._old_hash_keys)

    def old_lookup_hashes(self, id_number: str) -> list[str]:
        return [
            hmac.new(key, id_number.encode(), hashlib.sha256).hexdigest()
            for key in self._old_hash_keys
        ]

    def lookup_hash(self, id_number: str) -> str:
        return hmac.new(self._hash_key, id_number.encode(), hashlib.sha256).hexdigest()

    def encrypt(self, id_number: str) -> str:
        return self._fernet.encrypt(id_number.encode()).decode()

    def decrypt(self, token: str) -> str:
        return self._fernet.decrypt(token.encode()).decode()

    def token(self, purpose: str, value: str) -> str:
        """A keyed digest for other secrets (invitation codes), distinct from ID lookups."""
        return hmac.new(self._hash_key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()

    def tokens(self, purpose: str, value: str) -> list[str]:
        """The digest under the current key, then under each previous one."""
        return [self.token(purpose, value)] + [
            hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()
            for key in self._old_hash_keys
        ]

    def is_current(self, token: str) -> bool:
        """Encrypted under the current key?"""
        try:
            self._current.decrypt(token.encode())
        except InvalidToken:
            return False
        return True

    def rotate(self, token: str) -> str:
        """Re-encrypt under the current key (whichever key encrypted it)."""
        return self._fernet.rotate(token.encode()).decode()
