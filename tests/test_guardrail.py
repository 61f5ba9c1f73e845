"""The counter-metric: planted series that move against the NSM, the natural pair by kind, the record."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from northstar import report
from northstar import workshop as ws
from northstar.analysis.guardrail import against, suggest_counter_metric
from northstar.i18n import use_language
from northstar.metrics.specs import MetricSpec
from northstar.report import record
from northstar.store.core import Store
from tests.test_pages import db, demo_store  # noqa: F401 - fixtures
from tests.test_scorecard_pages import _demo_workshop
from tests.test_workshop_pages import PIN, errors, in_store, opened

NSM = MetricSpec("Time spent", "engagement", events=("session",))
HARM = MetricSpec("Happy users", "active_users", events=("happy",))
NOISE = MetricSpec("Exports", "active_users", events=("export",))
NPS = MetricSpec("NPS", "nps", events=("nps_response",), role="outcome")
PERIODS = 40


def tidy(columns: dict[str, np.ndarray]) -> pd.DataFrame:
    weeks = pd.date_range("2024-01-01", periods=PERIODS, freq="7D")
    return pd.concat([pd.DataFrame({"period": weeks, "metric": k, "value": v, "partial": False})
                      for k, v in columns.items()], ignore_index=True)


def planted() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    steps = rng.normal(0, 1, PERIODS - 1)
    nsm = 100 + np.concatenate([[0], np.cumsum(steps)])
    # Happy users' change two weeks later is exactly minus the NSM's change: r = −1 at lag 2, on the
    # 39 − 2 = 37 pairs where both changes exist.
    harm_steps = np.concatenate([rng.normal(0, 1, 2), -steps[:-2]])
    harm = 200 + np.concatenate([[0], np.cumsum(harm_steps)])
    noise = 50 + np.concatenate([[0], np.cumsum(rng.normal(0, 1, PERIODS - 1))])
    nps = 30 + rng.normal(0, 1, PERIODS)
    return tidy({NSM.name: nsm, HARM.name: harm, NOISE.name: noise, NPS.name: nps})


def test_the_planted_anti_correlated_metric_is_the_guardrail():
    series = planted()
    r, lag, pairs = against(series, NSM.name, HARM.name, "week")
    assert (round(r, 6), lag, pairs) == (-1.0, 2, 37)
    found = suggest_counter_metric(series, NSM, [HARM, NOISE, NPS])
    assert found is not None and (found.metric, found.lag, found.by_kind) == ("Happy users", 2, False)
    assert found.sentence("Time spent", "Happy users") == (
        "When Time spent rises, Happy users tends to fall 2 weeks later (r = -1.00 on the changes, 37 "
        "periods).")
    with use_language("sv"):
        assert found.sentence("Tid", "Glada") == (
            "När Tid stiger brukar Glada sjunka 2 veckor senare (r = -1,00 på förändringarna, 37 perioder).")


def test_without_data_evidence_the_natural_pair_by_kind():
    series = planted()
    # Without the planted harm, nothing moves against time spent strongly: NPS is its natural pair.
    found = suggest_counter_metric(series, NSM, [NOISE, NPS])
    assert found is not None and (found.metric, found.by_kind, found.r) == ("NPS", True, None)
    assert found.sentence("Time spent", "NPS") == (
        "No data evidence that NPS moves against Time spent; suggested by kind: a usual guardrail for this "
        "kind of metric.")
    # Nothing to pair with: no suggestion rather than a made-up one.
    assert suggest_counter_metric(series, NSM, [NOISE]) is None


def test_a_metric_that_is_part_of_the_nsm_is_never_its_guardrail():
    series = planted().replace({"metric": {HARM.name: "Sessions"}})
    sessions = MetricSpec("Sessions", "transactions", events=("session",))  # the NSM's own events
    found = suggest_counter_metric(series, NSM, [sessions, NOISE, NPS])
    assert found is not None and found.metric == "NPS"


def _record(counter: dict | None) -> record.DecisionRecord:
    return record.DecisionRecord("W", datetime(2024, 5, 1, 9, 30), "Time spent", "Seconds per user", "Why",
                                 counter_metric=counter)


def test_the_record_renders_the_counter_metric_in_markdown_and_html():
    entry = {"metric": "Happy users", "r": -1.0, "lag": 2, "by_kind": False, "suggested": True,
             "sentence_i18n": {"en": "When Time spent rises, Happy users tends to fall 2 weeks later.",
                               "sv": "När Time spent stiger brukar Happy users sjunka 2 veckor senare."}}
    md = record.decision_markdown(_record(entry))
    assert ("## Counter-metric\n\n**Happy users**: When Time spent rises, Happy users tends to fall 2 weeks "
            "later.\n\nNorthstar suggested it; the facilitator kept it.") in md
    html = record.decision_html(_record(entry))
    assert ("<section><h2>Counter-metric</h2><p><strong>Happy users</strong>: When Time spent rises, Happy "
            "users tends to fall 2 weeks later.</p>") in html
    swedish = record.decision_markdown(_record(entry), lang="sv")
    assert "## Motmått\n\n**Happy users**: När Time spent stiger" in swedish
    assert "Counter-metric" not in record.decision_markdown(_record(None))
    assert "Counter-metric" not in record.decision_html(_record(None))


def test_the_record_lists_the_nsms_scorecard_in_its_language():
    rows = ({"criterion": "measurable", "score": 5,
             "basis_i18n": {"en": "Has data in 78 of 78 weeks (100%); no gaps.",
                            "sv": "Har data i 78 av 78 veckor (100 %); inga luckor."}},
            {"criterion": "long_term", "score": None,
             "basis_i18n": {"en": "Not enough data.", "sv": "För lite."}})
    rec = record.DecisionRecord("W", datetime(2024, 5, 1, 9, 30), "Sharers", "Def", "Why", scorecard=rows)
    md = record.decision_markdown(rec)
    assert ("### Sharers on the five criteria: evidence from the data, not a vote\n\n"
            "- **Measurable: 5 of 5**: Has data in 78 of 78 weeks (100%); no gaps.\n"
            "- **Long-term: –**: Not enough data.") in md
    assert "- **Mätbar: 5 av 5**: Har data i 78 av 78 veckor" in record.decision_markdown(rec, lang="sv")
    html = record.decision_html(rec)
    assert ("<li><strong>Measurable: 5 of 5</strong>: Has data in 78 of 78 weeks (100%); no gaps.</li>"
            in html)


@pytest.fixture
def locked(tmp_path):
    from northstar.ingest.load import ingest_file
    from tests.conftest import fixture

    store = Store(tmp_path / "store")
    dataset = ingest_file(store, fixture("metrics_tiny.csv"))
    workshop = ws.create_workshop(store, "Guarded", [("Active users", "Distinct users"),
                                                     ("Returning users", "Came back")], "Zq7#pw",
                                  dataset=dataset.name)
    ann = ws.join(store, workshop.code, "Ann")
    ws.set_votes(store, workshop.code, "Ann", {"Active users": 3}, secret=ann.secret)
    report.lock_and_freeze(store, workshop.code, "Zq7#pw", "Active users", "", "The room's pick.",
                           host=workshop.host_secret, counter_metric="Retention (active again next period)",
                           suggested_counter="Retention (active again next period)")
    yield store, workshop.code
    store.close()


def test_the_counter_metric_is_frozen_and_stays_after_the_data_changes(locked):
    store, code = locked
    snapshot = ws.snapshot_of(store, code)
    assert snapshot is not None
    counter = snapshot["counter_metric"]
    # 4 weeks are too short for data evidence: retention is the natural pair of active users.
    assert (counter["metric"], counter["by_kind"], counter["suggested"], counter["r"]) == (
        "Retention (active again next period)", True, True, None)
    assert counter["sentence_i18n"]["sv"].startswith("Inga belägg i data för att Kvarhållning")
    before = record.decision_markdown(report.frozen_record(store, code))
    assert ("## Counter-metric\n\n**Retention (active again next period)**: No data evidence that Retention "
            "(active again next period) moves against Active users") in before
    store.delete_dataset("metrics_tiny")
    after = report.frozen_record(store, code)
    assert record.decision_markdown(after) == before
    assert report.from_snapshot(report.to_snapshot(after)).counter_metric == after.counter_metric


def test_the_lock_form_suggests_a_counter_metric_the_facilitator_can_change(db, demo_store):  # noqa: F811
    code, _key, host = _demo_workshop(db, demo_store)
    at = opened(code, host=host)
    assert not at.exception and not errors(at)
    retention = "Retention (active again next period)"
    # Active users leads the room; nothing in the demo moves against it strongly: retention by kind.
    picker = at.selectbox(key=f"lock-counter-{code}-Active users")
    assert picker.label == "Counter-metric (guardrail)" and picker.value == retention
    assert any(c.value.startswith(f"Suggested. No data evidence that {retention} moves against Active "
                                  "users") for c in at.caption)
    # Time spent: retention falls three weeks after it rises, in the data.
    at.selectbox(key=f"lock-choice-{code}-Active users").select("Time spent per active user").run()
    picker = at.selectbox(key=f"lock-counter-{code}-Time spent per active user")
    assert picker.value == retention
    assert any(c.value.startswith(f"Suggested. When Time spent per active user rises, {retention} tends "
                                  "to fall 3 weeks later (r = -0.56 on the changes, 73 periods)")
               for c in at.caption), [c.value for c in at.caption]
    picker.select("NPS").run()
    assert any(c.value.startswith("No data evidence that NPS moves against Time spent per active user")
               for c in at.caption)
    at.text_area(key=f"lock-reason-{code}").input("Time is the value.")
    at.text_area(key=f"lock-rationale-{code}").input("Every team can move it.")
    at.text_input(key=f"lock-pin-{code}").input(PIN)
    at.button(key="lock").click().run()
    assert not at.exception and not errors(at)
    counter = in_store(db, lambda s: ws.snapshot_of(s, code))["counter_metric"]
    assert (counter["metric"], counter["suggested"], counter["by_kind"]) == ("NPS", False, True)
    # The record also keeps the NSM's five-criteria evidence, as the Workshop showed it.
    snapshot = in_store(db, lambda s: ws.snapshot_of(s, code))
    assert [(row["criterion"], row["score"]) for row in snapshot["scorecard"]] == [
        ("critical", 1), ("measurable", 5), ("understandable", 5), ("influenceable", 5), ("long_term", 1)]
    md = in_store(db, lambda s: record.decision_markdown(report.frozen_record(s, code)))
    assert ("### Time spent per active user on the five criteria: evidence from the data, not a vote\n\n"
            "- **Critical: 1 of 5**: No reliable link to Revenue") in md
