"""The metric tree drawn: NSM on top, a column per team's OMTM with its KPIs; values, sparklines, leads."""

from __future__ import annotations

from typing import Literal

import pandas as pd
import streamlit as st

from northstar.errors import NorthstarError
from northstar.i18n import _
from northstar.metrics import complete_series, latest_changes, saved_candidates
from northstar.report import tree_statuses
from northstar.store import Dataset, Store
from northstar.tree import LEVEL_LABELS, MetricTree, NodeStatus, TreeNode, format_figures
from northstar.ui import cache, messages
from northstar.ui.text import plain
from northstar.wording import format_change, format_value

TEAMS_PER_ROW = 4
_ACCENT, _SOFT, _LINE = "#3b5bdb", "#eef1fb", "#c5cbe0"


def statuses(store: Store, dataset: Dataset, tree: MetricTree, grain: str
             ) -> tuple[dict[str, NodeStatus], pd.DataFrame]:
    """Node figures and leads, on the cached series; nothing (and the error shown) if they fail."""
    try:
        return tree_statuses(store, dataset, tree, cache.metric_series, grain)
    except NorthstarError as err:
        messages.show_error(err)
        return {}, pd.DataFrame(columns=["period", "metric", "value", "partial"])


def _delta(row: pd.Series | None, kind: str) -> tuple[str | None, Literal["normal", "off"]]:
    """st.metric's delta: a signed text (it colours by the sign) and whether to colour at all."""
    if row is None:
        return None, "normal"
    text = format_change(row["change"], row["change_pct"], kind)
    if not text:
        return None, "normal"
    arrow, amount = text.split(" ", 1)
    return {"▲": "+", "▼": "-"}.get(arrow, "") + amount, "off" if arrow == "■" else "normal"


def _card(tree: MetricTree, node: TreeNode, status: NodeStatus, frame: pd.DataFrame,
          latest: pd.DataFrame, kinds: dict[str, str], definitions: dict[str, str]) -> None:
    team = tree.team_of(node)
    with st.container(border=True):
        st.caption(f"**{LEVEL_LABELS[node.level]}**" + (f" · {plain(team)}" if team else ""))
        metric = node.metric if node.metric in kinds else None  # None: unbound, or its metric deleted
        bound = metric is not None
        row = latest.loc[metric] if metric is not None and metric in latest.index else None
        kind = kinds.get(node.metric or "", "")
        delta, colour = _delta(row, kind)
        values = (complete_series(frame, metric).dropna().tolist()
                  if metric is not None and row is not None else None)
        st.metric(plain(node.label), format_value(row["latest"], kind) if row is not None else "–", delta,
                  delta_color=colour, chart_data=values or None, chart_type="line",
                  help=definitions.get(node.metric or ""), label_visibility="visible")
        notes = []
        if node.metric and node.metric != node.label:
            notes.append(_("metric: {name}", name=plain(node.metric)) if bound
                         else _("metric “{name}” no longer exists", name=plain(node.metric)))
        elif not node.metric:
            notes.append(_("no metric bound yet"))
        if node.parent and status.lead:
            notes.append(f":material/north: {plain(tree.node(node.parent).label)}: {plain(status.lead)}")
        if notes:
            st.caption("  \n".join(notes))


def show(store: Store, dataset: Dataset, tree: MetricTree, node_statuses: dict[str, NodeStatus],
         frame: pd.DataFrame) -> None:
    """Cards laid out as the tree: NSM, then one column per OMTM with its KPIs under it."""
    specs = saved_candidates(store, dataset)
    kinds = {s.name: s.kind for s in specs}
    definitions = {s.name: s.definition() for s in specs}
    latest = latest_changes(frame).set_index("metric") if len(frame) else pd.DataFrame()

    def card(node: TreeNode) -> None:
        _card(tree, node, node_statuses.get(node.id, NodeStatus()), frame, latest, kinds, definitions)

    _left, middle, _right = st.columns([1, 2, 1])
    with middle:
        card(tree.root)
    omtms = tree.children(tree.root.id)
    if not omtms:
        st.info(_("Add each team's OMTM under the NSM (Edit the tree, below)."))
    for start in range(0, len(omtms), TEAMS_PER_ROW):
        row = omtms[start:start + TEAMS_PER_ROW]
        for column, omtm in zip(st.columns(max(len(row), 2)), row, strict=False):
            with column:
                card(omtm)
                for kpi in tree.children(omtm.id):
                    card(kpi)


def _dot_text(text: str) -> str:
    return " ".join(str(text).split()).replace("\\", "\\\\").replace('"', '\\"')


def to_dot(tree: MetricTree, node_statuses: dict[str, NodeStatus]) -> str:
    """Graphviz DOT of the tree (Streamlit draws it in the browser: no system graphviz needed)."""
    lines = ["digraph metric_tree {",
             '  graph [rankdir=TB, nodesep=0.3, ranksep=0.5, bgcolor="transparent"];',
             f'  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11, '
             f'fillcolor="white", color="{_LINE}"];',
             '  edge [color="#8a94a6", fontname="Helvetica", fontsize=9, fontcolor="#4a5468"];']
    ids = {node.id: f"n{i}" for i, node in enumerate(tree.nodes)}
    for node in tree.nodes:
        team = tree.team_of(node)
        status = node_statuses.get(node.id, NodeStatus())
        label = "\\n".join(_dot_text(part) for part in (  # \n: DOT's line break, after escaping
            f"{LEVEL_LABELS[node.level]}{' · ' + team if team else ''}", node.label, format_figures(status))
            if part)
        style = {"nsm": f'fillcolor="{_ACCENT}", fontcolor="white", color="{_ACCENT}"',
                 "omtm": f'fillcolor="{_SOFT}"', "kpi": ""}[node.level]
        lines.append(f'  {ids[node.id]} [label="{label}"{", " + style if style else ""}];')
    for node in tree.nodes:
        if node.parent:
            lead = node_statuses.get(node.id, NodeStatus()).lead
            attrs = f' [label="{_dot_text(lead)}"]' if lead else ""
            lines.append(f"  {ids[node.parent]} -> {ids[node.id]}{attrs};")
    return "\n".join([*lines, "}"]) + "\n"
