"""Workshop page widgets: which workshop and who you are (session + URL), start, join, reopen, share."""

from __future__ import annotations

import os

import streamlit as st

from northstar.errors import NorthstarError
from northstar.metrics import saved_candidates
from northstar.store import Dataset, Store
from northstar.ui import messages
from northstar.ui.text import plain
from northstar.wording import plural
from northstar.workshop import (
    MIN_PIN_LENGTH,
    PUBLIC_URL_ENV,
    JoinBase,
    Workshop,
    create_workshop,
    find_workshop,
    is_host,
    join,
    join_url,
    qr_svg,
    recover_host,
)
from northstar.workshop import join_base as serving_base

# The URL carries the workshop, the participant's name and personal key (or the facilitator's key),
# so a reload, or a phone that dropped its connection, keeps you in.
CODE_PARAM, NAME_PARAM, KEY_PARAM, HOST_PARAM = "workshop", "name", "key", "host"
CODE_KEY, NAME_KEY, SECRET_KEY, FACILITATING_KEY = "ws_code", "ws_name", "ws_secret", "ws_facilitating"


def _set_param(param: str, value: str) -> None:
    if st.query_params.get(param) != value:
        st.query_params[param] = value


def enter(code: str, name: str | None = None, secret: str | None = None, host: str | None = None) -> None:
    """Put this browser session into workshop `code` (as `name` with its key; as its facilitator)."""
    if st.session_state.get(CODE_KEY) != code:
        for key in (NAME_KEY, SECRET_KEY):
            st.session_state.pop(key, None)
    st.session_state[CODE_KEY] = code
    _set_param(CODE_PARAM, code)
    if name and secret:
        st.session_state[NAME_KEY], st.session_state[SECRET_KEY] = name, secret
        _set_param(NAME_PARAM, name)
        _set_param(KEY_PARAM, secret)
    if host:
        st.session_state.setdefault(FACILITATING_KEY, {})[code] = host
        _set_param(HOST_PARAM, host)


def leave() -> None:
    for key in (CODE_KEY, NAME_KEY, SECRET_KEY):
        st.session_state.pop(key, None)
    for param in (CODE_PARAM, NAME_PARAM, KEY_PARAM, HOST_PARAM):
        st.query_params.pop(param, None)


def host_secret(store: Store, workshop: Workshop) -> str | None:
    """The facilitator's key when this session facilitates `workshop` (from the session or the URL)."""
    known = st.session_state.get(FACILITATING_KEY, {}).get(workshop.code)
    if known:
        _set_param(HOST_PARAM, known)  # back from another page: page links drop the query
        return str(known)
    from_url = st.query_params.get(HOST_PARAM)
    if from_url and is_host(store, workshop.code, from_url):
        enter(workshop.code, host=from_url)
        return from_url
    if from_url:
        st.query_params.pop(HOST_PARAM, None)
        messages.show_error(NorthstarError("This facilitator link is not valid",
                                           "It may be an old one: the PIN gives you a new link."))
    return None


def facilitating(store: Store, workshop: Workshop) -> bool:
    return host_secret(store, workshop) is not None


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


def participant(store: Store, workshop: Workshop) -> tuple[str, str] | None:
    """(your name, your key) in this workshop; after a reload, the URL's name and key join again."""
    name, secret = st.session_state.get(NAME_KEY), st.session_state.get(SECRET_KEY)
    if name and secret:
        _set_param(NAME_PARAM, name)  # e.g. back from another page: page links drop the query
        _set_param(KEY_PARAM, secret)
        return name, secret
    from_url, key = st.query_params.get(NAME_PARAM), st.query_params.get(KEY_PARAM)
    if not from_url:
        return None
    try:
        joined = join(store, workshop.code, from_url, secret=key)
    except NorthstarError as err:
        messages.show_error(err)
        for param in (NAME_PARAM, KEY_PARAM):
            st.query_params.pop(param, None)
        return None
    assert joined.secret is not None
    enter(workshop.code, joined.name, joined.secret)
    return joined.name, joined.secret


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
    enter(joined.workshop, joined.name, joined.secret)
    messages.flash(f"Welcome, {plain(joined.name)}. Your scores save as you click; this page's link "
                   "is your key: keep it to come back as yourself.")
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
                            help=f"At least {MIN_PIN_LENGTH} characters, not one repeated, not a run "
                                 "like 123456. Only you need it: with your facilitator link it locks "
                                 "and reopens the decision.")
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
    enter(workshop.code, joined.name if joined else None, joined.secret if joined else None,
          host=workshop.host_secret)
    messages.flash(f"Workshop “{plain(workshop.name)}” started. Share code {workshop.code} or the link "
                   "below.")
    st.rerun()


