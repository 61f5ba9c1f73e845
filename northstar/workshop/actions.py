"""Running a workshop: create it, join by name, score the five criteria, vote, lock with the PIN."""

from __future__ import annotations

import hashlib
import hmac
import io
import logging
import secrets
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from numbers import Integral

from northstar.errors import NorthstarError
from northstar.store import Store, from_db, to_db
from northstar.workshop.model import (
    CRITERION_KEYS,
    DOTS,
    SCORES,
    Decision,
    Participant,
    ShortlistEntry,
    Workshop,
    clean_name,
    load_workshop,
    normal_code,
    utc_now,
)

log = logging.getLogger(__name__)


PIN_ITERATIONS = 200_000
MIN_PIN_LENGTH = 4
# No 0/O, 1/I/L: the code is read out loud and typed from a projector.
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_CODE_LENGTH = 6


def _hash_pin(pin: str, salt: bytes, iterations: int = PIN_ITERATIONS) -> str:
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, iterations)
    return f"pbkdf2_sha256${iterations}${digest.hex()}"


def _pin_matches(pin: str, pin_hash: str, salt_hex: str) -> bool:
    # The iteration count travels with the hash so it can be raised later without breaking old PINs.
    _, iterations, _ = pin_hash.split("$")
    return hmac.compare_digest(_hash_pin(str(pin), bytes.fromhex(salt_hex), int(iterations)), pin_hash)


def create_workshop(store: Store, name: str, shortlist: Sequence[tuple[str, str]], pin: str,
                    dataset: str | None = None) -> Workshop:
    """Start a workshop on `shortlist` [(candidate name, definition), ...], guarded by `pin`."""
    name = clean_name(name)
    if not name:
        raise NorthstarError("Workshop needs a name", "Give it a name people recognise, e.g. 'Q3 NSM'.")
    entries = [ShortlistEntry(clean_name(c), clean_name(d or "")) for c, d in shortlist]
    if len(entries) < 2 or any(not e.candidate for e in entries):
        raise NorthstarError("Shortlist at least two candidates",
                             "A workshop compares candidate NSMs; pick two or more by name.")
    keys = [e.candidate.casefold() for e in entries]
    if len(set(keys)) < len(keys):
        raise NorthstarError("Shortlist names a candidate twice", "Each candidate may appear once.")
    if len(str(pin)) < MIN_PIN_LENGTH:
        raise NorthstarError("PIN too short", f"Use at least {MIN_PIN_LENGTH} characters; only the "
                             "facilitator should know it, it locks the decision.")
    salt = secrets.token_bytes(16)
    pin_hash = _hash_pin(str(pin), salt)  # ~50 ms: before the transaction, so nobody waits on it
    with store.transaction() as con:
        code = _free_code(con)
        workshop_id = con.execute(
            "INSERT INTO workshops (code, name, dataset, pin_hash, pin_salt, created_at, status) "
            "VALUES (?, ?, ?, ?, ?, ?, 'open') RETURNING id",
            [code, name, dataset, pin_hash, salt.hex(), to_db(utc_now())]).fetchone()[0]
        con.executemany("INSERT INTO shortlist (workshop, position, candidate, definition) "
                        "VALUES (?, ?, ?, ?)",
                        [[workshop_id, i, e.candidate, e.definition] for i, e in enumerate(entries)])
        return load_workshop(con, code)


def _free_code(con: sqlite3.Connection) -> str:
    while True:  # 31^6 ≈ 900M codes: a collision is rare, two in a row rarer still
        code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH))
        if con.execute("SELECT count(*) FROM workshops WHERE code = ?", [code]).fetchone()[0] == 0:
            return code


def find_workshop(store: Store, code: str) -> Workshop:
    """The workshop with join code `code` (case and spaces ignored)."""
    with store.read() as con:
        return load_workshop(con, code)


def join(store: Store, code: str, participant_name: str) -> Participant:
    """Join by name; joining again with the same name (any case) returns the same participant.

    Joining a locked workshop still works: latecomers can read the results and the decision.
    """
    name = clean_name(participant_name)
    if not name or len(name) > 60:
        raise NorthstarError("Enter your name to join", "Use 1–60 characters; others see it in results.")
    with store.transaction() as con:
        workshop = load_workshop(con, code)
        con.execute("INSERT INTO participants (workshop, name, name_key, joined_at) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT DO NOTHING", [workshop.id, name, name.casefold(), to_db(utc_now())])
        stored, joined_at = con.execute(
            "SELECT name, joined_at FROM participants WHERE workshop = ? AND name_key = ?",
            [workshop.id, name.casefold()]).fetchone()
    return Participant(workshop.code, stored, from_db(joined_at) or utc_now())


def _participant(con: sqlite3.Connection, workshop: Workshop, participant: str) -> str:
    row = con.execute("SELECT name FROM participants WHERE workshop = ? AND name_key = ?",
                      [workshop.id, clean_name(participant).casefold()]).fetchone()
    if row is None:
        raise NorthstarError(f"{participant!r} has not joined this workshop",
                             f"Join workshop {workshop.code} with your name first.")
    return row[0]


def _locked_error(chosen: str | None) -> NorthstarError:
    return NorthstarError("Workshop is locked", f"The facilitator chose {chosen!r}; scores and votes "
                          "are read-only now.")


@contextmanager
def _open_writer(store: Store, workshop: Workshop) -> Iterator[sqlite3.Connection]:
    """A transaction, once the workshop is known to be still open inside it.

    Only the status is checked here: participants and the shortlist never change after they exist,
    so they are checked before, outside the transaction, where readers never wait.
    """
    if workshop.decision is not None:
        raise _locked_error(workshop.decision.chosen)
    with store.transaction() as con:
        status, chosen = con.execute("SELECT status, chosen FROM workshops WHERE id = ?",
                                     [workshop.id]).fetchone()
        if status != "open":
            raise _locked_error(chosen)
        yield con


