"""Logs as JSON lines with the job's ids, plain in a terminal, and never a secret."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.logs import about_job, configure_logging
from storage.settings import Settings, load_settings

SECRETS = {
    "VEOGEN_GOOGLE_ACCESS_TOKEN": "ya29.token-never-logged",
    "VEOGEN_GEMINI_API_KEY": 'AIza"key\\never-logged',  # JSON escapes it when it is said
    "VEOGEN_SMTP_PASSWORD": "smtp-password-never-logged",
}


@pytest.fixture
def root() -> Iterator[logging.Logger]:
    logger = logging.getLogger()
    handlers, level = list(logger.handlers), logger.level
    yield logger
    logger.handlers[:] = handlers
    logger.setLevel(level)


def settings_with_secrets(tmp_path: Path) -> Settings:
    return load_settings(
        {
            "VEOGEN_DATA_DIR": str(tmp_path),
            "VEOGEN_DATABASE_URL": "postgresql+psycopg://veogen:pg-password-never-logged@db/veogen",
            "VEOGEN_SMTP_HOST": "mail",
            "VEOGEN_SMTP_FROM": "studio@example.com",
            "VEOGEN_SMTP_USER": "studio",
            **SECRETS,
        }
    )


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_lines_are_json_with_the_ids_of_the_job_they_are_about(
    tmp_path: Path, root: logging.Logger
) -> None:
    out = io.StringIO()
    configure_logging(
        load_settings({"VEOGEN_DATA_DIR": str(tmp_path)}), "engine", out, engine="e-1"
    )
    log = logging.getLogger("veogen.engine")

    async def job(job_id: int) -> None:
        about_job(job_id, 70 + job_id)
        await asyncio.sleep(0)
        await asyncio.to_thread(log.info, "rendering %s", job_id)  # threads keep the ids

    async def both() -> None:
        await asyncio.gather(job(1), job(2))
        log.info("between jobs")

    asyncio.run(both())
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    by_message = {line["message"]: line for line in lines}
    assert (
        by_message["rendering 1"]["job_id"] == 1 and by_message["rendering 1"]["project_id"] == 71
    )
    assert (
        by_message["rendering 2"]["job_id"] == 2 and by_message["rendering 2"]["project_id"] == 72
    )
    between = by_message["between jobs"]
    assert "job_id" not in between
    assert (between["component"], between["engine"], between["level"]) == ("engine", "e-1", "INFO")
    assert between["logger"] == "veogen.engine" and between["time"].startswith("20")


def test_a_terminal_gets_plain_lines(tmp_path: Path, root: logging.Logger) -> None:
    out = Tty()
    configure_logging(load_settings({"VEOGEN_DATA_DIR": str(tmp_path)}), "engine", out)
    about_job(5, 9)
    logging.getLogger("veogen.engine").warning("slow")
    assert out.getvalue().rstrip().endswith(" engine WARNING [job 5] slow")


@pytest.mark.parametrize("stream", [io.StringIO, Tty])
def test_no_secret_reaches_a_line_not_even_in_a_traceback(
    tmp_path: Path, root: logging.Logger, stream: type[io.StringIO]
) -> None:
    settings = settings_with_secrets(tmp_path)
    out = stream()
    configure_logging(settings, "engine", out)
    log = logging.getLogger("veogen.engine")
    everything = [*SECRETS.values(), "pg-password-never-logged"]
    log.warning("settings: %s", " ".join(everything))
    try:
        raise RuntimeError(f"cannot connect with {everything}")
    except RuntimeError:
        log.exception("failed")
    written = out.getvalue()
    assert "failed" in written and "***" in written and "RuntimeError" in written
    for secret in everything:
        assert secret not in written and json.dumps(secret)[1:-1] not in written
