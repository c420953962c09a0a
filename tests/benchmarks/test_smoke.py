"""The benchmarks still run (a one-second smoke run; their figures are not judged here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_animatic_benchmark_runs_and_reports_its_ratios() -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "animatic.py"),
            "--seconds",
            "1",
            "--rounds",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "faster than real time:" in done.stdout
    assert "render / floor:" in done.stdout
    assert "render / re-encoding its own frames:" in done.stdout


def test_inflight_benchmark_runs_and_reports_memory_and_throughput() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "inflight.py"), "--jobs", "5", "--seconds", "1"],
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )
    assert "peak in flight: 5" in done.stdout
    assert "generations per hour:" in done.stdout
    assert "engine memory: peak" in done.stdout


def test_inflight_benchmark_compares_throughput_without_and_with_metrics() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "inflight.py"), "--jobs", "3", "--seconds",
         "1", "--compare-metrics", "--pairs", "1"],
        capture_output=True, text=True, timeout=240, check=True,
    )  # fmt: skip
    assert "throughput with metrics / without, median of 1 pairs" in done.stdout
    assert "scrapes" in done.stdout


def test_assembly_benchmark_runs_against_moviepy_and_the_copy_floor() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "assembly.py"), "--scenes", "2", "--seconds", "1",
         "--resolution", "720p"],
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    assert "(a) ours / plain copy:" in done.stdout
    assert "(b) MoviePy / ours:" in done.stdout
    assert "(b) ours, every frame encoded / ours:" in done.stdout


def test_faults_benchmark_kills_engines_and_counts_every_promise() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "faults.py"), "--jobs", "8", "--kills", "2",
         "--every", "1", "--seconds", "1", "--json"],
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["jobs"] == 8
    assert summary["lost"] == summary["double_submitted"] == summary["duplicated_takes"] == 0


def test_pages_benchmark_times_every_page_at_one_project_and_at_many() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "pages.py"), "--projects", "3", "--rounds", "2",
         "--json"],
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert (summary["projects"], summary["takes"]) == (3, 60)
    pages = {"projects", "storyboard", "generate", "takes", "movie", "library", "members",
             "analytics"}  # fmt: skip
    assert set(summary["pages"]) == pages
    for figures in summary["pages"].values():
        for seen in (figures["one"], figures["many"]):
            assert 0 < seen["p50"] <= seen["p95"]
    assert "p95 ratio" in done.stdout


def test_sign_in_benchmark_times_the_round_trip_and_pages_with_sign_in_on_and_off() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "sign_in.py"), "--sign-ins", "3", "--rounds",
         "2", "--projects", "2", "--json"],
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    steps = {"form", "password", "token", "id_token", "record", "whole", "discovery", "argon2"}
    for figures in summary["round_trip"].values():  # SQLite, and PostgreSQL when reachable
        assert set(figures) == steps
        assert 0 < figures["whole"]["p50"] <= figures["whole"]["p95"]
    assert "sqlite" in summary["round_trip"]
    assert set(summary["pages"]) == {"on", "off", "check"}
    assert "sign-in / discovery (p50):" in done.stdout
    assert "argon2 share of the sign-in (p50):" in done.stdout
    assert "page with sign-in / without (p50 / p95):" in done.stdout


def test_review_benchmark_times_the_page_and_a_comment_round_trip() -> None:
    browser = Path("/usr/bin/chromium").exists()  # the round trip needs Debian's Chromium
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "review.py"), "--smoke", "--json"]
        + ([] if browser else ["--no-browser"]),
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    server = summary["server"]
    assert (server["takes"], server["comments"]) == (50, 500)
    for side in ("baseline", "full", "baseline_cpu", "full_cpu", "baseline_gc", "full_gc"):
        assert 0 < server[side]["p50"] <= server[side]["p95"]
    assert set(server["full_collections"]) == {"baseline", "full"}
    assert "full / baseline (p50 / p95):" in done.stdout
    if browser:
        trip = summary["round_trip"]
        assert trip["trips"] == 2
        for side in ("other", "own"):
            assert 0 < trip[side]["p50"] <= trip[side]["p95"]
        assert len(trip["seconds"]["lag"]) == 2
        assert "other / own (p50):" in done.stdout


def test_live_benchmark_times_the_follow_lag_against_redis_alone() -> None:
    browser = Path("/usr/bin/chromium").exists()  # the follow lag needs Debian's Chromium
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "live.py"), "--smoke", "--json"]
        + ([] if browser else ["--no-browser"]),
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    trip = summary["redis"]
    assert trip["readers"] == 2 and 0 < trip["p50"] <= trip["p95"] <= trip["max"]
    assert "Redis alone:" in done.stdout
    if browser:
        lag = summary["lag"]
        assert (lag["followers"], lag["actions"]) == (2, 5)
        assert 0 < lag["all"]["p50"] <= lag["all"]["p95"] <= lag["all"]["max"]
        assert "follow lag / Redis alone (p50 / p95):" in done.stdout


def test_analytics_benchmark_times_every_query_before_and_after_compaction() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "analytics.py"), "--events", "60000",
         "--segments", "20", "--days", "5", "--rounds", "1", "--json"],
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["events"] > 50_000 and summary["compaction"]["runs"] >= 1
    queries = {"spend by day", "spend by model", "spend by project", "jobs per hour",
               "outcomes per model", "failure reasons", "timing percentiles", "fleet",
               "jobs behind an hour", "slowest jobs of a model"}  # fmt: skip
    for side in ("before", "after", "pandas_reading", "pandas_in_memory"):
        assert set(summary[side]) == queries and all(t > 0 for t in summary[side].values())
    assert summary["page"]["seconds"] > 0 and summary["page"]["peak_mb"] > 0
    assert "slowest query after compaction:" in done.stdout
