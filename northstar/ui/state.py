"""This process's store and this browser session's active dataset."""

from __future__ import annotations

import streamlit as st

from northstar.errors import NorthstarError
from northstar.store import Dataset, Store, default_db_path
from northstar.ui import messages

ACTIVE_KEY = "active_dataset"
DATASET_PARAM = "dataset"


@st.cache_resource(show_spinner=False)
def _store(path: str) -> Store:
    return Store(path)


def get_store() -> Store:
    """The one store of this server process (cached: opened once, shared by every session).

    A store that cannot be opened (damaged, another program's, made by a newer Northstar) stops the
    page with the reason and what to do; nothing is cached, so the next run tries again.
    """
    try:
        return _store(str(default_db_path()))
    except NorthstarError as err:
        st.title(":material/star: Northstar")
        messages.show_error(err)
        st.stop()
        raise  # st.stop() raises; this keeps type checkers sure no Store-less path returns


def active_dataset(datasets: list[Dataset]) -> Dataset | None:
    """Of the store's `datasets` (newest first), the one this browser session works on.

    The choice lives in the session and in the URL (`?dataset=`), so a reload or a shared link keeps
    it and another person's upload does not change it; with no choice yet, the most recent load.
    """
    if not datasets:
        return None
    chosen = st.session_state.get(ACTIVE_KEY) or st.query_params.get(DATASET_PARAM)
    active = next((d for d in datasets if d.name == chosen), None)
    if active is None:
        active = datasets[0]
    set_active(active.name)
    return active


def set_active(name: str | None) -> None:
    st.session_state[ACTIVE_KEY] = name
    if name is None:
        st.query_params.pop(DATASET_PARAM, None)
    elif st.query_params.get(DATASET_PARAM) != name:
        st.query_params[DATASET_PARAM] = name
