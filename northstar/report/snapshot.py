"""The frozen decision record: built once at lock time, kept in the store, rendered on every download.

A record rebuilt from current data would change when the data does (a tree added after the lock
would appear in it). So at lock time the whole record (scores, dots, evidence, the NSM's series, the
tree as it was, the review date) is stored as JSON with the decision's version, and downloads render
that. Decisions locked before schema v3 have no snapshot: their record is rebuilt as before.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import asdict, replace
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd

from northstar.errors import NorthstarError
from northstar.i18n import use_language
from northstar.metrics import saved_candidates
from northstar.report.criteria import nsm_scorecard
from northstar.report.evidence import EVIDENCE_GRAIN, CompareFn, SeriesFn, decision_record, ranked_once
from northstar.report.guardrail import counter_entry
from northstar.report.record import DecisionRecord, SeriesPoint
from northstar.store import Store
from northstar.tree import MetricTree, NodeStatus, TreeNode
from northstar.workshop import Decision, decisions, find_workshop, freeze, lock, snapshot_of

log = logging.getLogger(__name__)

SNAPSHOT_FORMAT = 1
REVIEW_AFTER = timedelta(days=91)  # "look again in a quarter"


def lock_and_freeze(store: Store, code: str, pin: str, chosen: str, definition: str, rationale: str, *,
                    host: str | None, reason: str = "", series: SeriesFn | None = None,
                    grain: str = EVIDENCE_GRAIN, counter_metric: str | None = None,
                    suggested_counter: str | None = None, ranking: CompareFn | None = None) -> Decision:
    """Lock the decision (a new version), then freeze its record while scores are read-only; the
    record's words (the data's verdicts, the tree's phrases) in the workshop's language. A
    `counter_metric` (the guardrail the facilitator accepted or chose; `suggested_counter` is what
    Northstar proposed) is frozen with its evidence. `ranking` gives the Compare ranking the record's
    evidence reads (the app passes its cached one)."""
    decision = lock(store, code, pin, chosen, definition, rationale, host=host, reason=reason)
    try:
        with use_language(find_workshop(store, code).language):
            record = build_record(store, code, series, grain, counter_metric, suggested_counter, ranking)
        freeze(store, code, decision.version, to_snapshot(record))
    except NorthstarError as err:  # the decision stands; its record is then rebuilt on download
        log.warning("The record of %s v%s was not frozen: %s", code, decision.version, err.one_line())
    return decision


def build_record(store: Store, code: str, series: SeriesFn | None, grain: str = EVIDENCE_GRAIN,
                 counter_metric: str | None = None, suggested_counter: str | None = None,
                 ranking: CompareFn | None = None) -> DecisionRecord:
    """The record as the data stands now, with the NSM's series, review date, lock history and the
    counter-metric when one is named. The evidence and the NSM's scorecard read one Compare ranking."""
    if series is None:
        from northstar.metrics import compute

        series = compute
    ranked = ranked_once(ranking) if ranking is not None else ranked_once()
    record, _ = decision_record(store, code, series, grain, ranked)
    workshop = find_workshop(store, code)
    decision = workshop.decision
    points: tuple[SeriesPoint, ...] = ()
    dataset = store.find(workshop.dataset) if workshop.dataset else None
    if dataset is not None and decision is not None:
        spec = next((s for s in saved_candidates(store, dataset) if s.name == decision.chosen), None)
        if spec is not None:
            frame = series(store, dataset, [spec], grain)
            points = tuple(SeriesPoint(pd.Timestamp(r.period).date(), _number(r.value), bool(r.partial))
                           for r in frame[frame["metric"] == spec.name].itertuples())
    record = _with_decision(record, decision, decisions(store, code), points, grain)
    if counter_metric and dataset is not None and decision is not None:
        entry = counter_entry(store, dataset, decision.chosen, counter_metric, series, grain,
                              suggested_counter)
        record = replace(record, counter_metric=entry)
    if dataset is not None and decision is not None:
        record = replace(record, scorecard=nsm_scorecard(store, dataset, decision.chosen, grain, ranked))
    return record


def _with_decision(record: DecisionRecord, decision: Decision | None, history: list[Decision],
                   points: tuple[SeriesPoint, ...], grain: str) -> DecisionRecord:
    if decision is None:
        return record
    locked = decision.locked_at
    return replace(record, version=decision.version, leader=decision.leader,
                   override_reason=decision.override_reason,
                   review_on=(locked + REVIEW_AFTER).date(), series=points, series_grain=grain,
                   history=tuple(_history_row(d) for d in history))


