"""The objects every entry point needs, built the same way for the studio, CLI and tests."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from engine.client import JobClient
from engine.keys import Keys
from engine.redis_server import embedded_url
from storage import catalog
from storage.db import Database
from storage.media import MediaStore
from storage.models import User
from storage.users import local_user
from studio.config import Settings

if TYPE_CHECKING:
    from storage.metrics_reader import MetricsReader


@dataclass
class Services:
    settings: Settings

    def __post_init__(self) -> None:
        catalog.use_prices(self.settings.prices)

    @cached_property
    def db(self) -> Database:
        db = Database(self.settings.db_url)
        db.migrate()
        return db

    @property
    def redis_url(self) -> str:
        return self.settings.redis_url or embedded_url(self.settings.redis_dir)

    @cached_property
    def jobs(self) -> JobClient:
        return JobClient(
            self.db, self.redis_url, Keys(self.settings.redis_prefix), self.settings.backend
        )

    @cached_property
    def media(self) -> MediaStore:
        return MediaStore(self.settings.media_dir)

    @cached_property
    def metrics(self) -> MetricsReader:
        # imported here: DuckDB and pandas stay out of the CLI and the engine it starts
        from storage.metrics_reader import MetricsReader

        return MetricsReader(self.settings.metrics_dir)

    def user(self) -> User:
        """The acting user: the local user until sign-in supplies one."""
        return local_user(self.db)
