"""A participant's own input: five 1–5 scores per shortlisted candidate (saved on click) and 3 dots."""

from __future__ import annotations

import streamlit as st

from northstar.analysis.scorecard import Scorecard
from northstar.errors import NorthstarError
from northstar.i18n import _
from northstar.report import Evidence
from northstar.store import Store
from northstar.ui import messages
from northstar.ui.text import plain
from northstar.ui.workshop_live import evidence_line
from northstar.workshop import (
    CRITERIA,
    DOTS,
    SCORES,
    ShortlistEntry,
    Workshop,
    my_scores,
    my_votes,
    set_scores,
    set_votes,
)

PER_ROW = 3


def _score_key(workshop: Workshop, me: str, position: int, criterion: str) -> str:
    return f"score-{workshop.code}-{me.casefold()}-{position}-{criterion}"


def score_cards(store: Store, workshop: Workshop, me: str, secret: str, evidence: Evidence | None,
                names: dict[str, str] | None = None, cards: dict[str, Scorecard] | None = None) -> None:
    """One card per candidate; each click saves at once, so a closed laptop loses nothing."""
    saved = my_scores(store, workshop.code, me)
    for position, entry in enumerate(workshop.shortlist):
        with st.container(border=True):
            _score_card(store, workshop, me, secret, position, entry, saved, evidence,
                        (names or {}).get(entry.candidate, entry.candidate),
                        (cards or {}).get(entry.candidate))


def _score_card(store: Store, workshop: Workshop, me: str, secret: str, position: int, entry: ShortlistEntry,
                saved: dict[tuple[str, str], int], evidence: Evidence | None, shown: str,
                card: Scorecard | None = None) -> None:
    keys = {c.key: _score_key(workshop, me, position, c.key) for c in CRITERIA}
    # The store is the truth: seed the inputs from it (after a reload, on another device) ...
    for criterion, key in keys.items():
        if st.session_state.get(key) is None and (entry.candidate, criterion) in saved:
            st.session_state[key] = saved[(entry.candidate, criterion)]
    # ... and save what was clicked since the last run before drawing.
    changed = {criterion: st.session_state[key] for criterion, key in keys.items()
               if st.session_state.get(key) is not None
               and st.session_state[key] != saved.get((entry.candidate, criterion))}
    st.markdown(f"**{plain(shown)}**")
    st.caption(plain(entry.definition) + ("  \n" + _("Data: {verdict}.", verdict=plain(
        evidence.verdict(entry.candidate))) if evidence else "")
               + ("  \n" + plain(evidence_line(card)) if card is not None else ""))
    if changed and not workshop.locked:
        try:
            set_scores(store, workshop.code, me, entry.candidate, changed, secret=secret)
        except NorthstarError as err:
            messages.show_error(err)
        else:
            saved.update({(entry.candidate, k): v for k, v in changed.items()})
            st.toast(_("Saved your scores for {candidate}", candidate=plain(shown)),
                     icon=":material/check_circle:")
    # Three per row: five side by side are too narrow for five buttons each.
    cells = [*st.columns(PER_ROW), *st.columns(PER_ROW)]
    for cell, c in zip(cells, CRITERIA, strict=False):
        cell.segmented_control(_(c.label), SCORES, key=keys[c.key], help=_(c.help),
                               disabled=workshop.locked, width="stretch")
    done = sum((entry.candidate, c.key) in saved for c in CRITERIA)
    with cells[len(CRITERIA)]:
        if done == len(CRITERIA):
            st.caption(":material/check_circle: " + _("All five scores saved."))
        elif done:
            st.caption(_("{done} of {total} saved: each click is saved at once.", done=done,
                         total=len(CRITERIA)))
        else:
            st.caption(_("1 = weak, 5 = strong. Hover a criterion's ? for what it means."))


def dots_form(store: Store, workshop: Workshop, me: str, secret: str,
              names: dict[str, str] | None = None) -> None:
    """Spread 3 dots over the candidates you would pick: several on one if you feel strongly."""
    mine = my_votes(store, workshop.code, me)
    with st.form(f"dots-{workshop.code}-{me.casefold()}", border=True):
        st.markdown(_("**Your {dots} dots**: put them on the candidates you would pick.", dots=DOTS))
        columns = st.columns(min(len(workshop.candidates), 4))
        dots = {}
        for i, candidate in enumerate(workshop.candidates):
            dots[candidate] = columns[i % len(columns)].number_input(
                plain((names or {}).get(candidate, candidate)), min_value=0, max_value=DOTS, step=1,
                value=int(mine.get(candidate, 0)),
                key=f"dots-{workshop.code}-{me.casefold()}-{i}", disabled=workshop.locked)
        placed = sum(mine.values())
        st.caption(_("You have placed {placed} of {dots} dots.", placed=placed, dots=DOTS) if placed
                   else _("No dots placed yet."))
        submitted = st.form_submit_button(_("Save my dots"), icon=":material/how_to_vote:",
                                          disabled=workshop.locked)
    if submitted:
        try:
            set_votes(store, workshop.code, me, {c: int(d) for c, d in dots.items()}, secret=secret)
        except NorthstarError as err:
            messages.show_error(err)
            return
        messages.flash(_("Saved your dots: {placed} of {dots} placed.",
                         placed=sum(int(d) for d in dots.values()), dots=DOTS))
        st.rerun()
