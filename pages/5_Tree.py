"""Metric tree: the NSM, one OMTM per team under it, each team's KPIs; live values and leads."""

import streamlit as st

from northstar.i18n import N_, _
from northstar.tree import load_tree
from northstar.ui import candidates, messages, page, tree_view
from northstar.ui import tree as tree_ui

store, active = page.open_page(
    N_("Metric tree"), ":material/account_tree:",
    N_("One North Star Metric for the company; under it each team's OMTM (One Metric That Matters "
    "this period); under each OMTM the KPIs the team steers by. Each box shows its metric's latest "
    "value, change and trend; each link says whether the lower metric leads the one above."),
    tab=N_("Tree"))
active = page.require_dataset(active)
messages.show_flash()

names = tree_ui.metric_names(store, active)
tree = load_tree(store, active.name)
if tree is None:
    tree_ui.create_form(store, active, names)
    st.stop()

grain = candidates.grain_picker()
statuses, series = tree_view.statuses(store, active, tree, grain)
cards, diagram, export = st.tabs([_("Tree"), _("Diagram"), _("Export")])
with cards:
    tree_view.show(store, active, tree, statuses, series)
with diagram:
    st.graphviz_chart(tree_view.to_dot(tree, statuses))
with export:
    tree_ui.exports(active, tree, statuses)

st.markdown("#### " + _("Edit the tree"))
tree_ui.editor(store, active, tree, names)
