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
    shown_name,
)
from northstar.charts.figures import ACCENT, _style, date_axis, date_format
from northstar.i18n import N_, _
from northstar.text import chart_text
from northstar.wording import periods

OUTCOME_COLOUR = "#1f2430"
MUTED = "#c3c9d9"
BAND = "#8a94a6"
# Small multiples: the candidate's line says its verdict before anyone reads the title.
KIND_COLOUR = {"leading": ACCENT, "coincident": "#0c8599", "echo": "#5c7cfa",
               "part_of_outcome": "#e8590c", "none": "#8a94a6", "vanity": "#c2255c",
               "too_short": "#adb5bd"}
Z_95 = 1.96


def _dates(template: str) -> str:
    """A translated hover template with its days written as the current language writes them."""
    return template.replace("%d %b %Y", date_format())


LEAD_AXIS = {"day": N_("Lead (days)"), "week": N_("Lead (weeks)"), "month": N_("Lead (months)")}
# Hover text of a bar (prewhitened) and a mark (raw): the lead in periods and its r (Plotly fills %{x}, %{y}).
LEAD_HOVER = {"day": (N_("lead %{x} days: r = %{y:.2f} prewhitened"), N_("lead %{x} days: r = %{y:.2f} raw")),
              "week": (N_("lead %{x} weeks: r = %{y:.2f} prewhitened"),
                       N_("lead %{x} weeks: r = %{y:.2f} raw")),
              "month": (N_("lead %{x} months: r = %{y:.2f} prewhitened"),
                        N_("lead %{x} months: r = %{y:.2f} raw"))}
IN_THE_PERIOD_OF = {"day": N_("%{text:,.4g} on %{customdata|%d %b %Y} (index %{y:.0f})"),
                    "week": N_("%{text:,.4g} in the week of %{customdata|%d %b %Y} (index %{y:.0f})"),
                    "month": N_("%{text:,.4g} in the month of %{customdata|%b %Y} (index %{y:.0f})")}
SAME_PERIOD_APART = {"day": N_("{changes}, on the same day"), "week": N_("{changes}, in the same week"),
                     "month": N_("{changes}, in the same month")}


def lead_lines(comparison: Comparison, metric: str, shift: bool = True, height: int = 380) -> go.Figure:
    """Candidate and outcome on one axis, each indexed to 100 at its mean; the candidate moved
    forward by its best lag so that, if it leads, its bumps land on the outcome's."""
    outcome = comparison.outcome.name
    lag = lag_of(comparison, metric) if shift else 0
    target, candidate = full_periods(comparison, outcome), full_periods(comparison, metric)
    moved = shifted(candidate, lag, comparison.grain)
    # From here on, names are labels: as people see them, escaped for Plotly.
    outcome, shown = chart_text(shown_name(comparison, outcome)), chart_text(shown_name(comparison, metric))
    label = _("{metric}, shifted {span} later", metric=shown, span=periods(lag, comparison.grain)) if lag \
        else shown
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=target.index, y=indexed(target), name=_("{metric} (outcome)", metric=outcome),
        customdata=target.to_numpy(), line={"color": OUTCOME_COLOUR, "width": 2},
        hovertemplate=_("%{customdata:,.4g} (index %{y:.0f})") + "<extra>" + outcome + "</extra>"))
    fig.add_trace(go.Scatter(
        x=moved.index, y=indexed(moved), name=label, customdata=candidate.index,
        text=candidate.to_numpy(), line={"color": ACCENT, "width": 2},
        hovertemplate=_dates(_(IN_THE_PERIOD_OF[comparison.grain])) + "<extra>" + shown + "</extra>"))
    fig.add_hline(y=100, line={"color": MUTED, "width": 1, "dash": "dot"})
    fig.update_layout(title={"text": _("{metric} vs {outcome}", metric=shown, outcome=outcome), "x": 0})
    fig.update_yaxes(title=_("Index (mean = 100)"))
    date_axis(_style(fig, height))
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
    hover_white, hover_raw = (_(text) for text in LEAD_HOVER[unit])
    fig = go.Figure(go.Bar(x=lags, y=r, marker_color=colours, name=_("prewhitened (tested)"),
                           hovertemplate=hover_white + "<extra></extra>"))
    if result.xcorr_raw and result.ar_order:
        # The changes as recorded, before the candidate's own rhythm was filtered out of both series.
        raw = [None if not math.isfinite(v) else v for v in result.xcorr_raw]
        fig.add_trace(go.Scatter(x=lags, y=raw, mode="markers", name=_("raw changes"),
                                 marker={"color": MUTED, "symbol": "line-ew-open", "size": 14,
                                         "line": {"width": 2, "color": MUTED}},
                                 hovertemplate=hover_raw + "<extra></extra>"))
    sizes = pairs_per_lag(comparison, metric)
    band = [Z_95 / math.sqrt(n) if n > 3 else None for n in sizes]
    for sign in (1, -1):
        fig.add_trace(go.Scatter(
            x=lags, y=[sign * b if b is not None else None for b in band], mode="lines",
            line={"color": BAND, "dash": "dash", "width": 1, "shape": "hvh"}, showlegend=False,
            hovertemplate=_("95% band ±%{y:.2f}") + "<extra></extra>" if sign > 0 else None,
            hoverinfo=None if sign > 0 else "skip"))
    if result.best_lag is not None:
        fig.add_annotation(x=result.best_lag, y=result.xcorr[result.best_lag], yshift=10,
                           text=_("best: {span}", span=periods(result.best_lag, unit)), showarrow=False,
                           font={"color": ACCENT, "size": 12})
    title = _("Cross-correlation of {changes}", changes=changes_phrase(unit, "diff"))
    fig.update_layout(title={"text": title, "x": 0}, showlegend=_legend_row(comparison, metric), bargap=0.25)
    fig.update_xaxes(title=_(LEAD_AXIS[unit]), dtick=1 if len(lags) <= 14 else 2,
                     range=[-0.6, len(lags) - 0.4])
    fig.update_yaxes(title="r", range=[-1, 1.08], zeroline=True, zerolinecolor=MUTED)
    _style(fig, height)
    _title_row(fig, comparison, metric, height)
    fig.update_layout(hovermode="closest",
                      legend={"orientation": "h", "x": 0, "xanchor": "left", "y": 1.0, "yanchor": "bottom"})
    return fig


