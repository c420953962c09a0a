"""Alembic environment: runs on the connection the caller hands over, or on the URL."""

from alembic import context
from sqlalchemy import create_engine

from storage.models import Base

config = context.config


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        with create_engine(config.get_main_option("sqlalchemy.url") or "").begin() as conn:
            _run_on(conn)
    else:
        _run_on(connection)


def _run_on(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


run()