def _check_candidate(workshop: Workshop, candidate: str, verb: str = "Score") -> None:
    if candidate not in workshop.candidates:
        raise NorthstarError(f"{candidate!r} is not on the shortlist",
                             f"{verb} one of: " + ", ".join(workshop.candidates) + ".")


def _whole(value: object, what: str, low: int, high: int) -> int:
    """`value` as an int when it is a whole number in [low, high]: 4 or 4.0, not True or 4.5."""
    if (isinstance(value, Integral) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer()):
        number = int(value)
        if low <= number <= high:
            return number
    raise NorthstarError(f"{what} must be a whole number from {low} to {high}", f"Got {value!r}.")


def set_scores(store: Store, code: str, participant: str, candidate: str,
               scores: Mapping[str, int]) -> None:
    """Save several criterion scores (1–5) of one candidate at once, replacing earlier ones."""
    for key in scores:
        if key not in CRITERION_KEYS:
            raise NorthstarError(f"Unknown criterion {key!r}", "Use one of: " + ", ".join(CRITERION_KEYS))
    checked = {key: _whole(value, f"Score for {key}", SCORES[0], SCORES[-1])
               for key, value in scores.items()}
    if not checked:
        return
    with store.read() as con:
        workshop = load_workshop(con, code)
        name = _participant(con, workshop, participant)
    _check_candidate(workshop, candidate)
    with _open_writer(store, workshop) as con:
        now = to_db(utc_now())
        con.executemany(
            "INSERT INTO scores (workshop, participant, candidate, criterion, score, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (workshop, participant, candidate, criterion) "
            "DO UPDATE SET score = excluded.score, updated_at = excluded.updated_at",
            [[workshop.id, name, candidate, key, score, now] for key, score in checked.items()])


def set_score(store: Store, code: str, participant: str, candidate: str, criterion: str,
              score: int) -> None:
    """Save one score (1–5); scoring the same criterion again replaces the earlier score."""
    set_scores(store, code, participant, candidate, {criterion: score})


def set_votes(store: Store, code: str, participant: str, dots: Mapping[str, int]) -> None:
    """Replace the participant's dots: up to 3 in all, 0–3 on any one candidate; others get 0."""
    checked = {c: _whole(d, f"Dots on {c!r}", 0, DOTS) for c, d in dots.items()}
    if sum(checked.values()) > DOTS:
        raise NorthstarError(f"Only {DOTS} dots to spend",
                             f"You placed {sum(checked.values())}; take some back first.")
    with store.read() as con:
        workshop = load_workshop(con, code)
        name = _participant(con, workshop, participant)
    for candidate in checked:
        _check_candidate(workshop, candidate, "Vote for")
    with _open_writer(store, workshop) as con:
        now = to_db(utc_now())
        con.executemany(
            "INSERT INTO votes (workshop, participant, candidate, dots, updated_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (workshop, participant, candidate) DO UPDATE "
            "SET dots = excluded.dots, updated_at = excluded.updated_at",
            [[workshop.id, name, c, checked.get(c, 0), now] for c in workshop.candidates])


def verify_pin(store: Store, code: str, pin: str) -> bool:
    with store.read() as con:
        workshop = load_workshop(con, code)
        pin_hash, salt = con.execute("SELECT pin_hash, pin_salt FROM workshops WHERE id = ?",
                                     [workshop.id]).fetchone()
    return _pin_matches(str(pin), pin_hash, salt)


def lock(store: Store, code: str, pin: str, chosen: str, definition: str, rationale: str) -> Decision:
    """Close scoring and record the decision; needs the facilitator's PIN. Scores become read-only."""
    # Hash outside the write lock: it takes ~50 ms and writers should not queue behind it.
    if not verify_pin(store, code, pin):
        raise NorthstarError("Wrong PIN", "Only the facilitator who created the workshop can lock it; "
                             "check the PIN and try again.")
    rationale = str(rationale or "").strip()
    if not rationale:
        raise NorthstarError("Say why", f"Write a sentence or two on why the team chose {chosen!r}; "
                             "it goes into the decision record.")
    with store.transaction() as con:
        workshop = load_workshop(con, code)
        if workshop.decision is not None:
            raise NorthstarError("Workshop is locked",
                                 f"It was already decided: {workshop.decision.chosen!r}.")
        if chosen not in workshop.candidates:
            raise NorthstarError(f"{chosen!r} is not on the shortlist",
                                 "Choose one of: " + ", ".join(workshop.candidates) + ".")
        definition = str(definition or "").strip() or workshop.definition_of(chosen)
        con.execute("UPDATE workshops SET status = 'locked', chosen = ?, chosen_definition = ?, "
                    "rationale = ?, locked_at = ? WHERE id = ?",
                    [chosen, definition, rationale, to_db(utc_now()), workshop.id])
        decision = load_workshop(con, code).decision
    assert decision is not None
    return decision


def join_url(base_url: str, code: str) -> str:
    """The link participants open (or scan) to join: `{base_url}?workshop={code}`."""
    return f"{base_url}{'&' if '?' in base_url else '?'}workshop={normal_code(code)}"


def qr_svg(url: str) -> str | None:
    """An SVG QR code of `url` for the projector, or None when the optional `segno` is not installed."""
    try:
        import segno
    except ImportError:
        log.warning("segno is not installed: the join link is shown without a QR code")
        return None
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=6, border=2, xmldecl=False,
                                     title="Scan to join the workshop")
    return out.getvalue().decode()
