"""Every table Northstar keeps, in one place: the DDL and the schema version."""

from __future__ import annotations

SCHEMA_VERSION = "1"

CORE_SCHEMA = """
CREATE TABLE IF NOT EXISTS ns_meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE SEQUENCE IF NOT EXISTS ns_dataset_ids START 1;
CREATE TABLE IF NOT EXISTS datasets (
    id INTEGER PRIMARY KEY,
    name VARCHAR NOT NULL,
    source VARCHAR,
    rows BIGINT,
    users BIGINT,
    first_ts TIMESTAMP,
    last_ts TIMESTAMP,
    mapping JSON,
    properties JSON,
    notes JSON,
    fingerprint VARCHAR,
    loaded_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS ns_candidates (
    dataset VARCHAR NOT NULL,   -- by name: candidates survive re-loading the dataset
    position INTEGER NOT NULL,
    name VARCHAR NOT NULL,
    spec JSON NOT NULL,
    source VARCHAR NOT NULL,
    PRIMARY KEY (dataset, name)
);
"""

WORKSHOP_SCHEMA = """
CREATE SEQUENCE IF NOT EXISTS ws_workshop_ids START 1;
CREATE TABLE IF NOT EXISTS ws_workshops (
    id INTEGER PRIMARY KEY,
    code VARCHAR NOT NULL UNIQUE,
    name VARCHAR NOT NULL,
    dataset VARCHAR,
    pin_hash VARCHAR NOT NULL,
    pin_salt VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    status VARCHAR NOT NULL CHECK (status IN ('open', 'locked')),
    chosen VARCHAR,
    chosen_definition VARCHAR,
    rationale VARCHAR,
    locked_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS ws_shortlist (
    workshop INTEGER NOT NULL, position INTEGER NOT NULL, candidate VARCHAR NOT NULL,
    definition VARCHAR NOT NULL, PRIMARY KEY (workshop, candidate)
);
CREATE TABLE IF NOT EXISTS ws_participants (
    workshop INTEGER NOT NULL, name VARCHAR NOT NULL, name_key VARCHAR NOT NULL,
    joined_at TIMESTAMP NOT NULL, PRIMARY KEY (workshop, name_key)
);
CREATE TABLE IF NOT EXISTS ws_scores (
    workshop INTEGER NOT NULL, participant VARCHAR NOT NULL, candidate VARCHAR NOT NULL,
    criterion VARCHAR NOT NULL, score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    updated_at TIMESTAMP NOT NULL, PRIMARY KEY (workshop, participant, candidate, criterion)
);
CREATE TABLE IF NOT EXISTS ws_votes (
    workshop INTEGER NOT NULL, participant VARCHAR NOT NULL, candidate VARCHAR NOT NULL,
    dots INTEGER NOT NULL CHECK (dots BETWEEN 0 AND 3), updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (workshop, participant, candidate)
);
"""

TREE_SCHEMA = """
CREATE TABLE IF NOT EXISTS ws_tree_nodes (
    dataset VARCHAR NOT NULL, tree VARCHAR NOT NULL, position INTEGER NOT NULL, id VARCHAR NOT NULL,
    parent VARCHAR, level VARCHAR NOT NULL, label VARCHAR NOT NULL, team VARCHAR, metric VARCHAR,
    saved_at TIMESTAMP NOT NULL, PRIMARY KEY (dataset, tree, id)
);
"""


ALL_SCHEMA = CORE_SCHEMA + WORKSHOP_SCHEMA + TREE_SCHEMA
