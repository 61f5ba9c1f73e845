"""The decision record: chosen NSM, why, scores, evidence and metric tree, as Markdown or one HTML file."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from html import escape
from numbers import Real
from typing import TYPE_CHECKING
from urllib.parse import quote

import pandas as pd

from northstar.errors import NorthstarError
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


def record_for_workshop(store: Store, code: str, *, evidence: Sequence[Mapping[str, object]] = (),
                        tree: MetricTree | None = None, tree_values: StatusMap | None = None,
                        chart_png: str | None = None) -> DecisionRecord:
    """The record of a locked workshop; the tree defaults to the one saved for its dataset."""
    found = results(store, code)
    workshop, decision = found.workshop, found.workshop.decision
    if decision is None:
        raise NorthstarError(f"Workshop {workshop.name!r} is not decided yet",
                             "The facilitator locks the decision with the PIN first.")
    if tree is None and workshop.dataset:
        tree = load_tree(store, workshop.dataset)
    return DecisionRecord(workshop.name, decision.locked_at, decision.chosen, decision.definition,
                          decision.rationale, tuple(p.name for p in participants(store, code)),
                          workshop.dataset, found.by_candidate, found.by_criterion, tuple(evidence),
                          tree, tree_values, chart_png)


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


def _evidence_columns(record: DecisionRecord) -> list[str]:
    columns: list[str] = []
    for row in record.evidence:
        columns += [key for key in row if key not in columns]
    return columns


def _numeric_columns(record: DecisionRecord, columns: list[str]) -> set[str]:
    """Columns holding only numbers (or gaps): right-aligned so digits line up."""
    return {c for c in columns if all(row.get(c) is None or (isinstance(row.get(c), Real)
                                                             and not isinstance(row.get(c), bool))
                                      for row in record.evidence)}


def _heading(key: str) -> str:
    return key.replace("_", " ").capitalize()


_NOTE = (f"Means of 1–5 ratings. ⚠ marks a criterion where ratings were at least {DISAGREEMENT_RANGE} points "
         "apart (someone rated it weak, someone strong). Ranked by dots, then mean score.")


def _meta(record: DecisionRecord, esc: Callable[[str], str], decided: str, dataset: str,
          participants: str) -> list[str]:
    """The record's date, dataset and participants, worded by the templates, escaped by `esc`."""
    meta = [decided.format(_day(record.decided_on))]
    if record.dataset:
        meta.append(dataset.format(esc(record.dataset)))
    if record.participants:
        meta.append(participants.format(len(record.participants),
                                        ", ".join(esc(p) for p in record.participants)))
    return meta


