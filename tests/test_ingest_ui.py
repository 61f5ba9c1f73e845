"""Ingest item 6: the Data page's read options re-read the preview live; Add to this dataset; the
health section after a load (AppTest)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from northstar.store.core import DB_ENV, Store
from tests.conftest import fixture
from tests.test_pages import app

TIMEOUT = 30


def _flow() -> None:
    import os
    from pathlib import Path

    from northstar.store.core import Store
    from northstar.ui import loader

    loader.load_flow(Store(os.environ["NORTHSTAR_TEST_DB"]), Path(os.environ["NORTHSTAR_TEST_FILE"]),
                     "ingest_cdnow.txt", "k")


@pytest.fixture
def flow(tmp_path, monkeypatch):
    monkeypatch.setenv("NORTHSTAR_TEST_DB", str(tmp_path / "store"))
    monkeypatch.setenv("NORTHSTAR_TEST_FILE", str(fixture("ingest_cdnow.txt")))
    return AppTest.from_function(_flow, default_timeout=TIMEOUT)


def test_read_options_reread_the_preview_and_load(flow, tmp_path):
    at = flow.run()
    assert not at.exception
    assert list(at.dataframe[0].value.columns) == ["customer_id", "date", "number_of_cds",
                                                  "dollar_value"]
    at.selectbox(key="k-delimiter").set_value("Comma ,").run()
    assert list(at.dataframe[0].value.columns) == ["customer_id  date number_of_cds  dollar_value"]
    assert any("is it separated by spaces or tabs?" in c.value for c in at.caption)
    at.selectbox(key="k-delimiter").set_value("Spaces (whitespace-aligned)").run()
    at.text_input(key="k-date-format").set_value("%Y%m%d").run()
    assert len(at.dataframe[0].value.columns) == 4
    at.button(key="k-load").click().run()
    store = Store(tmp_path / "store")
    loaded = store.dataset("ingest_cdnow")
    assert (loaded.rows, loaded.users) == (8, 4)
    assert loaded.mapping["read_options"]["delimiter"] == "whitespace"
    assert loaded.mapping["read_as"]["timestamp"] == "dates like %Y%m%d (as chosen)"
    store.close()


def test_add_to_this_dataset(flow, tmp_path):
    at = flow.run()
    assert not any(c.key == "k-append" for c in at.checkbox)  # nothing to add to yet
    at.button(key="k-load").click().run()
    at = flow.run()
    at.checkbox(key="k-append").check().run()
    at.button(key="k-load").click().run()
    assert not at.exception
    store = Store(tmp_path / "store")
    both = store.dataset("ingest_cdnow")
    assert both.rows == 8
    assert both.mapping["appends"] == [{"source": "ingest_cdnow.txt", "new": 0, "already_there": 8,
                                        "matched_on": "whole event rows"}]
    store.close()


def test_data_page_shows_the_health_report(tmp_path, monkeypatch):
    from northstar.ingest.load import ingest_file

    db = tmp_path / "app"
    monkeypatch.setenv(DB_ENV, str(db))
    store = Store(db)
    ingest_file(store, fixture("ingest_health.csv"), overrides={"user_id": "user_id"})
    store.close()
    at = app("pages/1_Data.py").run()
    assert not at.exception
    warnings = [w.value for w in at.warning]
    assert any("6 empty days inside the span" in w and "2024-W10" in w for w in warnings)
    assert any("Data health" in m.value and "4 of 6 checks" in m.value for m in at.markdown)
