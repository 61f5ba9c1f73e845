"""Plotly figures, one function per chart; no Streamlit here so reports can embed them too."""

from __future__ import annotations

import math

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from northstar.i18n import _, language
from northstar.text import chart_text
from northstar.wording import PERCENT_KINDS, format_change, format_value

FONT = "Inter, system-ui, sans-serif"
ACCENT = "#3b5bdb"


# Plotly's number marks per language (decimal, then thousands), and dates as the language writes them:
# Swedish writes dates the ISO way (2026-03-01), so no month names are needed from Plotly's locales.
SEPARATORS = {"sv": ",\u00a0", "en": ".,"}
DATE_FORMATS = {"sv": "%Y-%m-%d", "en": "%d %b %Y"}


def date_format() -> str:
    """The d3 time format for a day in the current language (hover labels, tick labels)."""
    return DATE_FORMATS.get(language(), DATE_FORMATS["en"])


def date_axis(fig: go.Figure, **where: int) -> go.Figure:
    """Tick labels of a date x-axis in the current language (English keeps Plotly's own)."""
    if language() != "en":
        fig.update_xaxes(tickformat=date_format(), **where)
    return fig


def _style(fig: go.Figure, height: int) -> go.Figure:
    fig.update_layout(separators=SEPARATORS.get(language(), SEPARATORS["en"]))
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
    weekly = weekly.assign(event=weekly["event"].astype(str).map(chart_text))  # names are data
    fig = px.bar(weekly, x="week", y="events", color="event",
                 labels={"week": "", "events": _("Events"), "event": _("Event")},
                 color_discrete_sequence=px.colors.qualitative.Safe)
    fig.update_layout(title={"text": _("Events per week"), "x": 0}, bargap=0.1)
    return date_axis(_style(fig, height))


def small_multiples(frame: pd.DataFrame, latest: pd.DataFrame, kinds: dict[str, str],
                    columns: int = 3, row_height: int = 230) -> go.Figure:
    """One small chart per metric, sharing the time axis; each titled with its latest value and
    change. Partial periods are drawn as hollow points so nobody reads half a week as a drop."""
    names = list(dict.fromkeys(frame["metric"]))
    rows = max(1, math.ceil(len(names) / columns))
    summary = latest.set_index("metric")
    titles = []
    for name in names:
        row = summary.loc[name] if name in summary.index else None
        value = format_value(row["latest"], kinds.get(name, "")) if row is not None else "–"
        change = (format_change(row["change"], row["change_pct"], kinds.get(name, ""))
                  if row is not None else "")
        titles.append(f"{chart_text(name)}<br><b>{value}</b> <span style='font-size:11px'>{change}</span>")
    fig = make_subplots(rows=rows, cols=columns, shared_xaxes=True, subplot_titles=titles,
                        vertical_spacing=0.16 if rows > 1 else 0.1, horizontal_spacing=0.06)
    hover_date = f"%{{x|{date_format()}}}"
    for i, name in enumerate(names):
        series = frame[frame["metric"] == name]
        full = series[~series["partial"]]
        part = series[series["partial"]]
        cell = {"row": i // columns + 1, "col": i % columns + 1}
        fig.add_trace(go.Scatter(x=full["period"], y=full["value"], mode="lines", name=chart_text(name),
                                 line={"color": ACCENT, "width": 1.8}, showlegend=False,
                                 hovertemplate=f"%{{x|{date_format()}}}: %{{y:,.4g}}<extra></extra>"),
                      **cell)
        if len(part):
            fig.add_trace(go.Scatter(x=part["period"], y=part["value"], mode="markers",
                                     marker={"symbol": "circle-open", "color": "#8a94a6"},
                                     showlegend=False, name=_("{name} (partial)", name=chart_text(name)),
                                     hovertemplate=_("{date} (partial)", date=hover_date)
                                                   + ": %{y:,.4g}<extra></extra>"), **cell)
        if kinds.get(name) in PERCENT_KINDS:
            fig.update_yaxes(tickformat=".0%", **cell)
    fig.update_annotations(font_size=12, align="left")
    _style(fig, rows * row_height + 40)
    fig.update_layout(hovermode="closest", margin={"t": 70})
    return date_axis(fig)


def metric_line(frame: pd.DataFrame, title: str, height: int = 300) -> go.Figure:
    """One metric over time (the live preview while a candidate is edited)."""
    fig = go.Figure(go.Scatter(x=frame["period"], y=frame["value"], mode="lines+markers",
                               line={"color": ACCENT}, marker={"size": 4},
                               hovertemplate=f"%{{x|{date_format()}}}: %{{y:,.4g}}<extra></extra>"))
    fig.update_layout(title={"text": title, "x": 0})
    return date_axis(_style(fig, height))
