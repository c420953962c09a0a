"""Logs as JSON lines, for Loki and its like, or as plain lines when a person watches them.

Each line says which part of the studio wrote it (``component``, and ``engine`` for an
engine), and the job and project it is about when there is one: ``about_job`` sets those
for the rest of the task that calls it. Every secret the settings hold is masked wherever
it appears, tracebacks included.
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from typing import IO, Any

from pythonjsonlogger.json import JsonFormatter

from storage.settings import Settings

_job: ContextVar[tuple[int, int] | None] = ContextVar("veogen_job", default=None)
MASK = "***"


def about_job(job_id: int, project_id: int) -> None:
    """The lines the current task (or thread) writes from now on are about this job."""
    _job.set((job_id, project_id))


class _Context(logging.Filter):
    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__()
        self.fields = fields

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in self.fields.items():
            setattr(record, name, value)
        job = _job.get()
        if job is not None:
            record.job_id, record.project_id = job
        return True


class _Masking(logging.Formatter):
    """Masks each secret in the finished line, as written and as JSON escapes it."""

    secrets: tuple[str, ...] = ()

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        for secret in self.secrets:
            line = line.replace(secret, MASK)
        return line


class _JsonLines(_Masking, JsonFormatter):
    pass


class _PlainLines(_Masking):
    def format(self, record: logging.LogRecord) -> str:
        job = getattr(record, "job_id", None)
        record.about = f" [job {job}]" if job is not None else ""
        return super().format(record)


def formatter(component: str, secrets: list[str], plain: bool) -> logging.Formatter:
    masked = sorted({*secrets, *(json.dumps(s)[1:-1] for s in secrets)}, key=len, reverse=True)
    chosen: _Masking
    if plain:
        chosen = _PlainLines(f"%(asctime)s {component} %(levelname)s%(about)s %(message)s")
    else:
        chosen = _JsonLines(
            "{levelname}{name}{message}",
            style="{",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",
        )
    chosen.secrets = tuple(masked)
    return chosen


def configure_logging(
    settings: Settings, component: str, stream: IO[str] | None = None, **fields: str
) -> None:
    """Send this process's logs to ``stream`` (stderr): JSON lines, or plain ones when it
    is a terminal. ``fields`` go on every line (``engine=<its name>``)."""
    out: Any = stream or sys.stderr
    handler = logging.StreamHandler(out)
    plain = bool(getattr(out, "isatty", lambda: False)())
    handler.setFormatter(formatter(component, settings.secret_values(), plain))
    handler.addFilter(_Context({"component": component, **fields}))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its lines name webhook URLs: tokens
