"""People's text on screen: `plain(s)` in every st.markdown, caption, subheader, label and toast.

The one escaping helper of the UI (northstar.text does the work, also for charts and the CLI).
"""

from __future__ import annotations

import pandas as pd

from northstar.text import chart_text, csv_safe, markdown_text

__all__ = ["chart_text", "csv_bytes", "plain"]


def plain(text: object) -> str:
    """`text` as it was typed, for anything Streamlit renders as Markdown (labels included)."""
    return markdown_text(text)


def csv_bytes(frame: pd.DataFrame, index: bool = False) -> bytes:
    """A CSV download whose cells cannot run as spreadsheet formulas."""
    return csv_safe(frame).to_csv(index=index).encode()
