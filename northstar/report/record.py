"""The decision record: chosen NSM, why, scores, evidence and metric tree, as Markdown or one HTML file."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from html import escape
from numbers import Real
from typing import TYPE_CHECKING
from urllib.parse import quote

import pandas as pd

from northstar.errors import NorthstarError
from northstar.i18n import N_, _, language, ngettext, parse_language, use_language
from northstar.metrics import own_name, saved_candidates
from northstar.store import Store
from northstar.tree import (
    MetricTree,
    StatusMap,
    describe_node,
    escape_markdown,
    format_figures,
    format_value,
    load_tree,
    status_of,
    to_markdown,
    to_mermaid,
)
from northstar.workshop import CRITERIA, DISAGREEMENT_RANGE, participants, results

if TYPE_CHECKING:  # plotly loads slowly; only the caller who draws a chart needs it
    import plotly.graph_objects as go


@dataclass(frozen=True)
class SeriesPoint:
    """One period of the chosen NSM's series as it was at lock time."""

    period: date
    value: float | None
    partial: bool = False


@dataclass(frozen=True, eq=False)
class DecisionRecord:
    """Everything the record shows, as plain values; the frames are `WorkshopResults`' frames."""

    workshop: str
    decided_on: date | datetime
    nsm: str
    definition: str
    rationale: str
    participants: tuple[str, ...] = ()
    dataset: str | None = None
    by_candidate: pd.DataFrame | None = None  # rank, candidate, score, dots, voters, ...
    by_criterion: pd.DataFrame | None = None  # candidate, criterion, mean, std, n, disagreement
    evidence: tuple[Mapping[str, object], ...] = ()  # e.g. {"metric": ..., "verdict": ...}
    tree: MetricTree | None = None
    tree_values: StatusMap | None = None
    chart_png: str | None = None  # a PNG beside the Markdown file; the HTML embeds the figure itself
    version: int | None = None  # the lock's number: 2 after one reopen
    leader: str | None = None  # the room's leader when locked (dots, then mean score)
    override_reason: str | None = None  # why the facilitator chose another than the leader
    review_on: date | None = None  # "look again in a quarter"
    series: tuple[SeriesPoint, ...] = ()  # the NSM's series, drawn as an inline SVG chart in the HTML
    series_grain: str = "week"
    history: tuple[Mapping[str, object], ...] = ()  # every lock: version, chosen, locked_at, reopened_at
    language: str = "en"  # the workshop's language: the record's headings and labels are written in it
    # Northstar's own candidate names (saved name → catalog message and its fields), shown in the
    # language the record is rendered in; names people typed are not here and stay as typed.
    names: Mapping[str, tuple[str, Mapping[str, str]]] = field(default_factory=dict)
    # The guardrail frozen at lock time (report/guardrail.py counter_entry): metric, r, lag, by_kind,
    # suggested, sentence_i18n (language → the evidence in words); None when none was named.
    counter_metric: Mapping[str, object] | None = None
    # The chosen NSM's five-criteria evidence at lock time (report/criteria.py): criterion, score (1–5 or
    # None), basis_i18n (language → the sentence behind the score).
    scorecard: tuple[Mapping[str, object], ...] = ()


def record_for_workshop(store: Store, code: str, *, evidence: Sequence[Mapping[str, object]] = (),
                        tree: MetricTree | None = None, tree_values: StatusMap | None = None,
                        chart_png: str | None = None) -> DecisionRecord:
    """The record of a locked workshop; the tree defaults to the one saved for its dataset."""
    found = results(store, code)
    workshop, decision = found.workshop, found.workshop.decision
    if decision is None:
        raise NorthstarError(_("Workshop {name} is not decided yet", name=repr(workshop.name)),
                             _("The facilitator locks the decision with the PIN first."))
    if tree is None and workshop.dataset:
        tree = load_tree(store, workshop.dataset)
    return DecisionRecord(workshop.name, decision.locked_at, decision.chosen, decision.definition,
                          decision.rationale, tuple(p.name for p in participants(store, code)),
                          workshop.dataset, found.by_candidate, found.by_criterion, tuple(evidence),
                          tree, tree_values, chart_png, language=workshop.language,
                          names=own_names(store, workshop.dataset))