def recover_form(store: Store) -> None:
    """A facilitator who lost the facilitator link gets a new one with the code and the PIN."""
    with st.expander("Facilitating a workshop and lost its link?", icon=":material/key:"):
        with st.form("recover", border=False):
            code = st.text_input("Workshop code", max_chars=12, key="recover-code")
            pin = st.text_input("Facilitator PIN", type="password", key="recover-pin")
            submitted = st.form_submit_button("Get a new facilitator link")
        if submitted:
            try:
                workshop = find_workshop(store, code)
                host = recover_host(store, workshop.code, pin)
            except NorthstarError as err:
                messages.show_error(err)
                return
            enter(workshop.code, host=host)
            messages.flash("You are facilitating this workshop again: bookmark this page's link, the "
                           "old facilitator link no longer works.")
            st.rerun()


def join_base() -> JoinBase | None:
    """Where phones reach this page: NORTHSTAR_PUBLIC_URL, the browser's address, or the network's.

    None when the browser's URL is unknown and nothing is configured (AppTest): links stay relative.
    """
    if not st.context.url and not os.environ.get(PUBLIC_URL_ENV):
        return None
    return serving_base(st.context.url, st.get_option("server.address"),
                        int(st.get_option("server.port")))


def join_link(code: str) -> str:
    """The link to this page with the code; relative when the browser's URL is unknown (tests)."""
    base = join_base()
    return join_url(base.url, code) if base else f"?{CODE_PARAM}={code}"


def header(workshop: Workshop, me: str | None, facilitator: bool = False) -> None:
    """Workshop name, code, who you are; a way out."""
    title, out = st.columns([5, 1], vertical_alignment="bottom")
    who = f" · you are **{plain(me)}**" if me else ""
    who += " · you facilitate" if facilitator else ""
    title.subheader(plain(workshop.name))
    title.caption(f"Code **{workshop.code}** · {len(workshop.candidates)} candidates on the shortlist"
                  f"{' · locked' if workshop.locked else ''}{who}")
    if out.button("Leave", icon=":material/logout:", key="leave"):
        leave()
        st.rerun()


def share_panel(workshop: Workshop, host: str) -> None:
    """Code, link and QR code for the projector; the facilitator's own link folded away."""
    link = join_link(workshop.code)
    with st.container(border=True):
        code, text, qr = st.columns([1, 3, 1], vertical_alignment="center")
        code.metric("Join code", workshop.code)
        with text:
            st.markdown("**Invite people**: scan the QR code, open the link, or type the join code on "
                        "the Workshop page.")
            st.code(link, language=None)
            base = join_base()
            if base and base.warning:
                st.warning(plain(base.warning), icon=":material/wifi_off:")
            st.caption(f"Everyone joins by name; {plural(len(workshop.candidates), 'candidate')} to "
                       "score on five criteria, then 3 dots each to vote.")
        svg = qr_svg(link)
        if svg:
            qr.image(svg, width=170)
    with st.expander("Your facilitator link: keep it private", icon=":material/key:"):
        st.caption("It lets you lock and reopen the decision (with your PIN) from any browser. "
                   "Bookmark it; do not project it.")
        st.code(f"{link}&{HOST_PARAM}={host}", language=None)
