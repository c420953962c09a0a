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
        }
    )
    assert "tok-8c1f" not in repr(settings) and "key-77d2" not in repr(settings)
