"""The metric tree: one NSM, one OMTM per team under it, each team's KPIs under that; saved per dataset."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from northstar.errors import NorthstarError
from northstar.i18n import _
from northstar.store import Store, to_db

LEVELS = ("nsm", "omtm", "kpi")
LEVEL_LABELS = {"nsm": "NSM", "omtm": "OMTM", "kpi": "KPI"}
_PARENT_LEVEL = {"omtm": "nsm", "kpi": "omtm"}
_CHILD_LEVEL = {"nsm": "omtm", "omtm": "kpi"}



@dataclass(frozen=True)
class TreeNode:
    """One box of the tree; `metric` names the candidate/metric spec it shows, if bound to one."""

    id: str
    parent: str | None
    level: str  # nsm | omtm | kpi
    label: str
    team: str | None = None
    metric: str | None = None


@dataclass(frozen=True)
class MetricTree:
    """A valid tree (checked on construction); `nodes` in display order, parents before children."""

    nodes: tuple[TreeNode, ...]
    name: str = "default"

    def __post_init__(self) -> None:
        object.__setattr__(self, "nodes", tuple(self.nodes))
        _validate(self)

    @property
    def root(self) -> TreeNode:
        return next(n for n in self.nodes if n.level == "nsm")

    def node(self, node_id: str) -> TreeNode:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise NorthstarError(_("No node {node!r} in the metric tree", node=node_id),
                             _("Nodes: {nodes}.", nodes=", ".join(n.id for n in self.nodes)))

    def children(self, node_id: str) -> tuple[TreeNode, ...]:
        return tuple(n for n in self.nodes if n.parent == node_id)

    def team_of(self, node: TreeNode) -> str | None:
        """A KPI belongs to its OMTM's team."""
        if node.level != "kpi":
            return node.team
        assert node.parent is not None, "validation puts every KPI under an OMTM"
        return self.node(node.parent).team


def _validate(tree: MetricTree) -> None:
    ids = [n.id for n in tree.nodes]
    seen: set[str] = set()
    for node in tree.nodes:
        if not str(node.id).strip():
            raise NorthstarError(_("Tree node without an id"),
                                 _("Node {label!r} needs an id.", label=node.label))
        if node.id in seen:
            raise NorthstarError(_("Two tree nodes share the id {id!r}", id=node.id),
                                 _("Give each node its own id."))
        seen.add(node.id)
        if node.level not in LEVELS:
            raise NorthstarError(_("Unknown level {level!r} for {label!r}", level=node.level,
                                   label=node.label),
                                 _("A node is the nsm, an omtm or a kpi."))
        if not str(node.label).strip():
            raise NorthstarError(_("Tree node {id!r} has no label", id=node.id),
                                 _("Name what the metric measures."))
    roots = [n for n in tree.nodes if n.level == "nsm"]
    if len(roots) != 1:
        raise NorthstarError(_("A metric tree has exactly one North Star Metric"),
                             _("Found {count} NSM nodes; keep one and make the others OMTMs or KPIs.",
                               count=len(roots)))
    if roots[0].parent is not None:
        raise NorthstarError(_("The NSM is the root of the tree"),
                             _("Remove the parent of {label!r}.", label=roots[0].label))
    by_id = {n.id: n for n in tree.nodes}
    teams: dict[str, str] = {}
    for node in tree.nodes:
        if node.level == "nsm":
            continue
        parent = by_id.get(node.parent) if node.parent is not None else None
        want = _PARENT_LEVEL[node.level]
        if parent is None or parent.level != want:
            raise NorthstarError(
                _("OMTM {label!r} must sit under the NSM", label=node.label)
                if want == "nsm" else _("KPI {label!r} must sit under a team's OMTM", label=node.label),
                _("Its parent is {parent!r} ({level}).", parent=parent.label,
                  level=LEVEL_LABELS[parent.level]) if parent
                else _("Its parent {parent!r} is not in the tree.", parent=node.parent))
        if ids.index(parent.id) > ids.index(node.id):
            raise NorthstarError(_("Tree nodes out of order"),
                                 _("List {parent!r} before {label!r}.", parent=parent.label,
                                   label=node.label))
        if node.level == "omtm":
            if node.team is None or not node.team.strip():
                raise NorthstarError(_("OMTM {label!r} has no team", label=node.label),
                                     _("Say which team it focuses."))
            other = teams.setdefault(node.team.casefold(), node.label)
            if other != node.label:
                raise NorthstarError(_("Team {team!r} has two OMTMs ({first!r} and {second!r})",
                                       team=node.team, first=other, second=node.label),
                                     _("One metric that matters per team: make one of them a KPI."))
        elif node.team is not None and node.team != parent.team:
            raise NorthstarError(_("KPI {label!r} is filed under team {team!r}", label=node.label,
                                   team=node.team),
                                 _("It sits under {parent!r}, which is team {team!r}.", parent=parent.label,
                                   team=parent.team))


