"""Is a candidate a leading indicator of an outcome? Lead statistics, verdicts, the ranking."""

from northstar.analysis.compare import (
    Comparison,
    available_outcomes,
    changes,
    chart_data,
    compare,
    full_periods,
    indexed,
    kind_label,
    lag_of,
    lag_phrase,
    pairs_per_lag,
    part_of_outcome,
    season_note,
    shifted,
    shown_name,
)
from northstar.analysis.lags import MaxLag, default_max_lag, history_periods
from northstar.analysis.lead import LeadResult, lead_analysis, min_periods, reworded
from northstar.analysis.ranking import rank_candidates, results_frame
from northstar.analysis.verdicts import changes_phrase, format_p, format_r, significant

__all__ = [
    "Comparison",
    "MaxLag",
    "LeadResult",
    "available_outcomes",
    "changes",
    "changes_phrase",
    "chart_data",
    "compare",
    "default_max_lag",
    "full_periods",
    "history_periods",
    "indexed",
    "kind_label",
    "lag_of",
    "lag_phrase",
    "format_p",
    "format_r",
    "lead_analysis",
    "min_periods",
    "pairs_per_lag",
    "rank_candidates",
    "results_frame",
    "reworded",
    "part_of_outcome",
    "season_note",
    "shifted",
    "shown_name",
    "significant",
]
