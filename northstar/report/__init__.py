"""What the data says about a decision, and the decision record as Markdown or one HTML file."""

from northstar.report.evidence import (
    EVIDENCE_GRAIN,
    Evidence,
    decision_record,
    tree_statuses,
    workshop_evidence,
)
from northstar.report.record import DecisionRecord, SeriesPoint, decision_html, decision_markdown, series_svg
from northstar.report.snapshot import build_record, from_snapshot, frozen_record, lock_and_freeze, to_snapshot

__all__ = [
    "DecisionRecord",
    "SeriesPoint",
    "build_record",
    "from_snapshot",
    "frozen_record",
    "lock_and_freeze",
    "series_svg",
    "to_snapshot",
    "EVIDENCE_GRAIN",
    "Evidence",
    "decision_html",
    "decision_markdown",
    "decision_record",
    "tree_statuses",
    "workshop_evidence",
]
