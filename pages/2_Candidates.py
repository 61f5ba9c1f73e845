"""Candidates: every candidate NSM and outcome, charted side by side; define, edit, import, export."""

import streamlit as st

from northstar.i18n import N_
from northstar.ui import cache, candidates, messages, page

store, active = page.open_page(
    N_("Candidates"), ":material/monitoring:",
    N_("Candidate North Star Metrics and the outcomes they are tested against, computed from "
    "the active dataset. Edit any of them, add your own, or keep a suggestion."))
active = page.require_dataset(active)
messages.show_flash()

specs = candidates.load(store, active)
grain = candidates.grain_picker()
candidates.overview(store, active, specs, grain)

st.divider()
view = candidates.view_picker()
if view == "Definitions and SQL":
    candidates.catalogue(store, active, specs, grain)
elif view == "Add or edit":
    events = list(cache.event_catalogue(store, active)["event"])
    candidates.editor(store, active, specs, events, grain)
elif view == "Suggestions":
    candidates.suggested(store, active, specs)
else:
    candidates.yaml_exchange(store, active, specs)
