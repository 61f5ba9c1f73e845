"""Ingest item 1: text layouts and encodings detected from the content, overrides, money roles, notes."""

from __future__ import annotations

import gzip
import shutil
import subprocess
import sys
from datetime import datetime

import pytest

from northstar.errors import NorthstarError
from northstar.ingest import ReadOptions
from northstar.ingest.load import ingest_file, preview
from northstar.ingest.roles import looks_like_money, resolve_mapping
from tests.conftest import ROOT, fixture

CDNOW = "ingest_cdnow.txt"
# Hand-checked from the fixture: 8 lines, 4 customers, 11.77 + 12.00 + 77.00 + 20.76 + 20.76 +
# 19.54 + 29.33 + 29.73 = 220.89.
CDNOW_TOTALS = (8, 4, datetime(1997, 1, 1), datetime(1997, 4, 2), 220.89)


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "northstar", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def _totals(store, dataset):
    with store.events(dataset) as cur:
        cur.execute(f"SELECT round(sum(amount), 2) FROM {dataset.events_view}")
        amount = cur.fetchone()[0]
    return dataset.rows, dataset.users, dataset.first_ts, dataset.last_ts, amount


def test_whitespace_aligned_cdnow_loads_with_yyyymmdd_dates_and_dollar_value(store):
    dataset = ingest_file(store, fixture(CDNOW))
    assert _totals(store, dataset) == CDNOW_TOTALS
    assert dataset.mapping["delimiter"] == "whitespace"
    assert dataset.mapping["roles"]["amount"] == "dollar_value"
    assert dataset.mapping["read_as"]["timestamp"] == "dates like %Y%m%d"
    assert dataset.properties == ("number_of_cds",)
    with store.events(dataset) as cur:  # ids keep their leading zeros
        cur.execute(f"SELECT list(DISTINCT user_id ORDER BY user_id) FROM {dataset.events_view}")
        assert cur.fetchone()[0] == ["00001", "00002", "00003", "00004"]
    assert "columns are separated by runs of spaces (whitespace-aligned text)" in dataset.notes


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig", "latin-1"])
def test_encodings_are_detected(store, tmp_path, encoding):
    path = tmp_path / "export.csv"
    path.write_bytes("user_id,timestamp,event\nJosé,2024-01-01,a\nZoë,2024-01-02,b\n".encode(encoding))
    dataset = ingest_file(store, path)
    assert (dataset.rows, dataset.users) == (2, 2)
    with store.events(dataset) as cur:
        cur.execute(f"SELECT list(user_id ORDER BY ts) FROM {dataset.events_view}")
        assert cur.fetchone()[0] == ["José", "Zoë"]
    assert dataset.mapping["encoding"] == {"utf-16": "utf-16", "utf-8-sig": "utf-8",
                                           "latin-1": "latin-1"}[encoding]


def test_forcing_a_delimiter_that_gives_one_column_says_so(store):
    with pytest.raises(NorthstarError) as err:
        ingest_file(store, fixture(CDNOW), options=ReadOptions.parse(delimiter=","))
    assert err.value.title == "Read as one column"
    assert "is it separated by spaces or tabs?" in err.value.detail
    found = preview(store, fixture(CDNOW), options=ReadOptions.parse(delimiter=","))
    assert list(found.rows.columns) == ["customer_id  date number_of_cds  dollar_value"]
    assert any("is it separated by spaces or tabs?" in n for n in found.proposal.notes)


def test_overrides_no_header_skip_rows_date_format(store, tmp_path):
    path = tmp_path / "raw.txt"
    path.write_text("exported by tool X\nu1|01.02.2024|5,00\nu2|03.02.2024|7,50\n", encoding="utf-8")
    options = ReadOptions.parse(delimiter="|", header=False, skip=1, date_format="%d.%m.%Y")
    dataset = ingest_file(store, path, options=options,
                          overrides={"user_id": "column1", "timestamp": "column2", "amount": "column3"})
    assert (dataset.rows, dataset.users, dataset.first_ts, dataset.last_ts) == (
        2, 2, datetime(2024, 2, 1), datetime(2024, 2, 3))
    assert dataset.mapping["read_as"]["timestamp"] == "dates like %d.%m.%Y (as chosen)"
    with store.events(dataset) as cur:
        cur.execute(f"SELECT sum(amount) FROM {dataset.events_view}")
        assert cur.fetchone()[0] == 12.5


