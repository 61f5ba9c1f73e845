"""The pages of the app, listed once: the sidebar, the home page's guided path and page config use it."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from northstar.i18n import N_, _
from northstar.ui import lang


@dataclass(frozen=True)
class PageEntry:
    script: str
    label: str  # English, marked with N_: shown translated
    icon: str
    what: str  # the home page's one-line description of the step


HOME = PageEntry("app.py", N_("Home"), ":material/star:", N_("what an NSM is and where to start"))
# The guided path through the app, in order.
STEPS: tuple[PageEntry, ...] = (
    PageEntry("pages/1_Data.py", N_("Data"), ":material/database:",
              N_("load a CSV or Parquet export, map its columns, see its events")),
    PageEntry("pages/2_Candidates.py", N_("Candidates"), ":material/monitoring:",
              N_("chart the candidate NSMs side by side; define your own")),
    PageEntry("pages/3_Compare.py", N_("Compare"), ":material/compare_arrows:",
              N_("which candidates lead revenue or retention, and by how long")),
    PageEntry("pages/4_Workshop.py", N_("Workshop"), ":material/groups:",
              N_("the team scores the shortlist on the five criteria, votes and decides")),
    PageEntry("pages/5_Tree.py", N_("Tree"), ":material/account_tree:",
              N_("the chosen NSM, each team's OMTM and the KPIs under it")),
)
PAGES: tuple[PageEntry, ...] = (HOME, *STEPS)


def page_setup(title: str) -> None:
    """The language, page config and the sidebar's page list; call first on every page.

    `title` is the English text (marked with N_); it is shown translated.
    """
    lang.apply()
    st.set_page_config(page_title=f"{_(title)} · Northstar", page_icon=":material/star:",
                       layout="wide")
    with st.sidebar:
        for page in PAGES:
            st.page_link(page.script, label=_(page.label), icon=page.icon)
        lang.switcher()
        st.divider()


def guided_path() -> None:
    """The numbered steps, each a link with what it is for."""
    for number, page in enumerate(STEPS, start=1):
        st.page_link(page.script, label=f"{number} · {_(page.label)}: {_(page.what)}", icon=page.icon)
