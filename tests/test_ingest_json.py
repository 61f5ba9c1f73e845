"""Ingest item 2: JSON lines/arrays flattened, vendor presets (Mixpanel, Amplitude), archives,
folders and globs as one dataset, Parquet; a round trip checked against pandas."""

from __future__ import annotations

import gzip
import json
import random
import zipfile
from datetime import datetime

import duckdb
import pandas as pd
import pytest

from northstar.errors import NorthstarError
from northstar.ingest.load import ingest_file, preview
from northstar.metrics import MetricSpec, compute


def _mixpanel_rows(n: int, seed: int = 3) -> list[dict]:
    rng = random.Random(seed)
    start = 1704067200  # 2024-01-01 00:00 UTC, a Monday
    rows = []
    for i in range(n):
        rows.append({"event": rng.choice(["Sign Up", "Report Shared", "Purchase"]),
                     "properties": {"time": start + rng.randrange(0, 10 * 7 * 86400),
                                    "distinct_id": f"u{rng.randrange(60)}", "$insert_id": f"id-{i}",
                                    "$browser": rng.choice(["Chrome", "Firefox"]),
                                    "plan": {"tier": rng.choice(["free", "pro"])}}})
    return rows


def _write_jsonl(path, rows) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def test_mixpanel_jsonl_round_trip_weekly_active_users_equal_pandas(store, tmp_path):
    rows = _mixpanel_rows(3000)
    path = tmp_path / "mixpanel_export.jsonl"
    _write_jsonl(path, rows)
    dataset = ingest_file(store, path)
    assert dataset.mapping["roles"] == {"user_id": "distinct_id", "timestamp": "time",
                                        "event": "event", "amount": None, "duration": None,
                                        "nps_score": None}
    assert dataset.mapping["read_as"]["timestamp"] == "epoch seconds"
    assert set(dataset.properties) == {"$insert_id", "$browser", "tier"}
    frame = pd.DataFrame([{"user": r["properties"]["distinct_id"],
                           "ts": pd.to_datetime(r["properties"]["time"], unit="s")} for r in rows])
    frame["week"] = frame["ts"].dt.to_period("W-SUN").dt.start_time
    expected = frame.groupby("week")["user"].nunique()
    got = compute(store, dataset, [MetricSpec("Active users", "active_users")], "week")
    got = got.set_index("period")["value"]
    assert list(got.index) == list(expected.index)
    assert list(got.astype(int)) == list(expected)
    assert (dataset.rows, dataset.users) == (3000, frame["user"].nunique())


def test_json_array_with_nested_properties(store, tmp_path):
    path = tmp_path / "events.json"
    path.write_text(json.dumps([
        {"event": "open", "properties": {"time": "2024-02-01T10:00:00Z", "user": {"id": "a"}}},
        {"event": "buy", "properties": {"time": "2024-02-02T10:00:00Z", "user": {"id": "b"},
                                        "revenue": 9.5, "items": [1, 2]}},
    ]), encoding="utf-8")
    found = preview(store, path)
    assert list(found.rows.columns) == ["event", "time", "id", "revenue", "items"]
    dataset = ingest_file(store, path, overrides={"user_id": "id"})
    assert (dataset.rows, dataset.users) == (2, 2)
    assert (dataset.first_ts, dataset.last_ts) == (datetime(2024, 2, 1, 10), datetime(2024, 2, 2, 10))
    with store.events(dataset) as cur:
        cur.execute(f"SELECT sum(amount), max(items) FROM {dataset.events_view}")
        assert cur.fetchone() == (9.5, "[1,2]")


def test_same_leaf_name_twice_keeps_the_paths(store, tmp_path):
    path = tmp_path / "amp.jsonl"
    _write_jsonl(path, [{"user_id": "u", "event_type": "e", "event_time": "2024-01-01 00:00:00",
                         "event_properties": {"plan": "pro"}, "user_properties": {"plan": "free"}}])
    assert preview(store, path).source.columns == (
        "user_id", "event_type", "event_time", "event_properties.plan", "user_properties.plan")