def _history_row(decision: Decision) -> dict[str, object]:
    return {"version": decision.version, "chosen": decision.chosen,
            "locked_at": decision.locked_at.isoformat(sep=" ", timespec="minutes"),
            "reopened_at": (decision.reopened_at.isoformat(sep=" ", timespec="minutes")
                            if decision.reopened_at else None),
            "reason": decision.override_reason, "reopen_reason": decision.reopen_reason}


def _number(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


# -- to and from JSON ------------------------------------------------------------------------------
def _frame(frame: pd.DataFrame | None) -> list[dict[str, Any]] | None:
    if frame is None:
        return None
    return [{k: (None if isinstance(v, float) and math.isnan(v) else
                 v.item() if hasattr(v, "item") else v) for k, v in row.items()}
            for row in frame.to_dict(orient="records")]


def to_snapshot(record: DecisionRecord) -> dict[str, Any]:
    """The record as plain JSON values."""
    tree = record.tree
    values = record.tree_values or {}
    return {
        "format": SNAPSHOT_FORMAT,
        "workshop": record.workshop, "decided_on": record.decided_on.isoformat(),
        "nsm": record.nsm, "definition": record.definition, "rationale": record.rationale,
        "participants": list(record.participants), "dataset": record.dataset,
        "by_candidate": _frame(record.by_candidate), "by_criterion": _frame(record.by_criterion),
        "evidence": [dict(row) for row in record.evidence],
        "tree": None if tree is None else {"name": tree.name, "nodes": [asdict(n) for n in tree.nodes]},
        "tree_values": {k: asdict(v) if isinstance(v, NodeStatus) else dict(v) for k, v in values.items()},
        "version": record.version, "leader": record.leader, "override_reason": record.override_reason,
        "review_on": record.review_on.isoformat() if record.review_on else None,
        "series": [[p.period.isoformat(), p.value, p.partial] for p in record.series],
        "series_grain": record.series_grain,
        "history": [dict(h) for h in record.history],
        "language": record.language,
        "names": {name: [message, dict(fields)] for name, (message, fields) in record.names.items()},
        "counter_metric": None if record.counter_metric is None else dict(record.counter_metric),
        "scorecard": [dict(row) for row in record.scorecard],
    }


def from_snapshot(data: Mapping[str, Any]) -> DecisionRecord:
    """The record exactly as it was frozen."""
    decided = str(data["decided_on"])
    tree_data = data.get("tree")
    tree = (MetricTree(tuple(TreeNode(**n) for n in tree_data["nodes"]), tree_data["name"])
            if tree_data else None)
    by_candidate = pd.DataFrame(data["by_candidate"]) if data.get("by_candidate") is not None else None
    by_criterion = pd.DataFrame(data["by_criterion"]) if data.get("by_criterion") is not None else None
    for frame in (by_candidate, by_criterion):
        for column in ("score", "mean", "std", "min", "max"):
            if frame is not None and column in frame:
                frame[column] = frame[column].astype("float64")
    return DecisionRecord(
        workshop=data["workshop"],
        decided_on=datetime.fromisoformat(decided) if " " in decided or "T" in decided
        else date.fromisoformat(decided),
        nsm=data["nsm"], definition=data["definition"], rationale=data["rationale"],
        participants=tuple(data.get("participants") or ()), dataset=data.get("dataset"),
        by_candidate=by_candidate, by_criterion=by_criterion,
        evidence=tuple(data.get("evidence") or ()), tree=tree,
        tree_values={k: NodeStatus(**v) for k, v in (data.get("tree_values") or {}).items()} or None,
        version=data.get("version"), leader=data.get("leader"),
        override_reason=data.get("override_reason"),
        review_on=date.fromisoformat(data["review_on"]) if data.get("review_on") else None,
        series=tuple(SeriesPoint(date.fromisoformat(p), v, bool(partial))
                     for p, v, partial in data.get("series") or ()),
        series_grain=data.get("series_grain") or EVIDENCE_GRAIN,
        history=tuple(data.get("history") or ()),
        language=data.get("language") or "en",
        names={name: (message, dict(fields))
               for name, (message, fields) in (data.get("names") or {}).items()},
        counter_metric=data.get("counter_metric"),
        scorecard=tuple(data.get("scorecard") or ()))


def frozen_record(store: Store, code: str, series: SeriesFn | None = None,
                  version: int | None = None) -> DecisionRecord:
    """The record to download: the snapshot frozen at lock time; rebuilt only when none was kept."""
    snapshot = snapshot_of(store, code, version)
    if snapshot is not None:
        return from_snapshot(snapshot)
    return build_record(store, code, series)
