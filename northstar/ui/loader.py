"""The upload → preview → mapping form → load flow of the Data page."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from northstar.errors import NorthstarError
from northstar.ingest import (
    NUMERIC_ROLES,
    REQUIRED_ROLES,
    ROLE_LABELS,
    ROLES,
    FilePreview,
    RoleMapping,
    ingest_file,
    preview,
)
from northstar.store import Store
from northstar.ui import messages, state
from northstar.ui.text import plain

FILE_TYPES = ["csv", "tsv", "txt", "dat", "gz", "parquet", "pq", "json", "jsonl", "ndjson", "zip"]
NONE, EXPRESSION = "— not in this file —", "✎ expression…"


def _save_upload(uploaded) -> Path:
    """Keep the upload on disk (DuckDB reads files) in this session's own temp folder."""
    root = Path(st.session_state.setdefault("upload_dir", tempfile.mkdtemp(prefix="northstar-")))
    path = root / uploaded.file_id / Path(uploaded.name).name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(uploaded.getbuffer())
    return path


def _role_input(role: str, columns: list[str], proposed: str | None, key: str) -> str:
    """One role's selectbox (and expression box for numeric roles); returns the override text."""
    options = ([] if role in REQUIRED_ROLES else [NONE]) + columns
    if role in NUMERIC_ROLES:
        options.append(EXPRESSION)
    index: int | None  # None: a required role starts unchosen
    if proposed in columns:
        index = options.index(proposed)
    elif proposed and role in NUMERIC_ROLES:
        index = options.index(EXPRESSION)
    else:
        index = None if role in REQUIRED_ROLES else 0
    choice = st.selectbox(ROLE_LABELS[role], options, index=index, key=f"{key}-{role}",
                          placeholder="Choose a column")
    if choice == EXPRESSION:
        return st.text_input(f"{ROLE_LABELS[role]} expression", value=proposed or "",
                             key=f"{key}-{role}-expr", placeholder="Quantity * UnitPrice",
                             help="Arithmetic over the file's columns: + - * / and numbers.")
    return "" if choice in (None, NONE) else choice


def mapping_form(found: FilePreview, key: str) -> dict[str, str]:
    """Role overrides as chosen in the form, prefilled by auto-detection."""
    proposal: RoleMapping = found.proposal
    columns = list(found.source.columns)
    st.markdown("**Which column is what?** Detected from the column names; change anything.")
    overrides = {}
    for row in (ROLES[:3], ROLES[3:]):
        for role, cell in zip(row, st.columns(3), strict=True):
            with cell:
                overrides[role] = _role_input(role, columns, proposal.source(role), key)
    for note in proposal.notes:
        st.caption(f":material/info: {plain(note)}")
    return overrides


def upload_and_load(store: Store) -> None:
    """The whole flow; a loaded dataset becomes the session's active one and the page reruns."""
    uploaded = st.file_uploader("CSV or Parquet export (Mixpanel, Amplitude, GA4, Segment, Stripe, "
                                "or your own columns)", type=FILE_TYPES, key="upload")
    if uploaded is None:
        return
    path = _save_upload(uploaded)
    try:
        found = preview(store, path)
    except NorthstarError as err:
        messages.show_error(err)
        return
    st.markdown(f"**Preview** of {plain(uploaded.name)} (first {len(found.rows)} rows)")
    st.dataframe(found.rows, hide_index=True, width="stretch", height=240)
    overrides = mapping_form(found, key=uploaded.file_id)
    name = st.text_input("Dataset name", value=found.source.stem, key=f"{uploaded.file_id}-name",
                         help="Loading a name that exists replaces that dataset.")
    if not st.button("Load dataset", type="primary", key=f"{uploaded.file_id}-load"):
        return
    if not name.strip():
        st.error("Give the dataset a name.")
        return
    bar = st.progress(0.0, text="Starting")
    try:
        dataset = ingest_file(store, path, dataset=name.strip(), overrides=overrides,
                              progress=lambda f, msg: bar.progress(f, text=msg),
                              display_name=uploaded.name)
    except NorthstarError as err:
        bar.empty()
        messages.show_error(err)
        return
    bar.empty()
    state.set_active(dataset.name)
    messages.flash(f"Loaded **{plain(dataset.name)}**: {dataset.rows:,} events from {dataset.users:,} users.")
    st.rerun()
