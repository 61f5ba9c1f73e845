"""Ingest item 5: the data health checks on a hand-made fixture, and `northstar health`."""

from __future__ import annotations

import pytest

from northstar.cli import main
from northstar.ingest import health
from northstar.ingest.load import ingest_file
from tests.conftest import fixture

# ingest_health.csv, by hand: 38 rows; u2's event in 2099 is more than a day after the load, so it
# is left out (ingest.plausible): 37 events. u1 10:00 'open' on 1 March twice (1 duplicate, 1/37 =
# 2.7%); one anonymous event (1/37); users u1 (3 events), u2 (2), u3 (1), bot (30: 30/37 = 81.1%;
# median of 30, 3, 2, 1 = 2.5); no events 4-9 March (6 days, all in ISO week 2024-W10).
EXPECTED = {
    "duplicates": ("1 duplicate event (2.7%, identical rows)", True),
    "anonymous": ("1 anonymous event (2.7%)", False),
    "one_event_users": ("1 user with one event (25.0% of users)", False),
    "gaps": ("6 empty days inside the span in 1 gap; the longest is 6 days (2024-03-04 to "
             "2024-03-09)", True),
    "after_export": ("1 event more than a day after the export date, left out at load", True),
    "busiest": ("Busiest users: bot (30), u1 (3), u2 (2); the busiest has 81.1% of all events", True),
}


@pytest.fixture
def findings(store):
    dataset = ingest_file(store, fixture("ingest_health.csv"), overrides={"user_id": "user_id"})
    assert (dataset.rows, dataset.users) == (37, 4)
    return {f.check: f for f in health(store, dataset)}


def test_each_check_finds_what_the_fixture_holds(findings):
    assert {k: (f.headline, f.warn) for k, f in findings.items()} == EXPECTED


def test_each_finding_says_what_it_does_to_the_candidates(findings):
    assert "dip in 2024-W10" in findings["gaps"].effect
    assert "Transactions, Revenue and Events per active user are inflated by 1 event;" in \
        findings["duplicates"].effect
    assert "median of 2.5" in findings["busiest"].effect
    assert "not in Active users" in findings["anonymous"].effect


def test_a_clean_dataset_has_no_warnings(store, tmp_path):
    path = tmp_path / "clean.csv"
    path.write_text("user_id,timestamp,event\n" + "".join(
        f"u{u},2024-01-{d:02d} 1{u}:00,open\n" for d in range(1, 31) for u in range(3)),
        encoding="utf-8")
    dataset = ingest_file(store, path)
    found = health(store, dataset)
    assert [f.check for f in found if f.warn] == []


def test_cli_health(tmp_path, capsys):
    db = str(tmp_path / "s")
    assert main(["ingest", str(fixture("ingest_health.csv")), "--db", db]) == 0
    capsys.readouterr()
    assert main(["health", "--db", db, "--dataset", "ingest_health"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Health of ingest_health: 37 rows, 4 users")
    assert "  ! 6 empty days inside the span" in out
    assert "  ! 1 duplicate event" in out
    assert main(["health", "--db", db, "--dataset", "nope"]) == 2


@pytest.mark.parametrize("column", ["$insert_id", "messageId", "uuid", "event_id"])
def test_duplicates_are_counted_on_the_vendors_event_id_as_appends_match_them(store, tmp_path, column):
    # Three events, two of which share the vendor's id though their times differ (a resent event
    # with a later timestamp): 1 duplicate by the id, none as identical rows.
    path = tmp_path / "ids.csv"
    path.write_text(f"user_id,timestamp,event,{column}\nu1,2024-01-01 10:00,open,a\n"
                    "u1,2024-01-01 10:05,open,a\nu2,2024-01-02 10:00,open,b\n", encoding="utf-8")
    dataset = ingest_file(store, path)
    found = {f.check: f for f in health(store, dataset)}
    assert found["duplicates"].headline == f"1 duplicate event (33.3%, the same {column})"


def test_the_insert_id_is_the_best_ranked_vendor_id():
    from northstar.ingest.roles import insert_id_column

    assert insert_id_column(["uuid", "$insert_id", "x"]) == "$insert_id"
    assert insert_id_column(["messageId", "uuid"]) == "messageId"
    assert insert_id_column(["user_id", "event"]) is None
