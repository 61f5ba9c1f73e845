"""Decision record: chosen NSM, scores, evidence and tree; user text escaped; nothing loaded from outside."""

from __future__ import annotations

import re
from datetime import datetime

import plotly.graph_objects as go
import pytest

from northstar import report
from northstar import tree as mt
from northstar import workshop as ws
from northstar.errors import NorthstarError
from northstar.report import record
from northstar.store.core import Store
from northstar.tree.render import NodeStatus

RATIONALE = "It leads revenue by 3 weeks.\n\n<script>alert('x')</script> & it is easy to explain."
EVIDENCE = [{"metric": "Weekly sharers", "verdict": "leads Revenue by 3 weeks", "best_lag": 3,
             "corr_changes": 0.61234},
            {"metric": "Signups | all", "verdict": "no lead found", "best_lag": None}]


@pytest.fixture(scope="module")
def decided(tmp_path_factory):
    """A locked workshop's record; the tests only read it."""
    store = Store(tmp_path_factory.mktemp("record") / "store")
    workshop = ws.create_workshop(store, "Q3 <NSM> workshop",
                                  [("Weekly sharers", "Users who shared a report this week"),
                                   ("Revenue", "Sum of purchases")], "Zq7#pw", dataset="demo")
    for name, sharers, revenue, dots in (("Ann", 5, 3, {"Weekly sharers": 3}),
                                         ("Bob", 2, 4, {"Weekly sharers": 1, "Revenue": 2})):
        key = ws.join(store, workshop.code, name).secret
        ws.set_scores(store, workshop.code, name, "Weekly sharers", dict.fromkeys(ws.CRITERION_KEYS, sharers),
                      secret=key)
        ws.set_scores(store, workshop.code, name, "Revenue", dict.fromkeys(ws.CRITERION_KEYS, revenue),
                      secret=key)
        ws.set_votes(store, workshop.code, name, dots, secret=key)
    ws.lock(store, workshop.code, "Zq7#pw", "Weekly sharers", "", RATIONALE, host=workshop.host_secret)
    tree = mt.new_tree("Weekly sharers", metric="Weekly sharers")
    tree = mt.add_node(tree, "nsm", "Returning users", team="Growth")
    mt.save_tree(store, "demo", tree)
    yield record.record_for_workshop(store, workshop.code, evidence=EVIDENCE,
                                     tree_values={"omtm-1": NodeStatus(560, 2.0, "leads by 2 weeks")})
    store.close()


def _chart() -> go.Figure:
    return go.Figure(go.Scatter(x=["2026-01-05", "2026-01-12"], y=[120, 135], name="Weekly sharers"),
                     layout={"title": {"text": "Weekly sharers </script><b>"}})


def test_record_collects_the_workshop(decided):
    assert (decided.workshop, decided.nsm, decided.definition) == (
        "Q3 <NSM> workshop", "Weekly sharers", "Users who shared a report this week")
    assert decided.participants == ("Ann", "Bob") and decided.dataset == "demo"
    assert decided.tree is not None and decided.tree.root.label == "Weekly sharers"
    assert list(decided.by_candidate["candidate"]) == ["Weekly sharers", "Revenue"]


def test_undecided_workshop_has_no_record(store):
    workshop = ws.create_workshop(store, "Open", [("A", ""), ("B", "")], "Zq7#pw")
    with pytest.raises(NorthstarError, match="not decided yet"):
        record.record_for_workshop(store, workshop.code)


