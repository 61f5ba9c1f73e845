"""What the app says to people: library errors as titled messages, and news carried over a rerun."""

from __future__ import annotations

import streamlit as st

from northstar.errors import NorthstarError
from northstar.ui.text import plain

FLASH_KEY = "flash"


def show_error(err: NorthstarError) -> None:
    st.error(f"**{plain(err.title)}**\n\n{plain(err.detail)}", icon=":material/error:")


def flash(message: str) -> None:
    """Say something on the next run (e.g. after st.rerun)."""
    st.session_state[FLASH_KEY] = message


def show_flash() -> None:
    message = st.session_state.pop(FLASH_KEY, None)
    if message:
        st.success(message, icon=":material/check_circle:")
