"""The decision's counter-metric: suggested from the dataset's metrics, frozen into the record."""

from __future__ import annotations

from northstar.analysis.guardrail import CounterMetric, evidence_for, suggest_counter_metric
from northstar.i18n import LANGUAGES, use_language
from northstar.metrics import MetricSpec, display_name, saved_candidates
from northstar.report.evidence import EVIDENCE_GRAIN, SeriesFn
from northstar.store import Dataset, Store


def _specs(store: Store, dataset: Dataset, nsm: str) -> tuple[MetricSpec | None, list[MetricSpec]]:
    specs = saved_candidates(store, dataset)
    return next((s for s in specs if s.name == nsm), None), [s for s in specs if s.name != nsm]


def suggested_counter_metric(store: Store, dataset: Dataset, nsm: str, series: SeriesFn,
                             grain: str = EVIDENCE_GRAIN) -> CounterMetric | None:
    """The guardrail for the saved candidate `nsm` among the dataset's other candidates and outcomes."""
    spec, others = _specs(store, dataset, nsm)
    if spec is None or not others:
        return None
    return suggest_counter_metric(series(store, dataset, [spec, *others], grain), spec, others, grain)


def counter_evidence(store: Store, dataset: Dataset, nsm: str, counter: str, series: SeriesFn,
                     grain: str = EVIDENCE_GRAIN) -> CounterMetric | None:
    """What the data says about `counter` as the guardrail of `nsm` (a facilitator's own pick too)."""
    spec, others = _specs(store, dataset, nsm)
    other = next((s for s in others if s.name == counter), None)
    if spec is None or other is None:
        return None
    return evidence_for(series(store, dataset, [spec, other], grain), spec, other, grain)


def counter_sentence(store: Store, dataset: Dataset, nsm: str, found: CounterMetric) -> str:
    """`found.sentence` with the names people see, in the current language."""
    specs = {s.name: s for s in saved_candidates(store, dataset)}
    shown = {name: display_name(spec) for name, spec in specs.items()}
    return found.sentence(shown.get(nsm, nsm), shown.get(found.metric, found.metric))


def counter_entry(store: Store, dataset: Dataset, nsm: str, counter: str, series: SeriesFn,
                  grain: str = EVIDENCE_GRAIN, suggested: str | None = None) -> dict[str, object] | None:
    """The record's counter-metric as plain values: the metric, r and lag (None: by kind), whether the
    facilitator kept the suggestion, and the evidence sentence in every language Northstar speaks."""
    found = counter_evidence(store, dataset, nsm, counter, series, grain)
    if found is None:
        return None
    sentences = {}
    for lang in LANGUAGES:
        with use_language(lang):
            sentences[lang] = counter_sentence(store, dataset, nsm, found)
    return {"metric": found.metric, "r": None if found.r is None else round(found.r, 2), "lag": found.lag,
            "pairs": found.n_pairs, "by_kind": found.by_kind, "grain": found.grain,
            "suggested": suggested == counter, "sentence_i18n": sentences}


__all__ = ["CounterMetric", "counter_entry", "counter_evidence", "counter_sentence",
           "suggested_counter_metric"]
