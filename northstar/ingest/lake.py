"""Attach Parquet files in place (a folder, a glob or a hive-partitioned tree): no rows are copied.

The dataset's events file holds views over `read_parquet` with the role mapping applied (see
`store.write_lake_layout`), so a metric query reads only the columns it needs straight from the
files and, when the tree is partitioned by date (`date=2024-05-01/…`), skips the files outside the
requested range. The file list is fixed when attaching; attaching again (or `refresh_lake`) picks up
files that landed since, as one atomic replacement like a re-ingest.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import duckdb

from northstar.errors import NorthstarError
from northstar.i18n import _, lazy
from northstar.ingest import convert
from northstar.ingest.derived import parse_derived
from northstar.ingest.roles import AMOUNT, DURATION, EVENT, NPS, TIMESTAMP, USER, resolve_mapping
from northstar.store import CANONICAL_COLUMNS, Dataset, Store, quote_ident, quote_literal, write_lake_layout

_RESERVED = {*CANONICAL_COLUMNS, "user_key", "partition_date"}
_NUMERIC_TARGETS = ((AMOUNT, "amount", "DOUBLE"), (DURATION, "duration_s", "DOUBLE"),
                    (NPS, "nps_score", "INTEGER"))
_INTEGER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER",
                  "UBIGINT", "HUGEINT", "UHUGEINT")
_FLOAT_TYPES = ("FLOAT", "DOUBLE", "REAL")
_PARTITION_NAMES = ("date", "dt", "day", "event_date", "ds", "partition_date")
_HIVE_SEGMENT = re.compile(r"^([^=/]+)=([^/]*)$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class LakeSource:
    """What PATH resolved to: the pattern given, the files it matched, their columns and types."""

    pattern: str
    files: tuple[str, ...]
    hive: bool
    columns: dict[str, str]  # name → DuckDB type
    partition: str | None    # the hive key that holds a date, if any
    # Files whose columns differ (a column added later): every query then reads every file's footer.
    union: bool = True

    def reader(self) -> str:
        files = ", ".join(quote_literal(f) for f in self.files)
        union = ", union_by_name = true" if self.union else ""
        return f"read_parquet([{files}], hive_partitioning = {str(self.hive).lower()}{union})"


def _is_remote(path: str) -> bool:
    return "://" in path


def _pattern(path: str) -> str:
    """A folder becomes every Parquet file under it; a file or a glob stays as given."""
    if _is_remote(path) or any(ch in path for ch in "*?["):
        return path if _is_remote(path) else str(Path(path).expanduser().absolute())
    local = Path(path).expanduser().absolute()
    if local.is_dir():
        return str(local / "**" / "*.parquet")
    if not local.exists():
        raise NorthstarError(_("Nothing to attach"), _("{path} does not exist. Give a folder, a glob "
                                                       "or a Parquet file.", path=path))
    return str(local)


def _hive_keys(files: tuple[str, ...]) -> dict[str, set[str]]:
    keys: dict[str, set[str]] = {}
    for file in files:
        for segment in file.replace("\\", "/").split("/")[:-1]:
            match = _HIVE_SEGMENT.match(segment)
            if match:
                keys.setdefault(match.group(1), set()).add(match.group(2))
    return keys


def describe(cur: duckdb.DuckDBPyConnection, path: str) -> LakeSource:
    """Resolve PATH to its Parquet files and read their schema; raises one clear NorthstarError."""
    pattern = _pattern(path)
    try:
        cur.execute("SELECT file FROM glob(?) ORDER BY file", [pattern])
        files = tuple(row[0] for row in cur.fetchall())
    except duckdb.Error as err:
        raise NorthstarError(_("Could not list the files"),
                             f"{pattern}: {str(err).splitlines()[0]}") from None
    files = tuple(f for f in files if not Path(f).name.startswith((".", "_")))
    if not files:
        raise NorthstarError(_("No Parquet files"), _("Nothing matches {pattern}. Give a folder of "
                                                      "Parquet files, a glob such as lake/*.parquet, "
                                                      "or a file.", pattern=pattern))
    keys = _hive_keys(files)
    dated = [k for k, values in keys.items() if all(_ISO_DATE.match(v) for v in values)]
    partition = next((k for k in _PARTITION_NAMES if k in dated), dated[0] if dated else None)
    source = LakeSource(pattern, files, bool(keys), {}, partition)
    try:
        cur.execute(f"DESCRIBE SELECT * FROM {source.reader()}")
        columns = {row[0]: str(row[1]) for row in cur.fetchall()}
        # The first file's columns are what a query binds to when the files agree: then a query
        # opens only the first file's footer and the files it needs, not every footer.
        first = replace(source, files=files[:1], union=False)
        cur.execute(f"DESCRIBE SELECT * FROM {first.reader()}")
        same = columns == {row[0]: str(row[1]) for row in cur.fetchall()}
    except duckdb.Error as err:
        lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
        raise NorthstarError(_("Could not read the files as Parquet"),
                             _("{cause}. Attach Parquet files only.", cause=" ".join(lines[:2])[:300])
                             ) from None
    return LakeSource(pattern, files, bool(keys), columns, partition, union=not same)


def _column(role: str, name: str, source: LakeSource) -> str:
    if name not in source.columns:
        raise NorthstarError(_("No column {column!r} for {role}", column=name, role=role),
                             _("The files' columns are: {columns}. Pick one of them with "
                               "--map {role}=COLUMN.", columns=", ".join(source.columns), role=role))
    return name


def _text(name: str, sql_type: str) -> str:
    if sql_type == "VARCHAR":
        return convert.text_value(name)
    return f"CAST({quote_ident(name)} AS VARCHAR)"


def _timestamp(name: str, sql_type: str) -> str:
    if sql_type.startswith("TIMESTAMP") or sql_type == "DATE":
        return f"CAST({quote_ident(name)} AS TIMESTAMP)"
    if sql_type == "VARCHAR":
        return f"try_cast(trim({quote_ident(name)}) AS TIMESTAMP)"
    raise NorthstarError(_("Column {column!r} is not a timestamp", column=name),
                         _("It holds {type} values; map a TIMESTAMP, DATE or text column with "
                           "--map timestamp=COLUMN.", type=sql_type))


def _number(name: str, sql_type: str) -> str:
    col = quote_ident(name)
    if sql_type in _INTEGER_TYPES or sql_type in _FLOAT_TYPES or sql_type.startswith("DECIMAL"):
        return f"CAST({col} AS DOUBLE)"
    if sql_type == "VARCHAR":
        return f"try_cast(trim({col}) AS DOUBLE)"
    raise NorthstarError(_("Column {column!r} is not a number", column=name),
                         _("It holds {type} values.", type=sql_type))


def _numeric_role(role: str, text: str, source: LakeSource) -> str:
    if text in source.columns:
        return _number(text, source.columns[text])
    derived = parse_derived(text, role, tuple(source.columns))
    return derived.to_sql(lambda c: _number(c, source.columns[c]))


def _property(name: str, sql_type: str) -> tuple[str, str, str]:
    """(name kept, SQL, type) for a column no role consumed."""
    kept = name if name.lower() not in _RESERVED else f"source_{name}"
    if sql_type in _INTEGER_TYPES:
        return kept, f"CAST({quote_ident(name)} AS BIGINT)", "BIGINT"
    if sql_type in _FLOAT_TYPES or sql_type.startswith("DECIMAL"):
        return kept, f"CAST({quote_ident(name)} AS DOUBLE)", "DOUBLE"
    return kept, _text(name, sql_type), "VARCHAR"


def plan_rows(source: LakeSource, sources: Mapping[str, str | None], default_event: str
              ) -> tuple[str, dict[str, str]]:
    """The SELECT over the files giving canonical columns, properties and `partition_date`."""
    types = source.columns
    user = _column(USER, sources[USER] or "", source)
    ts = _column(TIMESTAMP, sources[TIMESTAMP] or "", source)
    parts = [f"{_text(user, types[user])} AS user_id", f"{_timestamp(ts, types[ts])} AS ts"]
    event = sources.get(EVENT)
    if event:
        parts.append(f"coalesce({_text(_column(EVENT, event, source), types[event])}, '(not set)') "
                     "AS event")
    else:
        parts.append(f"{quote_literal(default_event)} AS event")
    for role, target, cast in _NUMERIC_TARGETS:
        text = sources.get(role)
        sql = _numeric_role(role, text, source) if text else "NULL"
        if role == NPS and text:
            sql = f"round({sql})"
        parts.append(f"CAST({sql} AS {cast}) AS {target}")
    consumed = {v for v in sources.values() if v in types}
    properties: dict[str, str] = {}
    for name, sql_type in types.items():
        if name not in consumed:
            kept, sql, kind = _property(name, sql_type)
            parts.append(f"{sql} AS {quote_ident(kept)}")
            properties[kept] = kind
    if source.partition:
        parts.append(f"CAST({quote_ident(source.partition)} AS DATE) AS partition_date")
    return f"SELECT {', '.join(parts)} FROM {source.reader()}", properties


def _content_hash(files: tuple[str, ...]) -> str:
    """Names, sizes and modification times of the files: changes when a file lands or is rewritten."""
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.encode())
        if not _is_remote(file):
            with_stat = os.stat(file)
            digest.update(f"{with_stat.st_size}:{with_stat.st_mtime_ns}".encode())
    return digest.hexdigest()


def attach_parquet(store: Store, path: str | Path, dataset: str,
                   overrides: Mapping[str, str] | None = None, engine: str | None = None) -> Dataset:
    """Register the Parquet files at `path` as dataset `dataset` (replacing one of that name).

    `engine` ("duckdb" or "spark") is where its metrics run unless a command says otherwise.
    """
    if engine not in (None, "duckdb", "spark"):
        raise NorthstarError(_("Unknown engine"), _("{engine!r} is not one of: duckdb, spark.",
                                                    engine=engine))
    path_text = str(path)
    with store.scratch() as cur:
        source = describe(cur, path_text)
    mapping = resolve_mapping(tuple(source.columns), overrides)
    rows_sql, properties = plan_rows(source, mapping.sources, default_event=dataset)
    record_mapping = {
        "roles": mapping.as_dict(), "properties": properties,
        "lake": {"source": path_text, "pattern": source.pattern, "files": len(source.files),
                 "hive": source.hive, "partition": source.partition, "union_by_name": source.union,
                 "overrides": dict(overrides or {}), **({"engine": engine} if engine else {})},
    }
    fingerprint = hashlib.sha256((_content_hash(source.files) + json.dumps(
        record_mapping, sort_keys=True)).encode()).hexdigest()[:16]

    def build(cur: duckdb.DuckDBPyConnection) -> Dataset:
        try:
            stats = write_lake_layout(cur, rows_sql, tuple(properties))
        except duckdb.Error as err:
            raise NorthstarError(_("Could not read the files as Parquet"),
                                 str(err).splitlines()[0][:300]) from None
        if not stats.rows:
            raise NorthstarError(_("No rows"), _("The files at {path} hold no events with a timestamp.",
                                                 path=path_text))
        notes: list[str] = list(mapping.notes)
        notes.append(lazy.ngettext(
            "attached in place: {n} Parquet file at {path}, no rows copied",
            "attached in place: {n} Parquet files at {path}, no rows copied",
            len(source.files), path=path_text))
        if source.partition:
            notes.append(lazy.gettext("partitioned by {key}: queries skip files outside their dates",
                                      key=source.partition))
        if stats.anonymous:
            notes.append(lazy.ngettext("{n} row without a user id (kept; not counted as users)",
                                       "{n} rows without a user id (kept; not counted as users)",
                                       stats.anonymous))
        return Dataset(id=0, name="", source=path_text, rows=stats.rows, users=stats.users,
                       first_ts=stats.first_ts, last_ts=stats.last_ts, mapping=record_mapping,
                       properties=tuple(properties), notes=tuple(notes), fingerprint=fingerprint,
                       loaded_at=datetime.now())

    return store.write_dataset(dataset, build)


def refresh_lake(store: Store, dataset: str) -> Dataset:
    """Attach an attached dataset again from the same place and mapping: new files are picked up."""
    current = store.dataset(dataset)
    if not current.lake:
        raise NorthstarError(_("Dataset {name!r} was not attached", name=dataset),
                             _("Only datasets attached in place can be refreshed; ingest the file "
                               "again."))
    return attach_parquet(store, current.lake["source"], dataset, current.lake.get("overrides") or {},
                          current.lake.get("engine"))
