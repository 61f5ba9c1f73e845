"""Plotly figures, one function per chart; no Streamlit here so reports can embed them too."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

FONT = "Inter, system-ui, sans-serif"


def _style(fig: go.Figure, height: int) -> go.Figure:
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                      font={"family": FONT},
                      legend={"orientation": "h", "x": 1, "xanchor": "right", "y": 1.02,
                              "yanchor": "bottom", "title": None},
                      hovermode="x unified", plot_bgcolor="white")
    fig.update_xaxes(showgrid=False)
    fig.update_yaxes(gridcolor="#eceff4")
    return fig


def events_per_week(weekly: pd.DataFrame, height: int = 360) -> go.Figure:
    """Stacked bars of events per week by event name (from summary.events_per_week)."""
    fig = px.bar(weekly, x="week", y="events", color="event",
                 labels={"week": "", "events": "Events", "event": "Event"},
                 color_discrete_sequence=px.colors.qualitative.Safe)
    fig.update_layout(title={"text": "Events per week", "x": 0}, bargap=0.1)
    return _style(fig, height)
