"""Compare page widgets: outcome and lag controls, the ranking, one candidate up close, all at a glance."""

from __future__ import annotations

import math
import re

import pandas as pd
import streamlit as st
from babel.numbers import get_decimal_symbol

from northstar import charts
from northstar.analysis import (
    Comparison,
    available_outcomes,
    chart_data,
    default_max_lag,
    kind_label,
    min_periods,
    season_note,
    shown_name,
    significant,
)
from northstar.analysis.compare import turns_summary
from northstar.analysis.scorecard import Scorecard
from northstar.analysis.user_lift import lift_sentence
from northstar.charts import KIND_COLOUR
from northstar.errors import NorthstarError
from northstar.i18n import N_, _, language, ngettext, number
from northstar.metrics import MetricSpec, display_names, save_candidate
from northstar.store import Dataset, Store
from northstar.ui import messages
from northstar.ui.candidates import grain_picker
from northstar.ui.text import csv_bytes, plain
from northstar.wording import periods
from northstar.workshop import CRITERIA

OUTCOME_KEY = "compare_outcome"
MAX_LAG_KEY = "compare_max_lag"
CANDIDATE_KEY = "compare_candidate"
SHIFT_KEY = "compare_shift"
MAX_LAG_RANGE = (1, 52)
# Streamlit's Markdown badge colours nearest to the charts' KIND_COLOUR.
BADGE = {"leading": "blue", "coincident": "violet", "echo": "gray", "part_of_outcome": "orange",
         "none": "gray", "vanity": "red", "too_short": "gray"}
ROW_PX = 35  # st.dataframe's row height: the table shows up to MAX_ROWS_SHOWN without scrolling
MAX_ROWS_SHOWN = 25
SOURCE_LABELS = {"default": N_("default"), "user": N_("yours"), "suggested": N_("kept suggestion")}
# The ranking's columns: the frame's own keys (tests and code read them), their headings as shown.
COLUMN_HEADINGS = {"metric": N_("metric"), "verdict": N_("verdict"), "best lag": N_("best lag"),
                   "r on changes": N_("r on changes"), "r on levels": N_("r on levels"),
                   "Granger p": N_("Granger p"), "volatility": N_("volatility"), "source": N_("source")}
LAG_UNITS = {"day": N_("In days"), "week": N_("In weeks"), "month": N_("In months")}


def _png(name: str) -> dict:
    """Plotly's own modebar camera button saves the chart as a PNG named after it."""
    filename = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-").lower() or "chart"
    return {"displaylogo": False, "toImageButtonOptions": {"format": "png", "filename": filename,
                                                           "scale": 2}}


def controls(specs: list[MetricSpec], dataset: Dataset) -> tuple[str, str, int | None]:
    """Outcome (saved outcomes first, then any other metric), grain and max lag (None: left empty, so
    it fits the history: the grain's default or a quarter of the periods)."""
    names = available_outcomes(specs)
    default = next((i for i, n in enumerate(names) if n.lower() == "revenue"), 0)
    roles = {s.name: s.role for s in specs}
    shown = display_names(specs)
    outcome_col, grain_col, lag_col = st.columns([3, 2, 1.2])
    outcome = outcome_col.selectbox(
        _("Outcome"), names, index=default, key=OUTCOME_KEY,
        format_func=lambda n: shown[n] if roles[n] == "outcome" else _("{name} (candidate)", name=shown[n]),
        help=_("The business result candidates should move ahead of. Saved outcomes come first; "
               "any other metric can serve too."))
    with grain_col:
        grain = grain_picker()
    # Defaults go in the widget call, not session state: a browser that remounts a widget resets it
    # to the default it was created with.
    max_lag = lag_col.number_input(
        _("Max lag"), *MAX_LAG_RANGE, value=None, key=MAX_LAG_KEY, step=1,
        placeholder=_("auto: {lag}", lag=default_max_lag(dataset, grain).value),
        help=_("The longest lead tried, in periods. Each extra lag needs 3 more periods of data and "
               "widens the correction for trying many lags. Left empty, it fits the history: the "
               "grain's default, or a quarter of the periods when that is less."))
    return outcome, grain, None if max_lag is None else int(max_lag)


