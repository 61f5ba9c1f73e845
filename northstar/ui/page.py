"""How every page opens: config and navigation, the store, the active dataset, title and caption."""

from __future__ import annotations

import streamlit as st

from northstar.i18n import _
from northstar.store import Dataset, Store
from northstar.ui import datasets, navigation, state


def open_page(title: str, icon: str, caption: str, tab: str | None = None
              ) -> tuple[Store, Dataset | None]:
    """Set the page up and return the store and this session's active dataset (None if empty).

    `title`, `caption` and `tab` are English texts marked with N_ in the page; shown translated.
    """
    navigation.page_setup(tab or title)
    store = state.get_store()
    active = datasets.sidebar_picker(store)
    st.title(f"{icon} {_(title)}")
    st.caption(_(caption))
    return store, active


def require_dataset(active: Dataset | None) -> Dataset:
    """Stop the page with a pointer to the Data page when no dataset is loaded."""
    if active is None:
        st.info(_("Load a dataset first, on the Data page."))
        st.stop()
    return active
