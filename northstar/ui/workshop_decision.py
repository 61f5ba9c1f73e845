"""Closing a workshop: the data's evidence (cached), the facilitator's lock, the banner, the record."""

from __future__ import annotations

import logging
import re

import streamlit as st

from northstar.analysis import Comparison
from northstar.analysis.guardrail import CounterMetric
from northstar.analysis.scorecard import Scorecard
from northstar.errors import NorthstarError
from northstar.i18n import _, language
from northstar.metrics import compute, display_name, saved_candidates
from northstar.report import (
    EVIDENCE_GRAIN,
    Evidence,
    decision_html,
    decision_markdown,
    frozen_record,
    lock_and_freeze,
    workshop_evidence,
)
from northstar.report.guardrail import counter_evidence, counter_sentence, suggested_counter_metric
from northstar.store import Dataset, Store
from northstar.ui import cache, messages
from northstar.ui.text import plain
from northstar.ui.workshop_live import room_results
from northstar.workshop import Workshop, reopen
from northstar.workshop import leader as ws_leader

log = logging.getLogger(__name__)


@st.cache_data(ttl=cache.CACHE_TTL_S, max_entries=cache.CACHE_ENTRIES, show_spinner=False)
def _evidence(_store: Store, _dataset: Dataset, key: str, specs_key: str, candidates: tuple[str, ...],
              grain: str, lang: str) -> Evidence | None:
    return workshop_evidence(_store, _dataset, candidates, cache.metric_series, grain,
                             ranking=_ranking)


def _ranking(store: Store, dataset: Dataset, outcome: str, grain: str) -> Comparison:
    """The Compare page's cached ranking (the one the evidence scorecard reads too)."""
    return cache.comparison(store, dataset, outcome, grain, None)


def evidence(store: Store, workshop: Workshop) -> Evidence | None:
    """Each candidate's lead on the dataset's outcome; computed once per dataset contents, specs and
    language (the verdicts are sentences)."""
    dataset = store.find(workshop.dataset) if workshop.dataset else None
    if dataset is None:
        return None
    try:
        return _evidence(store, dataset, cache.dataset_key(store, dataset),
                         cache.specs_key(saved_candidates(store, dataset)), workshop.candidates,
                         EVIDENCE_GRAIN, language())
    except NorthstarError as err:
        messages.show_error(err)
        return None


def scorecards(store: Store, workshop: Workshop, evidence: Evidence | None) -> dict[str, Scorecard]:
    """The five-criteria evidence of the dataset's candidates on the evidence's outcome, as the Compare
    page computes it at week grain (same cache: computed once per dataset, outcome and language, never
    per refresh). Empty without a dataset or outcome, or when the data is too short to compare."""
    dataset = store.find(workshop.dataset) if workshop.dataset else None
    if dataset is None or evidence is None:
        return {}
    try:
        return cache.scorecards(store, dataset, evidence.outcome, EVIDENCE_GRAIN, None)
    except NorthstarError as err:  # e.g. no complete week yet: the verdicts already say so
        log.info("No evidence scorecard for workshop %s: %s", workshop.code, err.one_line())
        return {}


def banner(workshop: Workshop, names: dict[str, str] | None = None) -> None:
    """After the lock, everyone sees what was decided and why."""
    decision = workshop.decision
    if decision is None:
        return
    chosen = (names or {}).get(decision.chosen, decision.chosen)
    st.success(_("**Decided: {chosen}** is our North Star Metric.", chosen=plain(chosen)) + "  \n"
               + plain(decision.definition) + "  \n"
               + _("*Why:* {rationale}", rationale=plain(decision.rationale)), icon=":material/flag:")


def leader(store: Store, workshop: Workshop) -> str:
    """The room's choice as results stand now: most dots, then highest mean score."""
    return ws_leader(room_results(store, workshop.code))


@st.cache_data(ttl=cache.CACHE_TTL_S, max_entries=cache.CACHE_ENTRIES, show_spinner=False)
def _suggested_counter(_store: Store, _dataset: Dataset, key: str, specs_key: str, nsm: str,
                       grain: str) -> CounterMetric | None:
    return suggested_counter_metric(_store, _dataset, nsm, cache.metric_series, grain)


def counter_picker(store: Store, workshop: Workshop, chosen: str, shown: dict[str, str]
                   ) -> tuple[str | None, str | None]:
    """The guardrail for `chosen`: Northstar's suggestion preselected, any other metric (or none) can be
    picked; the evidence for the one picked beneath. (picked, suggested); (None, None) without data."""
    dataset = store.find(workshop.dataset) if workshop.dataset else None
    if dataset is None:
        return None, None
    specs = saved_candidates(store, dataset)
    names = {s.name: display_name(s) for s in specs}
    if chosen not in names:
        return None, None
    try:
        suggestion = _suggested_counter(store, dataset, cache.dataset_key(store, dataset),
                                        cache.specs_key(specs), chosen, EVIDENCE_GRAIN)
    except NorthstarError as err:
        log.info("No counter-metric suggestion for %s: %s", chosen, err.one_line())
        suggestion = None
    options = ["", *(name for name in names if name != chosen)]
    picked = st.selectbox(
        _("Counter-metric (guardrail)"), options,
        index=options.index(suggestion.metric) if suggestion and suggestion.metric in options else 0,
        format_func=lambda n: _("none") if not n else shown.get(n, names.get(n, n)),
        key=f"lock-counter-{workshop.code}-{chosen}",
        help=_("A metric to watch beside the North Star, so that pushing it up at any price shows: "
               "Northstar suggests one that moves against it. It goes into the record."))
    if picked:
        found = (suggestion if suggestion is not None and suggestion.metric == picked
                 else counter_evidence(store, dataset, chosen, picked, cache.metric_series, EVIDENCE_GRAIN))
        if found is not None:
            sentence = counter_sentence(store, dataset, chosen, found)
            st.caption(plain(_("Suggested. {evidence}", evidence=sentence) if suggestion is not None
                             and picked == suggestion.metric else sentence))
    return picked or None, suggestion.metric if suggestion is not None else None


