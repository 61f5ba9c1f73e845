"""Reading a workshop back: live results (means, spread, disagreement, dots, ranking) and one's own input."""

from __future__ import annotations

import math
import sqlite3
import statistics
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from northstar.store import Store, from_db
from northstar.text import name_key
from northstar.workshop.model import CRITERION_KEYS, Participant, Workshop, load_workshop, normal_code

# Disagreement rule: at least two scores and max − min ≥ 3. On a 1–5 scale that means someone rated
# the criterion weak (1–2) while someone else rated it strong (4–5): worth talking about before
# voting. A range is easier to explain on a projector than a standard deviation, which is shown too.
DISAGREEMENT_RANGE = 3


@dataclass(frozen=True)
class WorkshopResults:
    """Live results of one workshop; every frame lists all shortlisted candidates, scored or not.

    - `scores`: participant, candidate, criterion, score (the raw scores).
    - `by_criterion`: candidate, criterion, mean, std (sample, n−1), min, max, n, disagreement.
    - `by_candidate` (best first): rank, candidate, definition, score (mean of the criterion means),
      dots, voters (participants who put ≥1 dot on it), scorers, disagreements (criteria flagged).
    """

    workshop: Workshop
    participants: tuple[str, ...]
    scores: pd.DataFrame
    by_criterion: pd.DataFrame
    by_candidate: pd.DataFrame

    @property
    def ranking(self) -> tuple[str, ...]:
        """Candidates best first: most dots, then highest mean score, then shortlist order."""
        return tuple(self.by_candidate["candidate"])


def results(store: Store, code: str) -> WorkshopResults:
    """Aggregate the scores and votes of workshop `code` as they stand now."""
    with store.read() as con:
        return results_on(con, load_workshop(con, code))


# Everything the live results show moves this: a join (count), a score or dot changed (each write sets
# updated_at to now, and sum(value × rowid) moves even if two writes share a timestamp), a lock or a
# reopen (status, version). One indexed read per table: cheap enough for every 3-second refresh.
_STAMP_SQL = """
SELECT w.status, w.version,
       (SELECT count(*) || '/' || coalesce(max(joined_at), '') FROM participants WHERE workshop = w.id),
       (SELECT count(*) || '/' || coalesce(max(updated_at), '') || '/' || coalesce(sum(score * rowid), 0)
          FROM scores WHERE workshop = w.id),
       (SELECT count(*) || '/' || coalesce(max(updated_at), '') || '/' || coalesce(sum(dots * rowid), 0)
          FROM votes WHERE workshop = w.id)
FROM workshops w WHERE w.code = ?"""


def results_stamp(store: Store, code: str) -> str:
    """A cheap fingerprint of workshop `code`'s results: equal stamps, equal `results` (a cache key)."""
    with store.read() as con:
        row = con.execute(_STAMP_SQL, [normal_code(code)]).fetchone()
    return "" if row is None else "|".join(str(v) for v in row)


def results_on(con: sqlite3.Connection, workshop: Workshop) -> WorkshopResults:
    """`results`, read on an open connection (e.g. inside the lock's transaction)."""
    people = tuple(name for (name,) in con.execute(
        "SELECT name FROM participants WHERE workshop = ? ORDER BY joined_at, name", [workshop.id]))
    scores = pd.DataFrame(con.execute(
        "SELECT participant, candidate, criterion, score FROM scores WHERE workshop = ? "
        "ORDER BY participant, candidate, criterion", [workshop.id]).fetchall(),
        columns=["participant", "candidate", "criterion", "score"])
    votes = {c: (int(d), int(v)) for c, d, v in con.execute(
        "SELECT candidate, sum(dots), count(*) FILTER (WHERE dots > 0) FROM votes "
        "WHERE workshop = ? GROUP BY candidate", [workshop.id])}
    scores["score"] = scores["score"].astype("int64")
    by_criterion = _by_criterion(workshop, scores)
    return WorkshopResults(workshop, people, scores, by_criterion,
                           _by_candidate(workshop, scores, by_criterion, votes))


