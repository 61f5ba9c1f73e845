"""The chosen NSM's five-criteria evidence (analysis/scorecard.py), frozen into the decision record."""

from __future__ import annotations

import logging

from northstar.analysis.scorecard import CRITERIA, scorecards
from northstar.errors import NorthstarError
from northstar.i18n import LANGUAGES, use_language
from northstar.metrics import saved_candidates
from northstar.metrics.coverage import users_seen
from northstar.report.evidence import EVIDENCE_GRAIN, CompareFn, compared, evidence_outcome
from northstar.store import Dataset, Store

log = logging.getLogger(__name__)


def nsm_scorecard(store: Store, dataset: Dataset, nsm: str, grain: str = EVIDENCE_GRAIN,
                  ranking: CompareFn = compared) -> tuple[dict[str, object], ...]:
    """Five rows (criterion, score, basis_i18n: language → the sentence) for `nsm` against the dataset's
    evidence outcome, as the Compare page and the Workshop showed them (saved candidates and
    suggestions, auto max lag); () when there is no outcome, `nsm` is the outcome, or the data is too
    short to compare."""
    outcome = evidence_outcome(saved_candidates(store, dataset))
    if outcome is None or outcome.name == nsm:
        return ()
    try:
        comparison = ranking(store, dataset, outcome.name, grain)
    except NorthstarError as err:
        log.info("No scorecard for %r in the record: %s", nsm, err.one_line())
        return ()
    if not any(r.metric == nsm for r in comparison.results):
        return ()
    shares = users_seen(store, dataset, comparison.candidates)
    said = {}
    for lang in LANGUAGES:
        with use_language(lang):
            said[lang] = scorecards(comparison, shares)[nsm]
    first = said[next(iter(LANGUAGES))]
    return tuple({"criterion": key, "score": first.score(key),
                  "basis_i18n": {lang: card.basis(key) for lang, card in said.items()}} for key in CRITERIA)
