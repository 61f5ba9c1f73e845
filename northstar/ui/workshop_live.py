"""Live results everyone watches: a scores heat map, dots, who scored, disagreements, the data's verdicts."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from northstar.analysis.scorecard import Scorecard
from northstar.charts import FONT
from northstar.errors import NorthstarError
from northstar.i18n import N_, _, language, ngettext, number
from northstar.report import Evidence
from northstar.store import Store
from northstar.ui import cache, lang, messages
from northstar.ui.text import chart_text, plain
from northstar.workshop import CRITERIA, DOTS, WorkshopResults, results, results_stamp

REFRESH_S = 3  # seconds between refreshes of the results on every participant's screen
# The facilitator's screen is the one the room watches (the projector): one session, so it can refresh
# more often at little cost (a refresh with no new write is a cache hit), and what someone just did
# shows there within about a second.
PROJECTOR_REFRESH_S = 1
_LABELS = {c.key: c.label for c in CRITERIA}
# Column heads, broken so five fit side by side without slanting.
_TICKS = {"understandable": N_("Under-<br>standable"), "influenceable": N_("Influ-<br>enceable")}
_TICKS = {c.key: _TICKS.get(c.key, c.label) for c in CRITERIA}
# Weak (1) to strong (5), soft enough that the black text stays readable on a projector.
_SCALE = [[0.0, "#f4a6a6"], [0.25, "#f9d3a5"], [0.5, "#f5f1c4"], [0.75, "#b9e4c0"], [1.0, "#6cc48a"]]
_DISAGREE = "#c2255c"


@st.cache_data(ttl=cache.CACHE_TTL_S, max_entries=cache.CACHE_ENTRIES, show_spinner=False)
def _results(_store: Store, store_key: str, code: str, stamp: str) -> WorkshopResults:
    return results(_store, code)


# A cached Figure is handed out as is, not copied: unpickling one (what st.cache_data does on every
# hit) costs ~15 ms, building it ~100 ms, reusing it ~1 ms; st.plotly_chart only reads it (to_dict)
# and nothing here changes a figure once built. Keyed on the results stamp, the names and the language.
@st.cache_resource(ttl=cache.CACHE_TTL_S, max_entries=cache.CACHE_ENTRIES, show_spinner=False)
def _heatmap(_found: WorkshopResults, _cards: dict[str, Scorecard] | None, store_key: str, code: str,
             stamp: str, names_key: str, cards_key: str, lang: str) -> go.Figure:
    return score_heatmap(_found, json.loads(names_key), _cards)


def cards_key(cards: dict[str, Scorecard] | None) -> str:
    """What the evidence beside the scores shows, as a cache key: each card's scores and sentences."""
    return json.dumps({name: [[card.score(c.key), card.basis(c.key)] for c in CRITERIA]
                       for name, card in (cards or {}).items()}, sort_keys=True, default=str)


def room_heatmap(store: Store, found: WorkshopResults, stamp: str, names: dict[str, str] | None,
                 cards: dict[str, Scorecard] | None = None) -> go.Figure:
    """`score_heatmap` of `found` (read at `stamp`), built once per change of the results."""
    return _heatmap(found, cards, str(store.path), found.workshop.code, stamp,
                    json.dumps(names or {}, sort_keys=True), cards_key(cards), language())


# The sentences of the live results (formatted numbers, translated words: ~10 ms a refresh), made
# once per change of the results, names and language; plain strings, cheap to copy out of the cache.
@st.cache_data(ttl=cache.CACHE_TTL_S, max_entries=cache.CACHE_ENTRIES, show_spinner=False)
def _room_text(_found: WorkshopResults, _cards: dict[str, Scorecard] | None, store_key: str, code: str,
               stamp: str, names_key: str, cards_key: str,
               lang: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]], list[str]]:
    names = json.loads(names_key)
    return (compact_lines(_found, names, _cards), ranking_lines(_found, names),
            disagreements(_found, names))


def room_results(store: Store, code: str, stamp: str | None = None) -> WorkshopResults:
    """The workshop's results, aggregated once per change (its stamp) however many screens refresh.

    Read the stamp before the results: a write in between makes the cached results newer than their
    key, never older, and the next refresh (a new stamp) reads again."""
    stamp = results_stamp(store, code) if stamp is None else stamp
    if not stamp:
        return results(store, code)  # no such workshop: let it say so
    return _results(store, str(store.path), code, stamp)


