"""The Compare side in Swedish: verdict sentences, the Compare page (AppTest), Northstar's own names in a
frozen decision record; the English the CLI prints stays as it was."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from northstar import report
from northstar import workshop as ws
from northstar.analysis import compare
from northstar.analysis.verdicts import verdict
from northstar.i18n import use_language
from northstar.ingest.load import ingest_file, load_demo
from northstar.store import DB_ENV, Store
from tests.conftest import fixture
from tests.test_i18n import _english_left
from tests.test_pages import app

WEEKLY = {"grain": "week", "transform": "diff", "needed": 46, "corr_levels": 0.9}


def test_verdict_sentences_in_swedish():
    with use_language("sv"):
        # 3 weeks ahead; p below a thousandth is written "p < 0,001" with the Swedish decimal comma.
        assert verdict("leading", outcome="Intäkter", n_periods=60, best_lag=3, corr_changes=0.6234,
                       p_value=0.0004, **WEEKLY) == \
            "leder Intäkter med 3 veckor (r = 0,62 på förändringar vecka för vecka, p < 0,001)"
        # one week: the singular "vecka" (ngettext), not "1 veckor"
        assert verdict("leading", outcome="Intäkter", n_periods=60, best_lag=1, corr_changes=0.41,
                       p_value=0.012, **WEEKLY) == \
            "leder Intäkter med 1 vecka (r = 0,41 på förändringar vecka för vecka, p = 0,012)"
        assert verdict("coincident", outcome="Intäkter", grain="month", transform="diff", n_periods=30,
                       needed=28, best_lag=0, corr_changes=0.45, p_value=0.0123, corr_levels=0.5) == (
            "rör sig med Intäkter i samma månad: samtidig, ingen tidig varning "
            "(r = 0,45 på förändringar månad för månad, p = 0,012)")
        # 14 weeks < 3 × 12 + 10 = 46
        assert verdict("too_short", outcome="Intäkter", n_periods=14, best_lag=None, corr_changes=None,
                       p_value=None, **WEEKLY) == \
            "för lite data: 14 veckor, behöver minst 46 (3 × största fördröjning + 10)"
        assert verdict("part_of_outcome", outcome="Intäkter", n_periods=14, best_lag=None,
                       corr_changes=None, p_value=None, **WEEKLY) == \
            "en del av själva Intäkter: byggd av samma händelser, så den kan inte varna i förväg"
    # The same call in English is the sentence the CLI has always printed.
    assert verdict("leading", outcome="Revenue", n_periods=60, best_lag=3, corr_changes=0.6234,
                   p_value=0.0004, **WEEKLY) == \
        "leads Revenue by 3 weeks (r = 0.62 on week-over-week changes, p < 0.001)"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo"
    with Store(path) as store:
        load_demo(store)
    return path


def test_the_ranking_names_the_outcome_in_the_readers_language(demo):
    with Store(demo) as store:
        dataset = store.dataset()
        with use_language("sv"):
            swedish = compare(store, dataset, "Revenue")
        english = compare(store, dataset, "Revenue")
    top_sv, top_en = swedish.results[0], english.results[0]
    assert top_sv.metric == top_en.metric == "Users who did report_shared"  # the saved name, unchanged
    assert top_en.verdict.startswith("leads Revenue by 3 weeks (r = ")
    assert top_sv.verdict.startswith("leder Intäkter med 3 veckor (r = ")
    assert "Revenue" not in " ".join(r.verdict for r in swedish.results)
    assert [r.kind for r in swedish.results] == [r.kind for r in english.results]


# Words of the page's English that must not be left on the Swedish page (metric names are data: the
# demo's events such as report_shared stay as they are).
ENGLISH = re.compile(r"\b(leads?|leading|weeks?|changes|Revenue|Users who did|Active users|outcome|"
                     r"candidates?|Download|Keep|Shift|lag|verdict|not enough|coincident|Cross-correlation|"
                     r"vs|same|earlier|apart|Index)\b")


def _texts(at) -> list[str]:
    return [str(e.value) for e in (*at.title, *at.subheader, *at.caption, *at.markdown, *at.success,
                                   *at.info, *at.warning)]


def test_the_compare_page_in_swedish(tmp_path, monkeypatch, demo):
    shutil.copytree(demo, tmp_path / "app")
    monkeypatch.setenv(DB_ENV, str(tmp_path / "app"))
    at = app()
    at.query_params["lang"] = "sv"
    at.run().switch_page("pages/3_Compare.py").run()
    assert not at.exception and not at.error
    assert at.title[0].value == ":material/compare_arrows: Jämför"
    assert [s.value for s in at.subheader] == ["En kandidat på nära håll", "Alla kandidater mot Intäkter"]
    assert not _english_left(at), _english_left(at)
    labels = [w.label for w in (*at.selectbox, *at.number_input, *at.toggle, *at.button,
                                *at.get("download_button"))]
    assert {"Utfall", "Största fördröjning", "Kandidat", "Förskjut kurvan",
            "Ladda ner rangordningen (CSV)"} <= set(labels), labels
    left = [text for text in [*labels, *_texts(at)] if ENGLISH.search(text.replace("report_shared", ""))]
    assert not left, left
    ranking = at.dataframe[0].value
    assert ranking.iloc[0]["verdict"] == "leder med 3 veckor"
    assert ranking.iloc[0]["metric"] == "Användare som gjorde report_shared"
    shown_verdicts = " ".join(ranking["verdict"])
    assert not ENGLISH.search(shown_verdicts), shown_verdicts
    assert "Intäkter" in at.success[0].value and "leder Intäkter med 3 veckor" in at.success[0].value
    headings = json.loads(at.dataframe[0].proto.columns)
    assert {headings[key]["label"] for key in ("verdict", "best lag", "source")} == {
        "utlåtande", "bästa fördröjning", "källa"}
    charts = " ".join(json.dumps(json.loads(chart.proto.spec), ensure_ascii=False)
                      for chart in at.get("plotly_chart"))
    assert "Korskorrelation av förändringar vecka för vecka" in charts and "Försprång (veckor)" in charts
    assert "Cross-correlation" not in charts and "(outcome" not in charts and "Lead (weeks)" not in charts


def test_northstars_own_names_show_in_the_records_language(tmp_path):
    with Store(tmp_path / "store") as store:
        dataset = ingest_file(store, fixture("metrics_tiny.csv"))
        shortlist = [("Active users", "Alla aktiva."), ("Returning users", "")]
        workshop = ws.create_workshop(store, "Q3", shortlist, "Zq7#pw", dataset=dataset.name, lang="sv")
        ann = ws.join(store, workshop.code, "Ann")
        ws.set_scores(store, workshop.code, "Ann", "Active users", dict.fromkeys(ws.CRITERION_KEYS, 4),
                      secret=ann.secret)
        ws.set_votes(store, workshop.code, "Ann", {"Active users": 3}, secret=ann.secret)
        report.lock_and_freeze(store, workshop.code, "Zq7#pw", "Active users", "Alla aktiva.",
                               "Den fångar värdet.", host=workshop.host_secret)
        frozen = report.frozen_record(store, workshop.code)
    assert frozen.nsm == "Active users"  # the record keeps the saved name
    assert frozen.names["Active users"] == ("Active users", {})
    swedish, english = report.decision_markdown(frozen), report.decision_markdown(frozen, lang="en")
    assert "## Vår North Star Metric: Antal aktiva användare" in swedish
    assert "Active users" not in swedish
    assert "## Our North Star Metric: Active users" in english and "Antal aktiva" not in english
    # The evidence's verdict follows the language it is rendered in (4 weeks: too short to tell).
    assert "för lite data: 4 veckor" in swedish and "not enough data: 4 weeks" in english
    html = report.decision_html(frozen)
    assert "Antal aktiva användare" in html and ">Active users<" not in html


def test_names_people_typed_stay_as_typed_in_the_record():
    from datetime import date

    record = report.DecisionRecord(
        "Q3", date(2026, 3, 1), "Active users", "Alla.", "Why.", participants=("Ann",),
        evidence=({"metric": "Active users", "verdict": "leads Revenue by 2 weeks"},
                  {"metric": "Users who did share", "verdict": "no lead found"},
                  {"metric": "Sharers", "verdict": "no lead found"}),
        names={"Active users": ("Active users", {}),
               "Users who did share": ("Users who did {event}", {"event": "share"})})
    shown = report.decision_markdown(record, lang="sv")  # a record renders in its language or `lang`
    assert "Antal aktiva användare" in shown and "Användare som gjorde share" in shown
    assert "| Sharers |" in shown  # typed by someone: as typed
    assert "leads Revenue by 2 weeks" in shown  # a row without translations keeps its words
    again = report.from_snapshot(report.to_snapshot(record))
    assert again.names == record.names