def own_names(store: Store, dataset_name: str | None) -> dict[str, tuple[str, Mapping[str, str]]]:
    """The dataset's candidates whose names Northstar gave, with the catalog message behind each."""
    dataset = store.find(dataset_name) if dataset_name else None
    if dataset is None:
        return {}
    return {spec.name: own for spec in saved_candidates(store, dataset) if (own := own_name(spec))}


def shown_name(record: DecisionRecord, name: str) -> str:
    """A candidate's name in the current language when Northstar gave it, else as it was typed."""
    own = record.names.get(name)
    return _(own[0], **own[1]) if own else name


def _localised(record: DecisionRecord) -> DecisionRecord:
    """The record with Northstar's own candidate names in the current language (a copy to render)."""
    if not record.names and not any(key in row for row in record.evidence for key in _HIDDEN):
        return record

    def names(frame: pd.DataFrame | None) -> pd.DataFrame | None:
        if frame is None or "candidate" not in frame:
            return frame
        return frame.assign(candidate=frame["candidate"].map(lambda n: shown_name(record, str(n))))

    def row(values: Mapping[str, object], *keys: str) -> dict[str, object]:
        out = {key: shown_name(record, value) if key in keys and isinstance(value, str) else value
               for key, value in values.items()}
        for key in ("verdict", *_EXTRAS):
            said = values.get(f"{key}_i18n")
            if isinstance(said, Mapping) and said.get(language()):
                out[key] = said[language()]
        return out

    return replace(record, nsm=shown_name(record, record.nsm),
                   leader=shown_name(record, record.leader) if record.leader else record.leader,
                   by_candidate=names(record.by_candidate), by_criterion=names(record.by_criterion),
                   evidence=tuple(row(r, "metric", "outcome") for r in record.evidence),
                   history=tuple(row(h, "chosen") for h in record.history))


def _day(when: date | datetime) -> str:
    return when.strftime("%Y-%m-%d")


def _mean(value: object) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.1f}"


def _cell(value: object) -> str:
    if isinstance(value, float):
        return format_value(value) or "–"
    return "–" if value is None else str(value)


@dataclass(frozen=True)
class _ScoreRow:
    """One candidate's line of the score table."""

    rank: int
    candidate: str
    chosen: bool
    criteria: list[tuple[float, bool]]  # (mean, disagreement) per criterion, in CRITERIA order
    score: float
    dots: int
    voters: int


def _score_rows(record: DecisionRecord) -> list[_ScoreRow]:
    """One row per candidate, best first: criterion means with their disagreement flags."""
    if record.by_candidate is None or record.by_criterion is None:
        return []
    cells = {(r.candidate, r.criterion): (r.mean, bool(r.disagreement))
             for r in record.by_criterion.itertuples()}
    return [_ScoreRow(rank=int(r.rank), candidate=r.candidate, chosen=r.candidate == record.nsm,
                      criteria=[cells.get((r.candidate, c.key), (math.nan, False)) for c in CRITERIA],
                      score=r.score, dots=int(r.dots), voters=int(r.voters))
            for r in record.by_candidate.itertuples()]


# Sentences the evidence may carry about the chosen NSM (report/evidence.py Evidence.extras).
_EXTRAS = ("user_lift", "turns")
# Evidence keys that are not columns: the verdict (and those sentences) in every language (one is shown).
_HIDDEN = ("verdict_i18n", *(f"{key}_i18n" for key in _EXTRAS))


def _evidence_columns(record: DecisionRecord) -> list[str]:
    columns: list[str] = []
    for row in record.evidence:
        columns += [key for key in row if key not in columns and key not in _HIDDEN]
    return columns


