"""Page tests with Streamlit's AppTest: each page renders, shows the right numbers, and acts."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from northstar.ingest import ingest_file
from northstar.store import DB_ENV, Store
from tests.conftest import ROOT, fixture

TIMEOUT = 30


@pytest.fixture
def db(tmp_path, monkeypatch):
    path = tmp_path / "app.duckdb"
    monkeypatch.setenv(DB_ENV, str(path))
    return path


def loaded(db, *names: str) -> None:
    """Load fixtures into the store the app will open, then let go of the file."""
    store = Store(db)
    for name in names:
        ingest_file(store, fixture(name))
    store.close()


def app(page: str | None = None) -> AppTest:
    """The app from its home page, optionally switched to `page` (so page links resolve)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    if page:
        at.run().switch_page(page)
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_home_without_data_offers_the_demo(db):
    at = app().run()
    assert not at.exception
    assert at.title[0].value == ":material/star: Northstar"
    assert any("No data yet" in s.value for s in at.subheader)
    assert at.button[0].label == "Load the demo dataset"


def test_home_shows_the_active_dataset(db):
    loaded(db, "mixpanel.csv")
    at = app().run()
    assert not at.exception
    assert "Active dataset: mixpanel" in at.subheader[0].value
    assert metrics(at) == {"Events": "6", "Users": "3", "First event": "01 Jan 2024",
                           "Last event": "08 Jan 2024"}


def test_data_page_summarises_the_dataset(db):
    loaded(db, "mixpanel.csv")
    at = app("pages/1_Data.py").run()
    assert not at.exception
    assert metrics(at)["Events"] == "6"
    catalogue = at.dataframe[0].value
    assert list(catalogue["event"]) == ["Sign Up", "Purchase", "Report Shared"]
    assert list(catalogue["events"]) == [3, 2, 1]
    assert list(catalogue["users"]) == [3, 2, 1]
    assert list(catalogue["share_of_users"]) == [1.0, 2 / 3, 1 / 3]
    assert len(at.get("plotly_chart")) == 1


def test_data_page_switches_and_deletes_datasets(db):
    loaded(db, "mixpanel.csv", "stripe.csv")
    at = app("pages/1_Data.py").run()
    assert at.subheader[0].value == "Dataset “stripe”"
    at.selectbox(key="switch_to").select("mixpanel").run()
    at.button[0].click().run()  # Switch
    assert not at.exception
    assert at.subheader[0].value == "Dataset “mixpanel”"
    at.selectbox(key="delete_which").select("stripe").run()
    at.checkbox(key="delete_confirm").check().run()
    next(b for b in at.button if b.label == "Delete dataset").click().run()
    assert not at.exception
    store = Store(db)
    assert [d.name for d in store.datasets()] == ["mixpanel"]
    store.close()


def test_sidebar_picker_switches_the_active_dataset(db):
    loaded(db, "mixpanel.csv", "stripe.csv")
    at = app().run()
    at.selectbox(key="sidebar_dataset").select("mixpanel").run()
    assert "Active dataset: mixpanel" in at.subheader[0].value


def test_candidates_page_shows_defaults_and_their_sql(db):
    loaded(db, "metrics_tiny.csv")
    at = app("pages/2_Candidates.py").run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 1
    labels = [e.label for e in at.expander]
    assert labels[0].startswith("**Active users**") and any("**Revenue**" in x for x in labels)
    assert "count(DISTINCT user_id)" in at.code[0].value
    at.segmented_control(key="grain").set_value("month").run()
    assert "date_trunc('month'" in at.code[0].value


def test_candidates_page_adds_a_custom_candidate_with_live_preview(db):
    loaded(db, "metrics_tiny.csv")
    at = app("pages/2_Candidates.py").run()
    at.segmented_control(key="candidates_view").set_value("Add or edit").run()
    at.text_input(key="editor-new-name").input("Signups").run()
    at.selectbox(key="editor-new-kind").select("custom").run()
    at.text_area(key="editor-new-expr").input("count(*) FILTER (WHERE event = 'signup')").run()
    assert not at.exception and not at.error
    assert any(c.value.startswith("Custom expression: count(*)") for c in at.caption)
    next(b for b in at.button if b.label == "Save candidate").click().run()
    assert not at.exception
    store = Store(db)
    from northstar.candidates import saved_candidates
    saved = saved_candidates(store, store.dataset())
    store.close()
    assert saved[-1].name == "Signups" and saved[-1].kind == "custom"


def test_candidates_page_refuses_a_bad_expression(db):
    loaded(db, "metrics_tiny.csv")
    at = app("pages/2_Candidates.py").run()
    at.segmented_control(key="candidates_view").set_value("Add or edit").run()
    at.text_input(key="editor-new-name").input("Sneaky").run()
    at.selectbox(key="editor-new-kind").select("custom").run()
    at.text_area(key="editor-new-expr").input("(SELECT count(*) FROM datasets)").run()
    assert "Expression not allowed" in at.error[0].value
    assert next(b for b in at.button if b.label == "Save candidate").disabled


def test_candidates_page_edit_delete_and_keep_a_suggestion(db):
    loaded(db, "metrics_tiny.csv")
    at = app("pages/2_Candidates.py").run()
    at.button(key="delete-NPS").click().run()
    assert not any("**NPS**" in e.label for e in at.expander)
    at.button(key="edit-Revenue").click().run()
    assert at.session_state["candidates_view"] == "Add or edit"
    assert at.text_input(key="editor-Revenue-name").value == "Revenue"
    at.segmented_control(key="candidates_view").set_value("Suggestions").run()
    at.button(key="keep-Users who did signup").click().run()
    assert not at.exception
    at.segmented_control(key="candidates_view").set_value("Definitions and SQL").run()
    assert any("**Users who did signup**" in e.label for e in at.expander)
