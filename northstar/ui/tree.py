"""Tree page widgets: create the tree, add a team's OMTM or a KPI, rename/rebind/remove, export."""

from __future__ import annotations

import re
from collections.abc import Callable

import streamlit as st

from northstar.errors import NorthstarError
from northstar.i18n import N_, _
from northstar.metrics import saved_candidates
from northstar.store import Dataset, Store
from northstar.tree import (
    LEVEL_LABELS,
    MetricTree,
    NodeStatus,
    add_node,
    bind_metric,
    delete_tree,
    new_tree,
    remove_node,
    rename_node,
    save_tree,
    set_team,
    to_markdown,
    to_mermaid,
)
from northstar.ui import messages
from northstar.ui.text import plain

NONE = N_("(none)")


def metric_names(store: Store, dataset: Dataset) -> list[str]:
    """Names a node can be bound to: the dataset's saved candidates and outcomes."""
    return [s.name for s in saved_candidates(store, dataset)]


def _save(store: Store, dataset: Dataset, make_tree: Callable[[], MetricTree], message: str) -> None:
    """Build the edited tree (it validates itself), save it, say so; show the reason if it is refused."""
    try:
        save_tree(store, dataset.name, make_tree())
    except NorthstarError as err:
        messages.show_error(err)
        return
    messages.flash(message)
    st.rerun()


def _metric_input(names: list[str], key: str, label: str = N_("Metric"),
                  current: str | None = None) -> str | None:
    options = [_(NONE), *names]
    index = options.index(current) if current in options else 0
    chosen = st.selectbox(_(label), options, index=index, key=key,
                          help=_("A saved candidate or outcome of the active dataset (Candidates page)."))
    return None if chosen == _(NONE) else chosen


def create_form(store: Store, dataset: Dataset, names: list[str]) -> None:
    """No tree yet: start with the NSM."""
    with st.form("tree-create", border=True):
        st.markdown(_("**Start the tree with your North Star Metric**"))
        metric = _metric_input(names, "tree-create-metric", N_("NSM metric"))
        label = st.text_input(_("Label (optional: the metric's name by default)"), key="tree-create-label")
        submitted = st.form_submit_button(_("Create the tree"), type="primary", icon=":material/add:")
    if submitted:
        _save(store, dataset, lambda: new_tree(label.strip() or (metric or ""), metric),
              _("Tree started with {name}.", name=plain(label.strip() or metric)))


def add_omtm_form(store: Store, dataset: Dataset, tree: MetricTree, names: list[str]) -> None:
    with st.form("tree-add-omtm", clear_on_submit=True, border=False):
        team = st.text_input(_("Team"), placeholder=_("e.g. Growth"), key="omtm-team")
        metric = _metric_input(names, "omtm-metric", N_("Its One Metric That Matters"))
        label = st.text_input(_("Label (optional)"), key="omtm-label")
        submitted = st.form_submit_button(_("Add the OMTM"), icon=":material/add:")
    if submitted:
        _save(store, dataset, lambda: add_node(tree, tree.root.id, label.strip() or (metric or ""),
                                               team=team.strip(), metric=metric),
              _("Added the OMTM {name} of {team}.", name=plain(label.strip() or metric),
                team=plain(team.strip())))


def _describe(tree: MetricTree, node_id: str) -> str:
    node = tree.node(node_id)
    team = tree.team_of(node)
    return f"{LEVEL_LABELS[node.level]} · {node.label}" + (f" ({team})" if team else "")


