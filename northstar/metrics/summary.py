"""What a loaded dataset holds: its event catalogue and events per week."""

from __future__ import annotations

import pandas as pd

from northstar.store import Dataset, Store

# Beyond this many event types the weekly chart groups the rest as "other" to stay readable.
TOP_EVENTS_IN_CHART = 8


def event_catalogue(store: Store, dataset: Dataset) -> pd.DataFrame:
    """One row per event: users who did it, times it happened, first and last seen, and how many
    of its rows carry an amount, a duration, an NPS score; most frequent first."""
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
