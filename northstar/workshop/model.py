"""Workshop records and their tables: the five NSM criteria, the dataclasses, loading one by join code."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime

from northstar.errors import NorthstarError
from northstar.i18n import N_, _
from northstar.store import from_db
from northstar.text import display_name


@dataclass(frozen=True)
class Criterion:
    """One of the five NSM criteria; `help` is the one-line hover text (both English, marked for the
    catalog: show them with i18n's `_()`; Swedish uses the method's own words)."""

    key: str
    label: str
    help: str


CRITERIA: tuple[Criterion, ...] = (
    Criterion("critical", N_("Critical"),
              N_("Captures the value customers get, so when it grows the company succeeds.")),
    Criterion("measurable", N_("Measurable"),
              N_("We can compute it reliably, every week, from data we already collect.")),
    Criterion("understandable", N_("Understandable"),
              N_("Anyone in the company can explain what it counts in one sentence.")),
    Criterion("influenceable", N_("Influenceable"),
              N_("Our teams' work can move it within weeks, not only the market or the sales cycle.")),
    Criterion("long_term", N_("Long-term"),
              N_("Growing it builds lasting value; it is not a quick win that fades.")),
)
CRITERION_KEYS = tuple(c.key for c in CRITERIA)
SCORES = (1, 2, 3, 4, 5)
DOTS = 3  # dots each participant spreads over the shortlist


@dataclass(frozen=True)
class ShortlistEntry:
    candidate: str
    definition: str


@dataclass(frozen=True)
class Decision:
    """One lock: the chosen NSM, its definition, why; the room's leader then, and why another was chosen.

    `version` counts the locks of the workshop (1, 2, ... after each reopen); `reopened_at` is set
    once the facilitator reopened it (then it is history, no longer the current decision).
    """

    chosen: str
    definition: str
    rationale: str
    locked_at: datetime
    version: int = 1
    leader: str | None = None
    override_reason: str | None = None
    reopened_at: datetime | None = None
    reopen_reason: str | None = None


@dataclass(frozen=True)
class Workshop:
    id: int
    code: str
    name: str
    dataset: str | None
    created_at: datetime
    status: str  # open | locked
    shortlist: tuple[ShortlistEntry, ...]
    decision: Decision | None
    version: int = 0  # how many times it was locked
    language: str = "en"  # the workshop's language: its join link and decision record use it
    # Only on the Workshop that create_workshop returns: the facilitator link's secret (never stored).
    host_secret: str | None = field(default=None, repr=False, compare=False)

    @property
    def locked(self) -> bool:
        return self.status == "locked"

    @property
    def candidates(self) -> tuple[str, ...]:
        return tuple(entry.candidate for entry in self.shortlist)

    def definition_of(self, candidate: str) -> str:
        return next(e.definition for e in self.shortlist if e.candidate == candidate)


@dataclass(frozen=True)
class Participant:
    workshop: str  # the join code
    name: str
    joined_at: datetime
    # Only on the Participant that join returns: the personal secret that proves it is you.
    secret: str | None = field(default=None, repr=False, compare=False)


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def clean_name(text: str) -> str:
    """Names display without invisible characters, whitespace collapsed (see northstar.text)."""
    return display_name(text)


def normal_code(code: str) -> str:
    return "".join(str(code).split()).upper()


def load_workshop(con: sqlite3.Connection, code: str) -> Workshop:
    """The workshop with join code `code` (case and spaces ignored), read on `con`."""
    row = con.execute("SELECT id, code, name, dataset, created_at, status, chosen, chosen_definition, "
                      "rationale, locked_at, version, language FROM workshops WHERE code = ?",
                      [normal_code(code)]).fetchone()
    if row is None:
        raise NorthstarError(_("No workshop with code {code}", code=repr(str(code).strip())),
                             _("Check the code on the facilitator's screen, or open the join link again."))
    (id_, code_, name, dataset, created_at, status, chosen, chosen_def, rationale, locked_at, version,
     lang) = row
    entries = con.execute("SELECT candidate, definition FROM shortlist WHERE workshop = ? "
                          "ORDER BY position", [id_]).fetchall()
    shortlist = tuple(ShortlistEntry(c, d) for c, d in entries)
    decision = None
    if status == "locked":
        current = [d for d in load_decisions(con, id_) if d.version == version]
        decision = current[0] if current else Decision(chosen, chosen_def, rationale, _time(locked_at),
                                                       version or 1)
    return Workshop(id_, code_, name, dataset, _time(created_at), status, shortlist, decision,
                    int(version or 0), lang or "en")


def load_decisions(con: sqlite3.Connection, workshop_id: int) -> list[Decision]:
    """Every lock of a workshop, first first."""
    rows = con.execute("SELECT chosen, definition, rationale, locked_at, version, leader, override_reason, "
                       "reopened_at, reopen_reason FROM decisions WHERE workshop = ? ORDER BY version",
                       [workshop_id]).fetchall()
    return [Decision(c, d, r, _time(at), int(v), lead, why, from_db(re), rwhy)
            for c, d, r, at, v, lead, why, re, rwhy in rows]


def _time(text: str | None) -> datetime:
    value = from_db(text)
    assert value is not None, "workshop timestamps are NOT NULL once set"
    return value


