"""How far ahead to look by default: the longest lead tried fits the history (issue 10)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from northstar.i18n import N_, _
from northstar.store import Dataset
from northstar.vocab import GRAIN_INFO
from northstar.wording import periods

# At most this share of the history's periods: each lag tried costs periods, and a lead longer than a
# quarter of the history is seen only a few times.
HISTORY_SHARE = 4
# Why the grain's own default was kept, per grain (the history would allow more).
GRAIN_DEFAULT = {
    "day": N_("max lag {lag}: the default for days (a quarter of the {history} of history would be "
              "{quarter})"),
    "week": N_("max lag {lag}: the default for weeks (a quarter of the {history} of history would be "
               "{quarter})"),
    "month": N_("max lag {lag}: the default for months (a quarter of the {history} of history would be "
                "{quarter})"),
}


@dataclass(frozen=True)
class MaxLag:
    """The longest lead tried by default, and what it was chosen from."""

    value: int
    history: int  # complete periods of history at the grain
    grain: str

    @property
    def fitted(self) -> bool:
        """True when the history, not the grain's default, set it."""
        return self.value < GRAIN_INFO[self.grain].default_max_lag

    def reason(self) -> str:
        """Why this max lag, in the current language: "max lag 3 weeks: a quarter of the 14 weeks of
        history"."""
        fields = {"lag": periods(self.value, self.grain), "history": periods(self.history, self.grain)}
        if not self.fitted:
            return _(GRAIN_DEFAULT[self.grain], quarter=periods(self.history // HISTORY_SHARE, self.grain),
                     **fields)
        if self.history < HISTORY_SHARE:
            return _("max lag {lag}: the shortest there is, with only {history} of history", **fields)
        return _("max lag {lag}: a quarter of the {history} of history", **fields)


def _period_start(day: pd.Timestamp, grain: str) -> pd.Timestamp:
    if grain == "week":
        return day - pd.Timedelta(days=day.day_of_week)
    if grain == "month":
        return day.replace(day=1)
    return day


def history_periods(dataset: Dataset, grain: str) -> int:
    """Complete periods between the dataset's first and last event (as metrics.compute flags them: a
    first or last period the data does not cover from its first to its last day is partial)."""
    if dataset.first_ts is None or dataset.last_ts is None:
        return 0
    first, last = pd.Timestamp(dataset.first_ts).normalize(), pd.Timestamp(dataset.last_ts).normalize()
    step = GRAIN_INFO[grain].offset
    starts = pd.date_range(_period_start(first, grain), last, freq=GRAIN_INFO[grain].grid_freq)
    complete = [start for start in starts
                if not (start < first < start + step) and not (start + step - pd.Timedelta(days=1) > last)]
    return len(complete)


def default_max_lag(dataset: Dataset, grain: str) -> MaxLag:
    """The grain's default max lag, or a quarter of the history's periods when that is less (at least 1)."""
    history = history_periods(dataset, grain)
    value = max(1, min(GRAIN_INFO[grain].default_max_lag, history // HISTORY_SHARE))
    return MaxLag(value, history, grain)
