"""Who may do what in a workshop: personal and facilitator secrets, the PIN policy and its rate limit.

- A participant's name is unique per workshop after `northstar.text.name_key` (NFKC, case-folded,
  invisible and bidi-control characters stripped). Joining gives a personal secret; the same name is
  only handed out again to whoever brings that secret.
- The facilitator gets a link with its own secret; locking also needs the PIN (a second factor).
- Secrets are random (128 bits) and stored as SHA-256; the PIN is stored with PBKDF2 and its tries
  are counted in the store: 5 wrong tries, then a wait that doubles with every further wrong one.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import sqlite3
from datetime import datetime, timedelta

from northstar.errors import NorthstarError
from northstar.i18n import _, ngettext
from northstar.store import from_db, to_db

MIN_PIN_LENGTH = 6
PIN_ITERATIONS = 200_000
FREE_TRIES = 5                          # wrong PINs allowed before the first wait ...
FIRST_WAIT = timedelta(minutes=10)      # ... which then doubles with each further wrong PIN
MAX_WAIT = timedelta(hours=24)
TRY_MEMORY = timedelta(hours=24)        # wrong tries older than this are forgotten


def new_secret() -> str:
    """A URL-safe random secret (128 bits)."""
    return secrets.token_urlsafe(16)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(str(secret).encode()).hexdigest()


def secret_matches(secret: str | None, stored_hash: str | None) -> bool:
    if not secret or not stored_hash:
        return False
    return hmac.compare_digest(secret_hash(secret), stored_hash)


# -- PIN -------------------------------------------------------------------------------------------
def pin_problem(pin: str) -> str | None:
    """Why `pin` is too weak (a sentence), or None: 6+ characters, not one repeated, not a run."""
    pin = str(pin)
    if len(pin.strip()) < MIN_PIN_LENGTH:
        return _("Use at least {n} characters (spaces at the ends do not count).", n=MIN_PIN_LENGTH)
    if len(set(pin.casefold())) == 1:
        return _("Use different characters, not one repeated.")
    steps = {ord(b) - ord(a) for a, b in zip(pin.casefold(), pin.casefold()[1:], strict=False)}
    if steps in ({1}, {-1}):
        return _("A run like 123456 or abcdef is guessed first: mix it up.")
    return None


def hash_pin(pin: str, salt: bytes, iterations: int = PIN_ITERATIONS) -> str:
    digest = hashlib.pbkdf2_hmac("sha256", str(pin).encode(), salt, iterations)
    return f"pbkdf2_sha256${iterations}${digest.hex()}"


def pin_matches(pin: str, pin_hash: str, salt_hex: str) -> bool:
    # The iteration count travels with the hash so it can be raised later without breaking old PINs.
    _scheme, iterations, _digest = pin_hash.split("$")
    return hmac.compare_digest(hash_pin(str(pin), bytes.fromhex(salt_hex), int(iterations)), pin_hash)


def wait_after(wrong: int) -> timedelta:
    """How long to wait after the last wrong PIN, given `wrong` wrong tries in a row."""
    if wrong < FREE_TRIES:
        return timedelta(0)
    return min(MAX_WAIT, FIRST_WAIT * 2 ** (wrong - FREE_TRIES))


def reserve_try(con: sqlite3.Connection, workshop_id: int, now: datetime) -> int:
    """Inside a transaction: refuse when a wait is due, else count this try as wrong (until proven
    right, so concurrent tries from other processes count too); returns the attempt's rowid."""
    since = now - TRY_MEMORY
    last_ok = con.execute("SELECT max(at) FROM pin_attempts WHERE workshop = ? AND ok = 1",
                          [workshop_id]).fetchone()[0]
    start = max(to_db(since) or "", last_ok or "")
    wrong, last = con.execute("SELECT count(*), max(at) FROM pin_attempts WHERE workshop = ? AND ok = 0 "
                              "AND at > ?", [workshop_id, start]).fetchone()
    last_at = from_db(last)
    if last_at is not None:
        until = last_at + wait_after(int(wrong))
        if until > now:
            minutes = max(1, math.ceil((until - now).total_seconds() / 60))
            raise NorthstarError(_("Too many wrong PINs"), ngettext(
                "Wait {n} minute before the next try; each further wrong PIN doubles the wait.",
                "Wait {n} minutes before the next try; each further wrong PIN doubles the wait.", minutes))
    return int(con.execute("INSERT INTO pin_attempts (workshop, at, ok) VALUES (?, ?, 0) RETURNING rowid",
                           [workshop_id, to_db(now)]).fetchone()[0])


def confirm_try(con: sqlite3.Connection, attempt: int) -> None:
    con.execute("UPDATE pin_attempts SET ok = 1 WHERE rowid = ?", [attempt])
