"""Candidate metrics as declarative specs, compiled to one DuckDB query, read back as period series."""

from northstar.metrics.candidates import (
    default_candidates,
    delete_candidate,
    display_description,
    display_name,
    display_names,
    merge_candidates,
    own_name,
    replace_candidates,
    save_candidate,
    saved_candidates,
    suggestions,
)
from northstar.metrics.compiler import CompiledQuery, compile_metrics, compute
from northstar.metrics.engines import ENGINES, engine_for, spark_available
from northstar.metrics.series import complete_series, latest_changes, wide
from northstar.metrics.specs import (
    KINDS,
    MEASURES,
    PER,
    ROLES,
    MetricSpec,
    dump_yaml,
    load_yaml,
    spec_from_dict,
    validate,
)
from northstar.metrics.summary import event_catalogue, events_per_week

__all__ = [
    "CompiledQuery",
    "ENGINES",
    "KINDS",
    "MEASURES",
    "MetricSpec",
    "PER",
    "ROLES",
    "compile_metrics",
    "complete_series",
    "compute",
    "default_candidates",
    "delete_candidate",
    "display_description",
    "display_name",
    "display_names",
    "dump_yaml",
    "engine_for",
    "event_catalogue",
    "events_per_week",
    "latest_changes",
    "load_yaml",
    "merge_candidates",
    "own_name",
    "replace_candidates",
    "save_candidate",
    "saved_candidates",
    "spark_available",
    "spec_from_dict",
    "suggestions",
    "validate",
    "wide",
]
