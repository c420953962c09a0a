"""VeoGen Studio: the Streamlit studio, its command line and its settings."""