def _cell_text(row: Mapping[str, Any]) -> str:
    if not row["n"]:
        return "–"
    if row["n"] == 1 or math.isnan(row["std"]):
        return number(row["mean"], 1)
    return f"{number(row['mean'], 1)}<br>± {number(row['std'], 1)}"


def _hover(candidate: str, key: str, cell: Mapping[str, Any], card: Scorecard | None = None) -> str:
    scores = ngettext("{n} score", "{n} scores", int(cell["n"]))
    if cell["n"]:
        scores = _("{scores}, range {low}–{high}", scores=scores, low=number(cell["min"]),
                   high=number(cell["max"]))
    text = f"{chart_text(candidate)} · {_(_LABELS[key])}<br>{scores}"
    if card is not None:
        text += "<br>" + chart_text(_("Evidence {score}: {basis}", score=evidence_score(card, key),
                                      basis=card.basis(key)))
    return text


def evidence_score(card: Scorecard | None, key: str) -> str:
    """The data's 1–5 score on one criterion, "–" when it can't say or there is no scorecard."""
    score = card.score(key) if card is not None else None
    return number(score) if score is not None else "–"


def evidence_line(card: Scorecard) -> str:
    """ "Evidence from the data, not a vote: Critical 5 · Measurable 4 · …" for one candidate."""
    return _("Evidence from the data, not a vote: {scores}", scores=" · ".join(
        f"{_(c.label)} {evidence_score(card, c.key)}" for c in CRITERIA))


def _evidence_cell(card: Scorecard | None, key: str) -> str:
    if card is None:
        return ""
    # Smaller than the mean above it: at 5 criteria a cell is ~80 px wide on a laptop, and 14 px italic
    # "evidence 5" ran into the next cell.
    return ("<br><span style='font-size:11px'><i>" + _("evidence {score}", score=evidence_score(card, key))
            + "</i></span>")


def score_heatmap(found: WorkshopResults, names: dict[str, str] | None = None,
                  cards: dict[str, Scorecard] | None = None) -> go.Figure:
    """Candidates × criteria, colour = mean score, text = mean ± sd (and, with `cards`, the data's
    evidence score beneath, labelled so); disagreements framed."""
    frame = found.by_criterion
    candidates = list(found.workshop.candidates)
    shown = [(names or {}).get(c, c) for c in candidates]
    criteria = [c.key for c in CRITERIA]
    cells = {(row["candidate"], row["criterion"]): row for row in frame.to_dict("records")}
    z = [[cells[(c, k)]["mean"] for k in criteria] for c in candidates]
    cards = cards or {}
    text = [[_cell_text(cells[(c, k)]) + _evidence_cell(cards.get(c), k) for k in criteria]
            for c in candidates]
    hover = [[_hover(s, k, cells[(c, k)], cards.get(c)) for k in criteria]
             for c, s in zip(candidates, shown, strict=True)]
    shapes = [{"type": "rect", "x0": col - 0.46, "x1": col + 0.46, "y0": row - 0.44, "y1": row + 0.44,
               "line": {"color": _DISAGREE, "width": 3, "dash": "dot"}}
              for row, candidate in enumerate(candidates) for col, key in enumerate(criteria)
              if bool(cells[(candidate, key)]["disagreement"])]
    heatmap = {"type": "heatmap", "z": z, "x": [_(_TICKS[k]) for k in criteria],
               "y": [chart_text(s) for s in shown], "text": text, "texttemplate": "%{text}",
               "textfont": {"size": 14, "color": "#1f2430"}, "customdata": hover,
               "hovertemplate": "%{customdata}<extra></extra>", "zmin": 1, "zmax": 5,
               "colorscale": _SCALE, "xgap": 3, "ygap": 3, "showscale": False}
    layout = {"height": 90 + (80 if cards else 64) * len(candidates),
              "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
              "font": {"family": FONT}, "plot_bgcolor": "white", "shapes": shapes,
              "yaxis": {"autorange": "reversed", "showgrid": False, "ticksuffix": "  "},
              "xaxis": {"side": "top", "showgrid": False, "tickangle": 0}}
    # One construction from plain dicts, unvalidated: the values are ours and fixed in shape, and
    # plotly's per-property validation was most of a live refresh's time (~100 ms for 15 cells).
    return go.Figure({"data": [heatmap], "layout": layout}, _validate=False)


