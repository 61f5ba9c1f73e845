"""PostHog, Segment and GA4 (BigQuery export) JSON load with no --map, by their identity rules."""

from __future__ import annotations

import json
from datetime import datetime

from northstar.ingest.load import ingest_file
from tests.conftest import fixture


def _totals(store, dataset) -> tuple:
    with store.events(dataset) as cur:
        cur.execute(f"SELECT count(*), count(DISTINCT user_id), sum(amount) FROM {dataset.events_view}")
        return cur.fetchone()


def test_posthog_events_export(store):
    data = ingest_file(store, fixture("posthog.jsonl"))
    # 6 events of d1, d2, d3; purchases of 20.0 (d2) and 5.5 (d1) = 25.5
    assert _totals(store, data) == (6, 3, 25.5)
    assert (data.first_ts, data.last_ts) == (datetime(2024, 1, 1, 10), datetime(2024, 1, 9, 17, 45))
    assert "uuid" in data.properties and "$current_url" in data.properties
    assert "PostHog export: the user is 'distinct_id'; 'uuid' identifies each event (appends match " \
           "on it)" in data.notes


def test_segment_track_calls_fall_back_to_the_anonymous_id(store):
    """6 track calls, then an identify and a page call."""
    data = ingest_file(store, fixture("segment.jsonl"))
    # users u1 (2 events), u2 (1), and without userId: a-9 (2), a-7 (1) → 4 users, 3 anonymous events
    assert _totals(store, data) == (6, 4, 30.0)
    notes = " | ".join(str(n) for n in data.notes)
    assert "Segment export: the user is 'userId', else 'anonymousId' on events without one" in notes
    assert "3 events without a user id kept, counted by 'anonymousId'" in notes
    # the identify and page calls (the last two lines) are not events: left out, counted
    assert "2 Segment calls that are not track calls left out ('identify', 'page')" in notes
    assert "messageId" in data.properties and "sku" in data.properties


def test_ga4_export_flattens_event_params_and_reads_microseconds(store):
    data = ingest_file(store, fixture("ga4.jsonl"))
    # 5 events of p1 (2), p2 (2), p3 (1); purchase_revenue 25.0 + 12.5 = 37.5
    assert _totals(store, data) == (5, 3, 37.5)
    # event_timestamp is in microseconds: 1704103200000000 µs = 2024-01-01 10:00 UTC
    assert (data.first_ts, data.last_ts) == (datetime(2024, 1, 1, 10), datetime(2024, 1, 8, 15))
    assert {"page_location", "ga_session_id", "user_pseudo_id"} <= set(data.properties)
    assert "event_params" not in data.properties
    with store.events(data) as cur:
        cur.execute(f"SELECT sum(duration_s), count(DISTINCT ga_session_id) FROM {data.events_view}")
        # engagement_time_msec 4000 + 1500 ms = 5.5 s; sessions 11, 21, 22, 31
        assert cur.fetchone() == (5.5, 4)
    notes = " | ".join(str(n) for n in data.notes)
    assert "GA4 export: the user is 'user_id' when signed in, else the device 'user_pseudo_id'" in notes
    # p1's page view before it signed in as cust-1 is cust-1's; p2 never signed in
    assert "1 signed-out event counted for the user its device signed in as" in notes
    assert "2 events without a user id kept, counted by 'user_pseudo_id'" in notes
    with store.events(data) as cur:
        cur.execute(f"SELECT user_id, count(*) FROM {data.events_view} GROUP BY 1 ORDER BY 1")
        assert cur.fetchall() == [("cust-1", 2), ("cust-3", 1), ("p2", 2)]


def test_ga4_device_shared_by_two_signed_in_users_stays_the_device(store, tmp_path):
    """A device seen as two users (a family tablet): its signed-out events can't be given to either."""
    rows = [("page_view", None, "tab"), ("purchase", "ann", "tab"), ("purchase", "bo", "tab"),
            ("page_view", None, "tab"), ("page_view", None, "ph"), ("purchase", "cy", "ph")]
    path = tmp_path / "ga4_shared.jsonl"
    path.write_text("".join(
        json.dumps({"event_date": "20240101", "event_timestamp": 1704103200000000 + i * 60_000_000,
                    "event_name": name, "user_id": uid, "user_pseudo_id": device}) + "\n"
        for i, (name, uid, device) in enumerate(rows)), encoding="utf-8")
    data = ingest_file(store, path)
    with store.events(data) as cur:
        cur.execute(f"SELECT user_id, count(*) FROM {data.events_view} GROUP BY 1 ORDER BY 1")
        assert cur.fetchall() == [("ann", 1), ("bo", 1), ("cy", 2), ("tab", 2)]
    notes = " | ".join(str(n) for n in data.notes)
    assert "1 signed-out event counted for the user its device signed in as" in notes
    assert "2 events without a user id kept, counted by 'user_pseudo_id'" in notes


def test_ga4_export_without_user_ids_counts_devices(store):
    data = ingest_file(store, fixture("ga4.csv"))
    assert "GA4 export: the user is 'user_pseudo_id' (the device, as GA4 counts users)" in data.notes


def test_vendor_insert_ids_keep_appends_from_duplicating(store):
    posthog = ingest_file(store, fixture("posthog.jsonl"))
    again = ingest_file(store, fixture("posthog.jsonl"), dataset=posthog.name, append=True)
    assert again.rows == 6  # all 6 already there, matched on uuid
    assert again.mapping["appends"][-1] | {"source": None} == {
        "source": None, "new": 0, "already_there": 6, "matched_on": "the insert id 'uuid'"}
    segment = ingest_file(store, fixture("segment.jsonl"))
    again = ingest_file(store, fixture("segment.jsonl"), dataset=segment.name, append=True)
    assert again.mapping["appends"][-1]["matched_on"] == "the insert id 'messageId'"
