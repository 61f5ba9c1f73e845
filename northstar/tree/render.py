"""The metric tree as text: a Markdown nested list and a Mermaid flowchart, with values and leads if given."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import SupportsFloat, SupportsIndex, TypedDict

from northstar.tree.model import LEVEL_LABELS, MetricTree, TreeNode


@dataclass(frozen=True)
class NodeStatus:
    """What a node shows: its current value, change vs the previous period in %, and how it relates
    to its parent (e.g. "leads by 2 weeks", "no lead found")."""

    value: float | None = None
    change_pct: float | None = None
    lead: str | None = None
    # As the app words them (northstar.wording, knowing the metric's kind: NPS changes in points);
    # when absent, the numbers above are written plainly.
    value_text: str | None = None
    change_text: str | None = None


class StatusFields(TypedDict, total=False):
    """A node's status written as a plain mapping, e.g. {"value": 560, "lead": "leads by 2 weeks"}."""

    value: float | None
    change_pct: float | None
    lead: str | None


StatusMap = Mapping[str, NodeStatus | StatusFields]


def status_of(node: TreeNode, values: StatusMap | None) -> NodeStatus:
    """The node's status, looked up by node id first (a metric can sit in two places), then metric name."""
    if not values:
        return NodeStatus()
    found = values.get(node.id)
    if found is None and node.metric is not None:
        found = values.get(node.metric)
    if found is None:
        return NodeStatus()
    if isinstance(found, NodeStatus):
        return found
    return NodeStatus(found.get("value"), found.get("change_pct"), found.get("lead"))


def _number(value: object) -> float | None:
    """The value as a float when float() reads it (numbers, numpy scalars, numeric text); else None."""
    if value is None or isinstance(value, bool):
        return None
    if not isinstance(value, str | bytes | bytearray | SupportsFloat | SupportsIndex):
        return None  # float() would raise TypeError
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def format_value(value: object) -> str:
    """1234.5 → "1,235"; 12.345 → "12.3"; 0.4567 → "0.457"; None/NaN → ""."""
    number = _number(value)
    if number is None:
        return ""
    if abs(number) >= 1000 or number.is_integer():
        return f"{number:,.0f}"
    return f"{number:,.3g}"


def format_change(change_pct: object) -> str:
    number = _number(change_pct)
    return "" if number is None else f"{number:+.1f}%"


def format_figures(status: NodeStatus) -> str:
    """`1,234 (+5.2%)`, or whichever half is known."""
    value = status.value_text or format_value(status.value)
    change = status.change_text or format_change(status.change_pct)
    if value and change:
        return f"{value} ({change})"
    return value or (f"change {change}" if change else "")


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&#])")


def escape_markdown(text: object, line_start: bool = False) -> str:
    """User text safe inside GitHub-flavoured Markdown (lists, quotes, table cells): one line, no markup.

    With `line_start`, also what would turn the start of a line into a list item or a heading.
    """
    escaped = _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))
    if line_start:
        escaped = re.sub(r"^([+\-=])", r"\\\1", escaped)
        escaped = re.sub(r"^(\d+)([.)])", r"\1\\\2", escaped)
    return escaped


def describe_node(tree: MetricTree, node: TreeNode) -> list[str]:
    """["OMTM, Growth", "metric: Returning users"]: level, team, and the metric when not the label."""
    kind = LEVEL_LABELS[node.level]
    team = tree.team_of(node)
    parts = [f"{kind}, {team}" if team else kind]
    if node.metric and node.metric != node.label:
        parts.append(f"metric: {node.metric}")
    return parts


def to_markdown(tree: MetricTree, values: StatusMap | None = None) -> str:
    """A nested Markdown list, NSM first: label, level and team, value and change, lead on the parent."""
    lines: list[str] = []
    depth: dict[str | None, int] = {None: -1}  # the NSM's parent is None
    for node in tree.nodes:
        depth[node.id] = depth[node.parent] + 1
        status = status_of(node, values)
        label = escape_markdown(node.label, line_start=True)
        parts = [label if node.level == "kpi" else f"**{label}**"]
        parts += [escape_markdown(p) for p in describe_node(tree, node)]
        lead = status.lead if node.parent else None
        parts += [escape_markdown(p) for p in (format_figures(status), lead) if p]
        lines.append("  " * depth[node.id] + "- " + " · ".join(parts))
    return "\n".join(lines) + "\n"


_MERMAID_ENTITIES = {"#": "#35;", "&": "#amp;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "`": "#96;",
                     "|": "#124;"}


def escape_mermaid(text: object) -> str:
    """Text safe inside a quoted Mermaid label: Mermaid's own #entity; codes, on one line."""
    return "".join(_MERMAID_ENTITIES.get(ch, ch) for ch in " ".join(str(text).split()))


def to_mermaid(tree: MetricTree, values: StatusMap | None = None) -> str:
    """A `flowchart TD` from the NSM down; edges carry the child's lead on its parent when known."""
    # Node ids are user data; Mermaid gets positional ids so no id can break the syntax.
    ids = {node.id: f"n{i}" for i, node in enumerate(tree.nodes)}
    lines = ["flowchart TD"]
    for node in tree.nodes:
        status = status_of(node, values)
        detail = " · ".join(p for p in [*describe_node(tree, node), format_figures(status)] if p)
        lines.append(f'    {ids[node.id]}["{escape_mermaid(node.label)}<br/>{escape_mermaid(detail)}"]')
    for node in tree.nodes:
        if node.parent is None:
            continue
        lead = status_of(node, values).lead
        arrow = f'-->|"{escape_mermaid(lead)}"|' if lead else "-->"
        lines.append(f"    {ids[node.parent]} {arrow} {ids[node.id]}")
    lines += ["    classDef nsm fill:#1d3557,stroke:#1d3557,color:#ffffff",
              "    classDef omtm fill:#e7eef8,stroke:#1d3557,color:#1d3557",
              "    classDef kpi fill:#ffffff,stroke:#8d99ae,color:#2b2d42"]
    for level in ("nsm", "omtm", "kpi"):
        members = [ids[n.id] for n in tree.nodes if n.level == level]
        if members:
            lines.append(f"    class {','.join(members)} {level}")
    return "\n".join(lines) + "\n"