def _legend_row(comparison: Comparison, metric: str) -> bool:
    """Whether the cross-correlation shows its legend (raw changes beside the prewhitened bars)."""
    result = comparison.result(metric)
    return bool(result.xcorr_raw and result.ar_order)


def _title_row(fig: go.Figure, comparison: Comparison, metric: str, height: int) -> None:
    """With the cross-correlation's legend, its title gets a row of its own above the legend (a long
    title and the legend overlap otherwise, in Swedish at once); the scatter beside it gets the same
    row, so the two plots stay the same height side by side."""
    if _legend_row(comparison, metric):
        fig.update_layout(height=height + 28, margin={"t": 68},
                          title={"y": 1, "yref": "container", "yanchor": "top", "pad": {"t": 10}})


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
        hovertemplate=_dates(_("%{customdata|%d %b %Y}: outcome %{y:+,.4g}, candidate %{x:+,.4g}"))
        + "<extra></extra>"))
    if len(x) >= 3 and np.ptp(x) > 0:
        slope, intercept = np.polyfit(x, y, 1)
        ends = np.array([x.min(), x.max()])
        fig.add_trace(go.Scatter(x=ends, y=intercept + slope * ends, mode="lines", hoverinfo="skip",
                                 line={"color": OUTCOME_COLOUR, "width": 1.5, "dash": "dash"}))
    kind_of_changes = changes_phrase(comparison.grain, "diff")
    if lag:
        title = _("{changes}, {span} apart", changes=kind_of_changes, span=periods(lag, comparison.grain))
    else:
        title = _(SAME_PERIOD_APART[comparison.grain], changes=kind_of_changes)
    fig.update_layout(title={"text": title[:1].upper() + title[1:], "x": 0}, showlegend=False)
    fig.update_xaxes(title=_("{metric} ({when})", metric=chart_text(shown_name(comparison, metric)),
                             when=lag_phrase(lag, comparison.grain)), zeroline=True, zerolinecolor=MUTED)
    fig.update_yaxes(title=chart_text(shown_name(comparison, outcome)), zeroline=True, zerolinecolor=MUTED)
    _style(fig, height)
    _title_row(fig, comparison, metric, height)
    fig.update_layout(hovermode="closest")
    return fig


def lead_multiples(comparison: Comparison, columns: int = 3, row_height: int = 190) -> go.Figure:
    """Every candidate against the outcome, best first: both indexed, the candidate shifted by its
    best lag and coloured by its verdict."""
    outcome = comparison.outcome.name
    results = comparison.results
    rows = max(1, math.ceil(len(results) / columns))
    titles = [f"<b>{chart_text(shown_name(comparison, r.metric))}</b><br>"
              f"<span style='color:{KIND_COLOUR[r.kind]}'>{chart_text(kind_label(r))}</span>"
              for r in results]
    fig = make_subplots(rows=rows, cols=columns, shared_xaxes=True, subplot_titles=titles,
                        vertical_spacing=min(0.3, 0.35 / rows) if rows > 1 else 0.1,
                        horizontal_spacing=0.05)
    target = indexed(full_periods(comparison, outcome))
    hover = _dates(_("%{x|%d %b %Y}: index %{y:.0f}")) + "<extra></extra>"
    for i, result in enumerate(results):
        cell = {"row": i // columns + 1, "col": i % columns + 1}
        lag = result.best_lag or 0
        candidate = shifted(indexed(full_periods(comparison, result.metric)), lag, comparison.grain)
        fig.add_trace(go.Scatter(x=target.index, y=target, mode="lines",
                                 name=chart_text(shown_name(comparison, outcome)),
                                 line={"color": MUTED, "width": 1.5}, showlegend=i == 0,
                                 legendgroup="outcome", hoverinfo="skip"), **cell)
        fig.add_trace(go.Scatter(x=candidate.index, y=candidate, mode="lines",
                                 name=chart_text(shown_name(comparison, result.metric)),
                                 line={"color": KIND_COLOUR[result.kind], "width": 1.8},
                                 showlegend=False,
                                 hovertemplate=hover), **cell)
        if i + columns >= len(results):  # nothing below: this panel carries the dates
            fig.update_xaxes(showticklabels=True, **cell)
    for i, title in enumerate(fig.layout.annotations):  # titles flush left over their panel
        title.update(x=fig.layout[f"xaxis{i + 1}" if i else "xaxis"].domain[0], xanchor="left",
                     align="left", font_size=12)
    date_axis(_style(fig, rows * row_height + 60))
    fig.update_layout(hovermode="closest", margin={"t": 60},
                      legend={"y": 1 + 40 / (rows * row_height), "x": 1, "xanchor": "right"})
    fig.data[0].name = _("{metric} (outcome, grey)", metric=chart_text(shown_name(comparison, outcome)))
    return fig