def _amplitude_zip(path) -> None:
    """Two hours of Amplitude Export API files: 8 events, 3 with no user id (devices d0, d3)."""
    with zipfile.ZipFile(path, "w") as archive:
        for hour in range(2):
            rows = [{"user_id": None if i % 3 == 0 else f"u{i}", "device_id": f"d{i}",
                     "event_type": "click" if i else "purchase", "amplitude_id": 100 + i,
                     "event_time": f"2024-03-01 {10 + hour}:00:00.000000",
                     "$insert_id": f"{hour}-{i}", "event_properties": {"plan": "pro"},
                     "user_properties": {"country": "SE"}} for i in range(4)]
            body = "".join(json.dumps(r) + "\n" for r in rows).encode()
            archive.writestr(f"123/123_2024-03-01_{10 + hour}#0.json.gz", gzip.compress(body))


def test_amplitude_export_zip_user_else_device(store, tmp_path):
    path = tmp_path / "amplitude_export.zip"
    _amplitude_zip(path)
    dataset = ingest_file(store, path)
    # users: u1, u2 (each hour), d0, d3 → 4
    assert (dataset.name, dataset.rows, dataset.users) == ("amplitude_export", 8, 4)
    assert dataset.mapping["fallbacks"] == {"user_id": "device_id"}
    assert {"plan", "country", "$insert_id"} <= set(dataset.properties)
    assert "2 files read as one dataset" in dataset.notes
    with store.events(dataset) as cur:
        cur.execute(f"SELECT list(DISTINCT user_id ORDER BY user_id) FROM {dataset.events_view}")
        assert cur.fetchone()[0] == ["d0", "d3", "u1", "u2"]


def test_corrupt_zip_is_refused(store, tmp_path):
    path = tmp_path / "amplitude_export.zip"
    _amplitude_zip(path)
    data = bytearray(path.read_bytes())
    data[60:80] = b"x" * 20  # inside the first member's compressed bytes
    path.write_bytes(bytes(data))
    with pytest.raises(NorthstarError, match="corrupt|truncated"):
        ingest_file(store, path)
    assert store.datasets() == []


def test_folder_and_glob_load_as_one_dataset(store, tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    rows = _mixpanel_rows(30)
    _write_jsonl(folder / "day1.jsonl", rows[:10])
    _write_jsonl(folder / "day2.jsonl", rows[10:])
    (folder / "notes.txt.bak").write_text("", encoding="utf-8")  # empty: ignored
    dataset = ingest_file(store, folder)
    assert (dataset.name, dataset.rows) == ("exports", 30)
    globbed = ingest_file(store, folder / "day1*.jsonl", dataset="one")
    assert globbed.rows == 10


def test_files_with_different_columns_or_kinds_are_refused(store, tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "a.csv").write_text("user_id,time\nu,2024-01-01\n", encoding="utf-8")
    (folder / "b.csv").write_text("user,time\nu,2024-01-01\n", encoding="utf-8")
    with pytest.raises(NorthstarError, match="does not have the columns"):
        ingest_file(store, folder)
    _write_jsonl(folder / "b.csv", [{"a": 1}])
    with pytest.raises(NorthstarError, match="mixes file kinds"):
        ingest_file(store, folder)


def test_parquet_folder(store, tmp_path):
    folder = tmp_path / "pq"
    folder.mkdir()
    for part in range(2):
        duckdb.sql(f"COPY (SELECT 'u' || (i % 5) AS user_id, TIMESTAMP '2024-01-01' + "
                   f"INTERVAL (i + {part * 100}) HOUR AS ts, 'e' AS event FROM range(50) t(i)) "
                   f"TO '{folder / f'part{part}.parquet'}'")
    dataset = ingest_file(store, folder)
    assert (dataset.rows, dataset.users) == (100, 5)
