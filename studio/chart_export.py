"""Export a chart's figures: the rows it draws, as CSV or Parquet, one click each."""

from __future__ import annotations

import io

import pandas as pd
import streamlit as st


def export_buttons(frame: pd.DataFrame, name: str, key: str) -> None:
    """Two download buttons under a chart: its rows as ``<name>.csv`` and ``<name>.parquet``."""
    left, right = st.columns(2, width=360)
    left.download_button(
        "Download CSV", frame.to_csv(index=False).encode(), f"{name}.csv", "text/csv",
        key=f"{key}-csv", on_click="ignore", icon=":material/download:",
    )  # fmt: skip
    parquet = io.BytesIO()
    frame.to_parquet(parquet, index=False)
    right.download_button(
        "Download Parquet", parquet.getvalue(), f"{name}.parquet",
        "application/vnd.apache.parquet", key=f"{key}-parquet", on_click="ignore",
        icon=":material/download:",
    )  # fmt: skip
