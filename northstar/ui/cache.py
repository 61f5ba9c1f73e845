"""Cached results for the pages, each keyed by the store, the dataset's content fingerprint and inputs."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from northstar import metrics
from northstar.analysis import Comparison, compare
from northstar.analysis.scorecard import Scorecard, evidence_scorecards
from northstar.i18n import language
from northstar.metrics import MetricSpec, saved_candidates
from northstar.store import Dataset, Store

CACHE_TTL_S = 600
CACHE_ENTRIES = 32


def dataset_key(store: Store, dataset: Dataset) -> str:
    """What a cached result depends on: which store, which dataset, which contents."""
    return f"{store.path}:{dataset.cache_key}"


def specs_key(specs: list[MetricSpec]) -> str:
    """The definitions of `specs`, as a cache key."""
    return json.dumps([s.to_dict() for s in specs], sort_keys=True)


def saved_key(store: Store, dataset: Dataset) -> str:
    """The dataset's saved candidates with where each came from (keeping a suggestion re-ranks)."""
    return json.dumps([[s.to_dict(), s.source] for s in saved_candidates(store, dataset)], sort_keys=True)


@st.cache_data(ttl=CACHE_TTL_S, max_entries=CACHE_ENTRIES, show_spinner=False)
def _event_catalogue(_store: Store, _dataset: Dataset, key: str) -> pd.DataFrame:
    return metrics.event_catalogue(_store, _dataset)


@st.cache_data(ttl=CACHE_TTL_S, max_entries=CACHE_ENTRIES, show_spinner=False)
def _events_per_week(_store: Store, _dataset: Dataset, key: str) -> pd.DataFrame:
    return metrics.events_per_week(_store, _dataset)


def event_catalogue(store: Store, dataset: Dataset) -> pd.DataFrame:
    return _event_catalogue(store, dataset, dataset_key(store, dataset))


def events_per_week(store: Store, dataset: Dataset) -> pd.DataFrame:
    return _events_per_week(store, dataset, dataset_key(store, dataset))


@st.cache_data(ttl=CACHE_TTL_S, max_entries=CACHE_ENTRIES, show_spinner=False)
def _series(_store: Store, _dataset: Dataset, _specs: tuple[MetricSpec, ...], key: str,
            specs_key: str, grain: str) -> pd.DataFrame:
    return metrics.compute(_store, _dataset, list(_specs), grain)


def metric_series(store: Store, dataset: Dataset, specs: list[MetricSpec], grain: str) -> pd.DataFrame:
    """Tidy series of `specs`, cached per dataset contents, spec definitions and grain."""
    return _series(store, dataset, tuple(specs), dataset_key(store, dataset), specs_key(specs), grain)


@st.cache_data(ttl=CACHE_TTL_S, max_entries=CACHE_ENTRIES, show_spinner=False)
def _comparison(_store: Store, _dataset: Dataset, key: str, saved_key: str, outcome: str, grain: str,
                max_lag: int | None, lang: str) -> Comparison:
    return compare(_store, _dataset, outcome, grain=grain, max_lag=max_lag)


def comparison(store: Store, dataset: Dataset, outcome: str, grain: str, max_lag: int | None) -> Comparison:
    """Saved candidates and suggestions against `outcome`, cached per dataset contents, saved
    candidates (so keeping a suggestion re-ranks), outcome, grain, max lag and language (the verdicts
    are sentences in the reader's language)."""
    return _comparison(store, dataset, dataset_key(store, dataset), saved_key(store, dataset), outcome, grain,
                       max_lag, language())


@st.cache_data(ttl=CACHE_TTL_S, max_entries=CACHE_ENTRIES, show_spinner=False)
def _scorecards(_store: Store, _dataset: Dataset, _comparison: Comparison, key: str, saved_key: str,
                outcome: str, grain: str, max_lag: int | None, lang: str) -> dict[str, Scorecard]:
    return evidence_scorecards(_store, _dataset, _comparison)


def scorecards(store: Store, dataset: Dataset, outcome: str, grain: str, max_lag: int | None
               ) -> dict[str, Scorecard]:
    """The five-criteria evidence of `comparison(...)`'s candidates, cached on the same keys: the
    Workshop's 3-second refresh reads it, never recomputes it."""
    found = comparison(store, dataset, outcome, grain, max_lag)
    return _scorecards(store, dataset, found, dataset_key(store, dataset), saved_key(store, dataset), outcome,
                       grain, max_lag, language())
