"""The upload → preview → mapping form → load flow of the Data page."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import streamlit as st

from northstar import i18n
from northstar.errors import NorthstarError
from northstar.i18n import N_, _, ngettext
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

FILE_TYPES = ["csv", "tsv", "txt", "dat", "gz", "parquet", "pq", "json", "jsonl", "ndjson", "zip", "xlsx",
              "xlsm"]
# The choices beside the columns; translated where shown (the widget's value stays this constant).
NONE, EXPRESSION = N_("— not in this file —"), N_("✎ expression…")


def _translator() -> Callable[[str], str]:
    """`_` bound to this run's language: a widget's format_func may be called outside the run
    (AppTest does), where the language of the run is not current."""
    lang = i18n.language()

    def translate(text: str) -> str:
        with i18n.use_language(lang):
            return _(text)

    return translate


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
    shown = _translator()
    choice = st.selectbox(_(ROLE_LABELS[role]), options, index=index, key=f"{key}-{role}",
                          placeholder=_("Choose a column"),
                          format_func=lambda option: shown(option) if option in (NONE, EXPRESSION)
                          else option)
    if choice == EXPRESSION:
        return st.text_input(_("{role} expression", role=_(ROLE_LABELS[role])), value=proposed or "",
                             key=f"{key}-{role}-expr", placeholder="Quantity * UnitPrice",
                             help=_("Arithmetic over the file's columns: + - * / and numbers."))
    return "" if choice in (None, NONE) else choice


def mapping_form(found: FilePreview, key: str) -> dict[str, str]:
    """Role overrides as chosen in the form, prefilled by auto-detection."""
    proposal: RoleMapping = found.proposal
    columns = list(found.source.columns)
    st.markdown(_("**Which column is what?** Detected from the column names; change anything."))
    overrides = {}
    for row in (ROLES[:3], ROLES[3:]):
        for role, cell in zip(row, st.columns(3), strict=True):
            with cell:
                overrides[role] = _role_input(role, columns, proposal.source(role), key)
    for note in proposal.notes:
        st.caption(f":material/info: {plain(note)}")
    return overrides


# Option labels (translated where shown) → the read option they stand for.
DELIMITERS = {N_("Detect"): None, N_("Comma ,"): ",", N_("Semicolon ;"): ";", N_("Tab"): "\t",
              N_("Pipe |"): "|", N_("Spaces (whitespace-aligned)"): WHITESPACE}
ENCODINGS = {N_("Detect"): None, "UTF-8": "utf-8", "UTF-16": "utf-16", "Latin-1": "latin-1"}


def read_options_form(key: str) -> ReadOptions:
    """How to read the file, when detection got it wrong; the preview is re-read with it."""
    with st.expander(_("Read options: delimiter, encoding, header, skip rows, date format, sheet")):
        delimiter, encoding, skip, date_format = st.columns(4)
        chosen_delimiter = delimiter.selectbox(_("Delimiter"), list(DELIMITERS), key=f"{key}-delimiter",
                                               format_func=_translator())
        chosen_encoding = encoding.selectbox(_("Encoding"), list(ENCODINGS), key=f"{key}-encoding",
                                             format_func=_translator())
        skip_rows = skip.number_input(_("Skip rows"), min_value=0, max_value=10_000, value=0, step=1,
                                      key=f"{key}-skip", help=_("Lines before the header to ignore."))
        fmt = date_format.text_input(_("Date format"), key=f"{key}-date-format", placeholder="%Y%m%d",
                                     help=_("strptime codes, e.g. %d/%m/%Y %H:%M; empty: detected."))
        header_cell, sheet_cell = st.columns(2)
        header = header_cell.checkbox(_("The first row names the columns"), value=True,
                                      key=f"{key}-header")
        sheet = sheet_cell.text_input(_("Sheet (Excel)"), key=f"{key}-sheet",
                                      placeholder=_("the first sheet"),
                                      help=_("Which sheet of an .xlsx workbook to read."))
    return ReadOptions(delimiter=DELIMITERS[chosen_delimiter], encoding=ENCODINGS[chosen_encoding],
                       header=header, skip=int(skip_rows), date_format=fmt.strip() or None,
                       sheet=sheet.strip() or None)


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
    st.markdown(_("**Preview** of {name} ({rows}, {columns})", name=plain(display_name),
                  rows=ngettext("first {n} row", "first {n} rows", len(found.rows)),
                  columns=ngettext("{n} column", "{n} columns", len(found.source.columns))))
    st.dataframe(found.rows, hide_index=True, width="stretch", height=240)
    overrides = mapping_form(found, key=f"{key}-{_options_key(options)}")
    name = st.text_input(_("Dataset name"), value=found.source.stem, key=f"{key}-name",
                         help=_("Loading a name that exists replaces that dataset, unless you add "
                                "to it."))
    append = False
    if name.strip() and store.find(name.strip()) is not None:
        append = st.checkbox(_("Add to this dataset"), key=f"{key}-append",
                             help=_("Keep its events and add this file's; events both hold are kept "
                                    "once (matched on the insert id, else on the whole row)."))
    if not st.button(_("Load dataset"), type="primary", key=f"{key}-load"):
        return
    if not name.strip():
        st.error(_("Give the dataset a name."))
        return
    bar = st.progress(0.0, text=_("Starting"))
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
        messages.flash(ngettext(
            "Added {n} new event to **{name}** ({already} already there): {events} from {users}.",
            "Added {n} new events to **{name}** ({already} already there): {events} from {users}.",
            added["new"], name=plain(dataset.name), already=i18n.number(added["already_there"]),
            events=ngettext("{n} event", "{n} events", dataset.rows),
            users=ngettext("{n} user", "{n} users", dataset.users)))
    else:
        messages.flash(_("Loaded **{name}**: {events} from {users}.", name=plain(dataset.name),
                         events=ngettext("{n} event", "{n} events", dataset.rows),
                         users=ngettext("{n} user", "{n} users", dataset.users)))
    st.rerun()


def upload_and_load(store: Store) -> None:
    """The whole flow; a loaded dataset becomes the session's active one and the page reruns."""
    uploaded = st.file_uploader(_("Event export: CSV or text in any layout, JSON lines, Parquet, "
                                  "Excel .xlsx, .gz or a .zip of them (Mixpanel, Amplitude, GA4, "
                                  "Segment, Stripe, or your own columns)"), type=FILE_TYPES, key="upload")
    if uploaded is None:
        return
    load_flow(store, _save_upload(uploaded), uploaded.name, uploaded.file_id)


def health_section(store: Store, dataset: Dataset) -> None:
    """The data health report of the active dataset: what would bend the candidates."""
    cache = st.session_state.setdefault("health_cache", {})
    key = (dataset.file, i18n.language())  # findings are sentences: one set per language
    if key not in cache:
        try:
            cache[key] = health(store, dataset)
        except NorthstarError as err:
            messages.show_error(err)
            return
    findings = cache[key]
    warnings = sum(f.warn for f in findings)
    st.markdown(ngettext("**Data health**: {n} of {total} checks needs a look",
                         "**Data health**: {n} of {total} checks need a look", warnings,
                         total=len(findings))
                if warnings else _("**Data health**: nothing found that would bend the candidates"))
    for finding in findings:
        text = f"**{plain(finding.headline)}.** {plain(finding.effect)}"
        if finding.warn:
            st.warning(text, icon=":material/warning:")
        else:
            st.caption(f":material/check: {text}")