def _numeric_columns(record: DecisionRecord, columns: list[str]) -> set[str]:
    """Columns holding only numbers (or gaps): right-aligned so digits line up."""
    return {c for c in columns if all(row.get(c) is None or (isinstance(row.get(c), Real)
                                                             and not isinstance(row.get(c), bool))
                                      for row in record.evidence)}


# Evidence columns the record knows; any other column is headed by its key.
_HEADINGS = {"metric": N_("Metric"), "outcome": N_("Outcome"), "verdict": N_("Verdict"),
             "best_lag": N_("Best lag"), "corr_changes": N_("Corr changes"), "p_value": N_("P value"),
             "user_lift": N_("User-level lift"), "turns": N_("Backtest of turns")}


def _heading(key: str) -> str:
    return _(_HEADINGS[key]) if key in _HEADINGS else key.replace("_", " ").capitalize()


def _note() -> str:
    return _("Means of 1–5 ratings. ⚠ marks a criterion where ratings were at least {points} points "
             "apart (someone rated it weak, someone strong). Ranked by dots, then mean score.",
             points=DISAGREEMENT_RANGE)


def _meta(record: DecisionRecord, esc: Callable[[str], str], markdown: bool) -> list[str]:
    """The record's date, dataset and participants, escaped by `esc` (bold labels in Markdown)."""
    day = _day(record.decided_on)
    meta = [_("**Decided:** {day}", day=day) if markdown else _("Decided on {day}", day=day)]
    if record.version and record.version > 1:
        meta.append(_("version {version}", version=record.version))
    if record.dataset:
        dataset = esc(record.dataset)
        meta.append(_("**Dataset:** {dataset}", dataset=dataset) if markdown
                    else _("Dataset: {dataset}", dataset=dataset))
    if record.participants:
        names = ", ".join(esc(p) for p in record.participants)
        count = len(record.participants)
        meta.append(ngettext("**Participants ({n}):** {names}", "**Participants ({n}):** {names}", count,
                             names=names) if markdown
                    else ngettext("{n} participant: {names}", "{n} participants: {names}", count,
                                  names=names))
    return meta


def _record_language(record: DecisionRecord, lang: str | None) -> str:
    return parse_language(lang) or parse_language(record.language) or "en"


def decision_markdown(record: DecisionRecord, lang: str | None = None) -> str:
    """GitHub-flavoured Markdown: paste into a wiki or commit next to the code.

    Headings and labels in `lang`, by default the workshop's language."""
    with use_language(_record_language(record, lang)):
        return _markdown(_localised(record))


