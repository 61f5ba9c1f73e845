"""Running a workshop: create it, join by name, score the five criteria, vote, lock with the PIN."""

from __future__ import annotations

import io
import json
import logging
import secrets
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from numbers import Integral

from northstar.errors import NorthstarError
from northstar.i18n import _, language, parse_language
from northstar.store import Store, from_db, to_db
from northstar.text import name_key
from northstar.workshop.identity import (
    confirm_try,
    hash_pin,
    new_secret,
    pin_matches,
    pin_problem,
    reserve_try,
    secret_hash,
    secret_matches,
)
from northstar.workshop.model import (
    CRITERION_KEYS,
    DOTS,
    SCORES,
    Decision,
    Participant,
    ShortlistEntry,
    Workshop,
    clean_name,
    load_decisions,
    load_workshop,
    normal_code,
    utc_now,
)
from northstar.workshop.results import WorkshopResults, results_on

log = logging.getLogger(__name__)

# No 0/O, 1/I/L: the code is read out loud and typed from a projector.
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_CODE_LENGTH = 6


def create_workshop(store: Store, name: str, shortlist: Sequence[tuple[str, str]], pin: str,
                    dataset: str | None = None, lang: str | None = None) -> Workshop:
    """Start a workshop on `shortlist` [(candidate name, definition), ...], guarded by `pin`.

    `lang` ("en", "sv") is the workshop's language (default: the current one): its join link opens
    in it and its decision record is written in it.

    The returned Workshop carries `host_secret`, the facilitator link's secret: it is stored only as a
    hash, so this is the one moment it can be put into the facilitator's link.
    """
    name = clean_name(name)
    if not name:
        raise NorthstarError(_("Workshop needs a name"), _("Give it a name people recognise, e.g. 'Q3 NSM'."))
    entries = [ShortlistEntry(clean_name(c), clean_name(d or "")) for c, d in shortlist]
    if len(entries) < 2 or any(not e.candidate for e in entries):
        raise NorthstarError(_("Shortlist at least two candidates"),
                             _("A workshop compares candidate NSMs; pick two or more by name."))
    keys = [name_key(e.candidate) for e in entries]
    if len(set(keys)) < len(keys):
        raise NorthstarError(_("Shortlist names a candidate twice"), _("Each candidate may appear once."))
    problem = pin_problem(pin)
    if problem:
        raise NorthstarError(_("PIN too weak"), _("{problem} Only the facilitator should know it: with the "
                             "facilitator link it locks the decision.", problem=problem))
    salt = secrets.token_bytes(16)
    pin_hash = hash_pin(str(pin), salt)  # ~50 ms: before the transaction, so nobody waits on it
    host = new_secret()
    with store.transaction() as con:
        code = _free_code(con)
        workshop_id = con.execute(
            "INSERT INTO workshops (code, name, dataset, pin_hash, pin_salt, created_at, status, host_hash, "
            "language) VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?) RETURNING id",
            [code, name, dataset, pin_hash, salt.hex(), to_db(utc_now()), secret_hash(host),
             parse_language(lang) or language()]).fetchone()[0]
        con.executemany("INSERT INTO shortlist (workshop, position, candidate, definition) "
                        "VALUES (?, ?, ?, ?)",
                        [[workshop_id, i, e.candidate, e.definition] for i, e in enumerate(entries)])
        return replace(load_workshop(con, code), host_secret=host)


def _free_code(con: sqlite3.Connection) -> str:
    while True:  # 31^6 ≈ 900M codes: a collision is rare, two in a row rarer still
        code = "".join(secrets.choice(_CODE_ALPHABET) for _i in range(_CODE_LENGTH))
        if con.execute("SELECT count(*) FROM workshops WHERE code = ?", [code]).fetchone()[0] == 0:
            return code


def find_workshop(store: Store, code: str) -> Workshop:
    """The workshop with join code `code` (case and spaces ignored)."""
    with store.read() as con:
        return load_workshop(con, code)