def add_kpi_form(store: Store, dataset: Dataset, tree: MetricTree, names: list[str]) -> None:
    omtms = [n.id for n in tree.nodes if n.level == "omtm"]
    if not omtms:
        st.caption(_("Add a team's OMTM first: KPIs sit under it."))
        return
    with st.form("tree-add-kpi", clear_on_submit=True, border=False):
        parent = st.selectbox(_("Under the OMTM"), omtms, format_func=lambda i: _describe(tree, i),
                              key="kpi-parent")
        metric = _metric_input(names, "kpi-metric", N_("KPI metric"))
        label = st.text_input(_("Label (optional)"), key="kpi-label")
        submitted = st.form_submit_button(_("Add the KPI"), icon=":material/add:")
    if submitted:
        _save(store, dataset, lambda: add_node(tree, parent, label.strip() or (metric or ""), metric=metric),
              _("Added the KPI {name}.", name=plain(label.strip() or metric)))


def edit_form(store: Store, dataset: Dataset, tree: MetricTree, names: list[str]) -> None:
    """Rename, rebind, move an OMTM to another team, or remove a node and what hangs under it."""
    node_id = st.selectbox(_("Node"), [n.id for n in tree.nodes], format_func=lambda i: _describe(tree, i),
                           key="edit-node")
    node = tree.node(node_id)
    with st.form(f"tree-edit-{node_id}", border=False):
        label = st.text_input(_("Label"), value=node.label, key=f"edit-label-{node_id}")
        metric = _metric_input(names, f"edit-metric-{node_id}", N_("Metric"), node.metric)
        team = (st.text_input(_("Team"), value=node.team or "", key=f"edit-team-{node_id}")
                if node.level == "omtm" else None)
        save, remove = st.columns(2)
        saved = save.form_submit_button(_("Save changes"), icon=":material/save:")
        removed = remove.form_submit_button(_("Remove"), icon=":material/delete:",
                                            disabled=node.level == "nsm",
                                            help=_("Removes the node and everything under it."))

    def edited() -> MetricTree:
        changed = rename_node(tree, node_id, label) if label.strip() != node.label else tree
        changed = bind_metric(changed, node_id, metric) if metric != node.metric else changed
        return set_team(changed, node_id, team.strip()) if team is not None and team.strip() != node.team \
            else changed

    if saved:
        _save(store, dataset, edited, _("Saved {name}.", name=plain(label.strip())))
    if removed:
        _save(store, dataset, lambda: remove_node(tree, node_id),
              _("Removed {name}.", name=plain(node.label)))
    with st.popover(_("Delete the whole tree"), icon=":material/delete_forever:"):
        st.caption(_("Removes every node of this dataset's tree; you start again from the NSM."))
        if st.button(_("Delete the tree"), type="primary", key="tree-delete"):
            delete_tree(store, dataset.name, tree.name)
            messages.flash(_("Deleted the metric tree."))
            st.rerun()


def editor(store: Store, dataset: Dataset, tree: MetricTree, names: list[str]) -> None:
    omtm, kpi, edit = st.tabs([_("Add a team's OMTM"), _("Add a KPI"), _("Rename, rebind, remove")])
    with omtm:
        add_omtm_form(store, dataset, tree, names)
    with kpi:
        add_kpi_form(store, dataset, tree, names)
    with edit:
        edit_form(store, dataset, tree, names)


def exports(dataset: Dataset, tree: MetricTree, node_statuses: dict[str, NodeStatus]) -> None:
    """Markdown for a wiki page, Mermaid for anything that draws diagrams; with today's figures."""
    stem = re.sub(r"[^A-Za-z0-9]+", "-", dataset.name).strip("-") or "dataset"
    markdown, mermaid = to_markdown(tree, node_statuses), to_mermaid(tree, node_statuses)
    md_col, mm_col = st.columns(2, gap="large")
    with md_col:
        st.download_button(_("Download Markdown"), markdown.encode(), file_name=f"{stem}-metric-tree.md",
                           mime="text/markdown", icon=":material/download:", key="tree-md")
        st.code(markdown, language="markdown")
    with mm_col:
        st.download_button(_("Download Mermaid"), mermaid.encode(), file_name=f"{stem}-metric-tree.mmd",
                           mime="text/plain", icon=":material/download:", key="tree-mermaid")
        st.code(mermaid, language=None)
