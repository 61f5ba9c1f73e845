"""Plotly figures of a Comparison: does the candidate lead the outcome, and by how much? No Streamlit."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from northstar.analysis import (
    Comparison,
    changes,
    changes_phrase,
    full_periods,
    indexed,
    kind_label,
    lag_of,
    lag_phrase,
    pairs_per_lag,
    shifted,
)
from northstar.charts.figures import ACCENT, _style
from northstar.text import chart_text
from northstar.wording import plural

OUTCOME_COLOUR = "#1f2430"
MUTED = "#c3c9d9"
BAND = "#8a94a6"
# Small multiples: the candidate's line says its verdict before anyone reads the title.
KIND_COLOUR = {"leading": ACCENT, "coincident": "#0c8599", "echo": "#5c7cfa",
               "part_of_outcome": "#e8590c", "none": "#8a94a6", "vanity": "#c2255c",
               "too_short": "#adb5bd"}
Z_95 = 1.96


def lead_lines(comparison: Comparison, metric: str, shift: bool = True, height: int = 380) -> go.Figure:
    """Candidate and outcome on one axis, each indexed to 100 at its mean; the candidate moved
    forward by its best lag so that, if it leads, its bumps land on the outcome's."""
    outcome = comparison.outcome.name
    lag = lag_of(comparison, metric) if shift else 0
    target, candidate = full_periods(comparison, outcome), full_periods(comparison, metric)
    moved = shifted(candidate, lag, comparison.grain)
    outcome, shown = chart_text(outcome), chart_text(metric)  # from here on, names are labels
    label = f"{shown}, shifted {plural(lag, comparison.grain)} later" if lag else shown
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=target.index, y=indexed(target), name=f"{outcome} (outcome)", customdata=target.to_numpy(),
        line={"color": OUTCOME_COLOUR, "width": 2},
        hovertemplate="%{customdata:,.4g} (index %{y:.0f})<extra>" + outcome + "</extra>"))
    fig.add_trace(go.Scatter(
        x=moved.index, y=indexed(moved), name=label, customdata=candidate.index,
        text=candidate.to_numpy(), line={"color": ACCENT, "width": 2},
        hovertemplate="%{text:,.4g} in the " + comparison.grain + " of %{customdata|%d %b %Y} "
                      "(index %{y:.0f})<extra>" + shown + "</extra>"))
    fig.add_hline(y=100, line={"color": MUTED, "width": 1, "dash": "dot"})
    fig.update_layout(title={"text": f"{shown} vs {outcome}", "x": 0})
    fig.update_yaxes(title="Index (mean = 100)")
    _style(fig, height)
    fig.update_layout(legend={"y": -0.12, "yanchor": "top", "x": 0, "xanchor": "left"},
                      margin={"b": 40})
    return fig


def cross_correlation(comparison: Comparison, metric: str, height: int = 320) -> go.Figure:
    """r on period-over-period changes for each lag, candidate leading; the best lag highlighted and
    the ±1.96/√n band inside which a single lag's r is plausibly noise."""
    result = comparison.result(metric)
    lags = list(range(len(result.xcorr)))
    r = [None if not math.isfinite(v) else v for v in result.xcorr]
    colours = [ACCENT if lag == result.best_lag else MUTED for lag in lags]
    unit = comparison.grain
    fig = go.Figure(go.Bar(x=lags, y=r, marker_color=colours, name="prewhitened (tested)",
                           hovertemplate="lead %{x} " + unit + "s: r = %{y:.2f} prewhitened<extra></extra>"))
    if result.xcorr_raw and result.ar_order:
        # The changes as recorded, before the candidate's own rhythm was filtered out of both series.
        raw = [None if not math.isfinite(v) else v for v in result.xcorr_raw]
        fig.add_trace(go.Scatter(x=lags, y=raw, mode="markers", name="raw changes",
                                 marker={"color": MUTED, "symbol": "line-ew-open", "size": 14,
                                         "line": {"width": 2, "color": MUTED}},
                                 hovertemplate="lead %{x} " + unit + "s: r = %{y:.2f} raw<extra></extra>"))
    sizes = pairs_per_lag(comparison, metric)
    band = [Z_95 / math.sqrt(n) if n > 3 else None for n in sizes]
    for sign in (1, -1):
        fig.add_trace(go.Scatter(
            x=lags, y=[sign * b if b is not None else None for b in band], mode="lines",
            line={"color": BAND, "dash": "dash", "width": 1, "shape": "hvh"}, showlegend=False,
            hovertemplate="95% band ±%{y:.2f}<extra></extra>" if sign > 0 else None,
            hoverinfo=None if sign > 0 else "skip"))
    if result.best_lag is not None:
        fig.add_annotation(x=result.best_lag, y=result.xcorr[result.best_lag], yshift=10,
                           text=f"best: {plural(result.best_lag, unit)}", showarrow=False,
                           font={"color": ACCENT, "size": 12})
    fig.update_layout(title={"text": f"Cross-correlation of {changes_phrase(unit, 'diff')}", "x": 0},
                      showlegend=bool(result.xcorr_raw and result.ar_order), bargap=0.25,
                      legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 1, "xanchor": "right"})
    fig.update_xaxes(title=f"Lead ({unit}s)", dtick=1 if len(lags) <= 14 else 2,
                     range=[-0.6, len(lags) - 0.4])
    fig.update_yaxes(title="r", range=[-1, 1.08], zeroline=True, zerolinecolor=MUTED)
    _style(fig, height)
    fig.update_layout(hovermode="closest")
    return fig


