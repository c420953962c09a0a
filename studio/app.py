"""The studio's entry point: `streamlit run studio/app.py` (or `veogen up`)."""

import streamlit as st

from pages import analytics, generate, library, members, movie, projects, storyboard, takes
from studio.identity.session import account_menu, signed_in
from studio.notices import ended_work
from studio.ui import page_icon

# The icon is drawn here: a Material icon would be fetched from the internet.
st.set_page_config(page_title="VeoGen Studio", page_icon=page_icon(), layout="wide")
me = signed_in()  # checked at every run: nobody signed in sees only the sign-in page
if me is None:
    st.stop()
account_menu(me)
navigation = st.navigation(
    [
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
        st.Page(movie.render, title="Movie", icon=":material/theaters:", url_path="movie"),
        st.Page(members.render, title="Members", icon=":material/group:", url_path="members"),
        st.Page(
            analytics.render, title="Analytics", icon=":material/bar_chart:", url_path="analytics"
        ),
    ]
)
with st.sidebar:
    ended_work()  # a notice on any page when the user's work ends
navigation.run()