def test_markdown_has_scores_table_evidence_and_mermaid(decided):
    md = record.decision_markdown(decided)
    assert md.startswith("# North Star Metric decision: Q3 \\<NSM\\> workshop\n")
    assert "## Our North Star Metric: Weekly sharers\n\n> Users who shared a report this week\n" in md
    assert "\\<script\\>alert('x')\\</script\\> \\& it is easy to explain." in md
    assert ("| Rank | Candidate | Critical | Measurable | Understandable | Influenceable | Long-term "
            "| Mean | Dots | Voters |\n|---:|:---|---:|---:|---:|---:|---:|---:|---:|---:|\n") in md
    # Ann 5, Bob 2 on every criterion → mean 3.5, 3 points apart → flagged; Revenue 3 and 4 → 3.5
    assert "| 1 | **Weekly sharers** (chosen) | 3.5 ⚠ | 3.5 ⚠ | 3.5 ⚠ | 3.5 ⚠ | 3.5 ⚠ | 3.5 | 4 | 2 |" in md
    assert "| 2 | Revenue | 3.5 | 3.5 | 3.5 | 3.5 | 3.5 | 3.5 | 2 | 1 |" in md
    assert "| Metric | Verdict | Best lag | Corr changes |\n|:---|:---|---:|---:|\n" in md
    assert "| Weekly sharers | leads Revenue by 3 weeks | 3 | 0.612 |" in md
    assert "| Signups \\| all | no lead found | – | – |" in md
    assert ('```mermaid\nflowchart TD\n    n0["Weekly sharers<br/>NSM"]\n'
            '    n1["Returning users<br/>OMTM, Growth · 560 (+2.0%)"]\n'
            '    n0 -->|"leads by 2 weeks"| n1\n') in md
    assert "- **Returning users** · OMTM, Growth · 560 (+2.0%) · leads by 2 weeks" in md
    assert md.count("```") == 2 and "![" not in md


def test_markdown_references_a_chart_png_and_skips_missing_parts():
    bare = record.DecisionRecord("Q3", datetime(2026, 3, 1), "Revenue", "Sum of purchases", "Money.",
                                 chart_png="charts/nsm trend.png")
    md = record.decision_markdown(bare)
    assert "![Revenue over time](charts/nsm%20trend.png)" in md
    assert "**Decided:** 2026-03-01" in md
    assert "| Rank |" not in md and "mermaid" not in md and "Evidence" not in md


def test_html_shows_the_decision_and_escapes_user_text(decided):
    html = record.decision_html(decided)
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert '<h2>Weekly sharers</h2><p class="definition">Users who shared a report this week</p>' in html
    assert "<script" not in html  # no chart: no script at all, the rationale's is text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; it is easy to explain." in html
    assert "<h1>Q3 &lt;NSM&gt; workshop</h1>" in html
    assert "Signups | all" in html and "3.5 ⚠" in html and "leads by 2 weeks" in html
    assert not re.search(r"https?:|//[a-z]", html, re.IGNORECASE)  # no URL at all
    assert "@media print" in html


def test_html_with_chart_is_self_contained(decided):
    html = record.decision_html(decided, chart=_chart())
    assert "Plotly.newPlot" in html
    assert "</script><b>" not in html  # Plotly escapes the title inside its JSON
    # Plotly's bundle mentions URLs in its own code; nothing may be *loaded* from one.
    assert not re.search(r"<script[^>]*\bsrc=", html, re.IGNORECASE)
    outside_scripts = re.sub(r"<script\b.*?</script>", "", html, flags=re.DOTALL | re.IGNORECASE)
    assert not re.search(r"https?:|//[a-z]|@import|<link\b|<iframe\b|<img\b", outside_scripts, re.IGNORECASE)


# -- the frozen, versioned record -------------------------------------------------------------------
@pytest.fixture
def frozen(tmp_path):
    """A workshop on the tiny fixture, locked with lock_and_freeze; (store, code, host)."""
    from northstar.ingest.load import ingest_file
    from tests.conftest import fixture

    store = Store(tmp_path / "store")
    dataset = ingest_file(store, fixture("metrics_tiny.csv"))
    mt.save_tree(store, dataset.name, mt.new_tree("Active users", "Active users"))
    workshop = ws.create_workshop(store, "Frozen", [("Active users", "Distinct users"),
                                                    ("Returning users", "Came back")], "Zq7#pw",
                                  dataset=dataset.name)
    ann = ws.join(store, workshop.code, "Ann")
    ws.set_scores(store, workshop.code, "Ann", "Active users", dict.fromkeys(ws.CRITERION_KEYS, 4),
                  secret=ann.secret)
    ws.set_votes(store, workshop.code, "Ann", {"Active users": 3}, secret=ann.secret)
    report.lock_and_freeze(store, workshop.code, "Zq7#pw", "Active users", "", "It is the room's pick.",
                           host=workshop.host_secret)
    yield store, workshop.code, workshop.host_secret, ann.secret
    store.close()