def decision_markdown(record: DecisionRecord) -> str:
    """GitHub-flavoured Markdown: paste into a wiki or commit next to the code."""
    md = escape_markdown
    meta = _meta(record, md, "**Decided:** {}", "**Dataset:** {}", "**Participants ({}):** {}")
    out = [f"# North Star Metric decision: {md(record.workshop)}", "", " · ".join(meta), "",
           f"## Our North Star Metric: {md(record.nsm)}", "",
           f"> {md(record.definition, line_start=True)}", "", "**Why we chose it:**", ""]
    out += [md(part, line_start=True) + "\n" for part in _paragraphs(record.rationale)]
    if record.chart_png:
        out += [f"![{md(record.nsm)} over time]({quote(record.chart_png)})", ""]
    rows = _score_rows(record)
    if rows:
        header = ["Rank", "Candidate", *(c.label for c in CRITERIA), "Mean", "Dots", "Voters"]
        out += ["## How the shortlist scored", "", "| " + " | ".join(header) + " |",
                "|" + "|".join(["---:", ":---"] + ["---:"] * (len(header) - 2)) + "|"]
        for row in rows:
            name = f"**{md(row.candidate)}** (chosen)" if row.chosen else md(row.candidate)
            crits = [_mean(mean) + (" ⚠" if flag else "") for mean, flag in row.criteria]
            out.append("| " + " | ".join([str(row.rank), name, *crits, _mean(row.score),
                                          str(row.dots), str(row.voters)]) + " |")
        out += ["", _NOTE, ""]
    columns = _evidence_columns(record)
    numeric = _numeric_columns(record, columns)
    if columns:
        out += ["## Evidence from the data", "", "| " + " | ".join(_heading(c) for c in columns) + " |",
                "|" + "|".join("---:" if c in numeric else ":---" for c in columns) + "|"]
        out += ["| " + " | ".join(md(_cell(row.get(c))) for c in columns) + " |" for row in record.evidence]
        out.append("")
    if record.tree is not None:
        out += ["## Metric tree", "", "```mermaid", to_mermaid(record.tree, record.tree_values).rstrip(),
                "```", "", to_markdown(record.tree, record.tree_values)]
    return "\n".join(out).rstrip() + "\n"


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
    head = ('<tr><th class="num">Rank</th><th>Candidate</th>'
            + "".join(f'<th class="num" title="{escape(c.help)}">{escape(c.label)}</th>'
                      for c in CRITERIA)
            + '<th class="num">Mean</th><th class="num">Dots</th><th class="num">Voters</th></tr>')
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="num{"" if math.isnan(mean) else f" s{min(5, max(1, round(mean)))}"}">'
            f'{_mean(mean)}{" ⚠" if flag else ""}</td>' for mean, flag in row.criteria)
        body.append(f'<tr class="{"chosen" if row.chosen else ""}"><td class="num">{row.rank}</td>'
                    f'<td>{escape(row.candidate)}{" ✓" if row.chosen else ""}</td>{cells}'
                    f'<td class="num">{_mean(row.score)}</td><td class="num">{row.dots}</td>'
                    f'<td class="num">{row.voters}</td></tr>')
    return (f'<section><h2>How the shortlist scored</h2><table><thead>{head}</thead>'
            f'<tbody>{"".join(body)}</tbody></table><p class="note">{escape(_NOTE)}</p></section>')


def _html_evidence(record: DecisionRecord) -> str:
    columns = _evidence_columns(record)
    if not columns:
        return ""
    kind = {c: "num" if c in _numeric_columns(record, columns) else "" for c in columns}
    head = "".join(f'<th class="{kind[c]}">{escape(_heading(c))}</th>' for c in columns)
    body = "".join("<tr>" + "".join(f'<td class="{kind[c]}">{escape(_cell(row.get(c)))}</td>'
                                    for c in columns) + "</tr>" for row in record.evidence)
    return (f"<section><h2>Evidence from the data</h2><table><thead><tr>{head}</tr></thead>"
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

    return (f'<section><h2>Metric tree</h2><ul class="tree">{item(tree.root.id)}</ul>'
            f"<details><summary>Mermaid source (for wikis that draw diagrams)</summary>"
            f"<pre>{escape(to_mermaid(tree, record.tree_values))}</pre></details></section>")


def decision_html(record: DecisionRecord, chart: go.Figure | None = None) -> str:
    """One self-contained HTML file: inline CSS, and Plotly's JS inlined when `chart` (a Plotly figure)
    is given, so it opens offline, prints, and can be attached to a wiki page."""
    meta = _meta(record, escape, "Decided on {}", "Dataset: {}", "{} participants: {}")
    chart_html = ""
    if chart is not None:
        chart_html = ('<section class="chart"><h2>The North Star over time</h2>'
                      + chart.to_html(full_html=False, include_plotlyjs=True,
                                      config={"displaylogo": False, "responsive": True})
                      + "</section>")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>North Star Metric decision: {escape(record.workshop)}</title>"
            f"<style>{_CSS}</style></head><body><main>"
            f'<header><p class="eyebrow">North Star Metric decision</p><h1>{escape(record.workshop)}</h1>'
            f'<p class="meta">{" · ".join(meta)}</p></header>'
            f'<section class="nsm"><p class="eyebrow">Our North Star Metric</p><h2>{escape(record.nsm)}</h2>'
            f'<p class="definition">{escape(record.definition)}</p><h3>Why we chose it</h3>'
            f"{_html_paragraphs(record.rationale)}</section>"
            f"{chart_html}{_html_scores(record)}{_html_evidence(record)}{_html_tree(record)}"
            f"<footer>Recorded with Northstar on {_day(record.decided_on)}.</footer>"
            f"</main></body></html>\n")
