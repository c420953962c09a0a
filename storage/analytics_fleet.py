"""Fleet: the engines' samples (``engine.metrics_listener``) over time.

Samples belong to no project: they show the shared queue and engines, to anyone who may
see analytics; the filters' dates apply, the rest does not.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from storage.analytics import EARLIEST, LATEST, Scope
from storage.metrics_reader import MetricsReader


def bucket_minutes(start: date | None, end: date | None) -> int:
    """Points a chart can show: 5 minutes over two days, an hour over a fortnight, else 6 h."""
    days = ((end or date.today()) - (start or EARLIEST)).days + 1
    return 5 if days <= 2 else 60 if days <= 14 else 360


def fleet(reader: MetricsReader, scope: Scope) -> pd.DataFrame:
    """Per time bucket: the queue's deepest point, the jobs in flight and the slots of
    all engines (each engine's average, summed), their use, and the share of samples
    that found submissions held for quota."""
    f = scope.filters
    return reader.query(
        """SELECT bucket AS time, max(queue_depth) AS queue_depth, sum(in_flight) AS in_flight,
                  sum(slots) AS slots, sum(in_flight) / nullif(sum(slots), 0) AS utilisation,
                  max(held) AS quota_held
           FROM (SELECT time_bucket(to_minutes($minutes), ts) AS bucket, engine,
                        max(queue_depth) AS queue_depth, avg(in_flight) AS in_flight,
                        avg(slots) AS slots, avg((quota_hold_s > 0)::INT) AS held
                 FROM events WHERE event = 'sample' AND day BETWEEN $start AND $end
                 GROUP BY ALL)
           GROUP BY bucket ORDER BY bucket""",
        {
            "minutes": bucket_minutes(f.start, f.end),
            "start": f.start or EARLIEST,
            "end": f.end or LATEST,
        },
    )