def _markdown(record: DecisionRecord) -> str:
    md = escape_markdown
    meta = _meta(record, md, markdown=True)
    out = [_("# North Star Metric decision: {workshop}", workshop=md(record.workshop)), "",
           " · ".join(meta), "",
           _("## Our North Star Metric: {nsm}", nsm=md(record.nsm)), "",
           f"> {md(record.definition, line_start=True)}", "", _("**Why we chose it:**"), ""]
    out += [md(part, line_start=True) + "\n" for part in _paragraphs(record.rationale)]
    if _override(record):
        out += [_("**Not the room's first choice:** the room ranked {leader} first. Why {nsm}: {reason}",
                  leader=md(str(record.leader)), nsm=md(record.nsm), reason=md(str(record.override_reason))),
                ""]
    if record.review_on:
        out += [_("**Look again by:** {day} (a quarter after the decision).",
                  day=record.review_on.strftime("%Y-%m-%d")), ""]
    if record.chart_png:
        alt = _("{metric} over time", metric=md(record.nsm))
        out += [f"![{alt}]({quote(record.chart_png)})", ""]
    rows = _score_rows(record)
    if rows:
        header = [_("Rank"), _("Candidate"), *(_(c.label) for c in CRITERIA), _("Mean"), _("Dots"),
                  _("Voters")]
        out += [_("## How the shortlist scored"), "", "| " + " | ".join(header) + " |",
                "|" + "|".join(["---:", ":---"] + ["---:"] * (len(header) - 2)) + "|"]
        for row in rows:
            name = _("**{candidate}** (chosen)", candidate=md(row.candidate)) if row.chosen \
                else md(row.candidate)
            crits = [_mean(mean) + (" ⚠" if flag else "") for mean, flag in row.criteria]
            out.append("| " + " | ".join([str(row.rank), name, *crits, _mean(row.score),
                                          str(row.dots), str(row.voters)]) + " |")
        out += ["", _note(), ""]
    columns = _evidence_columns(record)
    numeric = _numeric_columns(record, columns)
    if columns:
        out += [_("## Evidence from the data"), "", "| " + " | ".join(_heading(c) for c in columns) + " |",
                "|" + "|".join("---:" if c in numeric else ":---" for c in columns) + "|"]
        out += ["| " + " | ".join(md(_cell(row.get(c))) for c in columns) + " |" for row in record.evidence]
        out.append("")
    if lines := _scorecard_lines(record):
        out += [_("### {nsm} on the five criteria: evidence from the data, not a vote", nsm=md(record.nsm)),
                ""]
        out += ["- " + _("**{criterion}: {score}**: {basis}", criterion=label, score=score, basis=md(basis))
                for label, score, basis in lines]
        out.append("")
    if counter := _counter(record):
        out += [_("## Counter-metric"), "", _("**{metric}**: {sentence}", metric=md(counter[0]),
                                             sentence=md(counter[1])), "", counter[2], ""]
    if record.tree is not None:
        out += [_("## Metric tree"), "", "```mermaid", to_mermaid(record.tree, record.tree_values).rstrip(),
                "```", "", to_markdown(record.tree, record.tree_values), ""]
    if len(record.history) > 1:
        out += [_("## Versions of this decision"), ""]
        out += [f"- {md(_history_line(h))}" for h in record.history]
    return "\n".join(out).rstrip() + "\n"


def _scorecard_lines(record: DecisionRecord) -> list[tuple[str, str, str]]:
    """(criterion label, "4 of 5", the basis) per criterion, in the current language."""
    labels = {c.key: _(c.label) for c in CRITERIA}
    lines = []
    for row in record.scorecard:
        said = row.get("basis_i18n")
        sentences = said if isinstance(said, Mapping) else {}
        score = row.get("score")
        lines.append((labels.get(str(row.get("criterion")), str(row.get("criterion"))),
                      _("{score} of 5", score=score) if score is not None else "–",
                      str(sentences.get(language()) or next(iter(sentences.values()), ""))))
    return lines


def _html_scorecard(record: DecisionRecord) -> str:
    lines = _scorecard_lines(record)
    if not lines:
        return ""
    heading = escape(_("{nsm} on the five criteria: evidence from the data, not a vote", nsm=record.nsm))
    items = "".join(f"<li><strong>{escape(label)}: {escape(score)}</strong>: {escape(basis)}</li>"
                    for label, score, basis in lines)
    return f"<section><h3>{heading}</h3><ul>{items}</ul></section>"


def _counter(record: DecisionRecord) -> tuple[str, str, str] | None:
    """The counter-metric as (name people see, its evidence, what a guardrail is for), in the current
    language; None when the record has none."""
    entry = record.counter_metric
    if not entry or not entry.get("metric"):
        return None
    said = entry.get("sentence_i18n")
    sentences = said if isinstance(said, Mapping) else {}
    sentence = str(sentences.get(language()) or next(iter(sentences.values()), ""))
    note = (_("Northstar suggested it; the facilitator kept it. Watch it beside the North Star: pushing "
              "the North Star up must not push this down.") if entry.get("suggested")
            else _("Chosen by the facilitator. Watch it beside the North Star: pushing the North Star up "
                   "must not push this down."))
    return shown_name(record, str(entry["metric"])), sentence, note


