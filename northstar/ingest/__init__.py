"""Reading exports into the store: file formats, column roles, value conversion, the demo generator."""

from northstar.ingest.demo import LEAD_WEEKS, LEADING_EVENT, MONEY_EVENTS, generate_demo, write_demo_csv
from northstar.ingest.health import Finding, health
from northstar.ingest.lake import attach_parquet, refresh_lake
from northstar.ingest.load import (
    DEMO_CSV,
    DEMO_DATASET,
    MISSING_ROLE_NOTES,
    FilePreview,
    ingest_file,
    load_demo,
    preview,
)
from northstar.ingest.roles import (
    NUMERIC_ROLES,
    REQUIRED_ROLES,
    ROLE_LABELS,
    ROLES,
    RoleMapping,
    parse_overrides,
)
from northstar.ingest.sources import WHITESPACE, ReadOptions

__all__ = [
    "LEAD_WEEKS",
    "LEADING_EVENT",
    "MONEY_EVENTS",
    "DEMO_CSV",
    "DEMO_DATASET",
    "FilePreview",
    "Finding",
    "health",
    "MISSING_ROLE_NOTES",
    "ReadOptions",
    "WHITESPACE",
    "NUMERIC_ROLES",
    "REQUIRED_ROLES",
    "ROLES",
    "ROLE_LABELS",
    "RoleMapping",
    "attach_parquet",
    "generate_demo",
    "ingest_file",
    "load_demo",
    "parse_overrides",
    "preview",
    "refresh_lake",
    "write_demo_csv",
]