def join(store: Store, code: str, participant_name: str, secret: str | None = None) -> Participant:
    """Join by name; the returned Participant carries the personal secret that proves it is you.

    A name already taken (after normalisation: `northstar.text.name_key`) is given back only with its
    secret. Joining a locked workshop still works: latecomers can read the results and the decision.
    """
    name = clean_name(participant_name)
    key = name_key(name)
    if not key or len(name) > 60:
        raise NorthstarError(_("Enter your name to join"),
                             _("Use 1–60 characters; others see it in results."))
    fresh = new_secret()
    with store.transaction() as con:
        workshop = load_workshop(con, code)
        con.execute("INSERT INTO participants (workshop, name, name_key, joined_at, secret_hash) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    [workshop.id, name, key, to_db(utc_now()), secret_hash(fresh)])
        stored, joined_at, stored_hash = con.execute(
            "SELECT name, joined_at, secret_hash FROM participants WHERE workshop = ? AND name_key = ?",
            [workshop.id, key]).fetchone()
        if stored_hash is None:  # joined before v3: whoever comes back first gets a secret
            con.execute("UPDATE participants SET secret_hash = ? WHERE workshop = ? AND name_key = ?",
                        [secret_hash(fresh), workshop.id, key])
            stored_hash = secret_hash(fresh)
    if stored_hash == secret_hash(fresh):
        return Participant(workshop.code, stored, from_db(joined_at) or utc_now(), fresh)
    if secret_matches(secret, stored_hash):
        return Participant(workshop.code, stored, from_db(joined_at) or utc_now(), secret)
    raise NorthstarError(_("The name {name} is taken", name=repr(stored)),
                         _("Someone joined with it already. If that was you, open your own join link "
                         "(it carries your key) on this device; otherwise pick another name."))


def _participant(con: sqlite3.Connection, workshop: Workshop, participant: str, secret: str | None) -> str:
    row = con.execute("SELECT name, secret_hash FROM participants WHERE workshop = ? AND name_key = ?",
                      [workshop.id, name_key(participant)]).fetchone()
    if row is None:
        raise NorthstarError(_("{name} has not joined this workshop", name=repr(participant)),
                             _("Join workshop {code} with your name first.", code=workshop.code))
    if not secret_matches(secret, row[1]):
        raise NorthstarError(_("Only {name} can change these scores", name=repr(row[0])),
                             _("Your key does not match this name: open your own join link again."))
    return row[0]


def _locked_error(chosen: str | None) -> NorthstarError:
    return NorthstarError(_("Workshop is locked"), _("The facilitator chose {chosen}; scores and votes "
                          "are read-only now.", chosen=repr(chosen)))


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


def _check_candidate(workshop: Workshop, candidate: str, vote: bool = False) -> None:
    if candidate not in workshop.candidates:
        names = ", ".join(workshop.candidates)
        raise NorthstarError(_("{candidate} is not on the shortlist", candidate=repr(candidate)),
                             _("Vote for one of: {names}.", names=names) if vote
                             else _("Score one of: {names}.", names=names))


def _whole(value: object, what: str, low: int, high: int) -> int:
    """`value` as an int when it is a whole number in [low, high]: 4 or 4.0, not True or 4.5."""
    if (isinstance(value, Integral) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer()):
        number = int(value)
        if low <= number <= high:
            return number
    raise NorthstarError(_("{what} must be a whole number from {low} to {high}", what=what, low=low,
                           high=high), _("Got {value}.", value=repr(value)))


def set_scores(store: Store, code: str, participant: str, candidate: str,
               scores: Mapping[str, int], *, secret: str | None) -> None:
    """Save several criterion scores (1–5) of one candidate at once, replacing earlier ones."""
    for key in scores:
        if key not in CRITERION_KEYS:
            raise NorthstarError(_("Unknown criterion {key}", key=repr(key)),
                                 _("Use one of: {keys}", keys=", ".join(CRITERION_KEYS)))
    checked = {key: _whole(value, _("Score for {criterion}", criterion=key), SCORES[0], SCORES[-1])
               for key, value in scores.items()}
    if not checked:
        return
    with store.read() as con:
        workshop = load_workshop(con, code)
        name = _participant(con, workshop, participant, secret)
    _check_candidate(workshop, candidate)
    with _open_writer(store, workshop) as con:
        now = to_db(utc_now())
        con.executemany(
            "INSERT INTO scores (workshop, participant, candidate, criterion, score, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (workshop, participant, candidate, criterion) "
            "DO UPDATE SET score = excluded.score, updated_at = excluded.updated_at",
            [[workshop.id, name, candidate, key, score, now] for key, score in checked.items()])


def set_score(store: Store, code: str, participant: str, candidate: str, criterion: str,
              score: int, *, secret: str | None) -> None:
    """Save one score (1–5); scoring the same criterion again replaces the earlier score."""
    set_scores(store, code, participant, candidate, {criterion: score}, secret=secret)


def set_votes(store: Store, code: str, participant: str, dots: Mapping[str, int], *,
              secret: str | None) -> None:
    """Replace the participant's dots: up to 3 in all, 0–3 on any one candidate; others get 0."""
    checked = {c: _whole(d, _("Dots on {candidate}", candidate=repr(c)), 0, DOTS) for c, d in dots.items()}
    if sum(checked.values()) > DOTS:
        raise NorthstarError(_("Only {dots} dots to spend", dots=DOTS),
                             _("You placed {placed}; take some back first.", placed=sum(checked.values())))
    with store.read() as con:
        workshop = load_workshop(con, code)
        name = _participant(con, workshop, participant, secret)
    for candidate in checked:
        _check_candidate(workshop, candidate, vote=True)
    with _open_writer(store, workshop) as con:
        now = to_db(utc_now())
        con.executemany(
            "INSERT INTO votes (workshop, participant, candidate, dots, updated_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (workshop, participant, candidate) DO UPDATE "
            "SET dots = excluded.dots, updated_at = excluded.updated_at",
            [[workshop.id, name, c, checked.get(c, 0), now] for c in workshop.candidates])


def is_host(store: Store, code: str, secret: str | None) -> bool:
    """Whether `secret` is the facilitator link's secret of workshop `code`."""
    with store.read() as con:
        workshop = load_workshop(con, code)
        stored = con.execute("SELECT host_hash FROM workshops WHERE id = ?", [workshop.id]).fetchone()[0]
    return secret_matches(secret, stored)


def verify_pin(store: Store, code: str, pin: str) -> bool:
    """Check the facilitator's PIN; every try counts against the workshop's limit (in the store)."""
    with store.transaction() as con:
        workshop = load_workshop(con, code)
        attempt = reserve_try(con, workshop.id, utc_now())
        pin_hash, salt = con.execute("SELECT pin_hash, pin_salt FROM workshops WHERE id = ?",
                                     [workshop.id]).fetchone()
    if not pin_matches(str(pin), pin_hash, salt):  # ~50 ms, outside the write lock
        return False
    with store.transaction() as con:
        confirm_try(con, attempt)
    return True


def _wrong_pin() -> NorthstarError:
    return NorthstarError(_("Wrong PIN"), _("Only the facilitator who created the workshop knows it; check "
                          "it and try again. After 5 wrong tries each further one makes you wait longer."))


def _check_host(store: Store, code: str, host: str | None, pin: str) -> None:
    if not is_host(store, code, host):
        raise NorthstarError(_("Only the facilitator can do this"),
                             _("Open the facilitator link you got when the workshop started."))
    if not verify_pin(store, code, pin):
        raise _wrong_pin()


def recover_host(store: Store, code: str, pin: str) -> str:
    """A new facilitator secret for whoever knows the PIN (a lost link); the old link stops working."""
    if not verify_pin(store, code, pin):
        raise _wrong_pin()
    host = new_secret()
    with store.transaction() as con:
        con.execute("UPDATE workshops SET host_hash = ? WHERE code = ?",
                    [secret_hash(host), normal_code(code)])
    return host


def leader(found: WorkshopResults) -> str:
    """The room's choice as results stand: most dots, then highest mean score, then shortlist order."""
    return found.ranking[0]


def lock(store: Store, code: str, pin: str, chosen: str, definition: str, rationale: str, *,
         host: str | None, reason: str = "") -> Decision:
    """Close scoring and record the decision as a new version; needs the facilitator link and PIN.

    When `chosen` is not the room's leader (dots, then mean score), `reason` says why; it is recorded.
    """
    _check_host(store, code, host, pin)
    rationale = str(rationale or "").strip()
    if not rationale:
        raise NorthstarError(_("Say why"), _("Write a sentence or two on why the team chose {chosen}; "
                             "it goes into the decision record.", chosen=repr(chosen)))
    reason = str(reason or "").strip()
    with store.transaction() as con:
        workshop = load_workshop(con, code)
        if workshop.decision is not None:
            raise NorthstarError(_("Workshop is locked"),
                                 _("It was already decided: {chosen}.",
                                   chosen=repr(workshop.decision.chosen)))
        if chosen not in workshop.candidates:
            raise NorthstarError(_("{candidate} is not on the shortlist", candidate=repr(chosen)),
                                 _("Choose one of: {names}.", names=", ".join(workshop.candidates)))
        top = leader(results_on(con, workshop))
        if chosen != top and not reason:
            raise NorthstarError(_("Say why not the room's choice"),
                                 _("The room ranked {top} first (dots, then mean score). Write why you "
                                   "choose {chosen} instead; it goes into the record.", top=repr(top),
                                   chosen=repr(chosen)))
        definition = str(definition or "").strip() or workshop.definition_of(chosen)
        version = workshop.version + 1
        now = to_db(utc_now())
        con.execute("INSERT INTO decisions (workshop, version, chosen, definition, rationale, leader, "
                    "override_reason, locked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [workshop.id, version, chosen, definition, rationale, top,
                     reason if chosen != top else None, now])
        con.execute("UPDATE workshops SET status = 'locked', chosen = ?, chosen_definition = ?, "
                    "rationale = ?, locked_at = ?, version = ? WHERE id = ?",
                    [chosen, definition, rationale, now, version, workshop.id])
        decision = load_workshop(con, code).decision
    assert decision is not None
    return decision