def _html_counter(record: DecisionRecord) -> str:
    counter = _counter(record)
    if counter is None:
        return ""
    heading = escape(_("Counter-metric"))
    return (f"<section><h2>{heading}</h2><p><strong>{escape(counter[0])}</strong>: {escape(counter[1])}</p>"
            f'<p class="note">{escape(counter[2])}</p></section>')


def _override(record: DecisionRecord) -> bool:
    return bool(record.leader and record.leader != record.nsm and record.override_reason)


def _history_line(row: Mapping[str, object]) -> str:
    fields = {"version": row.get("version"), "chosen": row.get("chosen"), "locked": row.get("locked_at")}
    line = _("Version {version}: {chosen}, locked {locked}", **fields)
    if row.get("reason"):
        line = _("Version {version}: {chosen}, locked {locked} (not the room's leader: {reason})",
                 reason=row.get("reason"), **fields)
    if row.get("reopened_at"):
        if row.get("reopen_reason"):
            return _("{line}; reopened {reopened}: {reason}.", line=line, reopened=row.get("reopened_at"),
                     reason=row.get("reopen_reason"))
        return _("{line}; reopened {reopened}.", line=line, reopened=row.get("reopened_at"))
    return _("{line}.", line=line)


def _paragraphs(text: str) -> list[str]:
    return [p for p in (" ".join(chunk.split()) for chunk in str(text).split("\n\n")) if p]


# -- HTML -----------------------------------------------------------------------------------------
_CSS = """
:root { --ink: #1f2933; --muted: #616e7c; --line: #d9e2ec; --accent: #1d3557; --soft: #f0f4f8; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff; line-height: 1.5;
       font: 15px/1.5 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 960px; margin: 0 auto; padding: 32px 24px 48px; }
h1 { font-size: 28px; margin: 4px 0 8px; } h2 { font-size: 20px; margin: 32px 0 12px; }
.eyebrow { text-transform: uppercase; letter-spacing: .08em; font-size: 12px; color: var(--muted);
           margin: 0; }
.meta { color: var(--muted); margin: 0; }
.nsm { border-left: 6px solid var(--accent); background: var(--soft); padding: 16px 20px; margin-top: 24px;
       border-radius: 4px; }
.nsm h2 { margin: 4px 0 8px; font-size: 24px; color: var(--accent); }
.definition { font-size: 17px; margin: 0 0 12px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { border-bottom: 1px solid var(--line); padding: 6px 8px; text-align: left; vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: 12px; text-transform: uppercase;
     letter-spacing: .04em; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.chosen td { font-weight: 600; } tr.chosen td:first-child { box-shadow: inset 4px 0 0 var(--accent); }
td.s1 { background: #fde8e8; } td.s2 { background: #fef3e2; } td.s3 { background: #f5f7fa; }
td.s4 { background: #e3f8ec; } td.s5 { background: #c6f0d6; }
.note { color: var(--muted); font-size: 13px; }
ul.tree, ul.tree ul { list-style: none; margin: 0; padding-left: 24px; }
ul.tree { padding-left: 0; }
ul.tree li { margin: 6px 0; }
.node { display: inline-block; border: 1px solid var(--line); border-radius: 6px; padding: 6px 10px; }
.node.nsm { background: var(--accent); color: #fff; border-color: var(--accent); }
.node.omtm { background: var(--soft); }
.node .kind { font-size: 12px; opacity: .75; margin-left: 6px; }
.node .lead { font-size: 12px; color: var(--muted); margin-left: 6px; }
pre { background: var(--soft); padding: 12px; overflow-x: auto; font-size: 12px; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--line);
         padding-top: 8px; }
@media print { main { padding: 0; max-width: none; } section, tr { break-inside: avoid; }
               details { display: none; } }
"""


def _html_paragraphs(text: str) -> str:
    return "".join(f"<p>{escape(p)}</p>" for p in _paragraphs(text)) or "<p>–</p>"


