"""The pages of the app, listed once: the sidebar, the home page's guided path and page config use it."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st


@dataclass(frozen=True)
class PageEntry:
    script: str
    label: str
    icon: str
    what: str  # the home page's one-line description of the step


HOME = PageEntry("app.py", "Home", ":material/star:", "what an NSM is and where to start")
# The guided path through the app, in order.
STEPS: tuple[PageEntry, ...] = (
    PageEntry("pages/1_Data.py", "Data", ":material/database:",
              "load a CSV or Parquet export, map its columns, see its events"),
    PageEntry("pages/2_Candidates.py", "Candidates", ":material/monitoring:",
              "chart the candidate NSMs side by side; define your own"),
    PageEntry("pages/3_Compare.py", "Compare", ":material/compare_arrows:",
              "which candidates lead revenue or retention, and by how long"),
    PageEntry("pages/4_Workshop.py", "Workshop", ":material/groups:",
              "the team scores the shortlist on the five criteria, votes and decides"),
    PageEntry("pages/5_Tree.py", "Tree", ":material/account_tree:",
              "the chosen NSM, each team's OMTM and the KPIs under it"),
)
PAGES: tuple[PageEntry, ...] = (HOME, *STEPS)


def page_setup(title: str) -> None:
    """Page config and the sidebar's page list; call first on every page."""
    st.set_page_config(page_title=f"{title} · Northstar", page_icon=":material/star:",
                       layout="wide")
    with st.sidebar:
        for page in PAGES:
            st.page_link(page.script, label=page.label, icon=page.icon)
        st.divider()


def guided_path() -> None:
    """The numbered steps, each a link with what it is for."""
    for number, page in enumerate(STEPS, start=1):
        st.page_link(page.script, label=f"{number} · {page.label}: {page.what}", icon=page.icon)
