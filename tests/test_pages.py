"""Page tests with Streamlit's AppTest: each page renders, shows the right numbers, and acts."""

from __future__ import annotations

import shutil

import pytest
from streamlit.testing.v1 import AppTest

from northstar.ingest.load import ingest_file
from northstar.store.core import DB_ENV, Store
from tests.conftest import ROOT, fixture

TIMEOUT = 30


@pytest.fixture
def db(tmp_path, monkeypatch):
    path = tmp_path / "app"
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
    assert metrics(at) == {"Events": "6", "Users": "3", "First event": "1 Jan 2024",
                           "Last event": "8 Jan 2024"}


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
    # Active users: the SQL that runs, counting the stored (week, user) activity rows.
    assert "count(*) AS users_0" in at.code[0].value
    assert '"activity_week" a' in at.code[0].value
    at.segmented_control(key="grain").set_value("month").run()
    assert '"activity_month" a' in at.code[0].value and "date_trunc('month'" in at.code[0].value


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
    from northstar.metrics.candidates import saved_candidates
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


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    """The demo loaded once per module; tests copy the store folder (a load takes ~0.5 s, a copy ~none)."""
    from northstar.ingest.load import load_demo

    path = tmp_path_factory.mktemp("demo") / "demo"
    store = Store(path)
    load_demo(store)
    store.close()
    return path


def compare_page(db, demo_store) -> AppTest:
    shutil.copytree(demo_store, db, dirs_exist_ok=True)
    return app("pages/3_Compare.py").run()


def test_compare_page_ranks_the_demo_planted_leader_first(db, demo_store):
    at = compare_page(db, demo_store)
    assert not at.exception and not at.error
    assert at.title[0].value == ":material/compare_arrows: Compare"
    assert at.selectbox(key="compare_outcome").value == "Revenue"
    ranking = at.dataframe[0].value
    assert list(ranking.columns) == ["rank", "metric", "verdict", "best lag", "r on changes", "r on levels",
                                     "p", "q", "Granger p", "volatility", "source"]
    top = ranking.iloc[0]
    assert (top["metric"], top["best lag"], top["verdict"], top["source"]) == (
        "Users who did report_shared", 3, "leading by 3 weeks", "suggestion")
    assert "leads Revenue by 3 weeks" in at.success[0].value
    # The user-level lift of the leader, under the headline and again beside the chosen candidate.
    said = [m.value for m in at.markdown if "as likely to buy within 3 weeks" in m.value]
    assert len(said) == 2 and said[0].startswith("Users who did report_shared in a week were ")
    assert "compared within light, medium and heavy users" in said[0]
    # The demo's weekly revenue is noisy: no turn is 4 times its weekly noise, and the page says so.
    turns = [m.value for m in at.markdown if m.value.startswith("Backtest of turns: ")]
    assert turns == ["Backtest of turns: Revenue has no turn large enough to backtest Users who did "
                     "report_shared on."]
    assert at.selectbox(key="compare_candidate:Revenue").value == "Users who did report_shared"
    assert len(at.get("plotly_chart")) == 4  # lines, cross-correlation, scatter, small multiples
    assert {b.label for b in at.get("download_button")} == {
        "Download the ranking (CSV)", "Download this candidate's chart data (CSV)"}


def test_compare_page_reranks_when_outcome_or_max_lag_change(db, demo_store):
    at = compare_page(db, demo_store)
    at.selectbox(key="compare_outcome").select("Active users").run()
    assert not at.exception
    ranking = at.dataframe[0].value
    assert "Active users" not in set(ranking["metric"]) and "Revenue" in set(ranking["metric"])
    assert at.selectbox(key="compare_candidate:Active users").value == ranking.iloc[0]["metric"]
    at.selectbox(key="compare_outcome").select("Revenue").run()
    at.number_input(key="compare_max_lag").set_value(2).run()
    assert not at.exception
    ranking = at.dataframe[0].value
    assert ranking["best lag"].max() <= 2
    at.toggle(key="compare_shift").set_value(False).run()
    at.selectbox(key="compare_candidate:Revenue").select("Transactions").run()
    assert not at.exception
    assert any("part of Revenue itself" in m.value for m in at.markdown)


def test_compare_page_keeps_a_suggestion(db, demo_store):
    at = compare_page(db, demo_store)
    at.button(key="compare_keep").click().run()
    assert not at.exception
    assert "Kept Users who did report_shared" in at.success[0].value
    assert at.dataframe[0].value.iloc[0]["source"] == "kept suggestion"
    assert not any(b.key == "compare_keep" for b in at.button)
    store = Store(db)
    from northstar.metrics.candidates import saved_candidates
    names = [s.name for s in saved_candidates(store, store.dataset())]
    store.close()
    assert "Users who did report_shared" in names


def test_compare_page_says_when_the_data_is_too_short(db):
    loaded(db, "metrics_tiny.csv")  # 4 weeks
    at = app("pages/3_Compare.py").run()
    assert not at.exception and not at.error
    verdicts = set(at.dataframe[0].value["verdict"])
    assert "not enough data" in verdicts and verdicts <= {"not enough data", "part of the outcome"}
    assert "Not enough data" in at.warning[0].value


@pytest.mark.parametrize("script", ["app.py", "pages/1_Data.py", "pages/4_Workshop.py"])
def test_a_damaged_store_is_one_message_on_the_page(db, script):
    db.write_bytes(b"not a store at all")
    at = app(script).run()
    assert not at.exception
    assert [e.value.splitlines()[0] for e in at.error] == ["**Not a Northstar store**"]
    assert "--db" in at.error[0].value
