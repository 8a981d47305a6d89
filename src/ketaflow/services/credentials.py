"""Password hashing (argon2id), TOTP second factor, encrypted TOTP secrets and random tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

import pyotp
from argon2 import PasswordHasher as _Argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ketaflow.domain.errors import AuthenticationFailed


class PasswordHasher:
    """argon2id with the library's RFC 9106 defaults (t=3, m=64 MiB, p=4); ``fast`` is for tests only."""

    def __init__(self, *, fast: bool = False) -> None:
        self._argon = _Argon2(time_cost=1, memory_cost=1024, parallelism=1) if fast else _Argon2()

    def hash(self, password: str) -> str:
        return self._argon.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._argon.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self._argon.check_needs_rehash(password_hash)

    def dummy_verify(self, password: str) -> None:
        """Spend the same time as a real check, so unknown usernames are not revealed by timing."""
        self.verify(self._dummy_hash, password)

    @property
    def _dummy_hash(self) -> str:
        cached: str | None = getattr(self, "_cached_dummy", None)
        if cached is None:
            cached = self.hash(secrets.token_urlsafe(16))
            self._cached_dummy = cached
        return cached


@dataclass(frozen=True, slots=True)
class SecretBox:
    """AES-GCM encryption of small secrets (TOTP seeds) under a key derived from the app secret."""

    key: bytes

    @classmethod
    def from_app_secret(cls, app_secret: str) -> SecretBox:
        hkdf = HKDF(algorithm=SHA256(), length=32, salt=b"ketaflow.totp.v1", info=b"totp-secret-encryption")
        return cls(hkdf.derive(app_secret.encode("utf-8")))

    def seal(self, plaintext: str) -> str:
        nonce = secrets.token_bytes(12)
        sealed = AESGCM(self.key).encrypt(nonce, plaintext.encode("utf-8"), None)
        return base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def open(self, token: str) -> str:
        """Decrypt; a secret sealed under another app secret (KETAFLOW_SECRET_KEY changed) cannot be read."""
        try:
            raw = base64.urlsafe_b64decode(token.encode("ascii"))
            return AESGCM(self.key).decrypt(raw[:12], raw[12:], None).decode("utf-8")
        except (InvalidTag, ValueError) as exc:
            raise AuthenticationFailed(
                "Your second factor cannot be checked (the server's secret key has changed). "
                "Ask an admin to reset your second factor, then enrol again."
            ) from exc


TOTP_ISSUER = "ketaflow"
# RFC 6238 allows a small window for clock drift; one 30-s step either side.
TOTP_VALID_WINDOW = 1


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, username: str, clinic_name: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=f"{username}@{clinic_name}", issuer_name=TOTP_ISSUER)


TOTP_STEP_S = 30


def matching_totp_step(secret: str, code: str, at_unix: float) -> int | None:
    """The TOTP time step that ``code`` belongs to, within the allowed drift window (callers refuse reuse)."""
    digits = "".join(ch for ch in code if ch.isdigit())
    if len(digits) != 6:
        return None
    totp = pyotp.TOTP(secret)
    step_now = int(at_unix // TOTP_STEP_S)
    for step in range(step_now - TOTP_VALID_WINDOW, step_now + TOTP_VALID_WINDOW + 1):
        if totp.at(step * TOTP_STEP_S) == digits:
            return step
    return None


def new_token() -> str:
    """A 256-bit random token for session cookies and CSRF."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def tokens_match(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
