"""Spend: billed and estimated cost by day, project, user or model, and the month's forecast."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import pandas as pd

from storage.analytics import BILLED, WHERE, Bar, Scope
from storage.metrics_reader import MetricsReader

SpendBy = Literal["day", "project", "user", "model"]
# Each grouping's column: chosen from this table, never taken from the caller's words.
KEYS: dict[str, str] = {"day": "day", "project": "project_id", "user": "user_id", "model": "model"}
RATE_DAYS = 7  # the forecast's current rate: the last week's spend a day


def spend(reader: MetricsReader, scope: Scope, by: SpendBy) -> pd.DataFrame:
    """Per ``by``: billed and estimated USD and the jobs that succeeded, costliest first
    (by day: in order)."""
    key = KEYS[by]
    order = "key" if by == "day" else "billed_usd DESC, estimated_usd DESC"
    return reader.query(
        f"""SELECT {key} AS key, sum({BILLED}) AS billed_usd,
                   sum(estimated_cost_usd) AS estimated_usd, count(*) AS jobs
            FROM events WHERE event = 'succeeded' AND {WHERE}
            GROUP BY ALL ORDER BY {order}""",
        scope.params(),
    )


def spend_bar(by: SpendBy, key: object) -> Bar:
    """The jobs behind a bar of ``spend``: those that succeeded."""
    return Bar(("succeeded",), ((by, key),))


@dataclass(frozen=True)
class Forecast:
    month_to_date_usd: float  # billed since the 1st
    rate_usd_per_day: float  # over the last RATE_DAYS days
    month_end_usd: float  # at that rate to the month's last day


def month_forecast(reader: MetricsReader, scope: Scope, today: date) -> Forecast:
    """Billed this month so far, and where the month ends at the last week's rate (the
    filters' dates give way to the month's)."""
    first = today.replace(day=1)
    since = min(first, today - timedelta(days=RATE_DAYS - 1))
    month = scope.dated(since, today)
    row = reader.query(
        f"""SELECT coalesce(sum({BILLED}) FILTER (WHERE day >= $first), 0) AS month,
                   coalesce(sum({BILLED}) FILTER (WHERE day >= $recent), 0) AS recent
            FROM events WHERE event = 'succeeded' AND {WHERE}""",
        month.params(first=first, recent=today - timedelta(days=RATE_DAYS - 1)),
    ).iloc[0]
    rate = float(row["recent"]) / RATE_DAYS
    left = calendar.monthrange(today.year, today.month)[1] - today.day
    return Forecast(float(row["month"]), rate, float(row["month"]) + rate * left)
