"""Load an export file into the store as a named dataset: stage, map roles, convert, check, write."""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from northstar.errors import NorthstarError
from northstar.i18n import N_, _, lazy, ngettext
from northstar.ingest import convert
from northstar.ingest.append import COMBINED, combine, load_old
from northstar.ingest.demo import write_demo_csv
from northstar.ingest.derived import parse_derived
from northstar.ingest.plausible import Implausible, drop_implausible
from northstar.ingest.roles import (
    AMOUNT,
    DURATION,
    EVENT,
    NPS,
    NUMERIC_ROLES,
    TIMESTAMP,
    USER,
    RoleMapping,
    normalise,
    one_column_hint,
    resolve_mapping,
    role_word,
)
from northstar.ingest.sources import ReadOptions, SourceFile, preview_file, stage_file
from northstar.store import (
    CANONICAL_COLUMNS,
    Dataset,
    LayoutStats,
    Store,
    fetch_one,
    quote_ident,
    write_layout,
)
from northstar.vocab import purchase_events

# Told (fraction done, what is happening); whatever it returns is ignored (st.progress returns itself).
Progress = Callable[[float, str], object]
STAGING, TYPED = "ns_staging", "ns_typed"
_RESERVED = {*CANONICAL_COLUMNS, "user_key"}
_NUMERIC_TARGETS = {AMOUNT: "amount", DURATION: "duration_s", NPS: "nps_score"}


@dataclass(frozen=True)
class Property:
    """A source column kept beside the canonical ones, for filtering and grouping."""

    source: str
    name: str
    sql_type: str


@dataclass(frozen=True)
class LoadPlan:
    """Everything decided before writing: how each role is read and which columns are kept."""

    source: SourceFile
    mapping: RoleMapping
    select_sql: str
    conversions: dict[str, convert.Conversion]
    properties: tuple[Property, ...]
    notes: tuple[str, ...]


def _silent(fraction: float, message: str) -> None:
    del fraction, message


