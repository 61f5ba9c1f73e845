"""Metric tree: validation, editing, save/load round trip, Markdown and Mermaid against literal text."""

from __future__ import annotations

import pytest

from northstar import tree as mt
from northstar.errors import NorthstarError
from northstar.tree.model import MetricTree, TreeNode
from northstar.tree.render import NodeStatus, escape_markdown, escape_mermaid, to_markdown, to_mermaid


def _tree() -> MetricTree:
    tree = mt.new_tree("Weekly active teams", metric="Weekly active teams")
    tree = mt.add_node(tree, "nsm", "Returning users", team="Growth", metric="Returning users")
    tree = mt.add_node(tree, "nsm", 'Reports "shared"', team="Collab", metric="Weekly sharers")
    tree = mt.add_node(tree, "omtm-1", "Signups", metric="New signups")
    tree = mt.add_node(tree, "omtm-2", "Invites <sent>", metric="Invites")
    return mt.add_node(tree, "omtm-1", "Activation rate")  # lands with its OMTM's other KPIs


VALUES = {
    "Weekly active teams": NodeStatus(1234, 5.2),
    "Returning users": {"value": 560, "change_pct": 2.0, "lead": "leads by 2 weeks"},  # a plain mapping
    "New signups": NodeStatus(80.0, -1.0, "no lead found"),
    "kpi-3": NodeStatus(0.4567),  # by node id: the node has no metric name
}


def test_editing_builds_a_valid_tree_in_display_order():
    tree = _tree()
    assert [(n.id, n.parent, n.level, n.team) for n in tree.nodes] == [
        ("nsm", None, "nsm", None),
        ("omtm-1", "nsm", "omtm", "Growth"),
        ("kpi-1", "omtm-1", "kpi", "Growth"),
        ("kpi-3", "omtm-1", "kpi", "Growth"),
        ("omtm-2", "nsm", "omtm", "Collab"),
        ("kpi-2", "omtm-2", "kpi", "Collab"),
    ]
    assert tree.root.label == "Weekly active teams"
    assert [n.id for n in tree.children("omtm-1")] == ["kpi-1", "kpi-3"]


def test_remove_rename_bind_and_move_team():
    tree = mt.remove_node(_tree(), "omtm-1")
    assert [n.id for n in tree.nodes] == ["nsm", "omtm-2", "kpi-2"]
    tree = mt.rename_node(tree, "kpi-2", " Invites sent ")
    tree = mt.bind_metric(tree, "kpi-2", "Invites per team")
    tree = mt.set_team(tree, "omtm-2", "Sharing")
    assert tree.node("kpi-2") == TreeNode("kpi-2", "omtm-2", "kpi", "Invites sent", "Sharing",
                                          "Invites per team")
    assert mt.add_node(tree, "nsm", "Activation", team="Growth").nodes[-1].id == "omtm-3"
    with pytest.raises(NorthstarError, match="Cannot remove the NSM"):
        mt.remove_node(tree, "nsm")
    with pytest.raises(NorthstarError, match="No node 'nope'"):
        mt.rename_node(tree, "nope", "x")


def _nodes(*rows: tuple) -> tuple[TreeNode, ...]:
    return tuple(TreeNode(*row) for row in rows)


NSM = ("nsm", None, "nsm", "North star")


@pytest.mark.parametrize(("nodes", "title"), [
    ((), "exactly one North Star Metric"),
    (_nodes(NSM, ("nsm2", None, "nsm", "Another")), "exactly one North Star Metric"),
    (_nodes(("nsm", "x", "nsm", "North star")), "The NSM is the root"),
    (_nodes(NSM, ("k", "nsm", "kpi", "Signups")), "KPI 'Signups' must sit under a team's OMTM"),
    (_nodes(NSM, ("o", "nsm", "omtm", "A", "Growth"), ("o2", "o", "omtm", "B", "Sales")),
     "OMTM 'B' must sit under the NSM"),
    (_nodes(NSM, ("o", "nsm", "omtm", "Returning users")), "has no team"),
    (_nodes(NSM, ("o", "nsm", "omtm", "A", "Growth"), ("o2", "nsm", "omtm", "B", "growth")),
     "Team 'growth' has two OMTMs"),
    (_nodes(NSM, ("k", "gone", "kpi", "Signups")), "must sit under"),
    (_nodes(NSM, ("nsm", "nsm", "omtm", "Dup", "Growth")), "share the id 'nsm'"),
    (_nodes(NSM, ("o", "nsm", "team", "A", "Growth")), "Unknown level 'team'"),
    (_nodes(NSM, ("o", "nsm", "omtm", " ", "Growth")), "has no label"),
    (_nodes(NSM, ("k", "o", "kpi", "Signups"), ("o", "nsm", "omtm", "A", "Growth")), "out of order"),
    (_nodes(NSM, ("o", "nsm", "omtm", "A", "Growth"), ("k", "o", "kpi", "B", "Sales")),
     "filed under team 'Sales'"),
])
def test_validation_errors(nodes, title):
    with pytest.raises(NorthstarError, match=title) as raised:
        MetricTree(nodes)
    assert raised.value.detail


