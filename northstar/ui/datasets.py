"""Widgets that show and switch datasets: the sidebar picker, the status line, the summary."""

from __future__ import annotations

import streamlit as st

from northstar import charts, i18n
from northstar.i18n import _, ngettext
from northstar.ingest import ROLE_LABELS
from northstar.store import Dataset, Store
from northstar.ui import cache, state
from northstar.ui.text import plain

# Streamlit's date columns (a moment.js pattern): the same in both languages, unambiguous in both.
DATE_FORMAT = "YYYY-MM-DD"


def span(dataset: Dataset) -> str:
    if not (dataset.first_ts and dataset.last_ts):
        return _("no dates")
    return f"{i18n.day(dataset.first_ts)} – {i18n.day(dataset.last_ts)}"


def sidebar_picker(store: Store) -> Dataset | None:
    """The active dataset, switchable from the sidebar on every page."""
    datasets = store.datasets()
    active = state.active_dataset(datasets)
    with st.sidebar:
        if active is None:  # the store has no datasets
            st.caption(_("No dataset loaded yet."))
            return None
        # The widget follows the session's choice, wherever that was made (e.g. the Data page).
        st.session_state["sidebar_dataset"] = active.name
        st.selectbox(_("Active dataset"), [d.name for d in datasets], key="sidebar_dataset",
                     on_change=lambda: state.set_active(st.session_state["sidebar_dataset"]))
        st.caption(ngettext("{n} event", "{n} events", active.rows) + " · "
                   + ngettext("{n} user", "{n} users", active.users) + f"  \n{span(active)}")
    return active


def status(dataset: Dataset) -> None:
    """Size and span of a dataset as four metrics."""
    rows, users, first, last = st.columns(4)
    rows.metric(_("Events"), i18n.number(dataset.rows))
    users.metric(_("Users"), i18n.number(dataset.users))
    first.metric(_("First event"), i18n.day(dataset.first_ts) if dataset.first_ts else "–")
    last.metric(_("Last event"), i18n.day(dataset.last_ts) if dataset.last_ts else "–")


def summary(store: Store, dataset: Dataset) -> None:
    """Everything about one dataset: size, how columns were read, event catalogue, weekly chart."""
    st.subheader(_("Dataset “{name}”", name=plain(dataset.name)))
    st.caption(_("From {source}, loaded {day} {time}", source=plain(dataset.source),
                 day=i18n.day(dataset.loaded_at), time=dataset.loaded_at.strftime("%H:%M")))
    status(dataset)
    roles = dataset.mapping.get("roles", {})
    with st.expander(_("How the columns were read")):
        st.markdown("\n".join(f"- **{plain(_(ROLE_LABELS.get(role, role)))}** ← {plain(source)}"
                              for role, source in roles.items() if source))
        if dataset.notes:
            st.markdown("\n".join(f"- {plain(note)}" for note in dataset.notes))
        if dataset.properties:
            st.markdown(_("Other columns kept as properties: {columns}",
                          columns=", ".join(plain(p) for p in dataset.properties)))
    st.plotly_chart(charts.events_per_week(cache.events_per_week(store, dataset)),
                    key="events_per_week")
    st.markdown("**" + _("Event catalogue") + "**")  # outside an f-string, where Babel finds it
    st.dataframe(
        cache.event_catalogue(store, dataset), hide_index=True, width="stretch",
        column_config={
            "event": _("Event"),
            "users": st.column_config.NumberColumn(_("Users"), format="localized"),
            "events": st.column_config.NumberColumn(_("Events"), format="localized"),
            "first_seen": st.column_config.DatetimeColumn(_("First seen"), format=DATE_FORMAT),
            "last_seen": st.column_config.DatetimeColumn(_("Last seen"), format=DATE_FORMAT),
            "with_amount": st.column_config.NumberColumn(_("With an amount"), format="localized"),
            "with_duration": st.column_config.NumberColumn(_("With a duration"), format="localized"),
            "with_nps": st.column_config.NumberColumn(_("With an NPS score"), format="localized"),
            "share_of_users": st.column_config.ProgressColumn(
                _("Share of users"), format="percent", min_value=0.0, max_value=1.0),
        })


def manage(store: Store, active: Dataset) -> None:
    """List the store's datasets; switch to one or delete one."""
    datasets = store.datasets()
    st.dataframe(
        [{"dataset": d.name, "source": d.source, "events": i18n.number(d.rows),
          "users": i18n.number(d.users), "span": span(d),
          "loaded": f"{i18n.day(d.loaded_at)} {d.loaded_at:%H:%M}", "active": d.name == active.name}
         for d in datasets], hide_index=True, width="stretch",
        column_config={
            "dataset": _("Dataset"), "source": _("Source"), "events": _("Events"), "users": _("Users"),
            "span": _("Span"), "loaded": _("Loaded"),
            "active": st.column_config.CheckboxColumn(_("Active")),
        })
    names = [d.name for d in datasets]
    left, right = st.columns(2)
    with left:
        chosen = st.selectbox(_("Work on"), names, index=names.index(active.name), key="switch_to")
        if st.button(_("Switch"), disabled=chosen == active.name):
            state.set_active(chosen)
            st.rerun()
    with right:
        doomed = st.selectbox(_("Delete"), names, index=None, placeholder=_("Choose a dataset"),
                              key="delete_which")
        confirm = st.checkbox(_("Yes, delete it with everything defined on it"),
                              disabled=doomed is None, key="delete_confirm")
        # Disabled until a dataset is chosen: a click always comes with one.
        if st.button(_("Delete dataset"), type="secondary",
                     disabled=not (doomed and confirm)) and doomed:
            store.delete_dataset(doomed)
            if doomed == active.name:
                state.set_active(None)
            st.toast(_("Deleted {name}", name=plain(doomed)))
            st.rerun()


def attach_folder(store: Store, active: Dataset | None) -> None:
    """Register a Parquet folder, glob or hive tree in place; refresh the active one if attached."""
    from northstar.errors import NorthstarError
    from northstar.ingest import attach_parquet, parse_overrides, refresh_lake
    from northstar.ui import messages

    st.caption(_("The files stay where they are: queries read them in place, and only the columns "
                 "and dates they need. Attach again (or refresh) to pick up files that landed since."))
    path = st.text_input(_("Folder, glob or Parquet file"), key="attach_path",
                         placeholder=_("/data/lake/events or /data/lake/*.parquet"))
    name = st.text_input(_("Dataset name"), key="attach_name")
    mapping = st.text_input(_("Column mapping (optional)"), key="attach_map",
                            placeholder="user_id=distinct_id, timestamp=event_time",
                            help=_("role=COLUMN pairs, separated by commas; detected when left out."))
    left, right = st.columns(2)
    try:
        if left.button(_("Attach"), type="primary", disabled=not (path.strip() and name.strip()),
                       key="attach_go"):
            pairs = [p for p in (part.strip() for part in mapping.split(",")) if p]
            dataset = attach_parquet(store, path.strip(), name.strip(), parse_overrides(pairs))
        elif active is not None and active.lake and right.button(
                _("Refresh {name} from its folder", name=plain(active.name)), key="attach_refresh"):
            dataset = refresh_lake(store, active.name)
        else:
            return
    except NorthstarError as err:
        messages.show_error(err)
        return
    state.set_active(dataset.name)
    messages.flash(_("Attached {name}: {events} from {users}, read in place.", name=plain(dataset.name),
                     events=ngettext("{n} event", "{n} events", dataset.rows),
                     users=ngettext("{n} user", "{n} users", dataset.users)))
    st.rerun()

