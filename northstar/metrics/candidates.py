"""A dataset's candidate NSMs and outcomes: defaults from its columns, saved edits, suggestions."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import replace

import pandas as pd

from northstar.errors import NorthstarError
from northstar.i18n import N_, _
from northstar.metrics.specs import MetricSpec, spec_from_dict, validate
from northstar.metrics.summary import event_catalogue
from northstar.store import Dataset, Store
from northstar.vocab import purchase_events

SUBSCRIPTION = re.compile(r"subscri|renew|recurring|invoice|billing|mrr", re.IGNORECASE)
CANCELLATION = re.compile(r"cancel|churn|unsubscri|close_account|delete_account", re.IGNORECASE)
# A suggestion needs enough users doing the event to make a steady weekly series.
SUGGEST_MIN_SHARE = 0.05
SUGGEST_LIMIT = 8
# The saved name of a suggestion is English (names are identifiers); people see it in their language.
SUGGESTED_NAME = N_("Users who did {event}")


def _events_with(catalogue: pd.DataFrame, column: str) -> tuple[str, ...]:
    return tuple(catalogue.loc[catalogue[column] > 0, "event"])


def default_candidates(store: Store, dataset: Dataset) -> list[MetricSpec]:
    """The seeds' typical NSMs and outcomes that this dataset's mapped columns can support."""
    catalogue = event_catalogue(store, dataset)
    money = _events_with(catalogue, "with_amount")
    timed = _events_with(catalogue, "with_duration")
    scored = _events_with(catalogue, "with_nps")
    subscription = tuple(e for e in money if SUBSCRIPTION.search(e))
    cancels = tuple(e for e in catalogue["event"] if CANCELLATION.search(e))
    specs = [
        MetricSpec(N_("Active users"), "active_users",
                   description=N_("Anyone who did anything: the broadest measure of reach.")),
        MetricSpec(N_("Returning users"), "returning_users",
                   description=N_("Active users seen before: a typical team OMTM.")),
    ]
    if timed:
        specs.append(MetricSpec(N_("Time spent per active user"), "engagement", events=timed,
                                measure="duration", per="user"))
    else:
        specs.append(MetricSpec(N_("Events per active user"), "engagement", measure="events", per="user"))
    if money:
        specs += [MetricSpec(N_("Transactions"), "transactions", events=money),
                  MetricSpec(N_("Customer lifetime value (90 days)"), "ltv", events=money, window_days=90)]
    if scored:
        specs.append(MetricSpec(N_("NPS"), "nps", events=scored))
    if money:
        specs.append(MetricSpec(N_("Revenue"), "revenue", events=money, role="outcome"))
    elif orders := purchase_events(catalogue["event"]):
        specs.append(MetricSpec(N_("Orders"), "transactions", events=orders, role="outcome",
                                description=N_("No money column: the count of purchase-like events "
                                               "is the outcome.")))
    if subscription:
        specs.append(MetricSpec(N_("MRR"), "mrr", events=subscription, role="outcome"))
    specs.append(MetricSpec(N_("Retention (active again next period)"), "retention", role="outcome"))
    if cancels:
        specs.append(MetricSpec(N_("Churned users"), "active_users", events=cancels, role="outcome"))
    return [replace(s, source="default") for s in specs]


def suggestions(store: Store, dataset: Dataset, existing: Sequence[MetricSpec],
                limit: int = SUGGEST_LIMIT) -> list[MetricSpec]:
    """"Users who did X" for each frequent event not already measured that way."""
    taken = {s.events for s in existing if s.kind == "active_users"}
    names = {s.name.lower() for s in existing}
    catalogue = event_catalogue(store, dataset)
    frequent = catalogue[catalogue["share_of_users"] >= SUGGEST_MIN_SHARE]
    found = []
    for event in frequent.sort_values("users", ascending=False)["event"]:
        name = SUGGESTED_NAME.format(event=event)
        if (event,) in taken or name.lower() in names:
            continue
        found.append(MetricSpec(name, "active_users", events=(event,), source="suggested"))
        if len(found) == limit:
            break
    return found


def own_name(spec: MetricSpec) -> tuple[str, dict[str, str]] | None:
    """The catalog message and its fields behind a name Northstar gave; None for a name people typed."""
    if spec.source == "default":
        return spec.name, {}
    if spec.source == "suggested" and len(spec.events) == 1 \
            and spec.name == SUGGESTED_NAME.format(event=spec.events[0]):
        return SUGGESTED_NAME, {"event": spec.events[0]}
    return None


def display_name(spec: MetricSpec) -> str:
    """The name people see: Northstar's own names in the current language; names people typed as typed."""
    own = own_name(spec)
    return _(own[0], **own[1]) if own else spec.name


