"""Candidates page widgets: small multiples, the list with definitions and SQL, the editor, YAML."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from northstar import charts
from northstar.errors import NorthstarError
from northstar.i18n import N_, _, ngettext
from northstar.metrics import (
    KINDS,
    MEASURES,
    PER,
    ROLES,
    MetricSpec,
    compile_metrics,
    delete_candidate,
    display_description,
    display_name,
    display_names,
    dump_yaml,
    latest_changes,
    load_yaml,
    merge_candidates,
    replace_candidates,
    save_candidate,
    saved_candidates,
    suggestions,
    wide,
)
from northstar.store import Dataset, Store
from northstar.ui import cache, messages
from northstar.ui.text import chart_text, csv_bytes, plain
from northstar.vocab import GRAINS

GRAIN_KEY = "grain"
VIEW_KEY = "candidates_view"
VIEWS = (N_("Definitions and SQL"), N_("Add or edit"), N_("Suggestions"), N_("Import / export"))


def grain_label(grain: str) -> str:
    return {"day": _("day"), "week": _("week"), "month": _("month")}[grain]


def kind_name(kind: str) -> str:
    """The kind's short name ("Active users"), translated."""
    return _(KINDS[kind][0])


def kind_help(kind: str) -> str:
    """What the kind counts, translated."""
    return _(KINDS[kind][1])


def view_picker() -> str:
    st.session_state.setdefault(VIEW_KEY, VIEWS[0])
    return st.segmented_control(_("Show"), VIEWS, key=VIEW_KEY, format_func=_,
                                label_visibility="collapsed") or VIEWS[0]


def _start_editing(name: str | None) -> None:
    st.session_state["editing"] = name
    st.session_state[VIEW_KEY] = "Add or edit"


def grain_picker() -> str:
    st.session_state.setdefault(GRAIN_KEY, "week")
    return st.segmented_control(_("Grain"), GRAINS, key=GRAIN_KEY, format_func=grain_label,
                                width="content") or "week"


def overview(store: Store, dataset: Dataset, specs: list[MetricSpec], grain: str) -> None:
    """All candidates as small multiples with latest value and change; CSV of the series."""
    try:
        frame = cache.metric_series(store, dataset, specs, grain)
    except NorthstarError as err:
        messages.show_error(err)
        return
    names = display_names(specs)  # charts show the names in the reader's language
    latest = latest_changes(frame).assign(metric=lambda f: f["metric"].map(names))
    kinds = {names[s.name]: s.kind for s in specs}
    shown = frame.assign(metric=frame["metric"].map(names))
    st.plotly_chart(charts.small_multiples(shown, latest, kinds), key="small_multiples")
    st.download_button(_("Download the series (CSV)"), csv_bytes(wide(frame), index=True),
                       file_name=f"{dataset.name}-{grain}-metrics.csv", mime="text/csv",
                       icon=":material/download:")


def catalogue(store: Store, dataset: Dataset, specs: list[MetricSpec], grain: str) -> None:
    """Each candidate: its definition, role, the SQL that computes it; edit and delete."""
    activity = store.activity(dataset)
    for spec in specs:
        badge = _("outcome") if spec.role == "outcome" else _("candidate")
        with st.expander(f"**{plain(display_name(spec))}** · {kind_name(spec.kind)} · {badge}"):
            st.markdown(spec.definition())
            if spec.description:
                st.caption(display_description(spec))
            st.code(compile_metrics(dataset, [spec], grain, activity=activity).readable(), language="sql")
            edit, delete = st.columns([1, 1])
            edit.button(_("Edit"), key=f"edit-{spec.name}", icon=":material/edit:",
                        on_click=_start_editing, args=(spec.name,))
            if delete.button(_("Delete"), key=f"delete-{spec.name}", icon=":material/delete:"):
                delete_candidate(store, dataset, spec.name)
                messages.flash(_("Deleted {name}.", name=plain(display_name(spec))))
                st.rerun()


def _events_input(spec: MetricSpec, events: list[str], key: str) -> tuple[str, ...]:
    chosen = st.multiselect(_("Only these events (empty = every event)"), events,
                            default=[e for e in spec.events if e in events], key=f"{key}-events")
    return tuple(chosen)


