"""Metric specs: what a candidate NSM or an outcome measures, as data (dataclass and YAML), not code."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

import yaml

from northstar.errors import NorthstarError
from northstar.i18n import N_, _
from northstar.vocab import METRIC_ROLES

ROLES = METRIC_ROLES

# kind → (short name, what it counts, the spec fields it uses besides name/kind/events/role/description);
# the texts are English, marked for the catalog: show them with i18n's _().
KINDS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "active_users": (N_("Active users"),
                     N_("distinct users with a matching event"),
                     ()),
    "transactions": (N_("Transactions"),
                     N_("number of matching events"),
                     ()),
    "revenue": (N_("Revenue"),
                N_("sum of amount on matching events"),
                ()),
    "mrr": (N_("MRR"),
            N_("monthly recurring revenue of the subscriptions active at the period's end"),
            ("period_column",)),
    "ltv": (N_("Customer lifetime value"),
            N_("average revenue per customer in their first N days, by the period they were first seen"),
            ("window_days",)),
    "engagement": (N_("Engagement"),
                   N_("time spent or events, in total or per active user"),
                   ("measure", "per")),
    "nps": (N_("NPS"),
            N_("the share of promoters (9–10) minus the share of detractors (0–6) among the "
               "period's responses"),
            ()),
    "returning_users": (N_("Returning users"),
                        N_("active this period and first seen in an earlier one"),
                        ()),
    "retention": (N_("Retention"),
                  N_("share of the period's active users who are active again the next period"),
                  ()),
    "custom": (N_("Custom"),
               N_("your own aggregate expression over the event table"),
               ("expression",)),
}
MEASURES = ("duration", "events")
PER = ("total", "user")
DEFAULT_WINDOW_DAYS = 90


@dataclass(frozen=True)
class MetricSpec:
    """One metric: a candidate NSM (role "candidate") or a business outcome (role "outcome")."""

    name: str
    kind: str
    events: tuple[str, ...] = ()  # only these events count; empty = every event
    role: str = "candidate"
    description: str = ""
    measure: str = "duration"     # engagement: "duration" (seconds) or "events"
    per: str = "user"             # engagement: "total" or per active "user"
    window_days: int = DEFAULT_WINDOW_DAYS   # ltv
    period_column: str | None = None         # mrr: property holding the months a payment covers
    expression: str | None = None            # custom
    source: str = field(default="user", compare=False)  # "default" | "user" | "suggested"

    def to_dict(self) -> dict[str, Any]:
        """The YAML/JSON form: only the fields that matter for this kind, no defaults repeated."""
        used = {"name", "kind", "events", "role", "description", *KINDS[self.kind][2]}
        defaults = {f.name: f.default for f in fields(self)}
        out: dict[str, Any] = {}
        for key, value in asdict(self).items():
            if key not in used or (key not in ("name", "kind") and value == defaults[key]):
                continue
            out[key] = list(value) if isinstance(value, tuple) else value
        return out

    def definition(self) -> str:
        """A plain-language sentence for people who don't read SQL, in the current language."""
        scope = f" ({', '.join(self.events)})" if self.events else ""
        if self.kind == "active_users":
            return _("Distinct users with any event{scope} in the period.", scope=scope)
        if self.kind == "transactions":
            return _("Number of events{scope} in the period.", scope=scope)
        if self.kind == "revenue":
            return _("Sum of amount on events{scope} in the period.", scope=scope)
        if self.kind == "mrr":
            if self.period_column:
                return _("Monthly recurring revenue at the end of the period: each customer's latest "
                         "payment{scope}, each payment spread over the months in “{column}”, while it "
                         "is current.", scope=scope, column=self.period_column)
            return _("Monthly recurring revenue at the end of the period: each customer's latest "
                     "payment{scope}, while it is current.", scope=scope)
        if self.kind == "ltv":
            return _("Average revenue{scope} per customer in the {days} days after they were first "
                     "seen, for customers first seen in the period.", scope=scope, days=self.window_days)
        if self.kind == "engagement":
            sentences = {
                ("duration", "user"): N_("Time spent (seconds) per active user on events{scope} in "
                                         "the period."),
                ("duration", "total"): N_("Time spent (seconds) in total on events{scope} in the "
                                          "period."),
                ("events", "user"): N_("Events per active user on events{scope} in the period."),
                ("events", "total"): N_("Events in total on events{scope} in the period."),
            }
            return _(sentences[(self.measure, self.per)], scope=scope)
        if self.kind == "nps":
            return _("Net Promoter Score of the period's responses{scope}: the share scoring 9–10 "
                     "minus the share scoring 0–6.", scope=scope)
        if self.kind == "returning_users":
            return _("Users active{scope} in the period who were first seen in an earlier period.",
                     scope=scope)
        if self.kind == "retention":
            return _("Share of the period's active users{scope} who are active again in the next "
                     "period.", scope=scope)
        return _("Custom expression: {expression}", expression=self.expression)