def changes_scatter(comparison: Comparison, metric: str, height: int = 320) -> go.Figure:
    """Each period's change in the outcome against the candidate's change `best lag` periods before,
    with a least-squares line."""
    outcome = comparison.outcome.name
    lag = lag_of(comparison, metric)
    pairs = changes(comparison, metric)
    x, y = pairs["candidate_change"].to_numpy(float), pairs["outcome_change"].to_numpy(float)
    fig = go.Figure(go.Scatter(
        x=x, y=y, mode="markers", customdata=pairs["period"],
        marker={"color": ACCENT, "size": 7, "opacity": 0.6, "line": {"width": 0}},
        hovertemplate="%{customdata|%d %b %Y}: outcome %{y:+,.4g}, candidate %{x:+,.4g}<extra></extra>"))
    if len(x) >= 3 and np.ptp(x) > 0:
        slope, intercept = np.polyfit(x, y, 1)
        ends = np.array([x.min(), x.max()])
        fig.add_trace(go.Scatter(x=ends, y=intercept + slope * ends, mode="lines", hoverinfo="skip",
                                 line={"color": OUTCOME_COLOUR, "width": 1.5, "dash": "dash"}))
    apart = f"{plural(lag, comparison.grain)} apart" if lag else f"in the same {comparison.grain}"
    fig.update_layout(title={"text": f"{changes_phrase(comparison.grain, 'diff').capitalize()}, {apart}",
                             "x": 0}, showlegend=False)
    fig.update_xaxes(title=f"{chart_text(metric)} ({lag_phrase(lag, comparison.grain)})", zeroline=True,
                     zerolinecolor=MUTED)
    fig.update_yaxes(title=chart_text(outcome), zeroline=True, zerolinecolor=MUTED)
    _style(fig, height)
    fig.update_layout(hovermode="closest")
    return fig


def lead_multiples(comparison: Comparison, columns: int = 3, row_height: int = 190) -> go.Figure:
    """Every candidate against the outcome, best first: both indexed, the candidate shifted by its
    best lag and coloured by its verdict."""
    outcome = comparison.outcome.name
    results = comparison.results
    rows = max(1, math.ceil(len(results) / columns))
    titles = [f"<b>{chart_text(r.metric)}</b><br>"
              f"<span style='color:{KIND_COLOUR[r.kind]}'>{kind_label(r)}</span>"
              for r in results]
    fig = make_subplots(rows=rows, cols=columns, shared_xaxes=True, subplot_titles=titles,
                        vertical_spacing=min(0.3, 0.35 / rows) if rows > 1 else 0.1,
                        horizontal_spacing=0.05)
    target = indexed(full_periods(comparison, outcome))
    for i, result in enumerate(results):
        cell = {"row": i // columns + 1, "col": i % columns + 1}
        lag = result.best_lag or 0
        candidate = shifted(indexed(full_periods(comparison, result.metric)), lag, comparison.grain)
        fig.add_trace(go.Scatter(x=target.index, y=target, mode="lines", name=chart_text(outcome),
                                 line={"color": MUTED, "width": 1.5}, showlegend=i == 0,
                                 legendgroup="outcome", hoverinfo="skip"), **cell)
        fig.add_trace(go.Scatter(x=candidate.index, y=candidate, mode="lines", name=chart_text(result.metric),
                                 line={"color": KIND_COLOUR[result.kind], "width": 1.8},
                                 showlegend=False,
                                 hovertemplate="%{x|%d %b %Y}: index %{y:.0f}<extra></extra>"), **cell)
        if i + columns >= len(results):  # nothing below: this panel carries the dates
            fig.update_xaxes(showticklabels=True, **cell)
    for i, title in enumerate(fig.layout.annotations):  # titles flush left over their panel
        title.update(x=fig.layout[f"xaxis{i + 1}" if i else "xaxis"].domain[0], xanchor="left",
                     align="left", font_size=12)
    _style(fig, rows * row_height + 60)
    fig.update_layout(hovermode="closest", margin={"t": 60},
                      legend={"y": 1 + 40 / (rows * row_height), "x": 1, "xanchor": "right"})
    fig.data[0].name = f"{chart_text(outcome)} (outcome, grey)"
    return fig