def _html_scores(record: DecisionRecord) -> str:
    rows = _score_rows(record)
    if not rows:
        return ""
    rank, candidate, mean, dots, voters = map(escape, (_("Rank"), _("Candidate"), _("Mean"), _("Dots"),
                                                      _("Voters")))
    criteria = [(escape(_(c.help)), escape(_(c.label))) for c in CRITERIA]
    head = (f'<tr><th class="num">{rank}</th><th>{candidate}</th>'
            + "".join(f'<th class="num" title="{tip}">{label}</th>' for tip, label in criteria)
            + f'<th class="num">{mean}</th><th class="num">{dots}</th>'
              f'<th class="num">{voters}</th></tr>')
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="num{"" if math.isnan(mean) else f" s{min(5, max(1, round(mean)))}"}">'
            f'{_mean(mean)}{" ⚠" if flag else ""}</td>' for mean, flag in row.criteria)
        body.append(f'<tr class="{"chosen" if row.chosen else ""}"><td class="num">{row.rank}</td>'
                    f'<td>{escape(row.candidate)}{" ✓" if row.chosen else ""}</td>{cells}'
                    f'<td class="num">{_mean(row.score)}</td><td class="num">{row.dots}</td>'
                    f'<td class="num">{row.voters}</td></tr>')
    heading = escape(_("How the shortlist scored"))
    return (f'<section><h2>{heading}</h2><table><thead>{head}</thead>'
            f'<tbody>{"".join(body)}</tbody></table><p class="note">{escape(_note())}</p></section>')


def _html_evidence(record: DecisionRecord) -> str:
    columns = _evidence_columns(record)
    if not columns:
        return ""
    kind = {c: "num" if c in _numeric_columns(record, columns) else "" for c in columns}
    head = "".join(f'<th class="{kind[c]}">{escape(_heading(c))}</th>' for c in columns)
    body = "".join("<tr>" + "".join(f'<td class="{kind[c]}">{escape(_cell(row.get(c)))}</td>'
                                    for c in columns) + "</tr>" for row in record.evidence)
    heading = escape(_("Evidence from the data"))
    return (f"<section><h2>{heading}</h2><table><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table></section>")


def _html_tree(record: DecisionRecord) -> str:
    tree = record.tree
    if tree is None:
        return ""
    def item(node_id: str) -> str:
        node = tree.node(node_id)
        status = status_of(node, record.tree_values)
        parts = [f"<strong>{escape(node.label)}</strong>",
                 f'<span class="kind">{escape(" · ".join(describe_node(tree, node)))}</span>']
        if format_figures(status):
            parts.append(f'<span class="kind">{escape(format_figures(status))}</span>')
        if status.lead and node.parent:
            parts.append(f'<span class="lead">{escape(status.lead)}</span>')
        children = "".join(item(c.id) for c in tree.children(node.id))
        return (f'<li><div class="node {node.level}">{"".join(parts)}</div>'
                + (f"<ul>{children}</ul>" if children else "") + "</li>")

    heading, summary = escape(_("Metric tree")), escape(_("Mermaid source (for wikis that draw diagrams)"))
    return (f'<section><h2>{heading}</h2><ul class="tree">{item(tree.root.id)}</ul>'
            f"<details><summary>{summary}</summary>"
            f"<pre>{escape(to_mermaid(tree, record.tree_values))}</pre></details></section>")


def decision_html(record: DecisionRecord, chart: go.Figure | None = None, lang: str | None = None) -> str:
    """One self-contained HTML file (inline CSS; the NSM's chart an inline SVG drawn from the record's
    series), so it opens offline, prints, and can be attached to a wiki page. A Plotly `chart` is only
    used when the record has no series (Plotly's JS then makes the file ~5 MB). Headings and labels
    in `lang`, by default the workshop's language."""
    language = _record_language(record, lang)
    with use_language(language):
        return _html(_localised(record), chart, language)