# Plain Python over the few hundred scores of a room, one DataFrame built at the end: pandas'
# groupby/reindex machinery cost ~25 ms a call here, and the results are read at every refresh.
def _by_criterion(workshop: Workshop, scores: pd.DataFrame) -> pd.DataFrame:
    values: dict[tuple[str, str], list[float]] = {}
    for candidate, criterion, score in zip(scores["candidate"], scores["criterion"], scores["score"],
                                           strict=True):
        values.setdefault((candidate, criterion), []).append(float(score))
    rows = []
    for candidate in workshop.candidates:
        for criterion in CRITERION_KEYS:
            cell = values.get((candidate, criterion), [])
            n = len(cell)
            rows.append({
                "candidate": candidate, "criterion": criterion,
                "mean": statistics.fmean(cell) if n else math.nan,
                "std": statistics.stdev(cell) if n >= 2 else math.nan,
                "min": min(cell) if n else math.nan, "max": max(cell) if n else math.nan, "n": n,
                "disagreement": n >= 2 and max(cell) - min(cell) >= DISAGREEMENT_RANGE})
    return _frame(rows, {"candidate": object, "criterion": object, "mean": np.float64, "std": np.float64,
                         "min": np.float64, "max": np.float64, "n": np.int64, "disagreement": np.bool_})


def _by_candidate(workshop: Workshop, scores: pd.DataFrame, by_criterion: pd.DataFrame,
                  votes: dict[str, tuple[int, int]]) -> pd.DataFrame:
    means: dict[str, list[float]] = {}
    flagged: dict[str, int] = {}
    for candidate, mean, disagreement in zip(by_criterion["candidate"], by_criterion["mean"],
                                             by_criterion["disagreement"], strict=True):
        if not math.isnan(mean):
            means.setdefault(candidate, []).append(float(mean))
        flagged[candidate] = flagged.get(candidate, 0) + int(bool(disagreement))
    scorers: dict[str, set[str]] = {}
    for candidate, participant in zip(scores["candidate"], scores["participant"], strict=True):
        scorers.setdefault(candidate, set()).add(participant)
    rows: list[dict[str, Any]] = [
        {"candidate": entry.candidate, "definition": entry.definition,
         "score": statistics.fmean(means[entry.candidate]) if entry.candidate in means else math.nan,
         "dots": votes.get(entry.candidate, (0, 0))[0], "voters": votes.get(entry.candidate, (0, 0))[1],
         "scorers": len(scorers.get(entry.candidate, ())),
         "disagreements": flagged.get(entry.candidate, 0), "position": position}
        for position, entry in enumerate(workshop.shortlist)]
    # Most dots, then highest mean score (unscored last), then shortlist order.
    rows.sort(key=lambda r: (-r["dots"], math.isnan(r["score"]),
                             0.0 if math.isnan(r["score"]) else -r["score"], r["position"]))
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    return _frame(rows, {"rank": np.int64, "candidate": object, "definition": object, "score": np.float64,
                         "dots": np.int64, "voters": np.int64, "scorers": np.int64,
                         "disagreements": np.int64})


def _frame(rows: list[dict[str, Any]], columns: dict[str, type]) -> pd.DataFrame:
    """A DataFrame of `rows` with exactly these columns and dtypes, built column by column."""
    return pd.DataFrame({name: np.array([r[name] for r in rows], dtype=dtype)
                         for name, dtype in columns.items()})


def my_scores(store: Store, code: str, participant: str) -> dict[tuple[str, str], int]:
    """{(candidate, criterion): score} of one participant, to refill the form after a reload."""
    with store.read() as con:
        workshop = load_workshop(con, code)
        rows = con.execute("SELECT candidate, criterion, score FROM scores s JOIN participants p "
                           "ON p.workshop = s.workshop AND p.name = s.participant "
                           "WHERE s.workshop = ? AND p.name_key = ?",
                           [workshop.id, name_key(participant)]).fetchall()
    return {(c, k): s for c, k, s in rows}


def my_votes(store: Store, code: str, participant: str) -> dict[str, int]:
    """{candidate: dots} of one participant (candidates without dots left out)."""
    with store.read() as con:
        workshop = load_workshop(con, code)
        rows = con.execute("SELECT candidate, dots FROM votes v JOIN participants p "
                           "ON p.workshop = v.workshop AND p.name = v.participant "
                           "WHERE v.workshop = ? AND p.name_key = ? AND dots > 0",
                           [workshop.id, name_key(participant)]).fetchall()
    return dict(rows)


def workshops(store: Store) -> list[Workshop]:
    """All workshops, newest first (for the facilitator's list and the report command)."""
    with store.read() as con:
        codes = con.execute("SELECT code FROM workshops ORDER BY created_at DESC, id DESC").fetchall()
        return [load_workshop(con, code) for (code,) in codes]


def participants(store: Store, code: str) -> tuple[Participant, ...]:
    """Everyone who joined, in order of arrival."""
    with store.read() as con:
        workshop = load_workshop(con, code)
        rows = con.execute("SELECT name, joined_at FROM participants WHERE workshop = ? "
                           "ORDER BY joined_at, name", [workshop.id]).fetchall()
    return tuple(Participant(workshop.code, n, from_db(t) or workshop.created_at) for n, t in rows)