# Phones: below 640 px the heat map gives way to a compact list (Streamlit stacks columns there too).
# Our own static CSS, no user text in it; keyed containers get the class `st-key-<key>`.
NARROW_PX = 640
_CSS = f"""<style>
.st-key-ws-compact {{ display: none; }}
@media (max-width: {NARROW_PX}px) {{
  .st-key-ws-heatmap {{ display: none; }}
  .st-key-ws-compact {{ display: block; }}
}}
[data-testid="stMain"] [data-testid="stMarkdownContainer"] {{ overflow-wrap: anywhere; }}
</style>"""


def narrow_screen_css() -> None:
    """Once per page: the heat map on wide screens, the compact list on phones; long names wrap."""
    st.html(_CSS)


def _mean_text(row: pd.Series) -> str:
    if not row["n"]:
        return "–"
    spread = "" if row["n"] == 1 or math.isnan(row["std"]) else f" ± {number(row['std'], 1)}"
    return f"{number(row['mean'], 1)}{spread}" + (" ⚠" if row["disagreement"] else "")


def _compact_cell(text: str, card: Scorecard | None, key: str) -> str:
    if card is None:
        return text
    return _("{mean} (evidence {score})", mean=text, score=evidence_score(card, key))


def compact_lines(found: WorkshopResults, names: dict[str, str] | None = None,
                  cards: dict[str, Scorecard] | None = None) -> list[tuple[str, str]]:
    """(candidate, "Critical 4.0 ± 1.0 · Measurable – · …") per candidate: the heat map as text; with
    `cards`, each mean is followed by the data's score: "Critical 4.0 ± 1.0 (evidence 5)"."""
    cells = found.by_criterion.set_index(["candidate", "criterion"])
    return [((names or {}).get(candidate, candidate),
             " · ".join(f"{_(c.label)} " + _compact_cell(_mean_text(cells.loc[(candidate, c.key)]),
                                                          (cards or {}).get(candidate), c.key)
                        for c in CRITERIA))
            for candidate in found.workshop.candidates]


def compact_scores(found: WorkshopResults, names: dict[str, str] | None = None,
                   cards: dict[str, Scorecard] | None = None,
                   lines: list[tuple[str, str]] | None = None) -> None:
    """The heat map for a phone: one short block per candidate, the criteria as a wrapped line."""
    for candidate, line in compact_lines(found, names, cards) if lines is None else lines:
        st.markdown(f"**{plain(candidate)}**  \n{line}")


def disagreements(found: WorkshopResults, names: dict[str, str] | None = None) -> list[str]:
    """Criteria whose scores are far apart, as sentences to read out."""
    flagged = found.by_criterion[found.by_criterion["disagreement"]]
    return [_("Scores for '{criterion}' on '{candidate}' range from {low} to {high}: worth talking about.",
              criterion=_(_LABELS[row.criterion]),
              candidate=plain((names or {}).get(row.candidate, row.candidate)),
              low=number(row.min), high=number(row.max)) for row in flagged.itertuples()]