def _html(record: DecisionRecord, chart: go.Figure | None, language: str) -> str:
    meta = _meta(record, escape, markdown=False)
    chart_html = ""
    over_time = escape(_("The North Star over time"))
    if record.series:
        chart_html = (f'<section class="chart"><h2>{over_time}</h2>'
                      f"{series_svg(record.series, record.nsm, record.series_grain)}</section>")
    elif chart is not None:
        chart_html = (f'<section class="chart"><h2>{over_time}</h2>'
                      + chart.to_html(full_html=False, include_plotlyjs=True,
                                      config={"displaylogo": False, "responsive": True})
                      + "</section>")
    title = escape(_("North Star Metric decision: {workshop}", workshop=record.workshop))
    eyebrow, ours, why = map(escape, (_("North Star Metric decision"), _("Our North Star Metric"),
                                      _("Why we chose it")))
    footer = escape(_("Recorded with Northstar on {day}.", day=_day(record.decided_on)))
    return (f'<!DOCTYPE html>\n<html lang="{language}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{title}</title>"
            f"<style>{_CSS}</style></head><body><main>"
            f'<header><p class="eyebrow">{eyebrow}</p>'
            f'<h1>{escape(record.workshop)}</h1><p class="meta">{" · ".join(meta)}</p></header>'
            f'<section class="nsm"><p class="eyebrow">{ours}</p>'
            f'<h2>{escape(record.nsm)}</h2>'
            f'<p class="definition">{escape(record.definition)}</p><h3>{why}</h3>'
            f"{_html_paragraphs(record.rationale)}{_html_choice(record)}</section>"
            f"{chart_html}{_html_scores(record)}{_html_evidence(record)}{_html_scorecard(record)}"
            f"{_html_counter(record)}"
            f"{_html_tree(record)}"
            f"{_html_history(record)}"
            f"<footer>{footer}</footer>"
            f"</main></body></html>\n")


def _html_choice(record: DecisionRecord) -> str:
    out = ""
    if _override(record):
        out += ('<p class="note">' + _("<strong>Not the room's first choice:</strong> the room ranked "
                                       "{leader} first. Why {nsm}: {reason}",
                                       leader=escape(str(record.leader)), nsm=escape(record.nsm),
                                       reason=escape(str(record.override_reason)))
                + "</p>")
    if record.review_on:
        out += ('<p class="note">' + _("<strong>Look again by {day}</strong> (a quarter after the "
                                       "decision).", day=record.review_on.strftime("%Y-%m-%d")) + "</p>")
    return out


def _html_history(record: DecisionRecord) -> str:
    if len(record.history) <= 1:
        return ""
    items = "".join(f"<li>{escape(_history_line(h))}</li>" for h in record.history)
    heading = escape(_("Versions of this decision"))
    return f"<section><h2>{heading}</h2><ul>{items}</ul></section>"


# -- a static chart, no JavaScript ----------------------------------------------------------------
_W, _H = 880, 320
_PAD = {"l": 76, "r": 20, "t": 20, "b": 56}


def _nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    if not math.isfinite(low) or not math.isfinite(high):
        return []
    if high == low:
        high = low + 1
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(low / step) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < high:
        ticks.append(round(value, 10))
    return ticks


def _tick_label(value: float) -> str:
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:g}M"
    if abs(value) >= 10_000:
        return f"{value / 1_000:g}k"
    return f"{value:,.10g}"