def file_fingerprint(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _column_role_sql(role: str, source: str | None, columns: tuple[str, ...]) -> str | None:
    if source is None:
        return None
    if source not in columns:
        listed = ", ".join(repr(c) for c in columns)
        detail = (str(one_column_hint(columns[0])) if len(columns) == 1 and " " in columns[0].strip()
                  else _("The file's columns are: {columns}. Pick one of them for {role}.",
                         columns=listed, role=role_word(role)))
        raise NorthstarError(_("No column {column!r} for {role}", column=source, role=role_word(role)),
                             detail)
    return convert.text_value(source)


def _numeric_role(cur: duckdb.DuckDBPyConnection, role: str, source: str,
                  src: SourceFile) -> convert.Conversion:
    expression = source if source in src.columns else parse_derived(source, role, src.columns)
    conversion = convert.numeric_conversion(cur, STAGING, role, expression,
                                            prefer_decimal_comma=src.delimiter == ";")
    if role == NPS:
        convert.check_range(cur, STAGING, conversion, 0, 10, source)
        conversion = replace(conversion, sql=f"CAST(round({conversion.sql}) AS INTEGER)")
    return conversion


def _properties(cur: duckdb.DuckDBPyConnection, src: SourceFile,
                mapping: RoleMapping) -> tuple[Property, ...]:
    """Columns not consumed by a role, typed BIGINT/DOUBLE when every value is such a number."""
    consumed = {v for v in mapping.sources.values() if v in src.columns}
    kept = [c for c in src.columns if c not in consumed]
    if not kept:
        return ()
    if len(kept) > WIDE:
        counts = _wide_probes(cur, kept)
    else:
        probes = ", ".join(
            f"count(*) FILTER ({convert.present(quote_ident(c))}), "
            f"count(try_cast(trim({quote_ident(c)}) AS BIGINT)), "
            f"count(try_cast(trim({quote_ident(c)}) AS DOUBLE))" for c in kept)
        cur.execute(f"SELECT {probes} FROM {STAGING}")
        counts = fetch_one(cur)
    properties = []
    for i, column in enumerate(kept):
        total, as_int, as_float = counts[3 * i: 3 * i + 3]
        sql_type = ("BIGINT" if total and as_int == total else
                    "DOUBLE" if total and as_float == total else "VARCHAR")
        name = column if column.lower() not in _RESERVED else f"source_{column}"
        properties.append(Property(column, name, sql_type))
    return tuple(properties)


# Above this many property columns their types are probed in long form (one UNPIVOT, a GROUP BY)
# rather than with three aggregates per column, whose planning grows faster than linearly.
WIDE = 100


def _wide_probes(cur: duckdb.DuckDBPyConnection, kept: list[str]) -> tuple[int, ...]:
    columns = ", ".join(quote_ident(c) for c in kept)
    cur.execute(f"SELECT name, count(*) FILTER ({convert.present('v')}), "
                f"count(try_cast(trim(v) AS BIGINT)), count(try_cast(trim(v) AS DOUBLE)) "
                f"FROM (UNPIVOT {STAGING} ON {columns} INTO NAME name VALUE v) GROUP BY name")
    found = {row[0]: row[1:] for row in cur.fetchall()}
    return tuple(n for c in kept for n in found.get(c, (0, 0, 0)))


def _property_sql(prop: Property) -> str:
    col = quote_ident(prop.source)
    if prop.sql_type == "VARCHAR":
        value = convert.text_value(prop.source)
    else:
        value = f"CASE WHEN {convert.present(col)} THEN try_cast(trim({col}) AS {prop.sql_type}) END"
    return f"{value} AS {quote_ident(prop.name)}"


def _segment_track_calls(cur: duckdb.DuckDBPyConnection, src: SourceFile) -> list[str]:
    """A Segment export's calls other than `track` (identify, page, group...) are not events: they
    are left out of the staged rows, counted in a note."""
    norm = {normalise(c): c for c in src.columns}
    if not {"type", "message_id", "anonymous_id"} <= set(norm):
        return []
    kind = quote_ident(norm["type"])
    cur.execute(f"SELECT count(*), list_sort(list(DISTINCT coalesce({kind}, '')))[1:3] FROM {STAGING} "
                f"WHERE coalesce(lower(trim({kind})), '') <> 'track'")
    count, kinds = fetch_one(cur)
    if not count:
        return []
    cur.execute(f"DELETE FROM {STAGING} WHERE coalesce(lower(trim({kind})), '') <> 'track'")
    return [lazy.ngettext(
        "{n} Segment call that is not a track call left out ({kinds})",
        "{n} Segment calls that are not track calls left out ({kinds})", int(count),
        kinds=", ".join(repr(k) for k in kinds or ()))]


def _ga4_observed_identity(cur: duckdb.DuckDBPyConnection, src: SourceFile,
                           mapping: RoleMapping) -> list[str]:
    """GA4 counts a device's signed-out events for the user it signed in as (its "observed" identity):
    staged rows without a user id get the one user id their `user_pseudo_id` was seen with. A device
    seen with two or more user ids is shared; its signed-out events stay the device's."""
    norm = {normalise(c): c for c in src.columns}
    user, device = mapping.source(USER), mapping.fallbacks.get(USER)
    if not (user and device and "event_name" in norm and normalise(device) == "user_pseudo_id"
            and user in src.columns and device in src.columns):
        return []
    uid, dev = quote_ident(user), quote_ident(device)
    known = convert.text_value(user)
    cur.execute(f"CREATE OR REPLACE TEMP TABLE ns_ga4_devices AS SELECT {dev} AS device, "
                f"min({uid}) AS uid FROM {STAGING} WHERE {known} IS NOT NULL AND {dev} IS NOT NULL "
                f"GROUP BY 1 HAVING count(DISTINCT {known}) = 1")
    signed_out = f"{known} IS NULL AND {dev} IN (SELECT device FROM ns_ga4_devices)"
    cur.execute(f"SELECT count(*) FROM {STAGING} WHERE {signed_out}")
    stitched = int(fetch_one(cur)[0])
    if stitched:
        cur.execute(f"UPDATE {STAGING} SET {uid} = (SELECT d.uid FROM ns_ga4_devices d "
                    f"WHERE d.device = {STAGING}.{dev}) WHERE {signed_out}")
    cur.execute("DROP TABLE ns_ga4_devices")
    if not stitched:
        return []
    return [lazy.ngettext(
        "{n} signed-out event counted for the user its device signed in as",
        "{n} signed-out events counted for the user their device signed in as", stitched)]


def plan_load(cur: duckdb.DuckDBPyConnection, src: SourceFile, mapping: RoleMapping,
              default_event: str) -> LoadPlan:
    """Decide how every role is read from the staged file; raises on anything unusable."""
    user_sql = _column_role_sql(USER, mapping.source(USER), src.columns)
    fallback_notes = _segment_track_calls(cur, src) + _ga4_observed_identity(cur, src, mapping)
    if USER in mapping.fallbacks and mapping.fallbacks[USER] in src.columns:
        fallback_sql = convert.text_value(mapping.fallbacks[USER])
        cur.execute(f"SELECT count(*) FROM {STAGING} WHERE {user_sql} IS NULL "
                    f"AND {fallback_sql} IS NOT NULL")
        anonymous = int(fetch_one(cur)[0])
        user_sql = f"coalesce({user_sql}, {fallback_sql})"
        fallback_notes.append(lazy.ngettext(
            "{n} event without a user id kept, counted by {column!r}",
            "{n} events without a user id kept, counted by {column!r}", anonymous,
            column=mapping.fallbacks[USER]))
    ts_column = mapping.source(TIMESTAMP)
    assert ts_column is not None, "resolve_mapping(strict=True) raises when the timestamp is unmapped"
    _column_role_sql(TIMESTAMP, ts_column, src.columns)
    conversions = {TIMESTAMP: convert.timestamp_conversion(
        cur, STAGING, ts_column, date_format=src.options.date_format)}
    event_sql = _column_role_sql(EVENT, mapping.source(EVENT), src.columns)
    for role in NUMERIC_ROLES:
        numeric_source = mapping.source(role)
        if numeric_source:
            conversions[role] = _numeric_role(cur, role, numeric_source, src)
    properties = _properties(cur, src, mapping)
    event_value = (f"coalesce({event_sql}, '(not set)')" if event_sql
                   else "$default_event")
    parts = [f"{user_sql} AS user_id", f"{conversions[TIMESTAMP].sql} AS ts",
             f"{event_value} AS event"]
    for role, target in _NUMERIC_TARGETS.items():
        sql = conversions[role].sql if role in conversions else "NULL"
        cast = "INTEGER" if role == NPS else "DOUBLE"
        parts.append(f"CAST({sql} AS {cast}) AS {target}")
    parts.extend(_property_sql(p) for p in properties)
    notes: list[str] = [*src.notes, *mapping.notes]
    if not event_sql:
        notes.append(lazy.gettext("no event column: every row is the event {event!r}",
                                  event=default_event))
    for role, conversion in conversions.items():
        source = mapping.source(role)
        notes.append(lazy.gettext("{role} = {expression}", role=role_word(role), expression=source)
                     if source not in src.columns else
                     lazy.gettext("{role} read from {column!r} as {how}", role=role_word(role),
                                  column=source, how=conversion.how))
        if conversion.bad_rows and role != TIMESTAMP:
            notes.append(lazy.ngettext(
                "{n} {role} value could not be read, left empty (e.g. {examples})",
                "{n} {role} values could not be read, left empty (e.g. {examples})",
                conversion.bad_rows, role=role_word(role),
                examples=", ".join(repr(e) for e in conversion.examples)))
    notes.extend(fallback_notes)
    notes.extend(missing_role_notes(mapping))
    select_sql = f"SELECT {', '.join(parts)} FROM {STAGING}"
    return LoadPlan(src, mapping, select_sql, conversions, properties, tuple(notes))


# What each optional role unlocks, said when the file has no column for it.
MISSING_ROLE_NOTES = {
    AMOUNT: N_("no money column: pick one to get Revenue, LTV and Transactions (and MRR for "
               "subscription events)"),
    DURATION: N_("no duration column: pick one to get Time spent per active user (Events per "
                 "active user is used instead)"),
    NPS: N_("no NPS column: pick one (answers 0-10) to get the NPS candidate"),
}


def orders_note(events: list[str]) -> str:
    """The no-money note once the events are known: which count stands in as the outcome."""
    orders = purchase_events(events)
    if not orders:
        return lazy.gettext("no money column and no purchase-like event: pick a money column to get "
                            "Revenue, LTV and MRR, or add an outcome counting the event that is a "
                            "sale (Metrics page)")
    return lazy.gettext("no money column: Orders (count of {events}) is the outcome; pick a money "
                        "column to get Revenue, LTV and MRR",
                        events=", ".join(repr(e) for e in orders))


def _with_orders_note(cur: duckdb.DuckDBPyConnection, plan: LoadPlan) -> LoadPlan:
    """Without an amount, the generic money note becomes one naming the Orders events."""
    if plan.mapping.source(AMOUNT):
        return plan
    cur.execute(f"SELECT DISTINCT CAST(event AS VARCHAR) FROM {TYPED} WHERE ts IS NOT NULL "
                "ORDER BY 1")
    events = [row[0] for row in cur.fetchall()]
    generic = str(lazy.gettext(MISSING_ROLE_NOTES[AMOUNT]))
    notes = tuple(orders_note(events) if str(n) == generic else n for n in plan.notes)
    return replace(plan, notes=notes)


def missing_role_notes(mapping: RoleMapping) -> list[str]:
    """A note for every optional role the file has no column for, saying what it would unlock."""
    return [lazy.gettext(note) for role, note in MISSING_ROLE_NOTES.items() if not mapping.source(role)]


def _type_rows(cur: duckdb.DuckDBPyConnection, plan: LoadPlan, default_event: str) -> tuple[int, int]:
    """Convert the staged text into typed rows and free the text; returns (rows kept, skipped).

    The text copy is dropped before the events are written: one copy of the file in memory at a
    time, not two.
    """
    cur.execute(f"CREATE OR REPLACE TEMP TABLE {TYPED} AS {plan.select_sql}",
                {"default_event": default_event} if "$default_event" in plan.select_sql else None)
    cur.execute(f"DROP TABLE {STAGING}")
    cur.execute(f"SELECT count(*) FILTER (ts IS NULL), count(*) FROM {TYPED}")
    skipped, total = fetch_one(cur)
    return total - skipped, skipped


def _drop_nul_rows(cur: duckdb.DuckDBPyConnection) -> tuple[int, tuple[str, ...]]:
    """Rows whose user id or event holds NUL bytes (a broken export: `u1\\0` would be a second
    user beside `u1`) are left out; returns how many and a few examples."""
    bad = "contains(coalesce(user_id, ''), chr(0)) OR contains(event, chr(0))"
    cur.execute(f"SELECT count(*), list(DISTINCT coalesce(user_id, event))[1:3] FROM {TYPED} "
                f"WHERE ts IS NOT NULL AND ({bad})")
    count, examples = fetch_one(cur)
    if count:
        cur.execute(f"DELETE FROM {TYPED} WHERE {bad}")
    return int(count), tuple(repr(e) for e in examples or ())


def _record(plan: LoadPlan, stats: LayoutStats, content_hash: str, skipped: int,
            nul: tuple[int, tuple[str, ...]] = (0, ()), implausible: Implausible | None = None,
            loaded_at: datetime | None = None) -> Dataset:
    """The catalog record of what was written: counts, span, how each column was read, notes."""
    implausible = implausible or Implausible()
    notes = list(plan.notes)
    notes.extend(implausible.notes())
    if nul[0]:
        notes.append(lazy.ngettext(
            "{n} row left out: its user id or event name holds NUL bytes (e.g. {examples})",
            "{n} rows left out: their user id or event name holds NUL bytes (e.g. {examples})",
            nul[0], examples=", ".join(nul[1])))
    ts = plan.conversions[TIMESTAMP]
    if skipped:
        notes.append(lazy.ngettext(
            "{n} row skipped: its timestamp could not be read (e.g. {examples})",
            "{n} rows skipped: their timestamp could not be read (e.g. {examples})",
            skipped, examples=", ".join(repr(e) for e in ts.examples)))
    if stats.anonymous:
        notes.append(lazy.ngettext("{n} row without a user id (kept; not counted as users)",
                                   "{n} rows without a user id (kept; not counted as users)",
                                   stats.anonymous))
    mapping_record = {
        "roles": plan.mapping.as_dict(),
        **({"fallbacks": plan.mapping.fallbacks} if plan.mapping.fallbacks else {}),
        "read_as": {role: c.how for role, c in plan.conversions.items()},
        "encoding": plan.source.encoding, "delimiter": plan.source.delimiter,
        "read_options": plan.source.options.as_dict(),
        "properties": {p.name: p.sql_type for p in plan.properties},
        **({"implausible": implausible.as_dict()} if implausible.total else {}),
    }
    fingerprint = hashlib.sha256(
        (content_hash + json.dumps(mapping_record, sort_keys=True)).encode()).hexdigest()[:16]
    return Dataset(id=0, name="", source=plan.source.path.name, rows=stats.rows, users=stats.users,
                   first_ts=stats.first_ts, last_ts=stats.last_ts, mapping=mapping_record,
                   properties=tuple(p.name for p in plan.properties), notes=tuple(notes),
                   fingerprint=fingerprint, loaded_at=loaded_at or datetime.now())


def ingest_file(store: Store, path: str | Path, dataset: str | None = None,
                overrides: Mapping[str, str] | None = None, progress: Progress | None = None,
                display_name: str | None = None, options: ReadOptions | None = None,
                append: bool = False) -> Dataset:
    """Load `path` as dataset `dataset` (default: the file's stem), replacing one of that name.

    `overrides` maps roles to columns or expressions (see roles.resolve_mapping); `display_name` is
    the file name the user knows (an upload's name rather than its temp path). The events are
    written to a new file of the store; only the final catalog commit makes them visible, so readers
    and workshop writes never wait for an ingest.
    """
    path = Path(path)
    loaded_at = datetime.now()
    report = progress or _silent
    report(0.02, _("Reading {name}", name=display_name or path.name))
    content_hash = file_fingerprint(path) if path.is_file() else ""
    name = dataset or _stem(Path(display_name) if display_name else path)
    previous = store.find(name) if append else None
    if append and previous is None:
        raise NorthstarError(_("No dataset named {name!r} to add to", name=name),
                             _("Load it first (without --append), or give the dataset's name with "
                               "--dataset NAME."))

    read = replace(options or ReadOptions(), overrides=tuple((overrides or {}).items()))

    def build(cur: duckdb.DuckDBPyConnection) -> Dataset:
        src = stage_file(cur, path, STAGING, read)
        if display_name:
            src = replace(src, path=Path(display_name))
        report(0.35, ngettext("Read {n} row; detecting columns", "Read {n} rows; detecting columns",
                              src.rows))
        mapping = resolve_mapping(src.columns, overrides, samples=_samples(cur, src))
        plan = plan_load(cur, src, mapping, default_event=src.stem)
        report(0.5, _("Converting values"))
        _kept, skipped = _type_rows(cur, plan, default_event=src.stem)
        implausible = drop_implausible(cur, TYPED, loaded_at)
        nul = _drop_nul_rows(cur)
        plan = _with_orders_note(cur, plan)
        report(0.7, _("Writing events"))
        if previous is not None:
            return _append(cur, plan, previous, content_hash, skipped, nul, implausible)
        stats = write_layout(cur, TYPED, tuple(p.name for p in plan.properties))
        cur.execute(f"DROP TABLE {TYPED}")
        return _record(plan, stats, content_hash, skipped, nul, implausible, loaded_at)

    def _append(cur: duckdb.DuckDBPyConnection, plan: LoadPlan, old: Dataset, content_hash: str,
                skipped: int, nul: tuple[int, tuple[str, ...]], implausible: Implausible) -> Dataset:
        load_old(store, old, cur)
        result = combine(cur, TYPED, old, tuple(p.name for p in plan.properties))
        cur.execute(f"DROP TABLE {TYPED}")
        stats = write_layout(cur, COMBINED, result.properties)
        cur.execute(f"DROP TABLE {COMBINED}")
        added = _record(plan, stats, content_hash, skipped, nul, implausible, loaded_at)
        note = lazy.ngettext(
            "added {file}: {n} new event, {already} already there (matched on {matched})",
            "added {file}: {n} new events, {already} already there (matched on {matched})",
            result.new, file=plan.source.path.name, already=result.already_there,
            matched=result.matched_on)
        appends = [*old.mapping.get("appends", []),
                   {"source": plan.source.path.name, "new": result.new,
                    "already_there": result.already_there, "matched_on": result.matched_on}]
        fingerprint = hashlib.sha256((old.fingerprint + added.fingerprint).encode()).hexdigest()[:16]
        return replace(added, source=f"{old.source} + {plan.source.path.name}",
                       mapping={**added.mapping, "appends": appends},
                       properties=result.properties,
                       notes=(*old.notes, note, *implausible.notes()),
                       fingerprint=fingerprint)

    record = store.write_dataset(name, build)
    report(1.0, ngettext("Loaded {n} row", "Loaded {n} rows", record.rows))
    return record


def _samples(cur: duckdb.DuckDBPyConnection, src: SourceFile, limit: int = 200
             ) -> dict[str, list[str]]:
    """The first values of each column (for detecting roles by content), at most 500 columns."""
    if len(src.columns) > 500:
        return {}
    cur.execute(f"SELECT * FROM {STAGING} LIMIT {int(limit)}")
    frame = cur.df()
    return {c: [str(v) for v in frame[c] if v is not None] for c in frame.columns}


def _stem(path: Path) -> str:
    return SourceFile(path=path, columns=(), rows=0).stem


@dataclass(frozen=True)
class FilePreview:
    """The first rows of a file and the role mapping proposed for it, before anything is loaded."""

    rows: pd.DataFrame
    source: SourceFile
    proposal: RoleMapping


def preview(store: Store, path: str | Path, limit: int = 20,
            options: ReadOptions | None = None) -> FilePreview:
    """Read the head of `path` and propose a mapping (missing roles left empty, not an error)."""
    with store.scratch() as cur:
        rows, src = preview_file(cur, path, limit, options)
    samples = {c: [str(v) for v in rows[c] if v is not None] for c in rows.columns}
    proposal = resolve_mapping(src.columns, strict=False, samples=samples)
    notes = (*src.notes, *proposal.notes, *missing_role_notes(proposal))
    return FilePreview(rows, src, replace(proposal, notes=notes))


# The committed demo CSV of a checkout; an installed package regenerates the same bytes instead.
DEMO_CSV = Path(__file__).resolve().parents[2] / "data" / "demo_events.csv"
DEMO_DATASET = "demo"


def demo_csv() -> Path:
    """The demo CSV: the checkout's `data/demo_events.csv`, else a copy made by the deterministic
    generator (identical bytes, checked by the tests) in a temporary folder."""
    if DEMO_CSV.is_file():
        return DEMO_CSV
    made = Path(tempfile.gettempdir()) / f"northstar-demo-{getpass.getuser()}" / DEMO_CSV.name
    if not made.is_file():
        partial = made.with_suffix(f".{os.getpid()}.part")
        write_demo_csv(partial)
        partial.replace(made)  # atomic: a second process never reads half a file
    return made


def load_demo(store: Store, progress: Progress | None = None) -> Dataset:
    """Load the embedded demo (a subscription product, 18 months) as dataset "demo"."""
    return ingest_file(store, demo_csv(), dataset=DEMO_DATASET, progress=progress,
                       display_name=DEMO_CSV.name)
