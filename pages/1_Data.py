"""Data: load an export, map its columns, and see what the active dataset holds."""

import streamlit as st

from northstar.i18n import N_, _
from northstar.ui import datasets, loader, messages, page

store, active = page.open_page(
    N_("Data"), ":material/database:",
    N_("Upload an event export (one row per event), check how its columns were read, and switch "
    "between datasets."))

messages.show_flash()
with st.expander(_("Load a file"), expanded=active is None):
    loader.upload_and_load(store)

if active is None:
    with st.expander(_("Attach a Parquet folder")):
        datasets.attach_folder(store, None)
    st.info(_("No dataset yet: upload a file above, or load the demo from the home page."))
    st.stop()

datasets.summary(store, active)
loader.health_section(store, active)

st.divider()
st.subheader(_("Datasets in this store"))
datasets.manage(store, active)
with st.expander(_("Attach a Parquet folder")):
    datasets.attach_folder(store, active)
