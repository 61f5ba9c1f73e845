"""Ingest item 4: appends: a later export extends a dataset, events both files hold kept once."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from northstar.cli import main
from northstar.errors import NorthstarError
from northstar.ingest.load import ingest_file


def _mixpanel(path, ids) -> None:
    path.write_text("".join(json.dumps({"event": "open", "properties": {
        "time": 1704067200 + 3600 * i, "distinct_id": f"u{i % 4}", "$insert_id": f"id-{i}"}}) + "\n"
        for i in ids), encoding="utf-8")


def test_overlapping_exports_dedupe_on_the_insert_id(store, tmp_path):
    _mixpanel(tmp_path / "jan.jsonl", range(0, 20))
    _mixpanel(tmp_path / "later.jsonl", range(10, 30))
    first = ingest_file(store, tmp_path / "jan.jsonl", dataset="mp")
    both = ingest_file(store, tmp_path / "later.jsonl", dataset="mp", append=True)
    assert (first.rows, both.rows, both.users) == (20, 30, 4)
    assert both.last_ts == datetime(2024, 1, 2, 5)
    assert both.mapping["appends"] == [{"source": "later.jsonl", "new": 10, "already_there": 10,
                                        "matched_on": "the insert id '$insert_id'"}]
    assert "added later.jsonl: 10 new events, 10 already there (matched on the insert id " \
           "'$insert_id')" in both.notes
    again = ingest_file(store, tmp_path / "later.jsonl", dataset="mp", append=True)
    assert again.rows == 30 and again.mapping["appends"][-1]["new"] == 0
    assert [d.name for d in store.datasets()] == ["mp"]
    with store.events(again) as cur:
        cur.execute(f"SELECT count(DISTINCT \"$insert_id\") FROM {again.events_view}")
        assert cur.fetchone()[0] == 30


def test_without_an_insert_id_whole_rows_are_matched_and_new_properties_kept(store, tmp_path):
    (tmp_path / "a.csv").write_text(
        "user_id,timestamp,event,amount\nu1,2024-01-01,buy,10\nu1,2024-01-01,buy,10\n"
        "u2,2024-01-02,buy,5\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text(
        "user_id,timestamp,event,amount,plan\nu2,2024-01-02,buy,5,pro\nu3,2024-01-03,buy,7,free\n",
        encoding="utf-8")
    ingest_file(store, tmp_path / "a.csv", dataset="shop")
    both = ingest_file(store, tmp_path / "b.csv", dataset="shop", append=True)
    # a's own duplicate row stays (it was there before); b's first row is a's third
    assert (both.rows, both.users) == (4, 3)
    assert both.mapping["appends"][-1]["matched_on"] == "whole event rows"
    assert both.properties == ("plan",)
    with store.events(both) as cur:
        cur.execute(f"SELECT sum(amount), list(plan ORDER BY ts) FILTER (plan IS NOT NULL) "
                    f"FROM {both.events_view}")
        assert cur.fetchone() == (32.0, ["free"])


def test_append_to_a_missing_dataset_or_a_bad_file_changes_nothing(store, tmp_path):
    _mixpanel(tmp_path / "jan.jsonl", range(5))
    with pytest.raises(NorthstarError, match="No dataset named 'jan' to add to"):
        ingest_file(store, tmp_path / "jan.jsonl", append=True)
    before = ingest_file(store, tmp_path / "jan.jsonl")
    (tmp_path / "bad.csv").write_text("user_id,timestamp\nu1,not a date\nu2,never\n", encoding="utf-8")
    with pytest.raises(NorthstarError):
        ingest_file(store, tmp_path / "bad.csv", dataset="jan", append=True)
    assert store.dataset("jan") == before


def test_cli_append_reports_new_and_already_there(tmp_path, capsys):
    _mixpanel(tmp_path / "jan.jsonl", range(0, 6))
    _mixpanel(tmp_path / "feb.jsonl", range(4, 10))
    db = str(tmp_path / "s")
    assert main(["ingest", str(tmp_path / "jan.jsonl"), "--db", db, "--dataset", "mp"]) == 0
    assert main(["ingest", str(tmp_path / "feb.jsonl"), "--db", db, "--dataset", "mp",
                 "--append"]) == 0
    out = capsys.readouterr().out
    assert "Added 4 new events to mp (2 already there, matched on the insert id '$insert_id')" in out
    assert "Loaded mp: 10 rows, 4 users" in out


def test_the_event_catalogue_is_read_again_after_an_append(store, tmp_path):
    from northstar.metrics import event_catalogue

    _mixpanel(tmp_path / "jan.jsonl", range(0, 8))
    first = ingest_file(store, tmp_path / "jan.jsonl", dataset="mp")
    before = event_catalogue(store, first)
    assert before[["event", "events"]].values.tolist() == [["open", 8]]
    before.loc[0, "events"] = -1  # a caller's copy: the kept catalogue is not changed by it
    assert event_catalogue(store, first)["events"].tolist() == [8]
    (tmp_path / "feb.jsonl").write_text(json.dumps({"event": "share", "properties": {
        "time": 1706745600, "distinct_id": "u1", "$insert_id": "id-s"}}) + "\n", encoding="utf-8")
    both = ingest_file(store, tmp_path / "feb.jsonl", dataset="mp", append=True)
    assert event_catalogue(store, both)[["event", "events"]].values.tolist() == [["open", 8],
                                                                                ["share", 1]]