def test_the_record_is_frozen_at_lock_time(frozen):
    store, code, _, _ = frozen
    snapshot = ws.snapshot_of(store, code)
    assert snapshot is not None and snapshot["nsm"] == "Active users" and snapshot["version"] == 1
    # metrics_tiny: active users per week 2 (a, b), 3 (a, b, c), 2 (a, d), 3 (a, c, d)
    assert [value for _, value, _ in snapshot["series"]][:2] == [2.0, 3.0]
    before_md = record.decision_markdown(report.frozen_record(store, code))
    before_html = record.decision_html(report.frozen_record(store, code))
    # The data changes after the lock: a bigger tree, a deleted candidate, even the dataset gone.
    tree = mt.add_node(mt.new_tree("Active users", "Active users"), "nsm", "Added later", team="Late")
    mt.save_tree(store, "metrics_tiny", tree)
    store.delete_dataset("metrics_tiny")
    after = report.frozen_record(store, code)
    assert record.decision_markdown(after) == before_md and "Added later" not in before_md
    assert record.decision_html(after) == before_html
    assert ws.find_workshop(store, code).dataset == "metrics_tiny"  # the record kept what it showed


def test_frozen_record_round_trips_and_renders_small_html(frozen):
    store, code, _, _ = frozen
    rec = report.frozen_record(store, code)
    again = report.from_snapshot(report.to_snapshot(rec))
    assert record.decision_markdown(again) == record.decision_markdown(rec)
    assert rec.review_on == (rec.decided_on + report.snapshot.REVIEW_AFTER).date()
    md = record.decision_markdown(rec)
    assert f"**Look again by:** {rec.review_on:%Y-%m-%d}" in md
    html = record.decision_html(rec)
    assert len(html.encode()) < 1_500_000 and "<script" not in html.lower()
    svg = html[html.index("<svg"):html.index("</svg>")]
    assert "Active users" in svg and "Week starting" in svg       # axis titles
    assert re.search(r">\d{2} \w{3} 2024<", svg)                    # dated ticks
    assert svg.count("<circle") == len(rec.series)


def test_reopen_and_relock_keeps_the_history(frozen):
    store, code, host, ann = frozen
    ws.reopen(store, code, "Zq7#pw", host=host, reason="Returning users data came in.")
    ws.set_votes(store, code, "Ann", {"Returning users": 3}, secret=ann)
    report.lock_and_freeze(store, code, "Zq7#pw", "Active users", "", "Still the better one.",
                           host=host, reason="Returning users is too sparse yet.")
    first, second = ws.snapshot_of(store, code, 1), ws.snapshot_of(store, code, 2)
    assert first["nsm"] == second["nsm"] == "Active users"
    assert first["by_candidate"][0]["candidate"] == "Active users"      # Ann's dots then
    assert second["by_candidate"][0]["candidate"] == "Returning users"  # and after she moved them
    latest = report.frozen_record(store, code)
    assert latest.version == 2 and latest.leader == "Returning users"
    md = record.decision_markdown(latest)
    assert "**Not the room's first choice:** the room ranked Returning users first." in md
    assert "Returning users is too sparse yet." in md
    assert "## Versions of this decision" in md
    assert "Version 1: Active users, locked" in md and "reopened" in md and "Returning users data" in md
    assert record.decision_markdown(report.frozen_record(store, code, version=1)).count("Version 2") == 0
