"""The objects every entry point needs, built the same way for the studio, CLI and tests."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from engine import JobClient, catalog_for, queue_address
from storage.catalog import Catalog
from storage.db import Database
from storage.media import LocalMediaStore, MediaStore
from storage.settings import Settings

if TYPE_CHECKING:
    from storage.metrics_reader import MetricsReader


@dataclass
class Services:
    settings: Settings

    @cached_property
    def catalog(self) -> Catalog:
        return catalog_for(self.settings)

    @cached_property
    def db(self) -> Database:
        db = Database(self.settings.db_url, catalog=self.catalog)
        db.migrate()
        return db

    @cached_property
    def jobs(self) -> JobClient:
        return JobClient(
            self.db, queue_address(self.settings), self.settings.redis_prefix, self.settings.drafts
        )

    @cached_property
    def media(self) -> MediaStore:
        return LocalMediaStore(self.settings.media_dir)

    @cached_property
    def metrics(self) -> MetricsReader:
        # imported here: DuckDB and pandas stay out of the CLI and the engine it starts
        from storage.metrics_reader import MetricsReader

        return MetricsReader(self.settings.metrics_dir)
