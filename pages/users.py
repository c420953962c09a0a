"""Users (admins only): everyone who signs in here; shut someone out or let them back,
make admins, limit what each may spend a day and run at once, and hand out accounts of
the studio's own sign-in with a password shown once."""

from __future__ import annotations

from functools import partial

import pandas as pd
import streamlit as st

from storage import accounts, limits, users
from storage.models import User
from studio.ui import act, attempt, messages, services, user


def _table(people: list[User], local: set[str]) -> None:
    st.dataframe(
        pd.DataFrame(
            {
                "Name": [p.name for p in people],
                "E-mail": [p.email for p in people],
                "Signs in with": [
                    "this studio's account" if p.email in local else p.issuer or "not yet"
                    for p in people
                ],
                "Admin": [p.is_admin for p in people],
                "Shut out": [p.disabled for p in people],
                "Limits": [", ".join(limits.limits_in_words(p)) or "none" for p in people],
            }
        ),
        hide_index=True,
        width="stretch",
    )


def _access(person: User) -> None:
    db, me = services().db, user()
    with st.form(f"access-{person.id}"):
        st.markdown("**Access**")
        yourself = person.id == me.id  # an admin cannot lock themselves out
        admin = st.checkbox("Admin of the whole studio", value=person.is_admin, disabled=yourself)
        shut = st.checkbox(
            "Shut out (signed out at their next click)", value=person.disabled, disabled=yourself
        )
        if st.form_submit_button("Save access"):
            act(
                partial(users.set_flags, db, me, person.email, disabled=shut, admin=admin),
                f"Saved {person.name}'s access",
            )


def _limits(person: User) -> None:
    db, me = services().db, user()
    with st.form(f"limits-{person.id}"):
        st.markdown("**Limits**, across all their projects (empty: no limit)")
        cols = st.columns(2)
        spend = cols[0].text_input(
            "Spend per day (USD)",
            "" if person.spend_per_day_usd is None else f"{person.spend_per_day_usd:.2f}",
            help="What their generations may cost in any 24 hours. Drafts cost nothing.",
        )
        jobs = cols[1].text_input(
            "Jobs in flight",
            "" if person.jobs_in_flight is None else str(person.jobs_in_flight),
            help="Their generations and renders queued or running at once.",
        )
        if st.form_submit_button("Save limits"):
            changes = {"spend per day": spend, "jobs in flight": jobs}
            act(
                partial(limits.set_limits, db, me, person.email, changes),
                lambda saved: (
                    f"{saved.name}: {', '.join(limits.limits_in_words(saved)) or 'no limits'}"
                ),
            )


def _password(person: User, local: set[str]) -> None:
    if person.email not in local:
        st.caption(
            f"{person.name} signs in with {person.issuer or 'a provider'}: no password here."
        )
        return
    sure = st.checkbox(f"Yes, replace {person.name}'s password (they sign in with the new one)")
    if st.button("Give a new password", icon=":material/key:", disabled=not sure):
        password = accounts.new_password()
        act(
            partial(accounts.set_password, services().db, user(), person.email, password),
            f"{person.email} now signs in with the password {password} (shown only this once)",
        )


def _add_account() -> None:
    db, me = services().db, user()
    form = st.session_state.setdefault("account-form", 0)  # a new key empties it once added
    with st.form(f"account-{form}"):
        st.markdown("**Add an account** of this studio's own sign-in")
        cols = st.columns(2)
        email = cols[0].text_input("E-mail")
        name = cols[1].text_input("Name")
        if st.form_submit_button("Add account", icon=":material/person_add:"):
            password = accounts.new_password()

            def added(account: accounts.Account) -> str:
                st.session_state["account-form"] = form + 1
                return (
                    f"{account.email} signs in with the password {password} (shown only this once)"
                )

            act(partial(accounts.add_account, db, me, email, name, password), added)


def render() -> None:
    st.title("Users")
    messages()
    db, me = services().db, user()
    people = attempt(lambda: users.list_users(db, me))
    if people is None:
        return
    local = accounts.account_emails(db)
    _table(people, local)
    by_id = {p.id: p for p in people}
    picked = st.selectbox(
        "Change a user", list(by_id), format_func=lambda i: f"{by_id[i].name} ({by_id[i].email})",
        index=None, placeholder="Choose someone",
    )  # fmt: skip
    if picked is not None:
        chosen = by_id[picked]
        _access(chosen)
        _limits(chosen)
        _password(chosen, local)
    _add_account()
