"""The analytics' figures: what a bar tells when clicked, and axes that read as the data."""

from __future__ import annotations

import pandas as pd

from studio.analytics_charts import bars, stacked_by


def test_days_as_words_are_one_bar_each_with_no_time_of_day() -> None:
    frame = pd.DataFrame({"label": ["2026-12-06", "2026-12-07"], "usd": [1.0, 2.0]})
    figure = bars(frame, "label", {"usd": "Billed"}, "Spend by day", "Day", "US dollars")
    assert figure.layout.xaxis.type == "category"  # not a time axis ticking "00:00:00"


def test_each_bar_tells_its_own_words_when_clicked() -> None:
    frame = pd.DataFrame({"model": ["Lite", "Fast"], "p50": [1.0, 2.0], "p99": [3.0, 4.0],
                          "pick-p50": ["Lite p50", "Fast p50"],
                          "pick-p99": ["Lite p99", "Fast p99"]})  # fmt: skip
    figure = bars(frame, "model", {"p50": "Median", "p99": "p99"}, "Wait", "Model", "Seconds",
                  picks={"p50": "pick-p50", "p99": "pick-p99"})  # fmt: skip
    assert [list(trace.customdata) for trace in figure.data] == [
        ["Lite p50", "Fast p50"], ["Lite p99", "Fast p99"]]  # fmt: skip
    hourly = pd.DataFrame({"hour": [1, 1, 2], "outcome": ["failed", "succeeded", "failed"],
                           "jobs": [1, 5, 2], "pick": ["1 failed", "1 ok", "2 failed"]})  # fmt: skip
    stacked = stacked_by(hourly, "hour", "outcome", "jobs", "Jobs", "Hour", "Jobs", {},
                         picks="pick")  # fmt: skip
    assert [list(trace.customdata) for trace in stacked.data] == [
        ["1 failed", "2 failed"],
        ["1 ok"],
    ]