def test_kpis_are_leaves():
    with pytest.raises(NorthstarError, match="cannot have children"):
        mt.add_node(_tree(), "kpi-1", "Deeper")


def test_save_load_round_trip(store):
    assert mt.load_tree(store, "demo") is None and mt.tree_names(store, "demo") == []
    tree = _tree()
    mt.save_tree(store, "demo", tree)
    assert mt.load_tree(store, "demo") == tree
    smaller = mt.remove_node(tree, "omtm-2")
    mt.save_tree(store, "demo", smaller)  # replaces, not appends
    assert mt.load_tree(store, "demo") == smaller
    with store.read() as con:
        assert con.execute("SELECT count(*) FROM tree_nodes WHERE dataset = 'demo'").fetchone()[0] == 4
    mt.save_tree(store, "demo", MetricTree(tree.nodes, "plan B"))
    mt.save_tree(store, "other", tree)
    assert mt.tree_names(store, "demo") == ["default", "plan B"]
    assert mt.load_tree(store, "other") == tree and mt.load_tree(store, "nope") is None
    mt.delete_tree(store, "demo", "plan B")
    assert mt.tree_names(store, "demo") == ["default"]


def test_markdown_with_values():
    assert to_markdown(_tree(), VALUES) == (
        "- **Weekly active teams** · NSM · 1,234 (+5.2%)\n"
        "  - **Returning users** · OMTM, Growth · 560 (+2.0%) · leads by 2 weeks\n"
        "    - Signups · KPI, Growth · metric: New signups · 80 (-1.0%) · no lead found\n"
        "    - Activation rate · KPI, Growth · 0.457\n"
        '  - **Reports "shared"** · OMTM, Collab · metric: Weekly sharers\n'
        "    - Invites \\<sent\\> · KPI, Collab · metric: Invites\n"
    )


def test_markdown_without_values():
    tree = mt.add_node(mt.new_tree("1. Weekly *active* teams"), "nsm", "- Returning", team="Growth")
    tree = mt.add_node(tree, "omtm-1", "2) Signups")
    assert to_markdown(tree) == (
        "- **1\\. Weekly \\*active\\* teams** · NSM\n"
        "  - **\\- Returning** · OMTM, Growth\n"
        "    - 2\\) Signups · KPI, Growth\n"
    )


def test_mermaid_with_values():
    assert to_mermaid(_tree(), VALUES) == """flowchart TD
    n0["Weekly active teams<br/>NSM · 1,234 (+5.2%)"]
    n1["Returning users<br/>OMTM, Growth · 560 (+2.0%)"]
    n2["Signups<br/>KPI, Growth · metric: New signups · 80 (-1.0%)"]
    n3["Activation rate<br/>KPI, Growth · 0.457"]
    n4["Reports #quot;shared#quot;<br/>OMTM, Collab · metric: Weekly sharers"]
    n5["Invites #lt;sent#gt;<br/>KPI, Collab · metric: Invites"]
    n0 -->|"leads by 2 weeks"| n1
    n1 -->|"no lead found"| n2
    n1 --> n3
    n0 --> n4
    n4 --> n5
    classDef nsm fill:#1d3557,stroke:#1d3557,color:#ffffff
    classDef omtm fill:#e7eef8,stroke:#1d3557,color:#1d3557
    classDef kpi fill:#ffffff,stroke:#8d99ae,color:#2b2d42
    class n0 nsm
    class n1,n4 omtm
    class n2,n3,n5 kpi
"""


def test_mermaid_of_a_lone_nsm_with_hostile_text():
    tree = mt.new_tree('A "b" | #1 & `c`\n<script>')
    assert to_mermaid(tree) == (
        "flowchart TD\n"
        '    n0["A #quot;b#quot; #124; #35;1 #amp; #96;c#96; #lt;script#gt;<br/>NSM"]\n'
        "    classDef nsm fill:#1d3557,stroke:#1d3557,color:#ffffff\n"
        "    classDef omtm fill:#e7eef8,stroke:#1d3557,color:#1d3557\n"
        "    classDef kpi fill:#ffffff,stroke:#8d99ae,color:#2b2d42\n"
        "    class n0 nsm\n"
    )


def test_escapes():
    assert escape_markdown("a|b *c* <d> [e](f)") == "a\\|b \\*c\\* \\<d\\> \\[e\\](f)"
    assert escape_mermaid('say "hi"') == "say #quot;hi#quot;"
