"""Workshop page widgets: which workshop and who you are (session + URL), start, join, reopen, share."""

from __future__ import annotations

import os

import streamlit as st

from northstar.errors import NorthstarError
from northstar.i18n import LANGUAGES, _, language, ngettext
from northstar.metrics import display_names, saved_candidates
from northstar.store import Dataset, Store
from northstar.ui import messages
from northstar.ui.text import plain
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


def candidate_names(store: Store, workshop: Workshop) -> dict[str, str]:
    """Shortlisted name → the name people see (Northstar's own names translated, typed ones as typed)."""
    dataset = store.find(workshop.dataset) if workshop.dataset else None
    shown = display_names(saved_candidates(store, dataset)) if dataset is not None else {}
    return {c: shown.get(c, c) for c in workshop.candidates}


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
        messages.show_error(NorthstarError(_("This facilitator link is not valid"),
                                           _("It may be an old one: the PIN gives you a new link.")))
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
        st.markdown(_("**Join “{name}”**", name=plain(workshop.name)))
        name = st.text_input(_("Your name"), max_chars=60, placeholder=_("e.g. Sam (others see it)"),
                             key=f"join-name-{workshop.code}")
        submitted = st.form_submit_button(_("Join"), type="primary", icon=":material/login:")
    if submitted:
        _join(store, workshop.code, name)


def _join(store: Store, code: str, name: str) -> None:
    try:
        joined = join(store, code, name)
    except NorthstarError as err:
        messages.show_error(err)
        return
    enter(joined.workshop, joined.name, joined.secret)
    messages.flash(_("Welcome, {name}. Your scores save as you click; this page's link "
                     "is your key: keep it to come back as yourself.", name=plain(joined.name)))
    st.rerun()


def join_by_code(store: Store) -> None:
    """Type the code from the facilitator's screen, and your name."""
    with st.form("join-by-code", border=True):
        st.markdown(_("**Join a workshop**"))
        code = st.text_input(_("Workshop code"), max_chars=12, placeholder=_("e.g. K7M2QX"),
                             key="join-code")
        name = st.text_input(_("Your name"), max_chars=60, key="join-code-name")
        submitted = st.form_submit_button(_("Join"), type="primary", icon=":material/login:")
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
        st.info(_("Load a dataset first (Data page): the shortlist comes from its candidates."))
        return
    specs = [s for s in saved_candidates(store, dataset) if s.role == "candidate"]
    shown = display_names(specs)
    with st.form("start-workshop", border=True):
        st.markdown(_("**Start a workshop** on the candidates of “{dataset}”", dataset=plain(dataset.name)))
        name = st.text_input(_("Workshop name"), placeholder=_("e.g. Q3 North Star workshop"),
                             key="start-name")
        shortlist = st.multiselect(_("Shortlist (two or more candidates)"), [s.name for s in specs],
                                   format_func=lambda n: shown.get(n, n), key="start-shortlist",
                                   placeholder=_("Choose the candidates to score"))
        me = st.text_input(_("Your name (to score as well; optional)"), max_chars=60, key="start-me")
        workshop_lang = st.selectbox(_("Workshop language"), list(LANGUAGES),
                                     format_func=LANGUAGES.__getitem__,
                                     index=list(LANGUAGES).index(language()), key="start-lang",
                                     help=_("The join link opens in it and the decision record is "
                                            "written in it."))
        pin = st.text_input(_("Facilitator PIN"), type="password", key="start-pin",
                            help=_("At least {n} characters, not one repeated, not a run "
                                   "like 123456. Only you need it: with your facilitator link it locks "
                                   "and reopens the decision.", n=MIN_PIN_LENGTH))
        submitted = st.form_submit_button(_("Start the workshop"), type="primary",
                                          icon=":material/play_arrow:")
    if not submitted:
        return
    by_name = {s.name: s for s in specs}
    try:
        workshop = create_workshop(store, name, [(c, by_name[c].definition()) for c in shortlist], pin,
                                   dataset=dataset.name, lang=workshop_lang)
        joined = join(store, workshop.code, me) if me.strip() else None
    except NorthstarError as err:
        messages.show_error(err)
        return
    enter(workshop.code, joined.name if joined else None, joined.secret if joined else None,
          host=workshop.host_secret)
    messages.flash(_("Workshop “{name}” started. Share code {code} or the link below.",
                     name=plain(workshop.name), code=workshop.code))
    st.rerun()


