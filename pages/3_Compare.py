"""Compare: which candidates lead an outcome, ranked on evidence from changes, with the charts to show it."""

import streamlit as st

from northstar.analysis import shown_name
from northstar.errors import NorthstarError
from northstar.i18n import N_, _
from northstar.metrics import saved_candidates
from northstar.ui import cache, compare, messages, page
from northstar.ui.text import plain

store, active = page.open_page(
    N_("Compare"), ":material/compare_arrows:",
    N_("Which candidates move before the outcome? Trends make everything correlate, so candidates "
    "are ranked on how their period-over-period changes anticipate the outcome's."))
active = page.require_dataset(active)
messages.show_flash()

outcome, grain, max_lag = compare.controls(saved_candidates(store, active), active)
try:
    comparison = cache.comparison(store, active, outcome, grain, max_lag)
except NorthstarError as err:
    messages.show_error(err)
    st.stop()

compare.headline(comparison)
compare.ranking(comparison, active)
compare.scorecard(comparison, cache.scorecards(store, active, outcome, grain, max_lag))

st.divider()
st.subheader(_("One candidate up close"))
selected = compare.pick_candidate(store, active, comparison)
if selected:
    compare.detail(comparison, selected, active)

st.divider()
st.subheader(_("Every candidate against {outcome}",
               outcome=plain(shown_name(comparison, comparison.outcome.name))))
st.caption(_("Each candidate (coloured by its verdict) shifted by its best lag over the outcome (grey), "
             "both indexed to 100 at their mean."))
compare.multiples(comparison)
