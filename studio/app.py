"""The studio's pages; `veogen up` serves them, with routes beside them (`studio/server.py`)."""

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from pages import (
    analytics,
    audit,
    generate,
    library,
    members,
    movie,
    projects,
    review,
    sessions,
    storyboard,
    takes,
    users,
)
from studio.guest_entry import guest_page
from studio.health import count_page_run
from studio.identity.session import account_menu, signed_in
from studio.inbox_menu import inbox_menu
from studio.notices import ended_work
from studio.ui import page_icon


def studio_pages(admin: bool) -> list[StreamlitPage]:
    """The pages in the sidebar; Users for admins only (the data layer refuses anyone
    else all the same)."""
    pages = [
        st.Page(
            projects.render,
            title="Projects",
            icon=":material/folder:",
            url_path="projects",
            default=True,
        ),
        st.Page(
            storyboard.render,
            title="Storyboard",
            icon=":material/view_module:",
            url_path="storyboard",
        ),
        st.Page(
            library.render, title="Library", icon=":material/photo_library:", url_path="library"
        ),
        st.Page(generate.render, title="Generate", icon=":material/movie:", url_path="generate"),
        st.Page(takes.render, title="Takes", icon=":material/play_circle:", url_path="takes"),
        st.Page(review.render, title="Review", icon=":material/rate_review:", url_path="review"),
        st.Page(sessions.render, title="Sessions", icon=":material/groups:", url_path="sessions"),
        st.Page(movie.render, title="Movie", icon=":material/theaters:", url_path="movie"),
        st.Page(members.render, title="Members", icon=":material/group:", url_path="members"),
        st.Page(
            analytics.render, title="Analytics", icon=":material/bar_chart:", url_path="analytics"
        ),
        st.Page(audit.render, title="Audit", icon=":material/history:", url_path="audit"),
    ]
    if admin:
        pages.append(
            st.Page(
                users.render, title="Users", icon=":material/manage_accounts:", url_path="users"
            )
        )
    return pages


# The icon is drawn here: a Material icon would be fetched from the internet.
st.set_page_config(page_title="VeoGen Studio", page_icon=page_icon(), layout="wide")
if "guest" in st.query_params and not st.user.is_logged_in:  # a guest link: one session
    st.navigation([st.Page(guest_page, title="Review", default=True)], position="hidden").run()
    st.stop()
me = signed_in()  # checked at every run: nobody signed in sees only the sign-in page
if me is None:
    # the address stays a page of the studio, but no menu: a shut-out user's would linger
    st.navigation(studio_pages(admin=True), position="hidden")
    st.stop()
account_menu(me)
inbox_menu(me)
navigation = st.navigation(studio_pages(me.is_admin))
with st.sidebar:
    ended_work()  # a notice on any page when the user's work ends
count_page_run(navigation.url_path)
navigation.run()