def recover_form(store: Store) -> None:
    """A facilitator who lost the facilitator link gets a new one with the code and the PIN."""
    with st.expander(_("Facilitating a workshop and lost its link?"), icon=":material/key:"):
        with st.form("recover", border=False):
            code = st.text_input(_("Workshop code"), max_chars=12, key="recover-code")
            pin = st.text_input(_("Facilitator PIN"), type="password", key="recover-pin")
            submitted = st.form_submit_button(_("Get a new facilitator link"))
        if submitted:
            try:
                workshop = find_workshop(store, code)
                host = recover_host(store, workshop.code, pin)
            except NorthstarError as err:
                messages.show_error(err)
                return
            enter(workshop.code, host=host)
            messages.flash(_("You are facilitating this workshop again: bookmark this page's link, the "
                             "old facilitator link no longer works."))
            st.rerun()


def join_base() -> JoinBase | None:
    """Where phones reach this page: NORTHSTAR_PUBLIC_URL, the browser's address, or the network's.

    None when the browser's URL is unknown and nothing is configured (AppTest): links stay relative.
    """
    if not st.context.url and not os.environ.get(PUBLIC_URL_ENV):
        return None
    return serving_base(st.context.url, st.get_option("server.address"),
                        int(st.get_option("server.port")))


def join_link(code: str, workshop_lang: str | None = None) -> str:
    """The link to this page with the code (and the workshop's language, so it opens in it);
    relative when the browser's URL is unknown (tests)."""
    base = join_base()
    return join_url(base.url if base else "", code, workshop_lang)


def header(workshop: Workshop, me: str | None, facilitator: bool = False) -> None:
    """Workshop name, code, who you are; a way out."""
    title, out = st.columns([5, 1], vertical_alignment="bottom")
    parts = [_("Code **{code}**", code=workshop.code),
             ngettext("{n} candidate on the shortlist", "{n} candidates on the shortlist",
                      len(workshop.candidates))]
    if workshop.locked:
        parts.append(_("locked"))
    if me:
        parts.append(_("you are **{name}**", name=plain(me)))
    if facilitator:
        parts.append(_("you facilitate"))
    title.subheader(plain(workshop.name))
    title.caption(" · ".join(parts))
    if out.button(_("Leave"), icon=":material/logout:", key="leave"):
        leave()
        st.rerun()


def share_panel(workshop: Workshop, host: str) -> None:
    """Code, link and QR code for the projector; the facilitator's own link folded away."""
    link = join_link(workshop.code, workshop.language)
    with st.container(border=True):
        code, text, qr = st.columns([1, 3, 1], vertical_alignment="center")
        code.metric(_("Join code"), workshop.code)
        with text:
            st.markdown(_("**Invite people**: scan the QR code, open the link, or type the join code on "
                          "the Workshop page."))
            st.code(link, language=None)
            base = join_base()
            if base and base.warning:
                st.warning(plain(base.warning), icon=":material/wifi_off:")
            st.caption(ngettext("Everyone joins by name; {n} candidate to score on five criteria, then "
                                 "3 dots each to vote.",
                                 "Everyone joins by name; {n} candidates to score on five criteria, then 3 "
                                 "dots each to vote.", len(workshop.candidates)))
        svg = qr_svg(link)
        if svg:
            qr.image(svg, width=170)
    with st.expander(_("Your facilitator link: keep it private"), icon=":material/key:"):
        st.caption(_("It lets you lock and reopen the decision (with your PIN) from any browser. "
                     "Bookmark it; do not project it."))
        st.code(f"{link}&{HOST_PARAM}={host}", language=None)
