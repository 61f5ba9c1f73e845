"""Column roles: which source column is the user, the time, the event, the money... detected or chosen."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from northstar.errors import NorthstarError
from northstar.i18n import N_, _, lazy

USER, TIMESTAMP, EVENT, AMOUNT, DURATION, NPS = (
    "user_id", "timestamp", "event", "amount", "duration", "nps_score")
ROLES: tuple[str, ...] = (USER, TIMESTAMP, EVENT, AMOUNT, DURATION, NPS)
REQUIRED_ROLES: tuple[str, ...] = (USER, TIMESTAMP)
NUMERIC_ROLES: tuple[str, ...] = (AMOUNT, DURATION, NPS)
# Form labels (translate where shown: `_(ROLE_LABELS[role])`).
ROLE_LABELS = {
    USER: N_("User id"), TIMESTAMP: N_("Timestamp"), EVENT: N_("Event name"),
    AMOUNT: N_("Amount (money)"), DURATION: N_("Duration (seconds)"), NPS: N_("NPS score (0-10)"),
}
# The role as a word inside a sentence: its identifier in English, a word in other languages.
ROLE_WORDS = {
    USER: N_("user_id"), TIMESTAMP: N_("timestamp"), EVENT: N_("event"), AMOUNT: N_("amount"),
    DURATION: N_("duration"), NPS: N_("nps_score"),
}


def role_word(role: str) -> lazy.Message:
    """The role's name for a note, said in the reader's language when shown."""
    return lazy.gettext(ROLE_WORDS.get(role, role))
_ROLE_SYNONYMS = {"user": USER, "userid": USER, "ts": TIMESTAMP, "time": TIMESTAMP,
                  "duration_s": DURATION, "nps": NPS, "revenue": AMOUNT}

# Export column names, best first: Mixpanel, Amplitude, GA4, Segment, Stripe, then generic names.
# Names are compared after normalising (camelCase split, lower case, punctuation to "_").
ALIASES: dict[str, tuple[str, ...]] = {
    USER: ("user_id", "distinct_id", "user_pseudo_id", "customer_id", "customer", "anonymous_id",
           "client_id", "account_id", "member_id", "visitor_id", "person_id", "uid", "user",
           "user_email", "customer_email", "email", "device_id", "amplitude_id"),
    TIMESTAMP: ("timestamp", "time", "event_time", "event_timestamp", "created", "created_at",
                "ts", "datetime", "date_time", "occurred_at", "original_timestamp", "received_at",
                "sent_at", "client_event_time", "server_upload_time", "event_date", "date",
                "invoice_date", "order_date", "purchase_date", "transaction_date", "period_start",
                "month"),
    EVENT: ("event", "event_name", "event_type", "event_action", "action", "activity",
            "event_category"),
    AMOUNT: ("amount", "revenue", "mrr", "amount_paid", "total_amount", "total", "price", "value",
             "dollar_value", "sales", "net", "gross", "order_total", "order_value", "net_amount",
             "gross_amount", "payment_amount", "net_revenue", "gross_revenue", "sales_amount",
             "event_value_in_usd", "purchase_revenue", "properties_revenue", "arr"),
    DURATION: ("duration_s", "duration", "duration_seconds", "session_duration", "time_spent",
               "session_length", "time_on_site", "watch_time", "listening_time", "seconds",
               "engagement_time_msec"),
    NPS: ("nps_score", "nps", "score", "rating", "likelihood_to_recommend", "recommend_score",
          "nps_rating"),
}
# When no alias matches, a single column whose name holds one of these words is taken; several
# such columns are ambiguous (an error for a required role, left unmapped for the others).
KEYWORDS: dict[str, tuple[str, ...]] = {
    USER: ("user", "customer", "client", "member", "visitor", "account"),
    TIMESTAMP: ("timestamp", "time", "date"),
    EVENT: ("event", "action"),
    AMOUNT: ("amount", "revenue", "price", "total", "sales", "dollar"),
    DURATION: ("duration", "seconds"),
    NPS: ("nps",),
}


# `revenue_usd`, `eur_amount`, `price_sek`: money in a currency; the code is dropped before matching.
CURRENCY_CODES = ("usd", "eur", "gbp", "sek", "nok", "dkk", "chf", "jpy", "cny", "inr", "brl",
                  "cad", "aud", "nzd", "mxn", "pln", "czk", "huf", "zar", "krw", "sgd", "hkd")
_CURRENCY = re.compile(rf"^(?:(?:{'|'.join(CURRENCY_CODES)})_)?(.*?)(?:_(?:{'|'.join(CURRENCY_CODES)}))?$")
# A value written like money: a currency sign, or a number with exactly two decimals.
_MONEY_SIGN = re.compile(r"^\s*-?\s*[$€£¥]\s*-?[\d.,]+\s*$|^\s*-?[\d.,]+\s*[$€£¥]\s*$")
_TWO_DECIMALS = re.compile(r"^\s*-?\d{1,3}(?:[,.\s]?\d{3})*[.,]\d{2}\s*$")
_NUMBER = re.compile(r"^\s*-?\d+(?:[.,]\d+)?\s*$")


def without_currency(norm: str) -> str:
    """`revenue_usd` → `revenue`; a name that is only a code (`usd`) stays as it is."""
    match = _CURRENCY.match(norm)
    return match.group(1) if match and match.group(1) else norm


def looks_like_money(values: Sequence[str]) -> bool:
    """Most values carry a currency sign, or are numbers with two decimals (not all whole)."""
    present = [v for v in values if v and v.strip()]
    if len(present) < 2:
        return False
    signed = sum(bool(_MONEY_SIGN.match(v)) for v in present)
    cents = sum(bool(_TWO_DECIMALS.match(v)) for v in present)
    numbers = sum(bool(_NUMBER.match(v)) or bool(_MONEY_SIGN.match(v)) for v in present)
    whole = all(re.fullmatch(r"\s*-?\d+\s*", v) for v in present)
    return numbers == len(present) and not whole and (
        signed >= 0.8 * len(present) or cents >= 0.8 * len(present))


def normalise(name: str) -> str:
    """`userId`, `User ID`, `$user_id` all become `user_id`."""
    split = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", str(name).strip())
    return re.sub(r"[^a-z0-9]+", "_", split.lower()).strip("_")


# A vendor's own id of one event, best first, as `normalise` spells them: Mixpanel/Amplitude
# `$insert_id`, Segment `messageId`, PostHog `uuid`, and generic event ids.
INSERT_IDS = ("insert_id", "event_id", "message_id", "uuid")


def insert_id_column(columns: Sequence[str]) -> str | None:
    """The column among `columns` that holds the vendor's id of each event, if there is one."""
    for wanted in INSERT_IDS:
        for column in columns:
            if normalise(column) == wanted:
                return column
    return None


