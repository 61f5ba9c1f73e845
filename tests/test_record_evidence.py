"""The decision record's evidence carries the chosen NSM's user-level lift and backtest of turns."""

from __future__ import annotations

from datetime import datetime

import pytest

from northstar.ingest.load import load_demo
from northstar.metrics import MetricSpec, compute, save_candidate
from northstar.report import record
from northstar.report.evidence import workshop_evidence
from northstar.store import Store

SHARERS = MetricSpec(name="Sharers", kind="active_users", events=("report_shared",))


@pytest.fixture(scope="module")
def evidence(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("evidence") / "demo")
    dataset = load_demo(store)
    save_candidate(store, dataset, SHARERS)
    yield workshop_evidence(store, dataset, ["Sharers", "Active users"], compute, chosen="Sharers")
    store.close()


def test_the_chosen_nsm_gets_its_lift_and_turns_in_both_languages(evidence):
    assert evidence is not None and evidence.outcome == "Revenue"
    chosen, other = evidence.rows()
    assert chosen["user_lift"].startswith("Users who did report_shared in a week were ")
    assert "as likely to buy within 3 weeks" in chosen["user_lift"]
    assert chosen["user_lift_i18n"]["sv"].startswith("Användare som gjorde report_shared en vecka var ")
    assert chosen["turns"] == "Revenue has no turn large enough to backtest Sharers on."
    # Revenue is Northstar's own name: said in Swedish too.
    assert chosen["turns_i18n"]["sv"] == "Intäkter har ingen vändpunkt stor nog att testa Sharers mot."
    assert not {"user_lift", "turns"} & set(other)  # only the chosen one


def test_the_record_shows_them_as_columns_in_the_reader_s_language(evidence):
    rows = evidence.rows()
    decided = record.DecisionRecord("Q3", datetime(2026, 3, 1), "Sharers", "Users who shared", "Why.",
                                    evidence=tuple(rows))
    md = record.decision_markdown(decided)
    assert ("| Metric | Outcome | Verdict | Best lag | Corr changes | P value | User-level lift "
            "| Backtest of turns |") in md
    assert "Users who did report\\_shared in a week were " in md and "_i18n" not in md
    swedish = record.decision_markdown(decided, lang="sv")
    assert "Användare som gjorde report\\_shared en vecka var " in swedish
    assert "Intäkter har ingen vändpunkt stor nog att testa Sharers mot." in swedish
    assert "| Lyft på användarnivå | Test av vändpunkter bakåt i tiden |" in swedish
