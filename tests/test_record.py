"""Decision record: chosen NSM, scores, evidence and tree; user text escaped; nothing loaded from outside."""

from __future__ import annotations

import re
from datetime import datetime

import plotly.graph_objects as go
import pytest

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