def editor(store: Store, dataset: Dataset, specs: list[MetricSpec], events: list[str],
           grain: str) -> None:
    """A form for one candidate, new or existing, with a live preview of its series."""
    editing = st.session_state.get("editing")
    current = next((s for s in specs if s.name == editing), None)
    base = current or MetricSpec("", "active_users")
    key = f"editor-{editing or 'new'}"
    st.subheader(_("Edit “{name}”", name=plain(display_name(current))) if current
                 else _("Add a candidate"))
    left, right = st.columns([2, 3], gap="large")
    with left:
        # Northstar's own names are offered in the reader's language; what is saved is what they see.
        name = st.text_input(_("Name"), value=display_name(base), key=f"{key}-name",
                             placeholder=_("e.g. Weekly report sharers"))
        kind = st.selectbox(_("Kind"), list(KINDS), index=list(KINDS).index(base.kind),
                            format_func=kind_name, key=f"{key}-kind",
                            help="\n\n".join(f"**{kind_name(k)}**: {kind_help(k)}" for k in KINDS))
        role = st.radio(_("Role"), ROLES, index=ROLES.index(base.role), horizontal=True,
                        format_func=lambda r: _("outcome") if r == "outcome" else _("candidate"),
                        key=f"{key}-role", help=_("Outcomes are what candidates are tested against."))
        values: dict = {"name": name.strip(), "kind": kind, "role": role}
        if kind != "custom":
            values["events"] = _events_input(base, events, key)
        if kind == "engagement":
            values["measure"] = st.radio(
                _("Measure"), MEASURES, horizontal=True, key=f"{key}-measure",
                format_func=lambda m: _("time spent") if m == "duration" else _("events"),
                                         index=MEASURES.index(base.measure))
            values["per"] = st.radio(_("Per"), PER, horizontal=True, key=f"{key}-per",
                                     index=PER.index(base.per), format_func=lambda p: {
                                         "total": _("in total"), "user": _("per active user")}[p])
        if kind == "ltv":
            values["window_days"] = int(st.number_input(_("Window (days after first seen)"), 1, 3650,
                                                        base.window_days, key=f"{key}-window"))
        if kind == "mrr":
            options = [None, *dataset.properties]
            values["period_column"] = st.selectbox(
                _("Months each payment covers (column)"), options, key=f"{key}-period",
                index=options.index(base.period_column) if base.period_column in options else 0,
                format_func=lambda c: _("one month per payment") if c is None else c)
        if kind == "custom":
            values["expression"] = st.text_area(
                _("Aggregate expression"), value=base.expression or "", key=f"{key}-expr",
                placeholder="count(DISTINCT user_id) FILTER (WHERE event = 'upgrade')",
                help=_("Aggregates (count, sum, avg, ...), arithmetic, CASE and FILTER over the "
                       "columns user_id, ts, event, amount, duration_s, nps_score and the dataset's "
                       "own columns."))
        values["description"] = st.text_input(_("Note (optional)"), value=display_description(base),
                                              key=f"{key}-note")
    with right:
        spec = _preview(store, dataset, values, grain)
    save, cancel = st.columns([1, 4])
    # Disabled while the definition does not compute: a click always comes with a spec.
    if save.button(_("Save candidate"), type="primary", disabled=spec is None, key=f"{key}-save") \
            and spec is not None:
        try:
            save_candidate(store, dataset, replace(spec, source="user"),
                           previous_name=current.name if current else None)
        except NorthstarError as err:
            messages.show_error(err)
            return
        st.session_state.pop("editing", None)
        messages.flash(_("Saved {name}.", name=plain(spec.name)))
        st.rerun()
    if current:
        cancel.button(_("Cancel"), key=f"{key}-cancel", on_click=_start_editing, args=(None,))


def _preview(store: Store, dataset: Dataset, values: dict, grain: str) -> MetricSpec | None:
    """The spec being edited, charted live; None (with the reason shown) while it is invalid."""
    if not values["name"]:
        st.info(_("Name the candidate to see its preview."))
        return None
    try:
        spec = MetricSpec(**values)
        frame = cache.metric_series(store, dataset, [spec], grain)
    except NorthstarError as err:
        messages.show_error(err)
        return None
    st.plotly_chart(charts.metric_line(frame, _("Preview: {name}", name=chart_text(spec.name))),
                    key="preview")
    st.caption(spec.definition())
    return spec


def yaml_exchange(store: Store, dataset: Dataset, specs: list[MetricSpec]) -> None:
    """Export all candidates as YAML; import a YAML file (same names are replaced)."""
    st.download_button(_("Export candidates (YAML)"), dump_yaml(specs).encode(),
                       file_name=f"{dataset.name}-candidates.yaml", mime="application/x-yaml",
                       icon=":material/download:")
    uploaded = st.file_uploader(_("Import candidates (YAML)"), type=["yaml", "yml"], key="yaml_upload")
    if uploaded is not None and st.button(_("Import"), key="yaml_import"):
        try:
            imported = load_yaml(uploaded.getvalue().decode("utf-8", errors="replace"))
            for spec in imported:
                compile_metrics(dataset, [spec], "week")  # checks columns this dataset must have
            replace_candidates(store, dataset, merge_candidates(specs, imported))
        except NorthstarError as err:
            messages.show_error(err)
            return
        messages.flash(ngettext("Imported {n} candidate.", "Imported {n} candidates.", len(imported)))
        st.rerun()


def suggested(store: Store, dataset: Dataset, specs: list[MetricSpec]) -> None:
    """"Users who did X" for frequent events, one click to keep."""
    found = suggestions(store, dataset, specs)
    if not found:
        st.caption(_("No further suggestions: every frequent event is already measured."))
        return
    for spec in found:
        text, keep = st.columns([4, 1])
        text.markdown(f"**{plain(display_name(spec))}** · {plain(spec.definition())}")
        if keep.button(_("Keep"), key=f"keep-{spec.name}", icon=":material/add:"):
            save_candidate(store, dataset, spec)
            messages.flash(_("Added {name}.", name=plain(display_name(spec))))
            st.rerun()


def load(store: Store, dataset: Dataset) -> list[MetricSpec]:
    return saved_candidates(store, dataset)
