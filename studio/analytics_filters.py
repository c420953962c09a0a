"""The filters every analytics chart shares: dates, projects, people, models, providers,
drafts or billed work. Chosen once at the top of the page, kept in the session."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import streamlit as st

from storage.analytics import Billing, Filters, Scope
from storage.catalog import Catalog

DEFAULT_DAYS = 30
BILLING: dict[str, Billing] = {
    "Drafts and billed work": "all",
    "Billed work only": "billed",
    "Drafts only": "draft",
}


def filter_bar(options: Scope, catalog: Catalog) -> Filters:
    """The filters as the user set them; nothing chosen in a list means all of it."""
    today = datetime.now(UTC).date()
    with st.container(border=True):
        top = st.columns([2, 3, 3])
        dates = top[0].date_input(
            "Dates (UTC)", (today - timedelta(days=DEFAULT_DAYS - 1), today), key="an-dates",
            max_value=today,
        )  # fmt: skip
        projects = top[1].multiselect(
            "Projects", list(options.projects), format_func=options.projects.__getitem__,
            placeholder="All my projects", key="an-projects",
        )  # fmt: skip
        people = top[2].multiselect(
            "People", list(options.people), format_func=options.people.__getitem__,
            placeholder="Everyone", key="an-people",
        )  # fmt: skip
        low = st.columns([3, 2, 2])
        models = low[0].multiselect(
            "Models", list(catalog.models), format_func=catalog.label, placeholder="All models",
            key="an-models",
        )  # fmt: skip
        providers = low[1].multiselect(
            "Providers", list(catalog.providers),
            format_func=lambda name: catalog.providers[name].label, placeholder="All providers",
            key="an-providers",
        )  # fmt: skip
        billing = low[2].selectbox("Drafts or billed", list(BILLING), key="an-billing")
    start, end = (dates[0], dates[-1]) if isinstance(dates, tuple) and dates else (None, None)
    return Filters(
        start, end, tuple(projects), tuple(people), tuple(models), tuple(providers),
        BILLING[billing],
    )  # fmt: skip