def role_name(text: str) -> str:
    """The canonical role for what a user typed (`ts`, `nps`, `duration_s` are accepted)."""
    key = normalise(text)
    role = _ROLE_SYNONYMS.get(key, key)
    if role not in ROLES:
        raise NorthstarError(
            _("Unknown role"), _("{text!r} is not a column role. Roles: {roles}.", text=text,
                                 roles=", ".join(ROLES)))
    return role


@dataclass(frozen=True)
class RoleMapping:
    """Which source column (or arithmetic expression) plays each role; None = not in the file."""

    sources: dict[str, str | None]
    notes: tuple[str, ...] = field(default=())  # lazy messages: read in the reader's language
    # A column read when the role's own column is empty on a row (Amplitude: the device id).
    fallbacks: dict[str, str] = field(default_factory=dict)

    def source(self, role: str) -> str | None:
        return self.sources.get(role)

    def as_dict(self) -> dict[str, str | None]:
        return {role: self.sources.get(role) for role in ROLES}


def parse_overrides(pairs: Sequence[str]) -> dict[str, str]:
    """`["amount=Quantity * UnitPrice", "ts=created"]` → {"amount": ..., "timestamp": "created"}."""
    overrides: dict[str, str] = {}
    for pair in pairs:
        role, sep, source = pair.partition("=")
        if not sep or not role.strip():
            raise NorthstarError(
                _("Bad --map"), _("{pair!r} should look like role=COLUMN, e.g. user_id=distinct_id.",
                                  pair=pair))
        overrides[role_name(role)] = source.strip()
    return overrides


def _lookup(columns: Sequence[str], exclude: set[str]) -> dict[str, list[str]]:
    by_norm: dict[str, list[str]] = {}
    for column in columns:
        if column not in exclude:
            by_norm.setdefault(normalise(column), []).append(column)
    return by_norm