def reopen(store: Store, code: str, pin: str, *, host: str | None, reason: str = "") -> Workshop:
    """Undo a lock: scoring opens again; the decision stays in the history (the next lock is new)."""
    _check_host(store, code, host, pin)
    with store.transaction() as con:
        workshop = load_workshop(con, code)
        if workshop.decision is None:
            raise NorthstarError(_("Workshop is open"), _("There is no decision to reopen."))
        con.execute("UPDATE decisions SET reopened_at = ?, reopen_reason = ? WHERE workshop = ? "
                    "AND version = ?", [to_db(utc_now()), str(reason or "").strip() or None,
                                        workshop.id, workshop.version])
        con.execute("UPDATE workshops SET status = 'open', chosen = NULL, chosen_definition = NULL, "
                    "rationale = NULL, locked_at = NULL WHERE id = ?", [workshop.id])
        return load_workshop(con, code)


def freeze(store: Store, code: str, version: int, snapshot: Mapping[str, object]) -> None:
    """Keep the decision record of lock `version` as it is now (JSON); set once, never changed."""
    text = json.dumps(snapshot, sort_keys=True, default=str)
    with store.transaction() as con:
        workshop = load_workshop(con, code)
        con.execute("UPDATE decisions SET snapshot = ? WHERE workshop = ? AND version = ? "
                    "AND snapshot IS NULL", [text, workshop.id, version])


def snapshot_of(store: Store, code: str, version: int | None = None) -> dict[str, object] | None:
    """The frozen record of lock `version` (default: the current one), or None when none was kept."""
    with store.read() as con:
        workshop = load_workshop(con, code)
        row = con.execute("SELECT snapshot FROM decisions WHERE workshop = ? AND version = ?",
                          [workshop.id, version or workshop.version]).fetchone()
    if row is None or row[0] is None:
        return None
    loaded: dict[str, object] = json.loads(row[0])
    return loaded


def decisions(store: Store, code: str) -> list[Decision]:
    """Every lock of workshop `code`, first first (the record's history)."""
    with store.read() as con:
        return load_decisions(con, load_workshop(con, code).id)


def join_url(base_url: str, code: str, lang: str | None = None) -> str:
    """The link participants open (or scan) to join: `{base_url}?workshop={code}[&lang={lang}]`."""
    tail = f"&lang={parse_language(lang)}" if parse_language(lang) else ""
    return f"{base_url}{'&' if '?' in base_url else '?'}workshop={normal_code(code)}{tail}"


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
