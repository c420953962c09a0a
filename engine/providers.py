"""Providers: who generates a scene's takes, chosen by the scene's model.

A provider is its catalog entries (models, prices, billing) and a factory for its backend.
The built-in ones are the local animatic (drafts of any model) and Veo; more are added by
naming them in ``VEOGEN_PROVIDERS`` as ``module:attribute`` import paths, and need nothing
else: the studio and every engine build the same catalog from the same list, so they
cannot disagree about a model's provider or price.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

import redis.asyncio as aioredis

from engine.animatic_backend import AnimaticBackend
from engine.backend import Generator
from engine.keys import Keys
from engine.quota import QuotaGate
from storage import catalog
from storage.catalog import Catalog, ProviderSpec
from storage.errors import JobFailed, SettingsError, StudioError
from storage.google import genai_client, google_credentials
from storage.settings import Settings

log = logging.getLogger("veogen.engine")


@dataclass(frozen=True)
class EngineKit:
    """What a provider's backend may be built from in an engine process."""

    settings: Settings
    catalog: Catalog
    queue: aioredis.Redis
    keys: Keys


@dataclass(frozen=True)
class Provider:
    spec: ProviderSpec
    backend: Callable[[EngineKit], Generator]


def _veo(kit: EngineKit) -> Generator:
    # imported here: the Veo backend is only loaded by engines that run Veo
    from engine.gcs import GcsReader
    from engine.veo_backend import VeoBackend

    settings = kit.settings
    credentials = google_credentials(settings)
    return VeoBackend(
        settings,
        kit.catalog,
        genai_client(settings, timeout_ms=120_000, credentials=credentials),
        QuotaGate(kit.queue, kit.keys),
        credentials,
        GcsReader(settings, credentials) if settings.veo_output_gcs_uri else None,
    )


# The built-in providers' backends, paired with their catalog entries by name.
_BACKENDS: dict[str, Callable[[EngineKit], Generator]] = {
    catalog.DRAFTS.name: lambda kit: AnimaticBackend(),
    catalog.VEO.name: _veo,
}
BUILT_IN = tuple(Provider(spec, _BACKENDS[spec.name]) for spec in catalog.BUILT_IN)


def load_providers(settings: Settings) -> list[Provider]:
    """The built-in providers and those named in ``VEOGEN_PROVIDERS``."""
    providers = list(BUILT_IN)
    for path in filter(None, (p.strip() for p in (settings.providers or "").split(","))):
        module, _, attribute = path.partition(":")
        try:
            found = getattr(importlib.import_module(module), attribute)
        except (ImportError, AttributeError, ValueError) as exc:
            raise SettingsError(f"VEOGEN_PROVIDERS: cannot load {path!r} ({exc})") from None
        if not isinstance(found, Provider):
            raise SettingsError(f"VEOGEN_PROVIDERS: {path!r} is not a Provider")
        providers.append(found)
    return providers


def catalog_for(settings: Settings) -> Catalog:
    """The catalog of every provider this installation knows, at the configured prices."""
    return Catalog([p.spec for p in load_providers(settings)], settings.prices)


class Backends:
    """Each provider's backend, built the first time one of its jobs runs here.

    With drafts off, the engine builds them all at start instead (``build_all``), so a
    missing credential is said at once rather than by the first job that needs it.
    """

    def __init__(self, providers: list[Provider], kit: EngineKit) -> None:
        self.providers = {p.spec.name: p for p in providers}
        self.kit = kit
        self._built: dict[str, Generator] = {}

    def build_all(self) -> None:
        """Build every provider's backend. One that cannot start is logged, and its jobs
        fail saying why; if none but the drafts can start, the engine cannot do its work,
        so the first reason is raised."""
        refused: list[StudioError] = []
        for name, provider in self.providers.items():
            try:
                self._build(name)
            except StudioError as exc:
                log.warning("the %s provider cannot start: %s", name, exc)
                if not provider.spec.drafts:
                    refused.append(exc)
        real = [p for p in self.providers.values() if not p.spec.drafts]
        if refused and len(refused) == len(real):
            raise refused[0]

    def _build(self, name: str) -> Generator:
        if name not in self._built:
            self._built[name] = self.providers[name].backend(self.kit)
        return self._built[name]

    def __call__(self, name: str) -> Generator:
        if name not in self.providers:
            known = ", ".join(self.providers)
            raise JobFailed("engine", f"this engine has no provider {name!r}; it has: {known}")
        try:
            return self._build(name)
        except StudioError as exc:
            raise JobFailed("engine", f"the {name} provider cannot start here: {exc}") from None
