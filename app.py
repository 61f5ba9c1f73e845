"""Home: what a North Star Metric is, which dataset is loaded, and where to go next."""

import streamlit as st

from northstar.errors import NorthstarError
from northstar.i18n import N_, _
from northstar.ingest import load_demo
from northstar.ui import datasets, messages, navigation, state
from northstar.ui.text import plain

navigation.page_setup(N_("Home"))
store = state.get_store()
active = datasets.sidebar_picker(store)

st.title(":material/star: Northstar")
st.markdown("##### " + _("Find the one metric that captures the value your product gives its customers."))

intro, hierarchy = st.columns([3, 2], gap="large")
with intro:
    st.markdown(_(
        "A **North Star Metric (NSM)** is the single number that best captures the value customers "
        "get from your product and predicts long-term business success. A good one is **critical** to "
        "success, **measurable**, **understandable** by everyone, something the team can "
        "**influence**, and **long-term** rather than a quick win. Spotify's is listening time."))
    st.markdown(_(
        "Under the NSM sits a tree: each team focuses on its **OMTM**, the *One Metric That Matters* "
        "this period (say, returning users), and steers by a few **KPIs** (recommendations made, "
        "playlists created). Northstar loads your event data, computes candidate metrics, tests which "
        "ones actually **lead** revenue and retention, and helps a workshop choose."))
with hierarchy:
    st.markdown(_("**NSM** · the whole company") + "  \n&nbsp;&nbsp;└ "
                + _("**OMTM** · one per team, weekly focus") + "  \n&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;└ "
                + _("**KPIs** · what the team steers by"))

st.divider()
if active is None:
    st.subheader(_("No data yet"))
    st.markdown(_("Load the demo (a subscription product, 2,000 users over 18 months) to explore, or "
                  "upload your own export on the Data page."))
    if st.button(_("Load the demo dataset"), type="primary"):
        with st.spinner(_("Loading the demo…")):
            try:
                state.set_active(load_demo(store).name)
            except NorthstarError as err:
                messages.show_error(err)
            else:
                st.rerun()
else:
    st.subheader(_("Active dataset: {name}", name=plain(active.name)))
    st.caption(_("From {source} · {span}", source=plain(active.source), span=datasets.span(active)))
    datasets.status(active)

st.markdown("#### " + _("The path through Northstar"))
navigation.guided_path()
