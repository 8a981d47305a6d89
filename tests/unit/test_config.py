from __future__ import annotations

import pytest

from ketaflow.config import ConfigurationError, Settings, load_settings


def test_production_refuses_the_development_placeholder_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KETAFLOW_ENVIRONMENT", "production")
    monkeypatch.delenv("KETAFLOW_SECRET_KEY", raising=False)

    with pytest.raises(ConfigurationError, match="KETAFLOW_SECRET_KEY"):
        load_settings()


def test_production_refuses_a_short_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KETAFLOW_ENVIRONMENT", "production")
    monkeypatch.setenv("KETAFLOW_SECRET_KEY", "too-short")

    with pytest.raises(ConfigurationError, match="at least 32"):
        load_settings()


def test_production_starts_with_a_real_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KETAFLOW_ENVIRONMENT", "production")
    monkeypatch.setenv("KETAFLOW_SECRET_KEY", "k" * 48)

    assert load_settings().secret_key == "k" * 48


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("KETAFLOW_CLINIC_TIMEZONE", "Mars/Olympus"),
        ("KETAFLOW_DATABASE_URL", "mysql://x"),
        ("KETAFLOW_SESSION_IDLE_TIMEOUT_MIN", "0"),
        ("KETAFLOW_LOGIN_MAX_FAILURES", "lots"),
    ],
)
def test_bad_settings_stop_start_up_naming_the_variable(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)

    with pytest.raises(ConfigurationError, match=name):
        load_settings()


def test_defaults_are_the_documented_ones() -> None:
    settings = Settings()

    assert (settings.session_idle_timeout_min, settings.session_absolute_timeout_h, settings.cookie_secure) == (
        15,
        12,
        True,
    )