_FIELD_NAMES = tuple(f.name for f in fields(MetricSpec) if f.name != "source")


def _fail(where: str, detail: str) -> NorthstarError:
    return NorthstarError(_("Invalid metric {where}", where=where), detail)


def spec_from_dict(data: Mapping[str, Any], source: str = "user") -> MetricSpec:
    """Build and validate a spec from its YAML/JSON form; errors name the metric and the field."""
    if not isinstance(data, Mapping):
        raise _fail(_("entry"), _("Each candidate must be a mapping with name and kind, got {data!r}.",
                                  data=data))
    name = str(data.get("name") or "").strip()
    where = repr(name) if name else _("(no name)")
    if not name:
        raise _fail(where, _("Every metric needs a name."))
    unknown = sorted(set(data) - set(_FIELD_NAMES))
    if unknown:
        raise _fail(where, _("Unknown field(s) {unknown}. Fields: {fields}.", unknown=", ".join(unknown),
                             fields=", ".join(_FIELD_NAMES)))
    kind = str(data.get("kind") or "")
    if kind not in KINDS:
        raise _fail(where, _("kind {kind!r} is not one of: {kinds}.", kind=kind, kinds=", ".join(KINDS)))
    events = data.get("events") or ()
    if isinstance(events, str):
        events = (events,)
    if not isinstance(events, Iterable) or not all(isinstance(e, str | int) for e in events):
        raise _fail(where, _("events must be a list of event names."))
    values: dict[str, Any] = {k: data[k] for k in _FIELD_NAMES if k in data}
    values.update(name=name, kind=kind, events=tuple(str(e) for e in events), source=source)
    spec = MetricSpec(**values)
    return validate(spec)


def validate(spec: MetricSpec) -> MetricSpec:
    where = repr(spec.name)
    if spec.role not in ROLES:
        raise _fail(where, _("role {role!r} must be one of: {roles}.", role=spec.role,
                             roles=", ".join(ROLES)))
    if spec.kind == "engagement" and spec.measure not in MEASURES:
        raise _fail(where, _("measure {measure!r} must be one of: {measures}.", measure=spec.measure,
                             measures=", ".join(MEASURES)))
    if spec.kind == "engagement" and spec.per not in PER:
        raise _fail(where, _("per {per!r} must be one of: {options}.", per=spec.per, options=", ".join(PER)))
    if spec.kind == "ltv" and not (isinstance(spec.window_days, int) and 1 <= spec.window_days <= 3650):
        raise _fail(where, _("window_days must be a whole number of days, 1–3650 (got {days!r}).",
                             days=spec.window_days))
    if spec.kind == "custom":
        from northstar.metrics.custom import parse_custom  # late: custom imports specs' neighbours

        if not spec.expression:
            raise _fail(where, _("A custom metric needs an expression, e.g. count(DISTINCT user_id)."))
        parse_custom(spec.expression, spec.name, properties=None)
    return spec


def load_yaml(text: str) -> list[MetricSpec]:
    """`candidates: [...]` (or a bare list) → specs; names must be unique."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise NorthstarError(_("Not valid YAML"), str(err).replace("\n", " ")) from None
    entries = data.get("candidates") if isinstance(data, Mapping) else data
    if not isinstance(entries, list):
        raise NorthstarError(_("No candidates in YAML"),
                             _("Expected `candidates:` followed by a list of entries with name, kind, ..."))
    specs = [spec_from_dict(entry) for entry in entries]
    seen: set[str] = set()
    for spec in specs:
        if spec.name.lower() in seen:
            raise _fail(repr(spec.name), _("Two candidates have this name; names must be unique."))
        seen.add(spec.name.lower())
    return specs


def dump_yaml(specs: Iterable[MetricSpec]) -> str:
    entries = [s.to_dict() for s in specs]
    return yaml.safe_dump({"candidates": entries}, sort_keys=False, allow_unicode=True)


def renamed(spec: MetricSpec, name: str) -> MetricSpec:
    return replace(spec, name=name)
