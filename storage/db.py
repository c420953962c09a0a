"""Connecting to the metadata database and running its migrations."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from storage.catalog import Catalog
from storage.errors import DatabaseUnavailable

MIGRATIONS = Path(__file__).parent / "migrations"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    # WAL lets the studio read while the engine writes; the timeout rides out short writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


class Database:
    """One metadata database, and the catalog its rules are checked against (models'
    limits, prices and providers' billing), so every caller checks the same rules."""

    def __init__(
        self, url: str, connect_args: dict[str, Any] | None = None, catalog: Catalog | None = None
    ) -> None:
        self.url = url
        self.catalog = catalog or Catalog()
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(
            url, pool_pre_ping=True, connect_args=connect_args or {}
        )
        if parsed.get_backend_name() == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed on success, rolled back whole on any error."""
        with self._sessions() as s:
            try:
                with s.begin():
                    yield s
            except OperationalError as exc:
                raise self._unavailable(exc) from exc

    def migrate(self, revision: str = "head", down: bool = False) -> None:
        """Bring the schema up to ``revision`` (or, ``down``, back to it)."""
        try:
            with self.engine.connect() as conn, _no_cascades(conn):
                config = alembic_config(self.url)
                config.attributes["connection"] = conn
                with conn.begin():
                    (command.downgrade if down else command.upgrade)(config, revision)
        except OperationalError as exc:
            raise self._unavailable(exc) from exc

    def _unavailable(self, exc: OperationalError) -> DatabaseUnavailable:
        where = make_url(self.url).render_as_string(hide_password=True)
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        return DatabaseUnavailable(f"database {where} (VEOGEN_DATABASE_URL): {reason}")

    def dispose(self) -> None:
        self.engine.dispose()


@contextmanager
def _no_cascades(conn: Connection) -> Iterator[None]:
    """SQLite alters a table by building it anew and dropping the old one; with foreign
    keys on, that drop would cascade (a project's scenes, takes and team gone with it), so
    they are off while the schema changes."""
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")  # outside a transaction, or ignored
        conn.commit()
    try:
        yield
    finally:
        if sqlite:
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            conn.commit()


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config
