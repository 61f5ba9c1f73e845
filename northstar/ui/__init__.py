"""Streamlit glue: the only package that imports streamlit. Pages call these; they hold no logic."""
