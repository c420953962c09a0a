"""The studio's services for page tests, on this test's settings (as the app reads them)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from storage.settings import Settings
from studio.services import Services


@pytest.fixture
def studio(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Services]:
    for key, value in settings.as_env().items():
        monkeypatch.setenv(key, value)
    yield Services(settings)
