"""Settings from the environment and a file, refused by name when they cannot be used."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.errors import SettingsError
from storage.settings import load_settings


def test_settings_file_is_read_and_environment_wins(tmp_path: Path) -> None:
    (tmp_path / "veogen.toml").write_text(
        'drafts = true\nengine_concurrency = 7\nredis_prefix = "file"\n'
    )
    settings = load_settings({"VEOGEN_DATA_DIR": str(tmp_path), "VEOGEN_REDIS_PREFIX": "env"})
    assert (settings.engine_concurrency, settings.redis_prefix, settings.drafts) == (7, "env", True)
    assert settings.db_url == f"sqlite:///{tmp_path / 'veogen.db'}"
    assert load_settings(settings.as_env()) == settings  # handed to child processes whole


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        (
            {"VEOGEN_BACKEND": "veo"},
            r"VEOGEN_BACKEND is no longer read; set VEOGEN_DRAFTS \(true: local animatic",
        ),
        ({"VEOGEN_DRAFTS": "maybe"}, "VEOGEN_DRAFTS: 'maybe' is not true or false"),
        (
            {"VEOGEN_ENGINE_CONCURRENCY": "many"},
            "VEOGEN_ENGINE_CONCURRENCY: 'many' is not a whole number",
        ),
        ({"VEOGEN_PRICES": "{not json"}, "VEOGEN_PRICES: not valid JSON"),
        (
            {"VEOGEN_SMTP_HOST": "mail.example.com"},
            "VEOGEN_SMTP_FROM: required with VEOGEN_SMTP_HOST: the address mails come from",
        ),
        ({"VEOGEN_SMTP_PASSWORD": "pw"}, "VEOGEN_SMTP_USER: required with VEOGEN_SMTP_PASSWORD"),
        ({"VEOGEN_SMTP_STARTTLS": "sometimes"}, "VEOGEN_SMTP_STARTTLS: 'sometimes' is not true"),
        (
            {"VEOGEN_EMAIL_DIGEST_HOUR": "24"},
            "VEOGEN_EMAIL_DIGEST_HOUR: 24 is out of range; allowed: 0 to 23",
        ),
    ],
)
def test_bad_settings_name_the_variable(
    tmp_path: Path, environ: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings({"VEOGEN_DATA_DIR": str(tmp_path), **environ})


def test_secrets_are_not_in_the_settings_repr(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "VEOGEN_DATA_DIR": str(tmp_path),
            "VEOGEN_GOOGLE_ACCESS_TOKEN": "ya29.tok-8c1f",
            "VEOGEN_GEMINI_API_KEY": "AIza-key-77d2",
            "VEOGEN_SMTP_USER": "studio",
            "VEOGEN_SMTP_PASSWORD": "smtp-pw-41aa",
        }
    )
    for secret in ("tok-8c1f", "key-77d2", "smtp-pw-41aa"):
        assert secret not in repr(settings)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        (
            {"VEOGEN_CLAIM_IDLE_SECONDS": "0"},
            "VEOGEN_CLAIM_IDLE_SECONDS: 0 is out of range; allowed: 2 to 3600",
        ),
        ({"VEOGEN_MAX_ATTEMPTS": "0"}, "VEOGEN_MAX_ATTEMPTS: 0 is out of range; allowed: 1 to 100"),
        ({"VEOGEN_ENGINE_CONCURRENCY": "-1"}, "VEOGEN_ENGINE_CONCURRENCY: -1 is out of range"),
        ({"VEOGEN_VEO_POLL_SECONDS": "0"}, "VEOGEN_VEO_POLL_SECONDS: 0 is out of range"),
        ({"VEOGEN_VEO_TIMEOUT_SECONDS": "-5"}, "VEOGEN_VEO_TIMEOUT_SECONDS: -5 is out of range"),
        (
            {"VEOGEN_VEO_POLL_SECONDS": "20"},
            r"VEOGEN_VEO_POLL_MAX_SECONDS: must be at least VEOGEN_VEO_POLL_SECONDS \(20\)",
        ),
        ({"VEOGEN_DATABASE_URL": "my-db"}, "VEOGEN_DATABASE_URL: 'my-db' is not a URL it can use"),
        ({"VEOGEN_REDIS_URL": "http://cache:6379"}, "VEOGEN_REDIS_URL: 'http://cache:6379' is not"),
    ],
)
def test_settings_that_would_break_a_promise_are_refused_at_start(
    tmp_path: Path, environ: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings({"VEOGEN_DATA_DIR": str(tmp_path), **environ})


def test_a_data_folder_that_cannot_be_written_is_named(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    with pytest.raises(SettingsError, match=r"VEOGEN_DATA_DIR: cannot write .*a-file/data"):
        load_settings({"VEOGEN_DATA_DIR": str(tmp_path / "a-file" / "data")})
