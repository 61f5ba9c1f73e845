"""Ingest: each export style and CSV quirk on a tiny fixture, values checked by hand; bad files refused."""

from __future__ import annotations

import gzip
import shutil
from datetime import datetime

import duckdb
import pytest

from northstar.errors import NorthstarError
from northstar.ingest.load import ingest_file, preview
from tests.conftest import fixture

GERMAN = {"user_id": "kunde", "timestamp": "datum", "event": "aktion", "amount": "betrag"}

# file, overrides, rows, users, first ts, last ts, sum(amount), sum(duration_s), events
CASES = {
    "mixpanel epoch seconds": ("mixpanel.csv", None, 6, 3, datetime(2024, 1, 1), datetime(2024, 1, 8),
                               1012.5, None, ["Purchase", "Report Shared", "Sign Up"]),
    # Amplitude's identity rule: the user id, else the device (d3 is a user, as Amplitude counts)
    "amplitude ISO with micros": ("amplitude.csv", None, 4, 3, datetime(2024, 3, 1, 9, 0, 0, 250000),
                                  datetime(2024, 3, 3, 12), 19.99, 480.0,
                                  ["purchase", "session_start"]),
    "ga4 epoch micros, msec": ("ga4.csv", None, 3, 2, datetime(2024, 5, 1), datetime(2024, 5, 2),
                               49.5, 43.5, ["first_visit", "purchase", "user_engagement"]),
    "stripe cents, no event": ("stripe.csv", None, 3, 2, datetime(2024, 2, 1), datetime(2024, 3, 1),
                               87.0, None, ["stripe"]),
    "segment tz offsets": ("segment.csv", None, 3, 2, datetime(2024, 6, 1, 10),
                           datetime(2024, 6, 3, 0, 30), 100.0, None,
                           ["Order Completed", "Product Viewed"]),
    "qty x price, US dates": ("online_retail.csv", None, 3, 2, datetime(2010, 12, 1, 8, 26),
                              datetime(2010, 12, 13, 8, 28), 46.74, None, ["online_retail"]),
    "utf-8 BOM": ("bom.csv", None, 2, 2, datetime(2024, 2, 1, 10), datetime(2024, 2, 2, 11), None,
                  None, ["login"]),
    "latin-1, ';', decimal comma, mixed date/time": (
        "latin1_semicolon.csv", GERMAN, 2, 2, datetime(2024, 3, 1, 10, 15), datetime(2024, 3, 2),
        1241.75, None, ["Kauf"]),
    "quoted newlines": ("quoted_newlines.csv", None, 2, 2, datetime(2024, 1, 1, 10),
                        datetime(2024, 1, 2, 10), None, None, ["feedback"]),
    "tab separated, epoch ms": ("epoch_ms.tsv", None, 2, 2, datetime(2024, 1, 1), datetime(2024, 1, 2),
                                12.0, None, ["pay"]),
    "date only, nps, duration": ("with_nps.csv", None, 4, 3, datetime(2024, 1, 1), datetime(2024, 1, 2),
                                 None, 65.5, ["session", "survey"]),
}


def _totals(store, dataset):
    with store.events(dataset) as cur:
        cur.execute(f"SELECT min(ts), max(ts), round(sum(amount), 2), sum(duration_s), "
                    f"list(DISTINCT event ORDER BY event) FROM {dataset.events_view}")
        return cur.fetchone()


@pytest.mark.parametrize("case", CASES)
def test_each_export_style_loads_with_hand_checked_values(store, case):
    name, overrides, rows, users, first, last, amount, duration, events = CASES[case]
    dataset = ingest_file(store, fixture(name), overrides=overrides)
    assert (dataset.rows, dataset.users) == (rows, users)
    assert (dataset.first_ts, dataset.last_ts) == (first, last)
    assert _totals(store, dataset) == (first, last, amount, duration, events)


def test_mixpanel_rows_and_properties(store):
    dataset = ingest_file(store, fixture("mixpanel.csv"))
    assert dataset.name == "mixpanel"
    assert dataset.properties == ("$browser", "mp_country_code")
    with store.events(dataset) as cur:
        cur.execute(f'SELECT user_id, ts, event, amount, "$browser" FROM {dataset.events_view} '
                    f"WHERE event = 'Purchase' ORDER BY ts")
        assert cur.fetchall() == [("u1", datetime(2024, 1, 1, 1), "Purchase", 12.5, "Chrome"),
                                  ("u2", datetime(2024, 1, 2, 1), "Purchase", 1000.0, "Firefox")]


def test_latin1_names_survive(store):
    dataset = ingest_file(store, fixture("latin1_semicolon.csv"), overrides=GERMAN)
    with store.events(dataset) as cur:
        cur.execute(f"SELECT list(user_id ORDER BY ts) FROM {dataset.events_view}")
        assert cur.fetchone()[0] == ["José", "Zoë"]
    assert dataset.mapping["encoding"] == "latin-1"


def test_nps_scores_are_integers(store):
    dataset = ingest_file(store, fixture("with_nps.csv"))
    with store.events(dataset) as cur:
        cur.execute(f"SELECT list(nps_score ORDER BY user_id) FILTER (WHERE nps_score IS NOT NULL) "
                    f"FROM {dataset.events_view}")
        assert cur.fetchone()[0] == [10, 6, 9]


