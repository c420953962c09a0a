"""Fixtures on the real services: SQLite and PostgreSQL, a real Redis, real files."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import create_engine, text

from storage.db import Database
from storage.models import User
from storage.settings import Settings, load_settings
from storage.users import get_or_create_user, local_user

# Engines that tests start serve no /metrics unless a test asks for it: they would all want
# the one default port (and so would the suites of other checkouts on this machine).
os.environ.setdefault("VEOGEN_ENGINE_METRICS_PORT", "0")

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/0"


def _postgres_up() -> bool:
    try:
        with create_engine(POSTGRES_URL, connect_args={"connect_timeout": 2}).connect():
            return True
    except Exception:
        return False


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except (redis.RedisError, OSError):
        return False


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated database: SQLite in WAL mode, and PostgreSQL in a schema of its own."""
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'veogen.db'}")
        database.migrate()
        yield database
        database.dispose()
        return
    if not _postgres_up():
        pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432 (database 'test')")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    database = Database(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"})
    database.migrate()
    yield database
    database.dispose()
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'veogen.db'}")
    database.migrate()
    yield database
    database.dispose()


@pytest.fixture
def owner(db: Database) -> User:
    return local_user(db)


@pytest.fixture
def stranger(db: Database) -> User:
    return get_or_create_user(db, "stranger@example.com", "Stranger")


@pytest.fixture
def redis_url() -> str:
    if not _redis_up():
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    return REDIS_URL


@pytest.fixture
def settings(tmp_path: Path, redis_url: str) -> Settings:
    """Settings for one test: its own data folder and its own Redis key prefix."""
    return load_settings(
        {
            "VEOGEN_DATA_DIR": str(tmp_path / "data"),
            "VEOGEN_REDIS_URL": redis_url,
            "VEOGEN_REDIS_PREFIX": f"test-{uuid.uuid4().hex[:10]}",
            "VEOGEN_ENGINE_METRICS_PORT": "0",
        }
    )
