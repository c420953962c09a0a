"""Who is at the studio: the user `st.login` signed in, checked at every page run (a user
disabled since, or a login idle too long, is sent back to sign in), or the sign-in page."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import streamlit as st

from storage import users
from storage.errors import SignInRefused
from storage.models import User
from studio.identity.local import PROVIDER
from studio.ui import plain, services

NAMES = {PROVIDER: "this studio's account", "google": "Google", "microsoft": "Microsoft",
         "okta": "Okta", "keycloak": "Keycloak"}  # fmt: skip


def providers() -> list[str]:
    """The providers `st.login` is configured with ([auth.NAME] in the secrets)."""
    try:
        auth: Any = st.secrets.get("auth", {})
    except FileNotFoundError:
        return []
    return [name for name, value in auth.items() if hasattr(value, "keys")]


def _login_key(claims: dict[str, Any]) -> str:
    """This sign-in among the user's others: its token's issuer, subject and time."""
    ids = f"{claims.get('iss')}|{claims.get('sub')}|{claims.get('iat')}|{claims.get('nonce')}"
    return hashlib.sha256(ids.encode()).hexdigest()


def signed_in() -> User | None:
    """The signed-in user, or None once the sign-in page (or why they are shut out) is
    on screen."""
    if not st.user.is_logged_in:
        st.session_state.pop("user", None)
        _sign_in_page()
        return None
    claims = st.user.to_dict()
    db, settings = services().db, services().settings
    known: User | None = st.session_state.get("user")
    try:
        if known is None:  # the first run of this sign-in: who the token names
            known = users.sign_in(
                db,
                str(claims.get("iss")),
                str(claims.get("sub")),
                str(claims.get("email") or ""),
                str(claims.get("name") or ""),
            )
        idle = timedelta(hours=settings.idle_hours)
        user = users.still_signed_in(db, known.id, _login_key(claims), idle)
    except SignInRefused as exc:
        st.session_state.pop("user", None)
        _shut_out(str(exc))
        return None
    if user is None:  # idle too long; st.logout would reload the page and lose the reason
        st.session_state.pop("user", None)
        _sign_in_page(f"Signed out after {settings.idle_hours:g} hours away.")
        return None
    st.session_state["user"] = user
    return user


def _sign_in_page(why: str | None = None) -> None:
    st.title("VeoGen Studio")
    if why:
        st.info(why)
    configured = providers()
    if not configured:
        st.error(
            "Sign-in is not configured: start the studio with `veogen up` (it signs in with "
            "its own accounts), or configure a provider in .streamlit/secrets.toml."
        )
        return
    st.write("Sign in to plan, generate and review your movies.")
    for name in configured:
        label = f"Sign in with {NAMES.get(name, name.title())}"
        if st.button(label, key=f"login-{name}", type="primary", icon=":material/login:"):
            st.login(name)


def _shut_out(reason: str) -> None:
    st.title("VeoGen Studio")
    st.error(plain(reason))
    if st.button("Sign out", icon=":material/logout:"):
        st.logout()


def account_menu(user: User) -> None:
    """Who is signed in, and the way out, in the sidebar."""
    with st.sidebar:
        st.caption(plain(f"Signed in as {user.name} ({user.email})"))
        if st.button("Sign out", icon=":material/logout:", key="sign-out"):
            st.session_state.pop("user", None)
            st.logout()
