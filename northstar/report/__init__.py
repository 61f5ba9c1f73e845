"""What the data says about a decision, and the decision record as Markdown or one HTML file."""

from northstar.report.evidence import (
    EVIDENCE_GRAIN,
    Evidence,
    decision_record,
    tree_statuses,
    workshop_evidence,
)
from northstar.report.record import DecisionRecord, decision_html, decision_markdown

__all__ = [
    "DecisionRecord",
    "EVIDENCE_GRAIN",
    "Evidence",
    "decision_html",
    "decision_markdown",
    "decision_record",
    "tree_statuses",
    "workshop_evidence",
]
