"""Process-wide store, per-session active dataset, cached results keyed by the dataset fingerprint."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from northstar import compiler, summary
from northstar.candidates import saved_candidates
from northstar.compare import Comparison, compare
from northstar.errors import NorthstarError
from northstar.specs import MetricSpec
from northstar.store import Dataset, Store, default_db_path

ACTIVE_KEY = "active_dataset"
CACHE_TTL_S = 600
CACHE_ENTRIES = 32


@st.cache_resource(show_spinner=False)
def _store(path: str) -> Store:
    return Store(path)


def get_store() -> Store:
    """The one store (and DuckDB connection) of this server process."""
    return _store(str(default_db_path()))


# The guided path through the app, in order: (script, label, icon).
PAGES = (
    ("app.py", "Home", ":material/star:"),
    ("pages/1_Data.py", "Data", ":material/database:"),
    ("pages/2_Candidates.py", "Candidates", ":material/monitoring:"),
    ("pages/3_Compare.py", "Compare", ":material/compare_arrows:"),
    ("pages/4_Workshop.py", "Workshop", ":material/groups:"),
    ("pages/5_Tree.py", "Tree", ":material/account_tree:"),
)


def page_setup(title: str) -> None:
    """Page config and the sidebar's page list; call first on every page."""
    st.set_page_config(page_title=f"{title} · Northstar", page_icon=":material/star:",
                       layout="wide")
    with st.sidebar:
        for script, label, icon in PAGES:
            st.page_link(script, label=label, icon=icon)
        st.divider()


def show_error(err: NorthstarError) -> None:
    st.error(f"**{err.title}**\n\n{err.detail}", icon=":material/error:")


def flash(message: str) -> None:
    """Say something on the next run (e.g. after st.rerun)."""
    st.session_state["flash"] = message


def show_flash() -> None:
    message = st.session_state.pop("flash", None)
    if message:
        st.success(message, icon=":material/check_circle:")


def active_dataset(datasets: list[Dataset]) -> Dataset | None:
    """Of the store's `datasets` (newest first), the one this browser session works on: its
    choice, else the most recently loaded."""
    if not datasets:
        return None
    chosen = st.session_state.get(ACTIVE_KEY)
    for dataset in datasets:
        if dataset.name == chosen:
            return dataset
    return datasets[0]


def set_active(name: str | None) -> None:
    st.session_state[ACTIVE_KEY] = name


def _key(store: Store, dataset: Dataset) -> str:
    """What a cached result depends on: which store, which dataset, which contents."""
    return f"{store.path}:{dataset.cache_key}"


@st.cache_data(ttl=CACHE_TTL_S, max_entries=CACHE_ENTRIES, show_spinner=False)
def _event_catalogue(_store: Store, _dataset: Dataset, key: str) -> pd.DataFrame:
    return summary.event_catalogue(_store, _dataset)


@st.cache_data(ttl=CACHE_TTL_S, max_entries=CACHE_ENTRIES, show_spinner=False)
def _events_per_week(_store: Store, _dataset: Dataset, key: str) -> pd.DataFrame:
    return summary.events_per_week(_store, _dataset)


def event_catalogue(store: Store, dataset: Dataset) -> pd.DataFrame:
    return _event_catalogue(store, dataset, _key(store, dataset))


def events_per_week(store: Store, dataset: Dataset) -> pd.DataFrame:
    return _events_per_week(store, dataset, _key(store, dataset))


@st.cache_data(ttl=CACHE_TTL_S, max_entries=CACHE_ENTRIES, show_spinner=False)
def _series(_store: Store, _dataset: Dataset, _specs: tuple[MetricSpec, ...], key: str,
            specs_key: str, grain: str) -> pd.DataFrame:
    return compiler.compute(_store, _dataset, list(_specs), grain)


def metric_series(store: Store, dataset: Dataset, specs: list[MetricSpec], grain: str) -> pd.DataFrame:
    """Tidy series of `specs`, cached per dataset contents, spec definitions and grain."""
    specs_key = json.dumps([s.to_dict() for s in specs], sort_keys=True)
    return _series(store, dataset, tuple(specs), _key(store, dataset), specs_key, grain)


@st.cache_data(ttl=CACHE_TTL_S, max_entries=CACHE_ENTRIES, show_spinner=False)
def _comparison(_store: Store, _dataset: Dataset, key: str, saved_key: str, outcome: str, grain: str,
                max_lag: int) -> Comparison:
    return compare(_store, _dataset, outcome, grain=grain, max_lag=max_lag)


def comparison(store: Store, dataset: Dataset, outcome: str, grain: str, max_lag: int) -> Comparison:
    """Saved candidates and suggestions against `outcome`, cached per dataset contents, saved
    candidates (so keeping a suggestion re-ranks), outcome, grain and max lag."""
    saved_key = json.dumps([[s.to_dict(), s.source] for s in saved_candidates(store, dataset)],
                           sort_keys=True)
    return _comparison(store, dataset, _key(store, dataset), saved_key, outcome, grain, max_lag)