# -- editing: each helper returns a new, valid tree ----------------------------------------------
def new_tree(nsm_label: str, metric: str | None = None, name: str = "default") -> MetricTree:
    """A tree holding only the NSM."""
    return MetricTree((TreeNode("nsm", None, "nsm", nsm_label.strip(), None, metric),), name)


def add_node(tree: MetricTree, parent_id: str, label: str, *, team: str | None = None,
             metric: str | None = None) -> MetricTree:
    """Add an OMTM under the NSM (needs `team`) or a KPI under an OMTM (takes the OMTM's team)."""
    parent = tree.node(parent_id)
    if parent.level not in _CHILD_LEVEL:
        raise NorthstarError(_("KPI {label!r} cannot have children", label=parent.label),
                             _("KPIs are the leaves; add the metric under the team's OMTM instead."))
    level = _CHILD_LEVEL[parent.level]
    if level == "kpi":
        team = team or parent.team
    taken = [n.id for n in tree.nodes if n.level == level]
    number = 1 + max((int(i.rsplit("-", 1)[1]) for i in taken if i.rsplit("-", 1)[-1].isdigit()), default=0)
    node = TreeNode(f"{level}-{number}", parent.id, level, label.strip(), team, metric)
    # Keep a parent's children together, right after its subtree's last node.
    subtree = _subtree_ids(tree, parent.id)
    last = max(i for i, n in enumerate(tree.nodes) if n.id in subtree)
    nodes = tree.nodes[:last + 1] + (node,) + tree.nodes[last + 1:]
    return MetricTree(nodes, tree.name)


def _subtree_ids(tree: MetricTree, node_id: str) -> set[str]:
    ids = {node_id}
    for n in tree.nodes:  # parents come before children, so one pass finds every descendant
        if n.parent in ids:
            ids.add(n.id)
    return ids


def remove_node(tree: MetricTree, node_id: str) -> MetricTree:
    """Remove a node and everything under it."""
    if tree.node(node_id).level == "nsm":
        raise NorthstarError(_("Cannot remove the NSM"), _("Rename it, or start a new tree."))
    gone = _subtree_ids(tree, node_id)
    return MetricTree(tuple(n for n in tree.nodes if n.id not in gone), tree.name)


def _replace(tree: MetricTree, node_id: str, change: Callable[[TreeNode], TreeNode]) -> MetricTree:
    """The tree with node `node_id` replaced by `change(node)`; the new tree is validated again."""
    tree.node(node_id)
    return MetricTree(tuple(change(n) if n.id == node_id else n for n in tree.nodes), tree.name)


def rename_node(tree: MetricTree, node_id: str, label: str) -> MetricTree:
    return _replace(tree, node_id, lambda n: dataclasses.replace(n, label=label.strip()))


def bind_metric(tree: MetricTree, node_id: str, metric: str | None) -> MetricTree:
    """Point a node at a candidate/metric spec by name (None unbinds it)."""
    return _replace(tree, node_id, lambda n: dataclasses.replace(n, metric=metric))


def set_team(tree: MetricTree, omtm_id: str, team: str) -> MetricTree:
    """Move an OMTM, with its KPIs, to another team."""
    if tree.node(omtm_id).level != "omtm":
        raise NorthstarError(_("Only an OMTM has a team of its own"), _("KPIs take their OMTM's team."))
    kpis = {n.id for n in tree.children(omtm_id)}
    return MetricTree(tuple(dataclasses.replace(n, team=team) if n.id == omtm_id or
                            (n.id in kpis and n.team is not None) else n for n in tree.nodes), tree.name)


# -- storage ---------------------------------------------------------------------------------------
def save_tree(store: Store, dataset: str, tree: MetricTree) -> None:
    """Save `tree` under (dataset, tree.name), replacing the previous version in one transaction."""
    now = to_db(datetime.now(UTC).replace(tzinfo=None))
    with store.transaction() as con:
        con.execute("DELETE FROM tree_nodes WHERE dataset = ? AND tree = ?", [dataset, tree.name])
        con.executemany("INSERT INTO tree_nodes (dataset, tree, position, id, parent, level, label, team, "
                        "metric, saved_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [[dataset, tree.name, i, n.id, n.parent, n.level, n.label, n.team, n.metric, now]
                         for i, n in enumerate(tree.nodes)])


def load_tree(store: Store, dataset: str, name: str = "default") -> MetricTree | None:
    """The saved tree, or None when this dataset has none of that name."""
    with store.read() as con:
        rows = con.execute("SELECT id, parent, level, label, team, metric FROM tree_nodes "
                           "WHERE dataset = ? AND tree = ? ORDER BY position", [dataset, name]).fetchall()
    return MetricTree(tuple(TreeNode(*row) for row in rows), name) if rows else None


def tree_names(store: Store, dataset: str) -> list[str]:
    with store.read() as con:
        return [name for (name,) in con.execute(
            "SELECT DISTINCT tree FROM tree_nodes WHERE dataset = ? ORDER BY tree", [dataset])]


def delete_tree(store: Store, dataset: str, name: str = "default") -> None:
    with store.transaction() as con:
        con.execute("DELETE FROM tree_nodes WHERE dataset = ? AND tree = ?", [dataset, name])
