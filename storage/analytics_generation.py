"""Generation: jobs ended per hour, how they ended and why, and their timings per model.

Everything is aggregated in DuckDB: a chart gets a row per hour, model or reason, never a
row per job (a million points is a page that never draws).
"""

from __future__ import annotations

import pandas as pd

from storage.analytics import WHERE, Scope
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


def throughput(reader: MetricsReader, scope: Scope) -> pd.DataFrame:
    """Jobs that ended in each hour, by how they ended."""
    return reader.query(
        f"""SELECT date_trunc('hour', ts) AS hour, event AS outcome, count(*) AS jobs
            FROM events WHERE event IN ('succeeded', 'failed', 'blocked', 'cancelled')
            AND {WHERE} GROUP BY ALL ORDER BY hour, outcome""",
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
            FROM events WHERE event IN ('failed', 'blocked') AND {WHERE}
            GROUP BY ALL ORDER BY jobs DESC, reason LIMIT $top""",
        scope.params(top=top),
    )


def timings(reader: MetricsReader, scope: Scope) -> pd.DataFrame:
    """Per model, queue wait (as jobs started) and generation time (as they succeeded):
    p50, p90, p95 and p99 in seconds, and how many jobs each is of."""
    return reader.query(
        f"""SELECT model, phase, count(*) AS jobs,
                   quantile_cont(seconds, $at) AS q
            FROM (SELECT model, 'Queue wait' AS phase, queue_wait_s AS seconds FROM events
                  WHERE event = 'started' AND queue_wait_s IS NOT NULL AND {WHERE}
                  UNION ALL
                  SELECT model, 'Generation time', render_s FROM events
                  WHERE event = 'succeeded' AND render_s IS NOT NULL AND {WHERE})
            GROUP BY ALL ORDER BY model, phase""",
        scope.params(at=list(PERCENTILES)),
    ).pipe(_spread)


def _spread(frame: pd.DataFrame) -> pd.DataFrame:
    """The list of quantiles as columns p50, p90, p95, p99."""
    for n, at in enumerate(PERCENTILES):
        frame[f"p{round(at * 100)}"] = frame["q"].map(lambda q, n=n: q[n])
    return frame.drop(columns="q")
