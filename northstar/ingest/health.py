"""A loaded dataset's health: what in the data would bend the candidates, and how.

Duplicate events, anonymous share, users seen once, empty days inside the span (a tracking outage),
events after the export, the busiest users (bots). Each finding says what it does to the metrics.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from northstar.i18n import _, ngettext, number, percent
from northstar.ingest.roles import insert_id_column
from northstar.store import CANONICAL_COLUMNS, Dataset, Store, fetch_one, quote_ident

# Thresholds above which a finding is a warning rather than information.
DUPLICATE_WARN = 0.01
ANONYMOUS_WARN = 0.10
ONE_EVENT_WARN = 0.50
BOT_SHARE_WARN = 0.05
BOT_TIMES_MEDIAN = 10


@dataclass(frozen=True)
class Finding:
    """One health check: its headline, whether it needs attention, and what it does to candidates."""

    check: str
    headline: str
    effect: str
    warn: bool
    value: float = 0.0


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _pct(share: float) -> str:
    return percent(share, 1)


def _week(day: date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def _duplicates(cur, view: str, dataset: Dataset) -> Finding:
    insert_id = insert_id_column(dataset.properties)
    if insert_id:
        key, how = quote_ident(insert_id), _("the same {column}", column=insert_id)
        cur.execute(f"SELECT count(*) - count(DISTINCT {key}), count(*) FROM {view} "
                    f"WHERE {key} IS NOT NULL")
    else:
        columns = ", ".join(quote_ident(c) for c in (*CANONICAL_COLUMNS, *dataset.properties))
        how = _("identical rows")
        cur.execute(f"SELECT count(*) - (SELECT count(*) FROM (SELECT DISTINCT {columns} FROM {view})),"
                    f" count(*) FROM {view}")
    extra, total = fetch_one(cur)
    share = _share(extra, total)
    if not extra:
        return Finding("duplicates", _("No duplicate events"), _("No two events are {how}.", how=how),
                       False)
    return Finding(
        "duplicates", ngettext("{n} duplicate event ({share}, {how})",
                               "{n} duplicate events ({share}, {how})", extra, share=_pct(share), how=how),
        ngettext("Event counts, Transactions, Revenue and Events per active user are inflated by {n} "
                 "event; counts of users are not affected. Export again or append with dedupe.",
                 "Event counts, Transactions, Revenue and Events per active user are inflated by {n} "
                 "events; counts of users are not affected. Export again or append with dedupe.",
                 extra),
        share > DUPLICATE_WARN, share)


def _anonymous(cur, view: str) -> Finding:
    cur.execute(f"SELECT count(*) FILTER (user_id IS NULL), count(*) FROM {view}")
    anonymous, total = fetch_one(cur)
    share = _share(anonymous, total)
    if not anonymous:
        return Finding("anonymous", _("Every event has a user"), _("All events count towards users."),
                       False)
    return Finding(
        "anonymous", ngettext("{n} anonymous event ({share})", "{n} anonymous events ({share})",
                              anonymous, share=_pct(share)),
        _("They count in event totals but not in Active users, Returning users or Retention; a "
          "candidate over users undercounts what anonymous visitors do."), share > ANONYMOUS_WARN, share)


def _one_event_users(cur, view: str) -> Finding:
    cur.execute(f"SELECT count(*) FILTER (n = 1), count(*) FROM (SELECT user_id, count(*) AS n "
                f"FROM {view} WHERE user_id IS NOT NULL GROUP BY user_id)")
    once, users = fetch_one(cur)
    share = _share(once, users)
    return Finding(
        "one_event_users", ngettext("{n} user with one event ({share} of users)",
                                    "{n} users with one event ({share} of users)", once,
                                    share=_pct(share)),
        _("Users seen once never return: Retention and Returning users stay low. Many of them can "
          "mean the user id changes per session (pick a stable id).") if once else
        _("Every user has more than one event."), share > ONE_EVENT_WARN, share)


def _gaps(cur, view: str, exported: datetime) -> Finding:
    """Runs of days without events between the first event and the last one before the export."""
    cur.execute(f"SELECT DISTINCT CAST(ts AS DATE) AS d FROM {view} WHERE ts <= $at ORDER BY d",
                {"at": exported})
    days = [row[0] for row in cur.fetchall()]
    gaps = [(a + timedelta(days=1), b - timedelta(days=1)) for a, b in zip(days, days[1:], strict=False)
            if (b - a).days > 1]
    if not gaps:
        return Finding("gaps", _("No empty days inside the span"),
                       _("Every day between the first and the last event has events."), False)
    first, last = max(gaps, key=lambda g: (g[1] - g[0]).days)
    length = (last - first).days + 1
    missing = sum((b - a).days + 1 for a, b in gaps)
    weeks = sorted({_week(first + timedelta(days=i)) for i in range(length)})
    span = weeks[0] if len(weeks) == 1 else _("{first} to {last}", first=weeks[0], last=weeks[-1])
    in_gaps = ngettext("in {n} gap", "in {n} gaps", len(gaps))
    longest = ngettext("the longest is {n} day ({first} to {last})",
                       "the longest is {n} days ({first} to {last})", length,
                       first=first.strftime("%Y-%m-%d"), last=last.strftime("%Y-%m-%d"))
    return Finding(
        "gaps", ngettext("{n} empty day inside the span {gaps}; {longest}",
                         "{n} empty days inside the span {gaps}; {longest}", missing,
                         gaps=in_gaps, longest=longest),
        _("A tracking outage makes every candidate dip in {span}: read those periods as incomplete, "
          "not as a real drop.", span=span), _outage(days, length), float(missing))


def _outage(days: list[date], longest: int) -> bool:
    """A gap is an outage when the data is otherwise steady: at least 3 days, and 3 times the
    usual distance between days with events (sparse small files have gaps by nature)."""
    steps = sorted((b - a).days for a, b in zip(days, days[1:], strict=False))
    usual = steps[len(steps) // 2] if steps else 1
    return longest >= 3 and longest + 1 >= 3 * usual


def _after_export(cur, view: str, exported: datetime, dataset: Dataset) -> Finding:
    """Events after the load that were kept (within its day of slack), and those left out at load
    for lying more than a day after it (ingest.plausible)."""
    cur.execute(f"SELECT count(*), max(ts) FROM {view} WHERE ts > $at", {"at": exported})
    later, latest = fetch_one(cur)
    left_out = int((dataset.mapping.get("implausible") or {}).get("after_load") or 0)
    if not later and not left_out:
        return Finding("after_export", _("No events after the export"),
                       _("No timestamp lies after the moment the file was loaded."), False)
    parts = []
    if later:
        parts.append(ngettext("{n} event after the export date (up to {latest})",
                              "{n} events after the export date (up to {latest})", later,
                              latest=latest.strftime("%Y-%m-%d")))
    if left_out:
        parts.append(ngettext("{n} event more than a day after the export date, left out at load",
                              "{n} events more than a day after the export date, left out at load",
                              left_out))
    return Finding(
        "after_export", "; ".join(parts),
        _("Timestamps in the future point at a clock or time-zone problem; the last periods look "
          "bigger than they are."), True, float(later + left_out))


def _busiest(cur, view: str) -> Finding:
    cur.execute(f"SELECT user_id, count(*) AS n FROM {view} WHERE user_id IS NOT NULL "
                f"GROUP BY user_id ORDER BY n DESC, user_id LIMIT 3")
    top = cur.fetchall()
    cur.execute(f"SELECT count(*), median(n) FROM (SELECT count(*) AS n FROM {view} "
                f"WHERE user_id IS NOT NULL GROUP BY user_id)")
    total_rows = fetch_one(cur)
    cur.execute(f"SELECT count(*) FROM {view}")
    events = fetch_one(cur)[0]
    if not top:
        return Finding("busiest", _("No users"), _("There are no user ids to check."), False)
    user, n = top[0]
    share = _share(n, events)
    listed = ", ".join(f"{u} ({number(c)})" for u, c in top)
    median = total_rows[1] or 0
    return Finding(
        "busiest", _("Busiest users: {users}; the busiest has {share} of all events", users=listed,
                     share=_pct(share)),
        ngettext("A user with {n} event against a median of {median} may be a bot or a test account: "
                 "it inflates event counts and engagement. Filter it out in the candidates if so.",
                 "A user with {n} events against a median of {median} may be a bot or a test account: "
                 "it inflates event counts and engagement. Filter it out in the candidates if so.",
                 n, median=number(median, 0) if float(median).is_integer() else number(median, 1)),
        share > BOT_SHARE_WARN and n >= BOT_TIMES_MEDIAN * max(median, 1), share)


def health(store: Store, dataset: Dataset) -> list[Finding]:
    """Every check, in a fixed order."""
    exported = dataset.loaded_at.replace(tzinfo=None)
    with store.events(dataset) as cur:
        view = dataset.events_view
        return [_duplicates(cur, view, dataset), _anonymous(cur, view), _one_event_users(cur, view),
                _gaps(cur, view, exported), _after_export(cur, view, exported, dataset), _busiest(cur, view)]
