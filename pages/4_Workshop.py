"""Workshop: the team scores the shortlisted candidates, votes with dots, and locks its North Star Metric."""

import streamlit as st

from northstar.i18n import N_, _
from northstar.ui import messages, page
from northstar.ui import workshop as ws
from northstar.ui import workshop_decision as decision
from northstar.ui.workshop_live import live_results, narrow_screen_css
from northstar.ui.workshop_scoring import dots_form, score_cards

store, active = page.open_page(
    N_("Workshop"), ":material/groups:",
    N_("Score the shortlisted candidates on the five criteria (1 = weak, 5 = strong), spread three "
    "dots, watch the results come in, and lock the decision."))

with st.container():  # one slot whether or not there is news: what follows keeps its place
    messages.show_flash()
narrow_screen_css()

workshop = ws.current(store)
if workshop is None:
    join_col, start_col = st.columns([2, 3], gap="large")
    with join_col:
        ws.join_by_code(store)
        ws.recover_form(store)
    with start_col:
        ws.start_form(store, active)
    st.stop()

joined = ws.participant(store, workshop)
me, secret = joined if joined else (None, None)
host = ws.host_secret(store, workshop)
names = ws.candidate_names(store, workshop)
ws.header(workshop, me, facilitator=host is not None)
if workshop.locked:
    decision.banner(workshop, names)
    decision.record_downloads(store, workshop)
evidence = decision.evidence(store, workshop)
cards = decision.scorecards(store, workshop, evidence)

if host and not workshop.locked:
    ws.share_panel(workshop, host)
if me is None and not workshop.locked:
    ws.join_form(store, workshop)

if me and secret and not workshop.locked:
    st.markdown("#### " + _("Your scores"))
    score_cards(store, workshop, me, secret, evidence, names, cards)
    dots_form(store, workshop, me, secret, names)

st.markdown("#### " + (_("Results") if workshop.locked else _("Live results")))
live_results(store, workshop.code, workshop.status, evidence,
             decision.leader(store, workshop) if host and not workshop.locked else None, names, cards,
             projector=bool(host))

if workshop.locked:
    if me and secret:
        with st.expander(_("Your scores and dots (read-only)"), icon=":material/lock:"):
            score_cards(store, workshop, me, secret, evidence, names, cards)
            dots_form(store, workshop, me, secret, names)
    if host:
        decision.reopen_form(store, workshop, host)
elif host:
    decision.lock_form(store, workshop, host, names)
