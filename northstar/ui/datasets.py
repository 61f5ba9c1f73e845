"""Widgets that show and switch datasets: the sidebar picker, the status line, the summary."""

from __future__ import annotations

import streamlit as st

from northstar import charts, i18n
from northstar.i18n import _, ngettext
from northstar.store import Dataset, Store
from northstar.ui import cache, state
from northstar.ui.text import plain


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
    st.subheader(f"Dataset “{plain(dataset.name)}”")
    st.caption(f"From {plain(dataset.source)}, loaded {dataset.loaded_at:%d %b %Y %H:%M}")
    status(dataset)
    roles = dataset.mapping.get("roles", {})
    with st.expander("How the columns were read"):
        st.markdown("\n".join(f"- **{role}** ← {plain(source)}" for role, source in roles.items()
                              if source))
        if dataset.notes:
            st.markdown("\n".join(f"- {plain(note)}" for note in dataset.notes))
        if dataset.properties:
            st.markdown("Other columns kept as properties: "
                        + ", ".join(plain(p) for p in dataset.properties))
    st.plotly_chart(charts.events_per_week(cache.events_per_week(store, dataset)),
                    key="events_per_week")
    st.markdown("**Event catalogue**")
    st.dataframe(
        cache.event_catalogue(store, dataset), hide_index=True, width="stretch",
        column_config={
            "event": "Event",
            "users": st.column_config.NumberColumn("Users", format="%d"),
            "events": st.column_config.NumberColumn("Events", format="%d"),
            "first_seen": st.column_config.DatetimeColumn("First seen", format="D MMM YYYY"),
            "last_seen": st.column_config.DatetimeColumn("Last seen", format="D MMM YYYY"),
            "share_of_users": st.column_config.ProgressColumn(
                "Share of users", format="percent", min_value=0.0, max_value=1.0),
        })


def manage(store: Store, active: Dataset) -> None:
    """List the store's datasets; switch to one or delete one."""
    datasets = store.datasets()
    st.dataframe(
        [{"Dataset": d.name, "Source": d.source, "Events": d.rows, "Users": d.users,
          "Span": span(d), "Loaded": d.loaded_at, "Active": d.name == active.name}
         for d in datasets], hide_index=True, width="stretch")
    names = [d.name for d in datasets]
    left, right = st.columns(2)
    with left:
        chosen = st.selectbox("Work on", names, index=names.index(active.name), key="switch_to")
        if st.button("Switch", disabled=chosen == active.name):
            state.set_active(chosen)
            st.rerun()
    with right:
        doomed = st.selectbox("Delete", names, index=None, placeholder="Choose a dataset",
                              key="delete_which")
        confirm = st.checkbox("Yes, delete it with everything defined on it",
                              disabled=doomed is None, key="delete_confirm")
        # Disabled until a dataset is chosen: a click always comes with one.
        if st.button("Delete dataset", type="secondary", disabled=not (doomed and confirm)) and doomed:
            store.delete_dataset(doomed)
            if doomed == active.name:
                state.set_active(None)
            st.toast(f"Deleted {plain(doomed)}")
            st.rerun()


def attach_folder(store: Store, active: Dataset | None) -> None:
    """Register a Parquet folder, glob or hive tree in place; refresh the active one if attached."""
    from northstar.errors import NorthstarError
    from northstar.ingest import attach_parquet, parse_overrides, refresh_lake
    from northstar.ui import messages

    st.caption("The files stay where they are: queries read them in place, and only the columns "
               "and dates they need. Attach again (or refresh) to pick up files that landed since.")
    path = st.text_input("Folder, glob or Parquet file", key="attach_path",
                         placeholder="/data/lake/events or /data/lake/*.parquet")
    name = st.text_input("Dataset name", key="attach_name")
    mapping = st.text_input("Column mapping (optional)", key="attach_map",
                            placeholder="user_id=distinct_id, timestamp=event_time",
                            help="role=COLUMN pairs, separated by commas; detected when left out.")
    left, right = st.columns(2)
    try:
        if left.button("Attach", type="primary", disabled=not (path.strip() and name.strip()),
                       key="attach_go"):
            pairs = [p for p in (part.strip() for part in mapping.split(",")) if p]
            dataset = attach_parquet(store, path.strip(), name.strip(), parse_overrides(pairs))
        elif active is not None and active.lake and right.button(
                f"Refresh {active.name} from its folder", key="attach_refresh"):
            dataset = refresh_lake(store, active.name)
        else:
            return
    except NorthstarError as err:
        messages.show_error(err)
        return
    state.set_active(dataset.name)
    messages.flash(f"Attached {plain(dataset.name)}: {dataset.rows:,} events from "
                   f"{dataset.users:,} users, read in place.")
    st.rerun()

