"""Reading a workshop back: live results (means, spread, disagreement, dots, ranking) and one's own input."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

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


def _by_criterion(workshop: Workshop, scores: pd.DataFrame) -> pd.DataFrame:
    grid = pd.MultiIndex.from_product([list(workshop.candidates), list(CRITERION_KEYS)],
                                      names=["candidate", "criterion"])
    values = scores["score"].astype("float64")
    stats = (values.groupby([scores["candidate"], scores["criterion"]])
             .agg(["mean", "std", "min", "max", "count"]).reindex(grid).reset_index()
             .rename(columns={"count": "n"}))
    stats["n"] = stats["n"].fillna(0).astype("int64")
    stats["disagreement"] = (stats["n"] >= 2) & (stats["max"] - stats["min"] >= DISAGREEMENT_RANGE)
    return stats


def _by_candidate(workshop: Workshop, scores: pd.DataFrame, by_criterion: pd.DataFrame,
                  votes: dict[str, tuple[int, int]]) -> pd.DataFrame:
    grouped = by_criterion.groupby("candidate", sort=False)
    table = pd.DataFrame({
        "candidate": list(workshop.candidates),
        "definition": [e.definition for e in workshop.shortlist],
        "position": range(len(workshop.shortlist)),
    })
    table["score"] = table["candidate"].map(grouped["mean"].mean()).astype("float64")
    table["dots"] = [votes.get(c, (0, 0))[0] for c in workshop.candidates]
    table["voters"] = [votes.get(c, (0, 0))[1] for c in workshop.candidates]
    scorers = scores.groupby("candidate")["participant"].nunique()
    table["scorers"] = [int(scorers.get(c, 0)) for c in workshop.candidates]
    table["disagreements"] = table["candidate"].map(grouped["disagreement"].sum()).astype("int64")
    table = table.sort_values(["dots", "score", "position"], ascending=[False, False, True],
                              na_position="last", kind="stable").reset_index(drop=True)
    table.insert(0, "rank", range(1, len(table) + 1))
    return table.drop(columns="position")


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
