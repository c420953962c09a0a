"""Plotly figures for the analytics, with axes and legends in words and units.

Built from graph objects (Plotly Express takes ten times as long for the same figure), from
frames already aggregated: a chart gets a row per bar or point, never a row per job.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go


def bars(
    frame: pd.DataFrame,
    x: str,
    series: dict[str, str],
    title: str,
    x_title: str,
    y_title: str,
    stacked: bool = False,
    picks: str | dict[str, str] | None = None,
) -> go.Figure:
    """A bar per row of ``x`` for each column of ``series`` (column: legend words). A bar
    clicked tells the words in its row's ``picks`` column (per series, if a mapping)."""
    figure = go.Figure(
        [
            go.Bar(x=frame[x], y=frame[column], name=words, customdata=_picks(frame, picks, column))
            for column, words in series.items()
        ]
    )
    axis: dict[str, str] = {}
    if pd.api.types.is_string_dtype(frame[x]):  # words, dates as words too: one bar each
        axis = {"type": "category"}
    elif pd.api.types.is_datetime64_any_dtype(frame[x]):
        axis = {"tickformat": "%b %d, %Y"}  # bars by day: no time of day under them
    return _laid_out(figure, title, x_title, y_title).update_layout(
        barmode="stack" if stacked else "group", xaxis=axis
    )


def stacked_by(
    frame: pd.DataFrame, x: str, by: str, y: str, title: str, x_title: str, y_title: str,
    names: dict[str, str], width: float | None = None, picks: str | None = None,
) -> go.Figure:  # fmt: skip
    """Bars of ``y`` by ``x``, stacked by ``by`` (each stack's legend words in ``names``);
    ``width`` in the x axis's units (milliseconds on a time axis: an hour's bar is an hour
    wide even alone). A bar clicked tells the words in its row's ``picks`` column."""
    figure = go.Figure(
        [
            go.Bar(
                x=rows[x],
                y=rows[y],
                name=names.get(str(value), str(value)),
                width=width,
                customdata=_picks(rows, picks, y),
            )
            for value, rows in frame.groupby(by, sort=True)
        ]
    )
    return _laid_out(figure, title, x_title, y_title).update_layout(barmode="stack")


def lines(
    frame: pd.DataFrame, x: str, series: dict[str, str], title: str, x_title: str, y_title: str,
    x_range: tuple[object, object] | None = None,
) -> go.Figure:  # fmt: skip
    """Lines over ``x`` (the whole ``x_range`` shown, however few the points); few points
    are marked too, so that one alone is seen."""
    mode = "lines+markers" if len(frame) <= 60 else "lines"
    figure = go.Figure(
        [
            go.Scatter(x=frame[x], y=frame[column], name=words, mode=mode)
            for column, words in series.items()
        ]
    )
    return _laid_out(figure, title, x_title, y_title).update_xaxes(range=x_range)


def with_marks(
    figure: go.Figure, x: list[object], y: list[float], words: str, symbol: str = "line-ew-open"
) -> go.Figure:
    """Marks over the bars (a budget, a limit) with their own legend entry."""
    figure.add_trace(
        go.Scatter(
            x=x,
            y=y,
            name=words,
            mode="markers",
            marker={
                "symbol": symbol,
                "size": 28 if symbol == "line-ew-open" else 12,
                "line": {"width": 3},
            },
        )
    )
    return figure


def _picks(frame: pd.DataFrame, picks: str | dict[str, str] | None, column: str) -> object:
    if picks is None:
        return None
    return frame[picks[column] if isinstance(picks, dict) else picks]


def _laid_out(figure: go.Figure, title: str, x_title: str, y_title: str) -> go.Figure:
    return figure.update_layout(
        title=title,
        xaxis_title=x_title,
        yaxis_title=y_title,
        yaxis_rangemode="nonnegative",  # counts, dollars, seconds: never below zero
        showlegend=True,  # one series too: its words say what the bars are
        legend={"orientation": "h", "y": -0.25},
        margin={"t": 50, "b": 10},
        height=380,
    )
