"""CSV that a spreadsheet opens safely: a cell anyone could have typed that starts like a
formula ("=HYPERLINK(...)") is kept text, or the spreadsheet would run it."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def as_text(cell: object) -> str:
    text = str(cell)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([as_text(cell) for cell in row] for row in rows)
    return out.getvalue()
