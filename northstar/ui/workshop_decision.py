"""Closing a workshop: the data's evidence (cached), the facilitator's lock, the banner, the record."""

from __future__ import annotations

import json
import re

import streamlit as st

from northstar.errors import NorthstarError
from northstar.metrics import compute, saved_candidates
from northstar.report import (
    EVIDENCE_GRAIN,
    Evidence,
    decision_html,
    decision_markdown,
    decision_record,
    workshop_evidence,
)
from northstar.store import Dataset, Store
from northstar.ui import cache, messages
from northstar.ui.text import plain
from northstar.workshop import Workshop, lock, results


@st.cache_data(ttl=cache.CACHE_TTL_S, max_entries=cache.CACHE_ENTRIES, show_spinner=False)
def _evidence(_store: Store, _dataset: Dataset, key: str, specs_key: str, candidates: tuple[str, ...],
              grain: str) -> Evidence | None:
    return workshop_evidence(_store, _dataset, candidates, cache.metric_series, grain)


def evidence(store: Store, workshop: Workshop) -> Evidence | None:
    """Each candidate's lead on the dataset's outcome; computed once per dataset contents and specs."""
    dataset = store.find(workshop.dataset) if workshop.dataset else None
    if dataset is None:
        return None
    specs_key = json.dumps([s.to_dict() for s in saved_candidates(store, dataset)], sort_keys=True)
    try:
        return _evidence(store, dataset, f"{store.path}:{dataset.cache_key}", specs_key,
                         workshop.candidates, EVIDENCE_GRAIN)
    except NorthstarError as err:
        messages.show_error(err)
        return None


def banner(workshop: Workshop) -> None:
    """After the lock, everyone sees what was decided and why."""
    decision = workshop.decision
    if decision is None:
        return
    st.success(f"**Decided: {plain(decision.chosen)}** is our North Star Metric.  \n"
               f"{plain(decision.definition)}  \n*Why:* {plain(decision.rationale)}", icon=":material/flag:")


def ranking(store: Store, workshop: Workshop) -> tuple[str, ...]:
    """Candidates best first as results stand now (dots, then mean score)."""
    return results(store, workshop.code).ranking


def lock_form(store: Store, workshop: Workshop, ranking: tuple[str, ...]) -> None:
    """The facilitator closes scoring: the NSM, its definition, why; the PIN confirms."""
    with st.container(border=True):
        st.markdown("**Close and lock the decision**: scores and dots become read-only for everyone.")
        choice_key = f"lock-choice-{workshop.code}"
        st.session_state.setdefault(choice_key, ranking[0] if ranking else workshop.candidates[0])
        chosen = st.selectbox("Our North Star Metric", workshop.candidates, key=choice_key,
                              help="Preselected: the candidate ranked first when you opened this form.")
        index = workshop.candidates.index(chosen)
        definition = st.text_area("Its definition", value=workshop.definition_of(chosen), height=80,
                                  key=f"lock-definition-{workshop.code}-{index}")
        rationale = st.text_area("Why we chose it", key=f"lock-rationale-{workshop.code}", height=100,
                                 placeholder="e.g. It leads revenue by three weeks and every team "
                                             "can move it.")
        pin = st.text_input("Facilitator PIN", type="password", key=f"lock-pin-{workshop.code}")
        if st.button("Lock the decision", type="primary", icon=":material/lock:", key="lock"):
            try:
                decision = lock(store, workshop.code, pin, chosen, definition, rationale)
            except NorthstarError as err:
                messages.show_error(err)
                return
            messages.flash(f"Locked: {plain(decision.chosen)} is the North Star Metric.")
            st.rerun()


def _file_stem(workshop: Workshop) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", workshop.name.lower()).strip("-") or "workshop"
    return f"decision-{slug}-{workshop.code}"


def record_downloads(store: Store, workshop: Workshop) -> None:
    """The decision record as one HTML file (with the NSM's chart) and as Markdown, built on click."""
    def html() -> bytes:
        record, chart = decision_record(store, workshop.code, compute)
        return decision_html(record, chart).encode()

    def markdown() -> bytes:
        return decision_markdown(decision_record(store, workshop.code, compute)[0]).encode()

    stem = _file_stem(workshop)
    st.markdown("**Decision record**: the NSM, why, the scores, the evidence and the metric tree.")
    buttons = st.container(horizontal=True)
    buttons.download_button("Download (HTML)", html, file_name=f"{stem}.html", mime="text/html",
                             icon=":material/download:", on_click="ignore", key="record-html")
    buttons.download_button("Download (Markdown)", markdown, file_name=f"{stem}.md", mime="text/markdown",
                           icon=":material/download:", on_click="ignore", key="record-md")