def _detect(role: str, columns: Sequence[str], taken: set[str], strict: bool
            ) -> tuple[str | None, lazy.Message | None]:
    """(column, note) for one role; raises on an ambiguous required role when `strict`."""
    by_norm = _lookup(columns, taken)
    if role == AMOUNT:
        by_money: dict[str, list[str]] = {}
        for norm, found in by_norm.items():
            by_money.setdefault(without_currency(norm), []).extend(found)
        by_norm = by_money
    for alias in ALIASES[role]:
        found = by_norm.get(alias, [])
        if len(found) == 1:
            return found[0], None
        if len(found) > 1:
            return _ambiguous(role, found, strict)
    matches = [c for norm, cs in by_norm.items() for c in cs
               if any(word in norm.split("_") or word in norm for word in KEYWORDS[role])
               and not (role == EVENT and norm.endswith("id"))]
    if len(matches) == 1:
        return matches[0], lazy.gettext("{role} taken from {column!r} by its name",
                                        role=role_word(role), column=matches[0])
    if len(matches) > 1:
        return _ambiguous(role, matches, strict)
    if role == AMOUNT:
        coded = [c for c in columns if c not in taken and without_currency(normalise(c)) != normalise(c)]
        if len(coded) == 1:
            return coded[0], lazy.gettext("amount taken from {column!r}: its name carries a currency",
                                          column=coded[0])
    return None, None


def _by_content(columns: Sequence[str], taken: set[str],
                samples: Mapping[str, Sequence[str]]) -> tuple[str | None, lazy.Message | None]:
    """The one column whose values look like money, when no name said so."""
    found = [c for c in columns if c not in taken and looks_like_money(samples.get(c, ()))]
    if len(found) == 1:
        example = next(v for v in samples[found[0]] if v and v.strip())
        return found[0], lazy.gettext("amount taken from {column!r}: its values look like money "
                                      "(e.g. {example!r})", column=found[0], example=example.strip())
    if len(found) > 1:
        return None, lazy.gettext("amount left unmapped: several columns hold money-like values "
                                  "({columns})", columns=", ".join(repr(c) for c in found))
    return None, None


def _ambiguous(role: str, found: Sequence[str], strict: bool) -> tuple[None, lazy.Message]:
    listed = ", ".join(repr(c) for c in found)
    if strict and role in REQUIRED_ROLES:
        raise NorthstarError(
            _("Ambiguous {role} column", role=_(ROLE_WORDS[role])),
            _("Several columns could be the {role}: {columns}. Choose one with "
              "--map {option}=COLUMN (CLI) or in the mapping form (Data page).",
              role=_(ROLE_WORDS[role]), columns=listed, option=role))
    return None, lazy.gettext("{role} left unmapped: several columns could be it ({columns})",
                              role=role_word(role), columns=listed)


def _special_cases(columns: Sequence[str], sources: dict[str, str | None],
                   chosen: set[str]) -> dict[str, lazy.Message]:
    """Export conventions a name alone can't express: Stripe cents, GA4 milliseconds, qty × price.

    Roles the user chose (`chosen`) are left as they are.
    """
    notes: dict[str, lazy.Message] = {}
    norm = {normalise(c): c for c in columns}
    amount = sources.get(AMOUNT)
    if AMOUNT not in chosen:
        if amount and amount == norm.get("amount") and "created" in norm and (
                "customer" in norm or "currency" in norm):
            sources[AMOUNT] = f"{_q(amount)} / 100"
            notes[AMOUNT] = lazy.gettext("Stripe-style export: amount is in cents, divided by 100")
        quantity = norm.get("quantity") or norm.get("qty")
        price = norm.get("unit_price") or norm.get("price")
        if quantity and price and amount in (None, price):
            sources[AMOUNT] = f"{_q(quantity)} * {_q(price)}"
            notes[AMOUNT] = lazy.gettext("amount derived as {quantity} × {price}", quantity=quantity,
                                         price=price)
    duration = sources.get(DURATION)
    if DURATION not in chosen and duration and normalise(duration).endswith("msec"):
        sources[DURATION] = f"{_q(duration)} / 1000"
        notes[DURATION] = lazy.gettext("{column!r} is in milliseconds, divided by 1000",
                                       column=duration)
    return notes