def series_svg(points: Sequence[SeriesPoint], metric: str, grain: str = "week") -> str:
    """The NSM over time as an inline SVG line chart: axes with ticks and dates, the value axis titled
    with the metric, partial periods as hollow points. Readable without JavaScript, prints well."""
    known = [p for p in points if p.value is not None]
    if not known:
        return '<p class="note">' + escape(_("No values to draw.")) + "</p>"
    values = [float(p.value) for p in known if p.value is not None]
    ticks = _nice_ticks(min(0.0, min(values)), max(values))
    low, high = ticks[0], ticks[-1]
    inner_w, inner_h = _W - _PAD["l"] - _PAD["r"], _H - _PAD["t"] - _PAD["b"]
    first, last = known[0].period, known[-1].period
    span = max(1, (last - first).days)

    def x(day: date) -> float:
        return _PAD["l"] + inner_w * ((day - first).days / span if len(known) > 1 else 0.5)

    def y(value: float) -> float:
        return _PAD["t"] + inner_h * (1 - (value - low) / ((high - low) or 1))

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_W} {_H}" width="100%" role="img" '
           f'aria-label="{escape(_per(metric, grain))}" style="max-width:{_W}px;'
           f'font:12px -apple-system,Segoe UI,Roboto,Arial,sans-serif">']
    for tick in ticks:
        ty = y(tick)
        out.append(f'<line x1="{_PAD["l"]}" x2="{_W - _PAD["r"]}" y1="{ty:.1f}" y2="{ty:.1f}" '
                   f'stroke="#e4e7eb"/><text x="{_PAD["l"] - 8}" y="{ty + 4:.1f}" text-anchor="end" '
                   f'fill="#52606d">{escape(_tick_label(tick))}</text>')
    step = max(1, math.ceil(len(known) / 8))
    for point in known[::step]:
        px = x(point.period)
        out.append(f'<line x1="{px:.1f}" x2="{px:.1f}" y1="{_H - _PAD["b"]}" y2="{_H - _PAD["b"] + 5}" '
                   f'stroke="#9aa5b1"/><text x="{px:.1f}" y="{_H - _PAD["b"] + 19}" text-anchor="middle" '
                   f'fill="#52606d">{point.period:%d %b %Y}</text>')
    out.append(f'<line x1="{_PAD["l"]}" x2="{_W - _PAD["r"]}" y1="{_H - _PAD["b"]}" '
               f'y2="{_H - _PAD["b"]}" stroke="#9aa5b1"/>')
    full = [p for p in known if not p.partial]
    if full:
        path = " ".join(f"{x(p.period):.1f},{y(float(p.value or 0)):.1f}" for p in full)
        out.append(f'<polyline points="{path}" fill="none" stroke="#1d3557" stroke-width="2.5"/>')
    partial = escape(_(" (partial)"))
    for p in known:
        fill = "#fff" if p.partial else "#1d3557"
        out.append(f'<circle cx="{x(p.period):.1f}" cy="{y(float(p.value or 0)):.1f}" r="3" fill="{fill}" '
                   f'stroke="#1d3557"><title>{p.period:%d %b %Y}: {escape(_tick_label(float(p.value or 0)))}'
                   f'{partial if p.partial else ""}</title></circle>')
    out.append(f'<text x="16" y="{_PAD["t"] + inner_h / 2:.0f}" transform="rotate(-90 16 '
               f'{_PAD["t"] + inner_h / 2:.0f})" text-anchor="middle" fill="#1f2933">'
               f"{escape(metric)}</text>")
    out.append(f'<text x="{_PAD["l"] + inner_w / 2:.0f}" y="{_H - 8}" text-anchor="middle" '
               f'fill="#1f2933">{escape(_starting(grain))}</text></svg>')
    note = _per(metric, grain) + "."
    if any(p.partial for p in known):
        note = _("{note} Hollow points: a period not yet complete.", note=note)
    return "".join(out) + f'<p class="note">{escape(note)}</p>'


def _per(metric: str, grain: str) -> str:
    """"Active users per week" in the current language."""
    if grain == "day":
        return _("{metric} per day", metric=metric)
    if grain == "month":
        return _("{metric} per month", metric=metric)
    return _("{metric} per week", metric=metric)


def _starting(grain: str) -> str:
    if grain == "day":
        return _("Day")
    if grain == "month":
        return _("Month starting")
    return _("Week starting")