def display_description(spec: MetricSpec) -> str:
    """The note under a candidate, translated when Northstar wrote it."""
    return _(spec.description) if spec.source == "default" and spec.description else spec.description


def display_names(specs: Sequence[MetricSpec]) -> dict[str, str]:
    """Saved name → the name people see, for tables and charts keyed by name."""
    return {spec.name: display_name(spec) for spec in specs}


def saved_candidates(store: Store, dataset: Dataset) -> list[MetricSpec]:
    """The dataset's candidates and outcomes; on first use, its defaults are saved and returned."""
    with store.read() as con:
        rows = con.execute("SELECT spec, source FROM candidates WHERE dataset = ? ORDER BY position",
                           [dataset.name]).fetchall()
    if rows:
        return [spec_from_dict(json.loads(spec), source=source) for spec, source in rows]
    defaults = default_candidates(store, dataset)
    replace_candidates(store, dataset, defaults)
    return defaults


def replace_candidates(store: Store, dataset: Dataset, specs: Sequence[MetricSpec]) -> None:
    """Save exactly `specs` (in order) as the dataset's candidates, in one transaction."""
    names = [s.name.lower() for s in specs]
    duplicate = next((s.name for s in specs if names.count(s.name.lower()) > 1), None)
    if duplicate:
        raise NorthstarError(_("Duplicate candidate name"),
                             _("Two candidates are called {name!r}; rename one.", name=duplicate))
    with store.transaction() as con:
        con.execute("DELETE FROM candidates WHERE dataset = ?", [dataset.name])
        con.executemany("INSERT INTO candidates (dataset, position, name, spec, source) "
                        "VALUES (?, ?, ?, ?, ?)",
                        [[dataset.name, position, spec.name, json.dumps(spec.to_dict()), spec.source]
                         for position, spec in enumerate(specs)])


def save_candidate(store: Store, dataset: Dataset, spec: MetricSpec,
                   previous_name: str | None = None) -> list[MetricSpec]:
    """Add `spec`, or replace the candidate called `previous_name` (an edit, maybe a rename)."""
    spec = validate(spec)
    current = saved_candidates(store, dataset)
    target = (previous_name or spec.name).lower()
    clash = next((s for s in current if s.name.lower() == spec.name.lower()
                  and (previous_name is None or s.name.lower() != target)), None)
    if clash:
        raise NorthstarError(_("Name already used"),
                             _("A candidate called {name!r} exists; pick another name.", name=clash.name))
    updated = [spec if s.name.lower() == target else s for s in current]
    if not any(s.name.lower() == target for s in current):
        updated.append(spec)
    replace_candidates(store, dataset, updated)
    return updated


def delete_candidate(store: Store, dataset: Dataset, name: str) -> list[MetricSpec]:
    current = saved_candidates(store, dataset)
    remaining = [s for s in current if s.name != name]
    if len(remaining) == len(current):
        raise NorthstarError(_("No candidate named {name!r}", name=name), _("Nothing was deleted."))
    replace_candidates(store, dataset, remaining)
    return remaining


def merge_candidates(current: Sequence[MetricSpec], imported: Sequence[MetricSpec]
                     ) -> list[MetricSpec]:
    """Imported specs replace same-named ones in place; new ones are appended."""
    by_name = {s.name.lower(): s for s in imported}
    merged = [by_name.pop(s.name.lower(), s) for s in current]
    return merged + [s for s in imported if s.name.lower() in by_name]