def test_bad_override_values_are_refused():
    with pytest.raises(NorthstarError, match="not a delimiter"):
        ReadOptions.parse(delimiter="::")
    with pytest.raises(NorthstarError, match="utf-8, utf-16 or latin-1"):
        ReadOptions.parse(encoding="ebcdic")
    assert ReadOptions.parse(delimiter="tab").delimiter == "\t"
    assert ReadOptions.parse(delimiter="spaces", encoding="UTF16").as_dict()["encoding"] == "utf-16"


@pytest.mark.parametrize(("column", "found"), [
    ("dollar_value", "dollar_value"), ("revenue_usd", "revenue_usd"), ("EUR_amount", "EUR_amount"),
    ("Net", "Net"), ("gross", "gross"), ("sales", "sales"), ("price_sek", "price_sek"),
    ("paid_eur", "paid_eur"), ("quantity", None)])
def test_money_columns_by_name(column, found):
    assert resolve_mapping(["user_id", "time", column]).source("amount") == found


def test_money_by_content_when_no_name_says_so():
    samples = {"user_id": ["u1", "u2"], "time": ["2024-01-01", "2024-01-02"],
               "paid": ["12.00", "7.50", "100.00"], "qty": ["1", "2", "3"]}
    mapping = resolve_mapping(list(samples), samples=samples)
    assert mapping.source("amount") == "paid"
    assert "amount taken from 'paid': its values look like money (e.g. '12.00')" in mapping.notes
    assert looks_like_money(["$12", "$7.5"]) and looks_like_money(["12,00 €", "3,50 €"])
    assert not looks_like_money(["1", "2", "3"]) and not looks_like_money(["0.123", "2.5"])


def test_every_missing_role_gets_a_note_saying_what_it_unlocks(store):
    dataset = ingest_file(store, fixture("bom.csv"))
    notes = " | ".join(dataset.notes)
    assert ("no money column and no purchase-like event: pick a money column to get Revenue, LTV "
            "and MRR") in notes
    assert "no duration column" in notes and "no NPS column" in notes


def test_file_names_are_taken_literally(store, tmp_path):
    (tmp_path / "what?.csv").write_text("user_id,timestamp\nu1,2024-01-01\n", encoding="utf-8")
    (tmp_path / "whatX.csv").write_text("user_id,timestamp\nu2,2024-01-01\nu3,2024-01-02\n",
                                        encoding="utf-8")
    dataset = ingest_file(store, tmp_path / "what?.csv")
    assert (dataset.name, dataset.rows) == ("what?", 1)


def test_truncated_gzip_is_refused(store, tmp_path):
    whole = tmp_path / "cdnow.txt.gz"
    with fixture(CDNOW).open("rb") as src, gzip.open(whole, "wb") as dst:
        shutil.copyfileobj(src, dst)
    assert _totals(store, ingest_file(store, whole, dataset="main")) == CDNOW_TOTALS
    cut = tmp_path / "cut.txt.gz"
    cut.write_bytes(whole.read_bytes()[:-12])
    with pytest.raises(NorthstarError, match="truncated gzip"):
        ingest_file(store, cut, dataset="main")
    assert store.dataset("main").rows == 8


def test_cli_flags_and_notes(tmp_path):
    db = str(tmp_path / "s")
    result = run("ingest", str(fixture(CDNOW)), "--db", db)
    assert result.returncode == 0, result.stderr
    assert "Loaded ingest_cdnow: 8 rows, 4 users, 1997-01-01 → 1997-04-02" in result.stdout
    assert "- no duration column: pick one" in result.stdout
    forced = run("ingest", str(fixture(CDNOW)), "--db", db, "--delimiter", ",", "--dataset", "x")
    assert forced.returncode == 2
    assert forced.stderr.count("\n") == 1 and "is it separated by spaces or tabs?" in forced.stderr
    fixed = run("ingest", str(fixture(CDNOW)), "--db", db, "--delimiter", "whitespace",
                "--encoding", "utf-8", "--date-format", "%Y%m%d", "--dataset", "y")
    assert fixed.returncode == 0, fixed.stderr
    assert "8 rows" in fixed.stdout