def _md(text: str) -> str:
    """Metric names as literal text in Markdown (`$` would start a formula: Mixpanel's `$` events)."""
    return plain(text)


def _p(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return _("< {limit}", limit=number(0.001, 3)) if value < 0.001 else significant(value)


def _source(row: pd.Series) -> str:
    label = _(SOURCE_LABELS[row["source"]]) if row["saved"] else _("suggestion")
    return _("{source} · outcome", source=label) if row["role"] == "outcome" else label


def ranking_frame(comparison: Comparison) -> pd.DataFrame:
    """The ranking as people read it: rank, verdict in a few words, rounded statistics, where it came
    from (the full sentences are in the CSV and under the chosen candidate)."""
    ranked = comparison.ranking
    return pd.DataFrame({
        "rank": range(1, len(ranked) + 1),
        "metric": [shown_name(comparison, m) for m in ranked["metric"]],
        "verdict": [kind_label(r) for r in comparison.results],
        "best lag": ranked["best_lag"],
        "r on changes": ranked["corr_changes"].astype("float64").round(2),
        "r on levels": ranked["corr_levels"].astype("float64").round(2),
        "p": ranked["p_value"].map(_p),
        "q": ranked["q_value"].map(_p),
        "Granger p": ranked["granger_p"].map(_p),
        "volatility": ranked["volatility"].astype("float64").round(3),
        "source": ranked.apply(_source, axis=1),
    })


def headline(comparison: Comparison) -> None:
    """The answer in one sentence, before the evidence."""
    outcome = shown_name(comparison, comparison.outcome.name)
    leaders = [r for r in comparison.results if r.kind == "leading"]
    if leaders:
        best = leaders[0]
        sentence = _("**{metric}** {verdict}.", metric=_md(shown_name(comparison, best.metric)),
                     verdict=_md(best.verdict))
        if len(leaders) > 1:
            sentence = ngettext("{sentence} {n} more leads it too, less strongly.",
                                "{sentence} {n} more lead it too, less strongly.", len(leaders) - 1,
                                sentence=sentence)
        st.success(sentence, icon=":material/trending_up:")
        if found := comparison.lifts.get(best.metric):
            st.markdown(_md(lift_sentence(found)))
    elif short := [r for r in comparison.results if r.kind == "too_short"]:
        first = short[0]
        st.warning(ngettext(
            "Not enough data to judge {n} candidate against {outcome}: {span}, need at least {needed} "
            "(3 × max lag + 10). Load a longer history, pick a finer grain or lower the max lag.",
            "Not enough data to judge {n} candidates against {outcome}: {span}, need at least {needed} "
            "(3 × max lag + 10). Load a longer history, pick a finer grain or lower the max lag.",
            len(short), outcome=_md(outcome), span=periods(first.n_periods, first.grain),
            needed=number(min_periods(len(first.xcorr) - 1))), icon=":material/hourglass_empty:")
    else:
        st.info(_("No candidate leads {outcome} reliably at this grain and max lag.", outcome=_md(outcome)),
                icon=":material/info:")
    if comparison.lag_choice is not None:
        reason = comparison.lag_choice.reason()
        st.caption(_md(f"{reason[:1].upper()}{reason[1:]}."))
    if note := season_note(comparison):
        st.caption(_md(note))


def ranking(comparison: Comparison, dataset: Dataset) -> None:
    """The ranked table and its CSV."""
    frame = ranking_frame(comparison)
    colours = [f"color: {KIND_COLOUR[r.kind]}" for r in comparison.results]
    styled = frame.style.apply(lambda column: colours, subset=["verdict"]).format(
        precision=2, na_rep="–", decimal=get_decimal_symbol(language()))  # 0,92 in Swedish
    column = st.column_config
    height = ROW_PX * (min(len(frame), MAX_ROWS_SHOWN) + 1) + 3
    heading = {key: _(label) for key, label in COLUMN_HEADINGS.items()}
    st.dataframe(styled, hide_index=True, key="compare_ranking", height=height,
                 placeholder="–",
                 column_config={
        "rank": column.NumberColumn("#", width=32),
        "metric": column.TextColumn(heading["metric"], width=195),
        "verdict": column.TextColumn(heading["verdict"], width=150),
        "best lag": column.NumberColumn(heading["best lag"], width=106, help=_(LAG_UNITS[comparison.grain])),
        "r on changes": column.NumberColumn(heading["r on changes"], width=110,
                                            help=_("Pearson r of period-over-period changes at the best "
                                                   "lag, after prewhitening")),
        "r on levels": column.NumberColumn(heading["r on levels"], width=80,
                                           help=_("Pearson r of the levels, same period")),
        "p": column.TextColumn("p", width=58, help=_("At the best lag, corrected for the lags tried")),
        "q": column.TextColumn("q", width=58,
                               help=_("False-discovery rate: corrected for every candidate and lag of this "
                                      "comparison. Leading needs q below 0.05.")),
        "Granger p": column.TextColumn(heading["Granger p"], width=75),
        "volatility": column.NumberColumn(heading["volatility"], width=72,
                                          help=_("Std of period-over-period changes ÷ mean level")),
        "source": column.TextColumn(heading["source"]),
    })
    st.download_button(_("Download the ranking (CSV)"), csv_bytes(comparison.ranking),
                       file_name=f"{dataset.name}-{comparison.outcome.name}-ranking.csv",
                       mime="text/csv", icon=":material/download:", key="download_ranking")


def candidate_key(comparison: Comparison) -> str:
    return f"{CANDIDATE_KEY}:{comparison.outcome.name}"


def pick_candidate(store: Store, dataset: Dataset, comparison: Comparison) -> str | None:
    """A candidate to look at closely (the top one unless chosen), with Keep for a suggestion."""
    names = [r.metric for r in comparison.results]
    if not names:
        st.info(_("No candidates to compare: add some on the Candidates page."))
        return None
    pick, keep, shift = st.columns([4, 1.3, 1.5], vertical_alignment="bottom")
    # One picker per outcome, so a new outcome opens on its best candidate while a new grain or max
    # lag keeps the one being studied. Plain names as labels: a label that changed with the ranking
    # would linger in the browser.
    metric = pick.selectbox(_("Candidate"), names, index=0, key=candidate_key(comparison),
                            format_func=lambda name: shown_name(comparison, name),
                            help=_("Ranked as in the table above; the top one is shown first."))
    if metric in comparison.unsaved and keep.button(
            _("Keep"), key="compare_keep", icon=":material/add:", type="primary",
            help=_("Save this suggestion among the dataset's candidates.")):
        try:
            save_candidate(store, dataset, comparison.spec(metric))
        except NorthstarError as err:
            messages.show_error(err)
            return metric
        messages.flash(_("Kept {name} among the candidates.", name=_md(shown_name(comparison, metric))))
        st.rerun()
    shift.toggle(_("Shift by its lag"), value=True, key=SHIFT_KEY,
                 help=_("Move the candidate forward by its best lag so its bumps line up with the "
                        "outcome's."))
    return metric


def detail(comparison: Comparison, metric: str, dataset: Dataset) -> None:
    """The selected candidate: its verdict, levels together, cross-correlation, changes scatter."""
    result, spec = comparison.result(metric), comparison.spec(metric)
    name, outcome = shown_name(comparison, metric), shown_name(comparison, comparison.outcome.name)
    st.markdown(f"**{_md(name)}** :{BADGE[result.kind]}-badge[{_md(kind_label(result))}] "
                f"{_md(result.verdict)}.")
    st.caption(_md(_("{definition} Compared with {outcome}: {outcome_definition}",
                     definition=spec.definition(), outcome=outcome,
                     outcome_definition=comparison.outcome.definition())))
    if found := comparison.lifts.get(metric):
        st.markdown(_md(lift_sentence(found)))
    st.markdown(_md(_("Backtest of turns: {summary}", summary=turns_summary(comparison, metric))))
    shift = bool(st.session_state.get(SHIFT_KEY, True))
    fig = charts.lead_lines(comparison, metric, shift=shift)
    st.plotly_chart(fig, key="compare_lines", config=_png(f"{metric} vs {comparison.outcome.name}"))
    left, right = st.columns(2, gap="medium")
    left.plotly_chart(charts.cross_correlation(comparison, metric), key="compare_xcorr",
                      config=_png(f"{metric} cross-correlation"))
    right.plotly_chart(charts.changes_scatter(comparison, metric), key="compare_scatter",
                       config=_png(f"{metric} changes"))
    st.caption(_("Dashed band: ±1.96/√n, where a single lag's r is plausibly noise. The p in the table "
                 "is stricter: corrected for every lag tried and for autocorrelated changes. "
                 "Partial periods are left out. The camera icon on each chart saves it as a PNG."))
    if result.ar_order:
        st.caption(_("Bars: r after prewhitening, which filters the own rhythm of {metric} (an AR model of "
                     "order {order}, chosen by AIC) out of both series so that a slow drift can't fake a "
                     "lead; the lead is tested on these. Dashes: r on the changes as recorded, as in the "
                     "scatter.", metric=_md(name), order=result.ar_order))
    st.download_button(_("Download this candidate's chart data (CSV)"),
                       csv_bytes(chart_data(comparison, metric)),
                       file_name=f"{dataset.name}-{metric}-vs-{comparison.outcome.name}.csv",
                       mime="text/csv", icon=":material/download:", key="download_chart_data")


def multiples(comparison: Comparison) -> None:
    """Every candidate against the outcome at a glance, best first."""
    if not comparison.results:
        return
    st.plotly_chart(charts.lead_multiples(comparison), key="compare_multiples",
                    config=_png(f"all candidates vs {comparison.outcome.name}"))


SCORECARD_KEY = "compare_scorecard"


def _evidence_score(score: int | None) -> str:
    return _("{score} of 5", score=score) if score is not None else "–"


def scorecard_frame(comparison: Comparison, cards: dict[str, Scorecard]) -> pd.DataFrame:
    """One row per candidate (ranking order), one column per criterion: the data's 1–5 score."""
    rows = [{"metric": shown_name(comparison, metric),
             **{c.key: card.score(c.key) for c in CRITERIA}} for metric, card in cards.items()]
    return pd.DataFrame(rows, columns=["metric", *(c.key for c in CRITERIA)]).astype(
        {c.key: "Int64" for c in CRITERIA})


def scorecard_lines(card: Scorecard) -> list[str]:
    """The five criteria of one candidate as Markdown lines: label, score, the basis in words."""
    return [_("**{criterion}: {score}**: {basis}", criterion=_(c.label),
              score=_evidence_score(card.score(c.key)), basis=_md(card.basis(c.key))) for c in CRITERIA]


def scorecard(comparison: Comparison, cards: dict[str, Scorecard]) -> None:
    """What the data says about the workshop's five criteria, per candidate: evidence, not a vote."""
    if not cards:
        return
    with st.expander(_("What the data says about the five criteria"), icon=":material/fact_check:"):
        st.caption(_("Evidence from the data, not a vote: 1 = weak, 5 = strong. In the Workshop people "
                     "score the candidates themselves; these scores sit beside theirs."))
        column = st.column_config
        st.dataframe(scorecard_frame(comparison, cards), hide_index=True, key="compare_scorecard_table",
                     placeholder="–", column_config={
                         "metric": column.TextColumn(_("metric"), width=195),
                         **{c.key: column.NumberColumn(_(c.label), help=_(c.help), format="%d")
                            for c in CRITERIA}})
        names = list(cards)
        metric = st.selectbox(_("Why these scores"), names, key=SCORECARD_KEY,
                              format_func=lambda name: shown_name(comparison, name))
        if metric is not None:
            st.markdown("  \n".join(scorecard_lines(cards[metric])))
