"""Which language this browser session reads: chosen in the sidebar, kept in the URL (`?lang=`).

Order: the session's choice, the URL's `?lang=sv|en` (so a workshop link opens in the
facilitator's language), NORTHSTAR_LANG, the browser's preferred language, English.
"""

from __future__ import annotations

import streamlit as st

from northstar.i18n import LANGUAGES, _, default_language, parse_language, set_language

LANG_PARAM, LANG_KEY = "lang", "language"


def apply() -> str:
    """Set this run's language (call first on every page and at the start of every fragment)."""
    lang = parse_language(st.session_state.get(LANG_KEY)) or parse_language(st.query_params.get(LANG_PARAM))
    if lang is None:
        lang = default_language(st.context.locale, st.context.headers.get("Accept-Language"))
    st.session_state[LANG_KEY] = lang
    if st.query_params.get(LANG_PARAM) != lang:
        st.query_params[LANG_PARAM] = lang
    set_language(lang)
    return lang


def _switched() -> None:
    lang = st.session_state.get("language_switch")
    if lang:
        st.session_state[LANG_KEY] = lang
        st.query_params[LANG_PARAM] = lang


def switcher() -> None:
    """The sidebar's language switch; switching reruns the same page with the same state."""
    st.session_state["language_switch"] = st.session_state[LANG_KEY]
    st.segmented_control(_("Language"), list(LANGUAGES), format_func=LANGUAGES.__getitem__,
                         key="language_switch", on_change=_switched, width="content")
