"""One settings object, read from ``VEOGEN_*`` environment variables and an optional file.

Precedence: environment, then the settings file (``VEOGEN_SETTINGS_FILE`` or
``<data dir>/veogen.toml``), then defaults that need nothing installed by hand.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

BACKENDS = ("animatic", "veo")


class SettingsError(ValueError):
    """A setting has a value the studio cannot use."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=lambda: Path.cwd() / "data")
    database_url: str | None = None
    redis_url: str | None = None
    backend: str = "animatic"
    redis_prefix: str = "veogen"
    engine_concurrency: int = 4
    studio_port: int = 8501
    default_model: str = "veo-3.1-fast-generate-001"
    # A job whose engine stopped heartbeating this long ago is claimed by another engine.
    claim_idle_seconds: float = 60.0
    max_attempts: int = 3

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise SettingsError(
                f"VEOGEN_BACKEND: {self.backend!r} is not a backend; allowed: {', '.join(BACKENDS)}"
            )
        if self.engine_concurrency < 1:
            raise SettingsError("VEOGEN_ENGINE_CONCURRENCY: must be at least 1")

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'veogen.db'}"

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    @property
    def metrics_dir(self) -> Path:
        return self.data_dir / "metrics"

    @property
    def redis_dir(self) -> Path:
        return self.data_dir / "redis"

    def as_env(self) -> dict[str, str]:
        """The environment that gives a child process these same settings."""
        env = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:
                env[f"VEOGEN_{f.name.upper()}"] = str(value)
        return env


def _coerce(name: str, raw: object) -> object:
    kind = {f.name: f.type for f in fields(Settings)}[name]
    try:
        if kind == "Path":
            return Path(str(raw)).expanduser().resolve()
        if kind == "int":
            return int(str(raw))
        if kind == "float":
            return float(str(raw))
    except ValueError:
        noun = "a whole number" if kind == "int" else "a number"
        raise SettingsError(f"VEOGEN_{name.upper()}: {raw!r} is not {noun}") from None
    return str(raw) if raw != "" else None


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    names = [f.name for f in fields(Settings)]
    values: dict[str, object] = {}
    data_dir = env.get("VEOGEN_DATA_DIR")
    file = env.get("VEOGEN_SETTINGS_FILE") or str(
        Path(data_dir or Path.cwd() / "data") / "veogen.toml"
    )
    path = Path(file)
    if path.is_file():
        try:
            loaded = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{path}: not valid TOML ({exc})") from None
        unknown = sorted(set(loaded) - set(names))
        if unknown:
            raise SettingsError(f"{path}: unknown settings {', '.join(unknown)}")
        values.update(loaded)
    for name in names:
        if f"VEOGEN_{name.upper()}" in env:
            values[name] = env[f"VEOGEN_{name.upper()}"]
    return Settings(**{name: _coerce(name, raw) for name, raw in values.items()})
