"""Excel .xlsx: the first sheet (or --sheet NAME) through the same ingest as a CSV: roles detected,
dates read from date cells, the same notes and integrity checks; the Data page takes an upload."""

from __future__ import annotations

from datetime import datetime

import pytest
from streamlit.testing.v1 import AppTest

from northstar.cli import main
from northstar.ingest import ingest_file
from northstar.store import DB_ENV
from tests.conftest import ROOT
from tests.xlsx import write_xlsx

# Sheet "Orders", by hand: 5 rows; c1 ×2, c2 ×2, c3 ×1 = 3 customers; dates are Excel date cells
# (one typed as text, 'soon', which cannot be read: that row is skipped with a note); revenue
# 12.5 + 3 + 20 + 4.5 (+ the skipped row's 99) = 40.0; a trailing column with no header and no values.
ORDERS = [
    ["customer_id", "order_date", "event", "revenue", None],
    ["c1", datetime(2024, 3, 1, 10, 30), "purchase", 12.5, None],
    ["c2", datetime(2024, 3, 2), "purchase", 3, None],
    ["c1", datetime(2024, 3, 9, 8, 15), "refund_request", 20, None],
    ["c3", datetime(2024, 3, 15, 23, 59), "purchase", 4.5, None],
    ["c2", "soon", "purchase", 99, None],
]
# Sheet "Visits": 3 rows, 2 visitors, no money column.
VISITS = [
    ["visitor", "time", "page"],
    ["v1", datetime(2024, 4, 1, 9), "home"],
    ["v2", datetime(2024, 4, 1, 9, 5), "pricing"],
    ["v1", datetime(2024, 4, 2, 9), "home"],
]


@pytest.fixture
def workbook(tmp_path):
    return write_xlsx(tmp_path / "shop.xlsx", {"Orders": ORDERS, "Visits": VISITS})


def _amount(store, dataset) -> float:
    with store.events(dataset) as cur:
        cur.execute(f"SELECT sum(amount) FROM {dataset.events_view}")
        return cur.fetchone()[0]


def test_the_first_sheet_loads_like_a_csv(store, workbook):
    dataset = ingest_file(store, workbook)
    assert dataset.name == "shop"
    assert (dataset.rows, dataset.users) == (4, 3)
    assert (dataset.first_ts, dataset.last_ts) == (datetime(2024, 3, 1, 10, 30),
                                                   datetime(2024, 3, 15, 23, 59))
    assert _amount(store, dataset) == 40.0
    roles = dataset.mapping["roles"]
    assert (roles["user_id"], roles["timestamp"], roles["event"], roles["amount"]) == (
        "customer_id", "order_date", "event", "revenue")
    assert dataset.properties == ()  # the empty trailing column is not a property
    notes = " | ".join(dataset.notes)
    assert "sheet 'Orders' read (the workbook has 2 sheets; choose another with --sheet NAME" in notes
    assert "1 row skipped: its timestamp could not be read (e.g. 'soon')" in notes


def test_another_sheet_by_name_from_the_cli(tmp_path, workbook, capsys):
    db = str(tmp_path / "store")
    assert main(["ingest", str(workbook), "--db", db, "--sheet", "visits", "--dataset", "visits"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Loaded visits: 3 rows, 2 users, 2024-04-01 → 2024-04-02")
    assert ("no money column and no purchase-like event: pick a money column to get Revenue, LTV "
            "and MRR") in out


def test_an_unknown_sheet_is_refused_with_the_sheets_it_has(tmp_path, workbook, capsys):
    db = str(tmp_path / "store")
    assert main(["ingest", str(workbook), "--db", db, "--sheet", "Refunds"]) == 2
    err = capsys.readouterr().err
    assert err == ("northstar: No sheet named 'Refunds': shop.xlsx has the sheets 'Orders', 'Visits'. "
                   "Choose one with --sheet NAME (CLI) or in Read options (Data page).\n")


def test_a_sheet_with_a_repeated_column_name_is_refused(store, tmp_path):
    path = write_xlsx(tmp_path / "twice.xlsx", {"S": [["user_id", "timestamp", "User_ID"],
                                                      ["u1", datetime(2024, 1, 1), "x"]]})
    with pytest.raises(Exception, match="has two columns named 'User_ID'"):
        ingest_file(store, path)


def test_the_data_page_takes_an_xlsx_upload(tmp_path, monkeypatch, workbook):
    monkeypatch.setenv(DB_ENV, str(tmp_path / "app"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/1_Data.py").run()
    at.file_uploader(key="upload").set_value(("shop.xlsx", workbook.read_bytes(), "application/"
                                              "vnd.openxmlformats-officedocument.spreadsheetml.sheet")).run()
    assert not at.exception, at.exception
    assert list(at.dataframe[0].value.columns) == ["customer_id", "order_date", "event", "revenue"]
    at.text_input(key=next(w.key for w in at.text_input if w.key.endswith("-sheet"))).set_value(
        "Visits").run()
    assert list(at.dataframe[0].value.columns) == ["visitor", "time", "page"]
