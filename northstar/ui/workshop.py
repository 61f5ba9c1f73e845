"""Workshop page widgets: which workshop and who you are (session + URL), start, join, reopen, share."""

from __future__ import annotations

import streamlit as st

from northstar.errors import NorthstarError
from northstar.metrics import saved_candidates
from northstar.store import Dataset, Store
from northstar.ui import messages
from northstar.ui.text import plain
from northstar.wording import plural
from northstar.workshop import (
    MIN_PIN_LENGTH,
    Workshop,
    create_workshop,
    find_workshop,
    join,
    join_url,
    qr_svg,
    verify_pin,
    workshops,
)

# The URL carries the workshop and the participant's name, so a reload (or a shared phone) keeps you in.
CODE_PARAM, NAME_PARAM = "workshop", "name"
CODE_KEY, NAME_KEY, FACILITATING_KEY = "ws_code", "ws_name", "ws_facilitating"


def _wrong_pin() -> NorthstarError:
    return NorthstarError("Wrong PIN", "Only the facilitator who started the workshop knows it; "
                          "check it and try again.")


def _set_param(param: str, value: str) -> None:
    if st.query_params.get(param) != value:
        st.query_params[param] = value


def enter(code: str, name: str | None = None, facilitating: bool = False) -> None:
    """Put this browser session into workshop `code` (as `name`, as its facilitator)."""
    if st.session_state.get(CODE_KEY) != code:
        st.session_state.pop(NAME_KEY, None)
    st.session_state[CODE_KEY] = code
    _set_param(CODE_PARAM, code)
    if name:
        st.session_state[NAME_KEY] = name
        _set_param(NAME_PARAM, name)
    if facilitating:
        st.session_state.setdefault(FACILITATING_KEY, set()).add(code)


def leave() -> None:
    for key in (CODE_KEY, NAME_KEY):
        st.session_state.pop(key, None)
    for param in (CODE_PARAM, NAME_PARAM):
        st.query_params.pop(param, None)


def facilitating(workshop: Workshop) -> bool:
    return workshop.code in st.session_state.get(FACILITATING_KEY, set())


def current(store: Store) -> Workshop | None:
    """The workshop this session is in: from the URL (a join link, a reload), else from the session."""
    code = st.query_params.get(CODE_PARAM) or st.session_state.get(CODE_KEY)
    if not code:
        return None
    try:
        workshop = find_workshop(store, code)
    except NorthstarError as err:
        messages.show_error(err)
        leave()
        return None
    enter(workshop.code)
    return workshop


def participant(store: Store, workshop: Workshop) -> str | None:
    """Your name in this workshop; after a reload, the URL's name joins again as the same person."""
    name = st.session_state.get(NAME_KEY)
    if name:
        _set_param(NAME_PARAM, name)  # e.g. back from another page: page links drop the query
        return name
    from_url = st.query_params.get(NAME_PARAM)
    if from_url:
        try:
            name = join(store, workshop.code, from_url).name
        except NorthstarError as err:
            messages.show_error(err)
            st.query_params.pop(NAME_PARAM, None)
            return None
        enter(workshop.code, name)
    return name


def join_form(store: Store, workshop: Workshop) -> None:
    """Join the workshop you opened by name."""
    with st.form(f"join-{workshop.code}", border=True):
        st.markdown(f"**Join “{plain(workshop.name)}”**")
        name = st.text_input("Your name", max_chars=60, placeholder="e.g. Sam (others see it)",
                             key=f"join-name-{workshop.code}")
        submitted = st.form_submit_button("Join", type="primary", icon=":material/login:")
    if submitted:
        _join(store, workshop.code, name)


def _join(store: Store, code: str, name: str) -> None:
    try:
        joined = join(store, code, name)
    except NorthstarError as err:
        messages.show_error(err)
        return
    enter(joined.workshop, joined.name)
    messages.flash(f"Welcome, {plain(joined.name)}. Your scores save as you click.")
    st.rerun()


def join_by_code(store: Store) -> None:
    """Type the code from the facilitator's screen, and your name."""
    with st.form("join-by-code", border=True):
        st.markdown("**Join a workshop**")
        code = st.text_input("Workshop code", max_chars=12, placeholder="e.g. K7M2QX",
                             key="join-code")
        name = st.text_input("Your name", max_chars=60, key="join-code-name")
        submitted = st.form_submit_button("Join", type="primary", icon=":material/login:")
    if submitted:
        try:
            workshop = find_workshop(store, code)
        except NorthstarError as err:
            messages.show_error(err)
            return
        _join(store, workshop.code, name)


