"""What a loaded dataset holds: its event catalogue and events per week."""

from __future__ import annotations

import threading
from collections import OrderedDict

import pandas as pd

from northstar.store import Dataset, Store

# Beyond this many event types the weekly chart groups the rest as "other" to stay readable.
TOP_EVENTS_IN_CHART = 8
# Catalogues kept in memory: one full scan of the events each, asked for several times per
# comparison (defaults, suggestions, "part of the outcome"), and by every CLI command.
CATALOGUES_KEPT = 16
_catalogues: OrderedDict[tuple[str, str, str], pd.DataFrame] = OrderedDict()
_catalogues_lock = threading.Lock()


def event_catalogue(store: Store, dataset: Dataset) -> pd.DataFrame:
    """One row per event: users who did it, times it happened, first and last seen, and how many
    of its rows carry an amount, a duration, an NPS score; most frequent first.

    Kept per store, dataset contents (its fingerprint) and events file, so a reload, an append or
    a lake refresh is read again; each caller gets its own copy."""
    key = (str(store.path), dataset.cache_key, dataset.file)
    with _catalogues_lock:
        kept = _catalogues.get(key)
        if kept is not None:
            _catalogues.move_to_end(key)
            return kept.copy()
    catalogue = _read_catalogue(store, dataset)
    with _catalogues_lock:
        _catalogues[key] = catalogue
        while len(_catalogues) > CATALOGUES_KEPT:
            _catalogues.popitem(last=False)
    return catalogue.copy()


def _read_catalogue(store: Store, dataset: Dataset) -> pd.DataFrame:
    with store.events(dataset) as cur:
        cur.execute(f"""
            SELECT CAST(event AS VARCHAR) AS event, count(DISTINCT user_key) AS users,
                   count(*) AS events, min(ts) AS first_seen, max(ts) AS last_seen,
                   count(amount) AS with_amount, count(duration_s) AS with_duration,
                   count(nps_score) AS with_nps
            FROM {dataset.events_table}
            GROUP BY event
            ORDER BY events DESC, event""")
        catalogue = cur.df()
    catalogue["share_of_users"] = catalogue["users"] / max(dataset.users, 1)
    return catalogue


def events_per_week(store: Store, dataset: Dataset, top: int = TOP_EVENTS_IN_CHART) -> pd.DataFrame:
    """Tidy `week, event, events`: the `top` most frequent events, the rest summed as "other"."""
    with store.events(dataset) as cur:
        cur.execute(f"""
            WITH ranked AS (
                SELECT event, row_number() OVER (ORDER BY count(*) DESC, event) AS position
                FROM {dataset.events_table} GROUP BY event
            )
            SELECT date_trunc('week', e.ts) AS week,
                   CASE WHEN r.position <= $top THEN CAST(e.event AS VARCHAR) ELSE 'other' END
                       AS event,
                   count(*) AS events
            FROM {dataset.events_table} e JOIN ranked r ON e.event = r.event
            GROUP BY ALL
            ORDER BY week, events DESC""", {"top": top})
        return cur.df()
