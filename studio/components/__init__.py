"""The studio's own browser components (Streamlit components v2: inline HTML, CSS and
JavaScript read from the files beside them; nothing is built or fetched)."""