def _q(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def resolve_mapping(columns: Sequence[str], overrides: Mapping[str, str] | None = None,
                    strict: bool = True,
                    samples: Mapping[str, Sequence[str]] | None = None) -> RoleMapping:
    """Detect each role from the column names; `overrides` (role → column or expression) win.

    An override of "" means "this file has no such column". When `strict`, raises NorthstarError
    if a required role is missing or ambiguous; otherwise leaves it None (to prefill a form).
    """
    overrides = {role_name(role): value for role, value in (overrides or {}).items()}
    sources: dict[str, str | None] = {}
    notes: dict[str, lazy.Message] = {}
    by_lower = {c.lower(): c for c in columns}
    for role, value in overrides.items():
        sources[role] = by_lower.get(value.lower(), value) if value else None
    taken = {v for v in sources.values() if v is not None and v in columns}
    for role in ROLES:
        if role in overrides:
            continue
        column, note = _detect(role, columns, taken, strict)
        if column is None and role == AMOUNT and samples:
            column, note = _by_content(columns, taken, samples)
        sources[role] = column
        if column:
            taken.add(column)
        if note:
            notes[role] = note
    notes.update(_special_cases(columns, sources, set(overrides)))
    fallbacks: dict[str, str] = {}
    norm = {normalise(c): c for c in columns}
    user = sources.get(USER)
    if (USER not in overrides and user and normalise(user) == "user_id" and "device_id" in norm
            and ("amplitude_id" in norm or "event_type" in norm)):
        fallbacks[USER] = norm["device_id"]
        notes["fallback"] = lazy.gettext(
            "Amplitude export: the user is {user!r}, else {device!r} on events without a user id "
            "(as Amplitude counts users)", user=user, device=norm["device_id"])
    notes.update(_vendor_rules(norm, sources, fallbacks, set(overrides)))
    for role in REQUIRED_ROLES if strict else ():
        if not sources.get(role):
            if len(columns) == 1 and re.search(r"\s", columns[0].strip()):
                raise NorthstarError(_("Read as one column"), str(one_column_hint(columns[0])))
            raise NorthstarError(
                _("No {role} column", role=_(ROLE_WORDS[role])),
                _("None of the columns ({columns}) looks like the {role}. Name it with "
                  "--map {option}=COLUMN (CLI) or in the mapping form (Data page).",
                  columns=", ".join(columns), role=_(ROLE_WORDS[role]), option=role))
    return RoleMapping(sources=sources, notes=tuple(notes.values()), fallbacks=fallbacks)


def _vendor_rules(norm: Mapping[str, str], sources: dict[str, str | None],
                  fallbacks: dict[str, str], chosen: set[str]) -> dict[str, lazy.Message]:
    """Identity rules of Segment, PostHog and GA4 exports, recognised by their column names."""
    notes: dict[str, lazy.Message] = {}
    user = sources.get(USER)
    if (USER not in chosen and user and normalise(user) == "user_id" and "anonymous_id" in norm
            and "message_id" in norm):
        fallbacks[USER] = norm["anonymous_id"]
        notes["fallback"] = lazy.gettext(
            "Segment export: the user is {user!r}, else {anonymous!r} on events without one",
            user=user, anonymous=norm["anonymous_id"])
    elif "uuid" in norm and "distinct_id" in norm and "event" in norm and user == norm["distinct_id"]:
        notes["vendor"] = lazy.gettext(
            "PostHog export: the user is {user!r}; {uuid!r} identifies each event (appends match on "
            "it)", user=user, uuid=norm["uuid"])
    elif "user_pseudo_id" in norm and "event_name" in norm:
        if USER not in chosen and "user_id" in norm:
            # GA4's observed identity: the signed-in user id, else the device (stitched at load).
            sources[USER] = norm["user_id"]
            fallbacks[USER] = norm["user_pseudo_id"]
            notes["vendor"] = lazy.gettext(
                "GA4 export: the user is {user!r} when signed in, else the device {device!r}; a "
                "device's signed-out events count for the one user it signed in as (GA4's observed "
                "identity)", user=norm["user_id"], device=norm["user_pseudo_id"])
        elif USER not in chosen:
            sources[USER] = norm["user_pseudo_id"]
            notes["vendor"] = lazy.gettext(
                "GA4 export: the user is {user!r} (the device, as GA4 counts users)",
                user=norm["user_pseudo_id"])
        if AMOUNT not in chosen and "purchase_revenue" in norm:
            sources[AMOUNT] = norm["purchase_revenue"]
    return notes


def one_column_hint(column: str) -> lazy.Message:
    """What to do when a file was read as one column whose name holds blanks."""
    return lazy.gettext("The file was read as one column named {column!r}: is it separated by "
                        "spaces or tabs? Choose the delimiter (--delimiter whitespace or --delimiter "
                        "tab in the CLI, Read options on the Data page).", column=column)
