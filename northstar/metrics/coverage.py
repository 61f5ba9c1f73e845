"""How much of a dataset a metric sees: the share of its users who did the metric's events."""

from __future__ import annotations

from collections.abc import Sequence

from northstar.metrics.specs import MetricSpec
from northstar.store import Dataset, Store


def users_seen(store: Store, dataset: Dataset, specs: Sequence[MetricSpec]) -> dict[str, float]:
    """Metric name → share (0–1) of the dataset's users with at least one of the metric's events.

    A metric without an event filter counts every event, so it sees every user (1.0). One query per
    distinct event filter; a dataset without users gives 0.0 for filtered metrics.
    """
    total = max(dataset.users, 0)
    shares: dict[tuple[str, ...], float] = {}
    with store.events(dataset) as cur:
        for events in dict.fromkeys(s.events for s in specs if s.events):
            placeholders = ", ".join("?" for _event in events)
            cur.execute(f"SELECT count(DISTINCT user_key) FROM {dataset.events_table} "
                        f"WHERE CAST(event AS VARCHAR) IN ({placeholders})", list(events))
            row = cur.fetchone()
            users = int(row[0]) if row and row[0] is not None else 0
            shares[events] = min(users / total, 1.0) if total else 0.0
    return {s.name: shares[s.events] if s.events else 1.0 for s in specs}