def lock_form(store: Store, workshop: Workshop, host: str, names: dict[str, str] | None = None) -> None:
    """The facilitator closes scoring: the NSM (the room's leader proposed), why; the PIN confirms."""
    top = leader(store, workshop)
    shown = names or {}
    with st.container(border=True):
        st.markdown(_("**Close and lock the decision**: scores and dots become read-only for everyone."))
        # Keyed by the leader: when the room's leader changes, the proposal follows it.
        chosen = st.selectbox(_("Our North Star Metric"), workshop.candidates,
                              format_func=lambda c: shown.get(c, c),
                              index=workshop.candidates.index(top), key=f"lock-choice-{workshop.code}-{top}",
                              help=_("Proposed: the room's leader (most dots, then highest mean score)."))
        index = workshop.candidates.index(chosen)
        definition = st.text_area(_("Its definition"), value=workshop.definition_of(chosen), height=80,
                                  key=f"lock-definition-{workshop.code}-{index}")
        reason = ""
        if chosen != top:
            top_shown = plain(shown.get(top, top))
            st.warning(_("The room ranked **{top}** first. Say why you choose another; the reason "
                         "goes into the record.", top=top_shown), icon=":material/priority_high:")
            reason = st.text_area(_("Why not {top}?", top=top_shown), key=f"lock-reason-{workshop.code}",
                                  height=80)
        counter, suggested = counter_picker(store, workshop, chosen, shown)
        rationale = st.text_area(_("Why we chose it"), key=f"lock-rationale-{workshop.code}", height=100,
                                 placeholder=_("e.g. It leads revenue by three weeks and every team "
                                               "can move it."))
        pin = st.text_input(_("Facilitator PIN"), type="password", key=f"lock-pin-{workshop.code}")
        if st.button(_("Lock the decision"), type="primary", icon=":material/lock:", key="lock"):
            try:
                decision = lock_and_freeze(store, workshop.code, pin, chosen, definition, rationale,
                                           host=host, reason=reason, counter_metric=counter,
                                           suggested_counter=suggested, ranking=_ranking)
            except NorthstarError as err:
                messages.show_error(err)
                return
            messages.flash(_("Locked: {chosen} is the North Star Metric (decision version {version}).",
                             chosen=plain(shown.get(decision.chosen, decision.chosen)),
                             version=decision.version))
            st.rerun()


def reopen_form(store: Store, workshop: Workshop, host: str) -> None:
    """The facilitator reopens a locked decision; it stays in the record's history."""
    with st.expander(_("Reopen the decision"), icon=":material/lock_open:"):
        with st.form(f"reopen-{workshop.code}", border=False):
            reason = st.text_input(_("Why reopen?"), key=f"reopen-reason-{workshop.code}",
                                   placeholder=_("e.g. New data on retention came in."))
            pin = st.text_input(_("Facilitator PIN"), type="password", key=f"reopen-pin-{workshop.code}")
            submitted = st.form_submit_button(_("Reopen scoring"), icon=":material/lock_open:")
        if submitted:
            try:
                reopen(store, workshop.code, pin, host=host, reason=reason)
            except NorthstarError as err:
                messages.show_error(err)
                return
            messages.flash(_("Reopened: scores and dots can change again; the next lock is a new version."))
            st.rerun()


def _file_stem(workshop: Workshop) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", workshop.name.lower()).strip("-") or "workshop"
    return f"decision-{slug}-{workshop.code}"


def record_downloads(store: Store, workshop: Workshop) -> None:
    """The decision record as one HTML file (with the NSM's chart) and as Markdown, built on click."""
    # The snapshot frozen at lock time (rebuilt only for decisions locked before schema v3).
    def html() -> bytes:
        return decision_html(frozen_record(store, workshop.code, compute)).encode()

    def markdown() -> bytes:
        return decision_markdown(frozen_record(store, workshop.code, compute)).encode()

    stem = _file_stem(workshop)
    st.markdown(_("**Decision record**: the NSM, why, the scores, the evidence and the metric tree, as "
                  "they were when it was locked."))
    buttons = st.container(horizontal=True)
    buttons.download_button(_("Download (HTML)"), html, file_name=f"{stem}.html", mime="text/html",
                             icon=":material/download:", on_click="ignore", key="record-html")
    buttons.download_button(_("Download (Markdown)"), markdown, file_name=f"{stem}.md", mime="text/markdown",
                           icon=":material/download:", on_click="ignore", key="record-md")