def test_rows_without_user_are_kept_but_not_counted(store):
    # Choosing the user column by hand turns Amplitude's device fallback off.
    dataset = ingest_file(store, fixture("amplitude.csv"), overrides={"user_id": "user_id"})
    assert dataset.rows == 4 and dataset.users == 2
    assert "1 row without a user id" in " ".join(dataset.notes)


def test_gzip_and_parquet(store, tmp_path):
    gz = tmp_path / "mixpanel.csv.gz"
    with fixture("mixpanel.csv").open("rb") as src, gzip.open(gz, "wb") as dst:
        shutil.copyfileobj(src, dst)
    assert ingest_file(store, gz).rows == 6
    parquet = tmp_path / "events.parquet"
    duckdb.sql(f"COPY (SELECT * FROM read_csv('{fixture('amplitude.csv')}')) TO '{parquet}'")
    dataset = ingest_file(store, parquet)
    assert (dataset.name, dataset.rows, dataset.users) == ("events", 4, 3)
    assert _totals(store, dataset)[2] == 19.99


def test_derived_expression_override(store):
    dataset = ingest_file(store, fixture("online_retail.csv"),
                          overrides={"amount": "Quantity * UnitPrice * 2", "event": ""})
    assert _totals(store, dataset)[2] == 93.48
    assert set(dataset.properties) >= {"Quantity", "UnitPrice", "Description"}


def test_a_few_unreadable_timestamps_are_skipped_and_reported(store):
    dataset = ingest_file(store, fixture("some_bad_timestamps.csv"))
    assert dataset.rows == 2
    assert "1 row skipped" in " ".join(dataset.notes)
    assert "'not a date'" in " ".join(dataset.notes)


BAD_FILES = {
    "empty.csv": ("Empty file", "0 bytes"),
    "header_only.csv": ("No rows", "no data rows"),
    "duplicate_columns.csv": ("Duplicate column name", "columns 2 and 4"),
    "bad_timestamps.csv": ("timestamp column 'timestamp' does not hold dates or times",
                           "3 of 4 values"),
    "non_numeric_amount.csv": ("amount column 'amount' does not hold numbers", "'cheap', 'free'"),
    "ambiguous_timestamp.csv": ("Ambiguous timestamp column", "'start_date', 'end_date'"),
    "no_user.csv": ("No user_id column", "--map user_id=COLUMN"),
    "nps_out_of_range.csv": ("nps_score values out of range", "42"),
}


@pytest.mark.parametrize("name", BAD_FILES)
def test_bad_file_is_refused_and_leaves_the_store_as_it_was(store, name):
    before = ingest_file(store, fixture("mixpanel.csv"), dataset="main")
    title, detail = BAD_FILES[name]
    with pytest.raises(NorthstarError) as err:
        ingest_file(store, fixture(name), dataset="main")
    assert err.value.title == title
    assert detail in err.value.detail
    after = store.dataset("main")
    assert after == before
    with store.events(after) as cur:
        cur.execute(f"SELECT count(*) FROM {after.events_view}")
        assert cur.fetchone()[0] == 6


def test_missing_file(store, tmp_path):
    with pytest.raises(NorthstarError, match="does not exist"):
        ingest_file(store, tmp_path / "nope.csv")


def test_unknown_override_column(store):
    with pytest.raises(NorthstarError) as err:
        ingest_file(store, fixture("mixpanel.csv"), overrides={"event": "action"})
    assert err.value.title == "No column 'action' for event"


def test_reloading_a_name_replaces_it_and_deletes_the_old_events_file(store):
    first = ingest_file(store, fixture("mixpanel.csv"), dataset="main")
    with store.events(first) as cur:  # attached, as a page would have it
        cur.execute(f"SELECT count(*) FROM {first.events_view}")
    second = ingest_file(store, fixture("bom.csv"), dataset="main")
    assert [d.name for d in store.datasets()] == ["main"]
    assert second.id != first.id and second.rows == 2 and second.file != first.file
    files = sorted(p.name for p in (store.path / "events").iterdir())
    assert files == [second.file]
    with pytest.raises(NorthstarError, match="was reloaded or deleted"), store.events(first) as cur:
        pass


def test_several_datasets_and_delete(store):
    ingest_file(store, fixture("mixpanel.csv"))
    ingest_file(store, fixture("stripe.csv"))
    assert [d.name for d in store.datasets()] == ["stripe", "mixpanel"]
    assert store.dataset().name == "stripe"
    store.delete_dataset("stripe")
    assert [d.name for d in store.datasets()] == ["mixpanel"]
    with pytest.raises(NorthstarError, match="No dataset named 'stripe'"):
        store.dataset("stripe")


def test_fingerprint_follows_content_and_mapping(store):
    a = ingest_file(store, fixture("online_retail.csv"))
    b = ingest_file(store, fixture("online_retail.csv"))
    c = ingest_file(store, fixture("online_retail.csv"), overrides={"amount": "UnitPrice"})
    assert a.fingerprint == b.fingerprint != c.fingerprint


def test_preview_proposes_a_mapping_without_loading(store):
    found = preview(store, fixture("ambiguous_timestamp.csv"))
    assert list(found.rows.columns) == ["customer_name", "start_date", "end_date", "plan"]
    assert found.proposal.source("timestamp") is None
    assert store.datasets() == []