def start_form(store: Store, dataset: Dataset | None) -> None:
    """The facilitator names the workshop, shortlists 2+ candidates and sets the PIN that locks it."""
    if dataset is None:
        st.info("Load a dataset first (Data page): the shortlist comes from its candidates.")
        return
    specs = [s for s in saved_candidates(store, dataset) if s.role == "candidate"]
    with st.form("start-workshop", border=True):
        st.markdown(f"**Start a workshop** on the candidates of “{plain(dataset.name)}”")
        name = st.text_input("Workshop name", placeholder="e.g. Q3 North Star workshop", key="start-name")
        shortlist = st.multiselect("Shortlist (two or more candidates)", [s.name for s in specs],
                                   key="start-shortlist", placeholder="Choose the candidates to score")
        me = st.text_input("Your name (to score as well; optional)", max_chars=60, key="start-me")
        pin = st.text_input("Facilitator PIN", type="password", key="start-pin",
                            help=f"At least {MIN_PIN_LENGTH} characters. Only you need it: it locks "
                                 "the decision, and reopens the workshop as facilitator later.")
        submitted = st.form_submit_button("Start the workshop", type="primary", icon=":material/play_arrow:")
    if not submitted:
        return
    by_name = {s.name: s for s in specs}
    try:
        workshop = create_workshop(store, name, [(c, by_name[c].definition()) for c in shortlist], pin,
                                   dataset=dataset.name)
        joined = join(store, workshop.code, me) if me.strip() else None
    except NorthstarError as err:
        messages.show_error(err)
        return
    enter(workshop.code, joined.name if joined else None, facilitating=True)
    messages.flash(f"Workshop “{plain(workshop.name)}” started. Share code {workshop.code} or the link "
                   "below.")
    st.rerun()


def reopen(store: Store) -> None:
    """Earlier workshops; the facilitator reopens one with its PIN, anyone can open it to join."""
    found = workshops(store)
    if not found:
        st.caption("No workshops yet.")
        return
    st.dataframe([{"Workshop": w.name, "Code": w.code, "Dataset": w.dataset,
                   "Started": w.created_at, "Status": "locked" if w.locked else "open",
                   "Decision": w.decision.chosen if w.decision else None} for w in found],
                 hide_index=True, width="stretch",
                 column_config={"Started": st.column_config.DatetimeColumn(format="D MMM YYYY HH:mm")})
    labels = {w.code: f"{w.name} ({w.code})" for w in found}
    with st.form("reopen", border=True):
        code = st.selectbox("Workshop", list(labels), format_func=lambda c: labels[c],
                            key="reopen-code")
        pin = st.text_input("Facilitator PIN", type="password", key="reopen-pin")
        as_facilitator = st.form_submit_button("Reopen as facilitator", icon=":material/key:")
    if as_facilitator:
        _claim(store, code, pin)


def _claim(store: Store, code: str, pin: str) -> None:
    try:
        if not verify_pin(store, code, pin):
            raise _wrong_pin()
    except NorthstarError as err:
        messages.show_error(err)
        return
    enter(code, facilitating=True)
    messages.flash("You are facilitating this workshop again.")
    st.rerun()


def claim_form(workshop: Workshop, store: Store) -> None:
    """A facilitator who reloaded the page takes control back with the PIN."""
    with st.expander("Facilitating? Enter your PIN", icon=":material/key:"):
        with st.form(f"claim-{workshop.code}", border=False):
            pin = st.text_input("Facilitator PIN", type="password", key=f"claim-pin-{workshop.code}")
            submitted = st.form_submit_button("Take over as facilitator")
        if submitted:
            _claim(store, workshop.code, pin)


def join_link(code: str) -> str:
    """The link to this page with the code; relative when the browser's URL is unknown (tests)."""
    base = st.context.url
    return join_url(base, code) if base else f"?{CODE_PARAM}={code}"


def header(workshop: Workshop, me: str | None) -> None:
    """Workshop name, code, who you are; a way out."""
    title, out = st.columns([5, 1], vertical_alignment="bottom")
    who = f" · you are **{plain(me)}**" if me else ""
    title.subheader(plain(workshop.name))
    title.caption(f"Code **{workshop.code}** · {len(workshop.candidates)} candidates on the shortlist"
                  f"{' · locked' if workshop.locked else ''}{who}")
    if out.button("Leave", icon=":material/logout:", key="leave"):
        leave()
        st.rerun()


def share_panel(workshop: Workshop) -> None:
    """Code, link and QR code for the projector."""
    link = join_link(workshop.code)
    with st.container(border=True):
        code, text, qr = st.columns([1, 3, 1], vertical_alignment="center")
        code.metric("Join code", workshop.code)
        with text:
            st.markdown("**Invite people**: scan the QR code, open the link, or type the join code on "
                        "the Workshop page.")
            st.code(link, language=None)
            st.caption(f"Everyone joins by name; {plural(len(workshop.candidates), 'candidate')} to "
                       "score on five criteria, then 3 dots each to vote.")
        svg = qr_svg(link)
        if svg:
            qr.image(svg, width=170)
