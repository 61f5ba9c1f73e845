"""Plotly figures, one function per chart; no Streamlit here, so reports embed them too."""

from northstar.charts.compare import (
    KIND_COLOUR,
    changes_scatter,
    cross_correlation,
    lead_lines,
    lead_multiples,
)
from northstar.charts.figures import ACCENT, FONT, events_per_week, metric_line, small_multiples

__all__ = [
    "ACCENT",
    "FONT",
    "KIND_COLOUR",
    "changes_scatter",
    "cross_correlation",
    "events_per_week",
    "lead_lines",
    "lead_multiples",
    "metric_line",
    "small_multiples",
]
