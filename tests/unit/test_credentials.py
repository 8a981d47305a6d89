from __future__ import annotations

import pytest

from ketaflow.domain.errors import AuthenticationFailed
from ketaflow.services.credentials import PasswordHasher, SecretBox


def test_a_totp_secret_sealed_under_another_app_secret_gives_a_clear_error() -> None:
    sealed = SecretBox.from_app_secret("the-old-secret-key-of-this-clinic-0123").seal("JBSWY3DPEHPK3PXP")

    with pytest.raises(AuthenticationFailed, match="reset your second factor"):
        SecretBox.from_app_secret("a-new-secret-key-after-rotation-456789").open(sealed)


def test_sealed_secrets_round_trip_and_differ_each_time() -> None:
    box = SecretBox.from_app_secret("k" * 40)

    first, second = box.seal("JBSWY3DPEHPK3PXP"), box.seal("JBSWY3DPEHPK3PXP")

    assert first != second
    assert box.open(first) == box.open(second) == "JBSWY3DPEHPK3PXP"


def test_passwords_are_hashed_with_argon2id() -> None:
    hasher = PasswordHasher()

    hashed = hasher.hash("correct horse battery staple")

    assert hashed.startswith("$argon2id$")
    assert hasher.verify(hashed, "correct horse battery staple")
    assert not hasher.verify(hashed, "Correct horse battery staple")
    assert not hasher.verify("not-a-hash", "anything")
