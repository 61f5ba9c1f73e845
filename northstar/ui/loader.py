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
    WHITESPACE,
    FilePreview,
    ReadOptions,
    RoleMapping,
    health,
    ingest_file,
    preview,
)
from northstar.store import Dataset, Store
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


DELIMITERS = {"Detect": None, "Comma ,": ",", "Semicolon ;": ";", "Tab": "\t", "Pipe |": "|",
              "Spaces (whitespace-aligned)": WHITESPACE}
ENCODINGS = {"Detect": None, "UTF-8": "utf-8", "UTF-16": "utf-16", "Latin-1": "latin-1"}


def read_options_form(key: str) -> ReadOptions:
    """How to read the file, when detection got it wrong; the preview is re-read with it."""
    with st.expander("Read options: delimiter, encoding, header, skip rows, date format"):
        delimiter, encoding, skip, date_format = st.columns(4)
        chosen_delimiter = delimiter.selectbox("Delimiter", list(DELIMITERS), key=f"{key}-delimiter")
        chosen_encoding = encoding.selectbox("Encoding", list(ENCODINGS), key=f"{key}-encoding")
        skip_rows = skip.number_input("Skip rows", min_value=0, max_value=10_000, value=0, step=1,
                                      key=f"{key}-skip", help="Lines before the header to ignore.")
        fmt = date_format.text_input("Date format", key=f"{key}-date-format", placeholder="%Y%m%d",
                                     help="strptime codes, e.g. %d/%m/%Y %H:%M; empty: detected.")
        header = st.checkbox("The first row names the columns", value=True, key=f"{key}-header")
    return ReadOptions(delimiter=DELIMITERS[chosen_delimiter], encoding=ENCODINGS[chosen_encoding],
                       header=header, skip=int(skip_rows), date_format=fmt.strip() or None)


def _options_key(options: ReadOptions) -> str:
    """Part of the mapping form's widget keys: other read options, other columns, a fresh form."""
    return str(abs(hash(tuple(options.as_dict().values()))))


def load_flow(store: Store, path: Path, display_name: str, key: str) -> None:
    """Read options → preview → mapping form → name (replace or add to) → load."""
    options = read_options_form(key)
    try:
        found = preview(store, path, options=options)
    except NorthstarError as err:
        messages.show_error(err)
        return
    st.markdown(f"**Preview** of {plain(display_name)} (first {len(found.rows)} rows, "
                f"{len(found.source.columns)} columns)")
    st.dataframe(found.rows, hide_index=True, width="stretch", height=240)
    overrides = mapping_form(found, key=f"{key}-{_options_key(options)}")
    name = st.text_input("Dataset name", value=found.source.stem, key=f"{key}-name",
                         help="Loading a name that exists replaces that dataset, unless you add "
                              "to it.")
    append = False
    if name.strip() and store.find(name.strip()) is not None:
        append = st.checkbox("Add to this dataset", key=f"{key}-append",
                             help="Keep its events and add this file's; events both hold are kept "
                                  "once (matched on the insert id, else on the whole row).")
    if not st.button("Load dataset", type="primary", key=f"{key}-load"):
        return
    if not name.strip():
        st.error("Give the dataset a name.")
        return
    bar = st.progress(0.0, text="Starting")
    try:
        dataset = ingest_file(store, path, dataset=name.strip(), overrides=overrides,
                              progress=lambda f, msg: bar.progress(f, text=msg),
                              display_name=display_name, options=options, append=append)
    except NorthstarError as err:
        bar.empty()
        messages.show_error(err)
        return
    bar.empty()
    state.set_active(dataset.name)
    if append:
        added = dataset.mapping["appends"][-1]
        messages.flash(f"Added {added['new']:,} new events to **{plain(dataset.name)}** "
                       f"({added['already_there']:,} already there): {dataset.rows:,} events "
                       f"from {dataset.users:,} users.")
    else:
        messages.flash(f"Loaded **{plain(dataset.name)}**: {dataset.rows:,} events from "
                       f"{dataset.users:,} users.")
    st.rerun()


def upload_and_load(store: Store) -> None:
    """The whole flow; a loaded dataset becomes the session's active one and the page reruns."""
    uploaded = st.file_uploader("Event export: CSV or text in any layout, JSON lines, Parquet, "
                                ".gz or a .zip of them (Mixpanel, Amplitude, GA4, Segment, Stripe, "
                                "or your own columns)", type=FILE_TYPES, key="upload")
    if uploaded is None:
        return
    load_flow(store, _save_upload(uploaded), uploaded.name, uploaded.file_id)


def health_section(store: Store, dataset: Dataset) -> None:
    """The data health report of the active dataset: what would bend the candidates."""
    cache = st.session_state.setdefault("health_cache", {})
    if dataset.file not in cache:
        try:
            cache[dataset.file] = health(store, dataset)
        except NorthstarError as err:
            messages.show_error(err)
            return
    findings = cache[dataset.file]
    warnings = sum(f.warn for f in findings)
    st.markdown(f"**Data health**: {warnings} of {len(findings)} checks need a look"
                if warnings else "**Data health**: nothing found that would bend the candidates")
    for finding in findings:
        text = f"**{plain(finding.headline)}.** {plain(finding.effect)}"
        if finding.warn:
            st.warning(text, icon=":material/warning:")
        else:
            st.caption(f":material/check: {text}")
