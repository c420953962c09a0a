"""The studio's entry point: `streamlit run studio/app.py` (or `veogen up`)."""

import streamlit as st

from pages import analytics, generate, projects, storyboard, takes

st.set_page_config(page_title="VeoGen Studio", page_icon="🎬", layout="wide")
navigation = st.navigation(
    [
        st.Page(projects.render, title="Projects", icon="📁", url_path="projects", default=True),
        st.Page(storyboard.render, title="Storyboard", icon="🎞️", url_path="storyboard"),
        st.Page(generate.render, title="Generate", icon="⚙️", url_path="generate"),
        st.Page(takes.render, title="Takes", icon="▶️", url_path="takes"),
        st.Page(analytics.render, title="Analytics", icon="📊", url_path="analytics"),
    ]
)
navigation.run()
