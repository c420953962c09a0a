"""Generation: jobs ended per hour, how they ended and why, and their timings per model.

Everything is aggregated in DuckDB: a chart gets a row per hour, model or reason, never a
row per job (a million points is a page that never draws).
"""

from __future__ import annotations

import pandas as pd

from storage.analytics import WHERE, Bar, Measure, Scope
from storage.metrics_reader import MetricsReader

# A failure's reason, read from the engines' words ("stage: reason"): the first that fits.
REASON = """CASE
    WHEN event = 'blocked' OR error ILIKE 'safety:%' THEN 'Safety filter'
    WHEN error ILIKE '%RESOURCE_EXHAUSTED%' OR error ILIKE '%quota%' OR error LIKE '%(429 %'
        THEN 'Quota'
    WHEN error ILIKE 'timeout:%' OR error ILIKE '%timed out%' THEN 'Timeout'
    WHEN error ILIKE 'request:%' OR error ILIKE '%INVALID_ARGUMENT%' OR error LIKE '%(400 %'
        THEN 'Invalid request'
    ELSE 'Other' END"""
PERCENTILES = (0.5, 0.9, 0.95, 0.99)
FAILURES = ("failed", "blocked")
# Each timing's phase: the measure it is of, and the event that records it.
PHASES: dict[str, tuple[Measure, str]] = {
    "Queue wait": ("queue_wait_s", "started"),
    "Generation time": ("render_s", "succeeded"),
}


def throughput(reader: MetricsReader, scope: Scope) -> pd.DataFrame:
    """Jobs that ended in each hour, by how they ended."""
    return reader.query(
        # hours counted as whole numbers (of microseconds, DuckDB's own: one division),
        # made times once counted: half the work of truncating each event's time
        f"""SELECT make_timestamptz(hour * 3_600_000_000) AS hour, outcome, jobs FROM (
                SELECT epoch_us(ts) // 3_600_000_000 AS hour, event AS outcome, count(*) AS jobs
                FROM events WHERE event IN ('succeeded', 'failed', 'blocked', 'cancelled')
                AND {WHERE} GROUP BY ALL) ORDER BY hour, outcome""",
        scope.params(),
    )


def outcomes(reader: MetricsReader, scope: Scope) -> pd.DataFrame:
    """Per model, the jobs that ended each way and their share of the model's jobs."""
    return reader.query(
        f"""SELECT model, event AS outcome, count(*) AS jobs,
                   count(*) / sum(count(*)) OVER (PARTITION BY model) AS share
            FROM events WHERE event IN ('succeeded', 'failed', 'blocked', 'cancelled')
            AND {WHERE} GROUP BY model, event ORDER BY model, jobs DESC""",
        scope.params(),
    )


def failure_reasons(reader: MetricsReader, scope: Scope, top: int = 5) -> pd.DataFrame:
    """The commonest reasons jobs failed or were blocked, most first."""
    return reader.query(
        f"""SELECT {REASON} AS reason, count(*) AS jobs
            FROM events WHERE list_contains($failures, event) AND {WHERE}
            GROUP BY ALL ORDER BY jobs DESC, reason LIMIT $top""",
        scope.params(top=top, failures=list(FAILURES)),
    )


def timings(reader: MetricsReader, scope: Scope) -> pd.DataFrame:
    """Per model, queue wait (as jobs started) and generation time (as they succeeded):
    p50, p90, p95 and p99 in seconds, and how many jobs each is of."""
    return reader.query(
        f"""SELECT model,
                   count(queue_wait_s) FILTER (WHERE event = 'started') AS waits,
                   quantile_cont(queue_wait_s, $at) FILTER (WHERE event = 'started') AS wait,
                   count(render_s) FILTER (WHERE event = 'succeeded') AS runs,
                   quantile_cont(render_s, $at) FILTER (WHERE event = 'succeeded') AS run
            FROM events WHERE event IN ('started', 'succeeded') AND {WHERE}
            GROUP BY model ORDER BY model""",
        scope.params(at=list(PERCENTILES)),
    ).pipe(_spread)


def hour_bar(hour: pd.Timestamp, outcome: str) -> Bar:
    """The jobs behind a bar of ``throughput``: those that ended so in that hour."""
    return Bar((outcome,), (("hour", hour.isoformat()),))


def outcome_bar(model: str, outcome: str) -> Bar:
    """The jobs behind a bar of ``outcomes``: the model's that ended so."""
    return Bar((outcome,), (("model", model),))


def reason_bar(reason: str) -> Bar:
    """The jobs behind a bar of ``failure_reasons``: its failures."""
    return Bar(FAILURES, (("reason", reason),))


def timing_bar(phase: str, model: str, seconds: float) -> Bar:
    """The jobs behind a percentile's bar of ``timings``: the model's that took
    ``seconds`` or longer in the phase, slowest first."""
    measure, event = PHASES[phase]
    return Bar((event,), (("model", model),), (measure, seconds))


def _spread(frame: pd.DataFrame) -> pd.DataFrame:
    """A row per model and phase, the list of quantiles as columns p50, p90, p95, p99."""
    phases = []
    for phase, count, q in zip(PHASES, ("waits", "runs"), ("wait", "run"), strict=True):
        rows = frame[frame[count] > 0]
        phases.append(pd.DataFrame({
            "model": rows["model"], "phase": phase, "jobs": rows[count],
            **{f"p{round(at * 100)}": rows[q].map(lambda v, n=n: v[n])
               for n, at in enumerate(PERCENTILES)},
        }))  # fmt: skip
    return pd.concat(phases, ignore_index=True).sort_values(["model", "phase"], ignore_index=True)
