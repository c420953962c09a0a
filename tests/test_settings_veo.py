"""Veo settings: prices, secrets, the quota gate, and an engine with no credentials."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from engine.keys import Keys
from engine.quota import QuotaGate
from engine.redis_server import engine_client
from storage import catalog
from studio.config import SettingsError, load_settings


def test_prices_are_overridden_from_the_environment_or_refused_by_name(tmp_path: Path) -> None:
    base = {"VEOGEN_DATA_DIR": str(tmp_path)}
    settings = load_settings({**base, "VEOGEN_PRICES": '{"veo-3.1-generate-001": {"audio": 0.5}}'})
    assert settings.prices == {"veo-3.1-generate-001": {"audio": 0.5}}
    assert load_settings(settings.as_env()).prices == settings.prices  # handed to children
    (tmp_path / "veogen.toml").write_text('[prices."veo-2.0-generate-001"]\nvideo = 0.35\n')
    assert load_settings(base).prices == {"veo-2.0-generate-001": {"video": 0.35}}
    for raw, message in [
        ('{"veo-9": {"video": 1}}', "'veo-9' is not a model; known: veo-2.0-generate-001"),
        (
            '{"veo-2.0-generate-001": {"video": -1}}',
            "veo-2.0-generate-001.video: -1 is not a price",
        ),
        ("{not json", "VEOGEN_PRICES: not valid JSON"),
    ]:
        with pytest.raises(SettingsError, match=message):
            load_settings({**base, "VEOGEN_PRICES": raw})
    try:
        catalog.use_prices({"veo-2.0-generate-001": {"video": 0.35, "audio": 9}})
        assert catalog.MODELS["veo-2.0-generate-001"].price_per_second == 0.35
        assert catalog.MODELS["veo-2.0-generate-001"].price_per_second_audio is None  # silent
    finally:
        catalog.use_prices({})


def test_secrets_are_not_in_the_settings_repr(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "VEOGEN_DATA_DIR": str(tmp_path),
            "VEOGEN_GOOGLE_ACCESS_TOKEN": "ya29.tok-8c1f",
            "VEOGEN_GEMINI_API_KEY": "AIza-key-77d2",
        }
    )
    assert "tok-8c1f" not in repr(settings) and "key-77d2" not in repr(settings)


def test_a_quota_hold_is_seen_by_every_engine_and_never_shortened(redis_url: str) -> None:
    async def run() -> tuple[float, float, float]:
        keys = Keys(f"test-{uuid.uuid4().hex[:8]}")
        one, two = (
            QuotaGate(engine_client(redis_url), keys),
            QuotaGate(engine_client(redis_url), keys),
        )
        await one.hold(0.6)
        await two.hold(0.1)  # a shorter hold never cuts a longer one
        seen = await two.remaining()
        started = time.monotonic()
        while await two.remaining() > 0:
            await asyncio.sleep(0.02)
        return seen, time.monotonic() - started, await one.remaining()

    seen, waited, left = asyncio.run(run())
    assert 0.4 < seen <= 0.6 and 0.3 <= waited < 2.0 and left == 0


def test_an_engine_with_veo_and_no_credentials_says_so_in_one_line(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "VEOGEN_DATA_DIR": str(tmp_path),
        "VEOGEN_BACKEND": "veo",
        "GOOGLE_APPLICATION_CREDENTIALS": str(tmp_path / "missing.json"),
        "VEOGEN_GOOGLE_CREDENTIALS_FILE": str(tmp_path / "missing.json"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "studio.cli", "engine"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert "VEOGEN_GOOGLE_CREDENTIALS_FILE: cannot use" in done.stderr.strip().splitlines()[-1]