def ranking_lines(found: WorkshopResults, names: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """(candidate, its Markdown line: rank, name, mean score, dots, scorers, disagreements), best first."""
    lines = []
    for row in found.by_candidate.itertuples():
        mean = (_("no scores yet") if math.isnan(row.score)
                else _("mean **{score}**", score=number(row.score, 1)))
        dots = ngettext("**{n} dot** from {voters}", "**{n} dots** from {voters}", row.dots,
                        voters=ngettext("{n} voter", "{n} voters", row.voters)) if row.dots else _("no dots")
        parts = [mean, dots, _("scored by {count}", count=number(row.scorers))]
        if row.disagreements:
            parts.append(ngettext("{n} disagreement", "{n} disagreements", row.disagreements))
        shown = (names or {}).get(row.candidate, row.candidate)
        lines.append((str(row.candidate), f"**{row.rank}\\. {plain(shown)}**  \n" + " · ".join(parts)))
    return lines


def ranking(found: WorkshopResults, evidence: Evidence | None, names: dict[str, str] | None = None,
            cards: dict[str, Scorecard] | None = None, lines: list[tuple[str, str]] | None = None) -> None:
    """Candidates best first: dots, mean score, who scored, and what the data says beside each."""
    for candidate, line in ranking_lines(found, names) if lines is None else lines:
        st.markdown(line)
        if evidence is not None:
            st.caption(_("Data: {verdict}.", verdict=plain(evidence.verdict(candidate))))
        if candidate in (cards or {}):
            st.caption(plain(evidence_line((cards or {})[candidate])))


def live_results(store: Store, code: str, seen_status: str, evidence: Evidence | None,
                 seen_leader: str | None = None, names: dict[str, str] | None = None,
                 cards: dict[str, Scorecard] | None = None, *, projector: bool = False) -> None:
    """Refreshes by itself (every second on the facilitator's screen, `projector`; every 3 s on
    phones); when the workshop gets locked elsewhere (or, for the facilitator, the room's leader
    changes, so the lock form proposes the new one), the whole page follows."""
    (_projected if projector else _on_phone)(store, code, seen_status, evidence, seen_leader, names,
                                             cards)


@st.fragment(run_every=REFRESH_S)
def _on_phone(store: Store, code: str, seen_status: str, evidence: Evidence | None,
              seen_leader: str | None, names: dict[str, str] | None,
              cards: dict[str, Scorecard] | None) -> None:
    _live(store, code, seen_status, evidence, seen_leader, names, cards)


@st.fragment(run_every=PROJECTOR_REFRESH_S)
def _projected(store: Store, code: str, seen_status: str, evidence: Evidence | None,
               seen_leader: str | None, names: dict[str, str] | None,
               cards: dict[str, Scorecard] | None) -> None:
    _live(store, code, seen_status, evidence, seen_leader, names, cards)


def _live(store: Store, code: str, seen_status: str, evidence: Evidence | None,
          seen_leader: str | None, names: dict[str, str] | None,
          cards: dict[str, Scorecard] | None) -> None:
    lang.apply()  # a fragment's own rerun starts in the default language
    try:
        stamp = results_stamp(store, code)
        found = room_results(store, code, stamp)
    except NorthstarError as err:
        messages.show_error(err)
        return
    if found.workshop.status != seen_status or (
            seen_leader is not None and found.ranking and found.ranking[0] != seen_leader):
        st.rerun(scope="app")
    scorers = found.scores["participant"].nunique()
    dots = int(found.by_candidate["dots"].sum())
    joined, scored, placed = st.columns(3)
    joined.metric(_("Joined"), len(found.participants))
    scored.metric(_("Scored"), scorers, help=_("People who saved at least one score."))
    placed.metric(_("Dots placed"), _("{placed} of {total}", placed=dots,
                                      total=DOTS * len(found.participants)))
    st.caption(_("Joined: {names}", names=", ".join(plain(p) for p in found.participants))
               if found.participants else _("Nobody has joined yet: share the link or the code."))
    compact, ranked, talk = _room_text(found, cards, str(store.path), code, stamp,
                                       json.dumps(names or {}, sort_keys=True), cards_key(cards),
                                       language())
    heat, order = st.columns([3, 2], gap="medium")
    with heat:
        st.markdown(_("**Mean score per criterion**: red is weak, green strong; ± the spread; a dotted "
                      "frame marks scores far apart"))
        if found.scores.empty:
            st.info(_("No scores yet: the means appear here as soon as someone scores a candidate."),
                    icon=":material/hourglass_empty:")
        else:
            with st.container(key="ws-heatmap"):
                st.plotly_chart(room_heatmap(store, found, stamp, names, cards), key="score_heatmap",
                                config={"displayModeBar": False})
            with st.container(key="ws-compact"):
                compact_scores(found, names, cards, compact)
    with order:
        st.markdown(_("**Ranking**: dots first, then mean score"))
        with st.container(border=True):
            ranking(found, evidence, names, cards, ranked)
    if talk:
        st.warning(_("**Worth talking about**") + "\n\n" + "\n".join(f"- {s}" for s in talk),
                   icon=":material/forum:")
