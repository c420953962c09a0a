"""One settings object, read from ``VEOGEN_*`` environment variables and an optional file.

Precedence: environment, then the settings file (``VEOGEN_SETTINGS_FILE`` or
``<data dir>/veogen.toml``), then defaults that need nothing installed by hand.
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

from storage import catalog

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
    # Price overrides per model, USD per second: {"veo-3.1-generate-001": {"video": 0.2, "audio": 0.4}}
    prices: dict[str, dict[str, float]] = field(default_factory=dict)
    # Veo (Vertex AI). Project and location come from the SDK's own GOOGLE_CLOUD_PROJECT and
    # GOOGLE_CLOUD_LOCATION; credentials from a short-lived token, a service-account file,
    # or Google's default credentials, in that order.
    veo_base_url: str | None = None
    veo_output_gcs_uri: str | None = None
    google_access_token: str | None = field(default=None, repr=False)
    google_credentials_file: str | None = None
    gcs_base_url: str = "https://storage.googleapis.com"
    # Polls start this often and back off 1.5x to the maximum: a finished generation is
    # seen within 10 s, at about seven polls a minute-long one (a thousand jobs: 100 a second).
    veo_poll_seconds: float = 5.0
    veo_poll_max_seconds: float = 10.0
    veo_timeout_seconds: float = 1800.0
    veo_retries: int = 6
    veo_retry_seconds: float = 2.0
    # Gemini text for the planner: an API key (Developer API), else Vertex when configured.
    gemini_api_key: str | None = field(default=None, repr=False)
    gemini_model: str = "gemini-2.5-flash"
    gemini_base_url: str | None = None

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise SettingsError(
                f"VEOGEN_BACKEND: {self.backend!r} is not a backend; allowed: {', '.join(BACKENDS)}"
            )
        if self.engine_concurrency < 1:
            raise SettingsError("VEOGEN_ENGINE_CONCURRENCY: must be at least 1")
        if self.veo_output_gcs_uri and not self.veo_output_gcs_uri.startswith("gs://"):
            raise SettingsError("VEOGEN_VEO_OUTPUT_GCS_URI: must start with gs://")
        _check_prices(self.prices)

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
                text = json.dumps(value) if isinstance(value, dict) else str(value)
                env[f"VEOGEN_{f.name.upper()}"] = text
        return env


def _check_prices(prices: object) -> None:
    if not isinstance(prices, dict):
        raise SettingsError("VEOGEN_PRICES: must map model names to {video, audio} prices")
    for model, entry in prices.items():
        if model not in catalog.MODELS:
            raise SettingsError(
                f"VEOGEN_PRICES: {model!r} is not a model; known: {', '.join(catalog.MODELS)}"
            )
        if not isinstance(entry, dict) or set(entry) - {"video", "audio"}:
            raise SettingsError(f"VEOGEN_PRICES: {model}: give 'video' and/or 'audio' prices")
        for kind, price in entry.items():
            if not isinstance(price, int | float) or price < 0:
                raise SettingsError(
                    f"VEOGEN_PRICES: {model}.{kind}: {price!r} is not a price in USD per second"
                )


def _coerce(name: str, raw: object) -> object:
    kind = {f.name: f.type for f in fields(Settings)}[name]
    if kind.startswith("dict"):
        if isinstance(raw, dict):
            return raw
        try:
            return json.loads(str(raw)) if raw != "" else {}
        except json.JSONDecodeError:
            raise SettingsError(f"VEOGEN_{name.upper()}: not valid JSON") from None
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
