"""Deterministic demo event log of a subscription reporting tool, with a planted leading metric."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

LEADING_EVENT: str = "report_shared"
LEAD_WEEKS: int = 3
DEMO_START: date = date(2025, 1, 6)  # a Monday, so demo weeks line up with ISO weeks

COLUMNS = [
    "user_id", "timestamp", "event", "amount", "duration_s", "nps_score", "plan", "platform", "country",
]
MONEY_EVENTS = ("subscription_payment", "purchase")
# Also the tie-break among same-second events, so a user's log always opens with the signup.
EVENT_ORDER = (
    "signup",
    "session",
    "dashboard_viewed",
    "report_created",
    "report_shared",
    "export_csv",
    "comment_added",
    "integration_connected",
    "nps_response",
    "upgrade",
    "purchase",
    "subscription_payment",
    "cancellation",
)
EVENT_CODE = {name: code for code, name in enumerate(EVENT_ORDER)}

DAY_S = 86_400
WEEK_S = 7 * DAY_S
WEEKS_PER_MONTH = 52 / 12
TRIAL_DAYS = 14
BILLING_CYCLE_DAYS = 30  # a fixed cycle keeps weekly billing free of month-length artefacts

PLANS = ("basic", "pro", "team")
PLAN_SHARE = (0.55, 0.33, 0.12)
PLAN_PRICE = np.array([19.0, 49.0, 99.0])
UPGRADE_WEEKLY_HAZARD = 0.004
PLATFORMS = ("web", "ios", "android")
PLATFORM_SHARE = (0.62, 0.23, 0.15)
COUNTRIES = ("US", "GB", "DE", "FR", "CA", "IN", "BR", "AU")
COUNTRY_SHARE = (0.38, 0.13, 0.11, 0.08, 0.08, 0.10, 0.07, 0.05)
ADDON_PRICES = np.array([29.0, 49.0, 99.0, 199.0])  # extra seats, storage, white-label, ...
ADDON_SHARE = (0.35, 0.30, 0.25, 0.10)

# Mon..Sun and hour-of-day shapes of a B2B tool: busy office hours, quiet weekends.
WEEKDAY_WEIGHT = np.array([1.0, 1.08, 1.1, 1.05, 0.9, 0.3, 0.25])
HOUR_WEIGHT = np.array(
    [1, 0.6, 0.4, 0.3, 0.3, 0.5, 1, 2, 4, 6, 7, 7, 5, 6, 7, 7, 6, 5, 4, 3, 3, 2.5, 2, 1.5], dtype=float
)

SIGNUP_GROWTH = 3.0  # the last week sees this many times the signups of the first
SIGNUP_NOISE_SD = 0.2
ENGAGEMENT_SD = 0.55
TRIAL_CHURN = 0.12
MONTHLY_CHURN = 0.035
LAPSED_ACTIVITY = 0.04  # churned users still drop by now and then

SESSIONS_PER_WEEK = 0.75
SESSION_MEDIAN_S = 540
# Weekly per-user rates of the everyday features, before engagement.
FEATURE_RATES = {
    "report_created": 0.18,
    "export_csv": 0.07,
    "comment_added": 0.1,
    "integration_connected": 0.01,
}

# The planted truth. Sharing swings a lot week to week (campaigns, template launches, outages), and a
# report shared pulls teammates in, so the account buys an add-on (seats) LEAD_WEEKS later.
SHARE_CHANCE = 0.14
EXTRA_SHARES = 0.4
SHARE_RAMP_WEEKS = 4  # new users need a few weeks before they have reports worth sharing
SHARE_NOISE_SD = 0.3
SHARE_NOISE_PERSISTENCE = 0.1
CAMPAIGN_CHANCE, CAMPAIGN_LIFT = 0.08, (0.25, 0.5)
DIP_CHANCE, DIP_DROP = 0.05, (0.2, 0.4)
ADDON_AFTER_SHARE = 0.45
ADDON_BASELINE_WEEKLY = 0.004

# The vanity metric: dashboard views grow with the user base but drift with their own slow "reporting
# season" mood. Slow drift (rather than weekly noise) keeps their week-over-week changes from lining up
# with revenue's by chance.
DASHBOARD_VIEW_CHANCE = 0.4
EXTRA_DASHBOARD_VIEWS = 0.2
DASHBOARD_MOOD_SD = 0.3
DASHBOARD_MOOD_WEEKS = 2.0

NPS_FIRST_DAYS, NPS_EVERY_DAYS, NPS_RESPONSE_RATE = 30, 91, 0.45
NPS_ANSWER_WITHIN_DAYS = 3


@dataclass(frozen=True)
class Users:
    """One entry per demo user, in signup order; times are seconds since DEMO_START."""

    signup: np.ndarray
    signup_week: np.ndarray
    cancel: np.ndarray  # np.inf when the user never cancels
    upgrade: np.ndarray  # np.inf when the user never upgrades
    plan: np.ndarray  # plan index at signup; an upgrade moves it up by one
    engagement: np.ndarray
    platform: np.ndarray
    country: np.ndarray

    def __len__(self) -> int:
        return len(self.signup)


@dataclass(frozen=True)
class Rows:
    """A batch of event rows as parallel arrays; a missing column is all empty."""

    user: np.ndarray
    ts: np.ndarray
    event: np.ndarray
    amount: np.ndarray | None = None
    duration: np.ndarray | None = None
    nps: np.ndarray | None = None


def n_weeks_for(months: int) -> int:
    return round(months * WEEKS_PER_MONTH)


def _normalised(weights: np.ndarray | tuple[float, ...]) -> np.ndarray:
    weights = np.asarray(weights, dtype=float)
    return weights / weights.sum()


def _event_codes(event: str, n: int) -> np.ndarray:
    return np.full(n, EVENT_CODE[event])


def _log_ar1(rng: np.random.Generator, n: int, sd: float, persistence: float) -> np.ndarray:
    noise = rng.normal(0.0, sd, n)
    series = np.empty(n)
    series[0] = noise[0]
    for t in range(1, n):
        series[t] = persistence * series[t - 1] + noise[t]
    return series


def _smooth_wave(rng: np.random.Generator, n: int, sd: float, width_weeks: float) -> np.ndarray:
    """Slowly drifting noise: white noise blurred over a few weeks, rescaled to the given sd."""
    pad = int(4 * width_weeks)
    kernel = np.exp(-0.5 * (np.arange(-pad, pad + 1) / width_weeks) ** 2)
    wave = np.convolve(rng.normal(0.0, 1.0, n + 2 * pad), kernel, mode="valid")
    return sd * (wave - wave.mean()) / wave.std()


def _office_time_of_day(rng: np.random.Generator, n: int) -> np.ndarray:
    hour = rng.choice(24, size=n, p=_normalised(HOUR_WEIGHT))
    return hour * 3600 + rng.integers(0, 3600, n)


def _times_in_week(rng: np.random.Generator, n: int) -> np.ndarray:
    """Seconds into a week, following the weekday and office-hours pattern."""
    day = rng.choice(7, size=n, p=_normalised(WEEKDAY_WEIGHT))
    return day * DAY_S + _office_time_of_day(rng, n)


def _draw_users(rng: np.random.Generator, n_users: int, n_weeks: int) -> Users:
    trend = 1 + (SIGNUP_GROWTH - 1) * np.arange(n_weeks) / (n_weeks - 1)
    weekly = trend * np.exp(rng.normal(0.0, SIGNUP_NOISE_SD, n_weeks))
    signup_week = np.repeat(np.arange(n_weeks), rng.multinomial(n_users, _normalised(weekly)))
    # Sorting keeps each signup in its week and numbers users in signup order.
    signup = np.sort(signup_week * WEEK_S + _times_in_week(rng, n_users))
    engagement = rng.lognormal(0.0, ENGAGEMENT_SD, n_users)

    # Less engaged users are likelier to leave, both in the trial and afterwards.
    trial_quit = rng.random(n_users) < TRIAL_CHURN / np.sqrt(engagement)
    trial_cancel = signup + rng.uniform(2, TRIAL_DAYS - 1, n_users) * DAY_S
    weekly_hazard = MONTHLY_CHURN / WEEKS_PER_MONTH / np.sqrt(engagement)
    paid_cancel = signup + TRIAL_DAYS * DAY_S + rng.exponential(1 / weekly_hazard) * WEEK_S
    cancel = np.where(trial_quit, trial_cancel, paid_cancel)
    cancel = np.where(cancel < n_weeks * WEEK_S, np.floor(cancel), np.inf)

    plan = rng.choice(len(PLANS), size=n_users, p=_normalised(PLAN_SHARE))
    upgrade = signup + TRIAL_DAYS * DAY_S + rng.exponential(1 / UPGRADE_WEEKLY_HAZARD, n_users) * WEEK_S
    can_upgrade = (plan < len(PLANS) - 1) & (upgrade < np.minimum(cancel, n_weeks * WEEK_S))
    return Users(
        signup=signup,
        signup_week=signup_week,
        cancel=cancel,
        upgrade=np.where(can_upgrade, np.floor(upgrade), np.inf),
        plan=plan,
        engagement=engagement,
        platform=rng.choice(len(PLATFORMS), size=n_users, p=_normalised(PLATFORM_SHARE)),
        country=rng.choice(len(COUNTRIES), size=n_users, p=_normalised(COUNTRY_SHARE)),
    )


def _exposure(users: Users, n_weeks: int) -> np.ndarray:
    """Users x weeks: the fraction of each week spent as a customer, plus a trickle once lapsed."""
    week_start = np.arange(n_weeks)[None, :] * WEEK_S
    week_end = week_start + WEEK_S
    signup, cancel = users.signup[:, None], users.cancel[:, None]
    customer = np.clip(np.minimum(cancel, week_end) - np.maximum(signup, week_start), 0, None)
    lapsed = np.clip(week_end - np.maximum(cancel, week_start), 0, WEEK_S)
    return (customer + LAPSED_ACTIVITY * lapsed) / WEEK_S


def _cells_to_rows(rng: np.random.Generator, users: Users, counts: np.ndarray, event: str) -> Rows:
    """Expand a users x weeks count matrix into timestamped rows, never before the user's signup."""
    user, week = np.nonzero(counts)
    repeats = counts[user, week]
    user, week = np.repeat(user, repeats), np.repeat(week, repeats)
    week_start = week * WEEK_S
    offset = _times_in_week(rng, len(user))
    earliest = np.maximum(users.signup[user] + 1 - week_start, 0).astype(np.int64)
    after_signup = earliest + np.floor(rng.random(len(user)) * (WEEK_S - earliest)).astype(np.int64)
    offset = np.where(offset < earliest, after_signup, offset)
    return Rows(user=user, ts=week_start + offset, event=_event_codes(event, len(user)))


def _weekly_sessions(rng: np.random.Generator, users: Users, exposure: np.ndarray) -> Rows:
    counts = rng.poisson(SESSIONS_PER_WEEK * users.engagement[:, None] * exposure)
    rows = _cells_to_rows(rng, users, counts, "session")
    median = SESSION_MEDIAN_S * np.sqrt(users.engagement[rows.user])
    duration = np.maximum(np.round(median * rng.lognormal(0.0, 0.8, len(rows.user))), 5)
    return Rows(user=rows.user, ts=rows.ts, event=rows.event, duration=duration)


def _users_doing(rng: np.random.Generator, chance: np.ndarray, extra_per_user: float) -> np.ndarray:
    """Event counts per user-week: whether the user does it at all, then how often."""
    doers = rng.random(chance.shape) < np.clip(chance, 0, 0.95)
    return doers * (1 + rng.poisson(extra_per_user, chance.shape))


def _share_propensity(rng: np.random.Generator, n_weeks: int) -> np.ndarray:
    log_level = _log_ar1(rng, n_weeks, SHARE_NOISE_SD, SHARE_NOISE_PERSISTENCE)
    campaigns = (rng.random(n_weeks) < CAMPAIGN_CHANCE) * rng.uniform(*CAMPAIGN_LIFT, n_weeks)
    dips = (rng.random(n_weeks) < DIP_CHANCE) * rng.uniform(*DIP_DROP, n_weeks)
    return np.exp(log_level + campaigns - dips)


def _feature_usage(
    rng: np.random.Generator, users: Users, exposure: np.ndarray
) -> tuple[list[Rows], np.ndarray]:
    """Feature events, plus the users x weeks matrix of who shared a report."""
    n_weeks = exposure.shape[1]
    engagement = users.engagement[:, None]
    rows = [
        _cells_to_rows(rng, users, rng.poisson(rate * engagement * exposure), event)
        for event, rate in FEATURE_RATES.items()
    ]

    mood = np.exp(_smooth_wave(rng, n_weeks, DASHBOARD_MOOD_SD, DASHBOARD_MOOD_WEEKS))
    views = _users_doing(rng, DASHBOARD_VIEW_CHANCE * engagement * exposure * mood, EXTRA_DASHBOARD_VIEWS)
    rows.append(_cells_to_rows(rng, users, views, "dashboard_viewed"))

    tenure = np.arange(n_weeks)[None, :] - users.signup_week[:, None] + 1
    ramp = np.clip(tenure / SHARE_RAMP_WEEKS, 0, 1)
    share_chance = SHARE_CHANCE * engagement * exposure * ramp * _share_propensity(rng, n_weeks)
    shares = _users_doing(rng, share_chance, EXTRA_SHARES)
    rows.append(_cells_to_rows(rng, users, shares, LEADING_EVENT))
    return rows, shares > 0


def _addon_purchases(
    rng: np.random.Generator, users: Users, sharers: np.ndarray, exposure: np.ndarray
) -> Rows:
    """Add-ons bought LEAD_WEEKS after sharing a report, plus a few bought for no visible reason."""
    later = sharers[:, :-LEAD_WEEKS] & (rng.random(sharers[:, :-LEAD_WEEKS].shape) < ADDON_AFTER_SHARE)
    counts = rng.poisson(ADDON_BASELINE_WEEKLY * exposure)
    counts[:, LEAD_WEEKS:] += later
    rows = _cells_to_rows(rng, users, counts, "purchase")
    amount = rng.choice(ADDON_PRICES, size=len(rows.user), p=_normalised(ADDON_SHARE))
    paying = rows.ts < users.cancel[rows.user]
    return Rows(user=rows.user[paying], ts=rows.ts[paying], event=rows.event[paying], amount=amount[paying])


def _expand_schedule(first: np.ndarray, stop: np.ndarray, every_s: int) -> tuple[np.ndarray, np.ndarray]:
    """User index and time of each occurrence first, first + every, ... strictly before stop."""
    counts = np.where(stop > first, np.ceil((stop - first) / every_s), 0).astype(np.int64)
    user = np.repeat(np.arange(len(first)), counts)
    nth = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    return user, first[user] + nth * every_s


def _plan_at(users: Users, user: np.ndarray, ts: np.ndarray) -> np.ndarray:
    return users.plan[user] + (ts >= users.upgrade[user])


def _subscription_payments(users: Users, horizon_s: int) -> Rows:
    start = users.signup + TRIAL_DAYS * DAY_S
    user, ts = _expand_schedule(start, np.minimum(users.cancel, horizon_s), BILLING_CYCLE_DAYS * DAY_S)
    amount = PLAN_PRICE[_plan_at(users, user, ts)]
    return Rows(user=user, ts=ts, event=_event_codes("subscription_payment", len(user)), amount=amount)


def _nps_responses(rng: np.random.Generator, users: Users, horizon_s: int) -> Rows:
    first = users.signup + NPS_FIRST_DAYS * DAY_S
    user, asked = _expand_schedule(first, np.minimum(users.cancel, horizon_s), NPS_EVERY_DAYS * DAY_S)
    answered = rng.random(len(user)) < NPS_RESPONSE_RATE
    user, asked = user[answered], asked[answered]
    answer_day = asked // DAY_S + rng.integers(0, NPS_ANSWER_WITHIN_DAYS, len(user))
    ts = np.maximum(answer_day * DAY_S + _office_time_of_day(rng, len(user)), asked)
    # Heavy users are the promoters.
    latent = 7.2 + 1.8 * np.log(users.engagement[user]) + rng.normal(0.0, 1.6, len(user))
    score = np.clip(np.round(latent), 0, 10)
    keep = ts < horizon_s
    return Rows(
        user=user[keep], ts=ts[keep], event=_event_codes("nps_response", keep.sum()), nps=score[keep]
    )


def _lifecycle_events(users: Users) -> list[Rows]:
    everyone = np.arange(len(users))
    rows = [Rows(user=everyone, ts=users.signup, event=_event_codes("signup", len(users)))]
    for event, when in (("cancellation", users.cancel), ("upgrade", users.upgrade)):
        who = everyone[np.isfinite(when)]
        rows.append(Rows(user=who, ts=when[who], event=_event_codes(event, len(who))))
    return rows


def _column(batches: list[Rows], name: str) -> np.ndarray:
    parts = [getattr(b, name) for b in batches]
    filled = [np.full(len(b.user), np.nan) if p is None else p for b, p in zip(batches, parts, strict=True)]
    return np.concatenate(filled).astype(float)


def _labels(names: tuple[str, ...], codes: np.ndarray) -> np.ndarray:
    return np.asarray(names, dtype=object)[codes]


def _to_frame(batches: list[Rows], users: Users) -> pd.DataFrame:
    user = np.concatenate([b.user for b in batches]).astype(np.int64)
    ts = np.concatenate([b.ts for b in batches]).astype(np.int64)
    event = np.concatenate([b.event for b in batches]).astype(np.int64)
    order = np.lexsort((event, user, ts))
    user, ts, event = user[order], ts[order], event[order]
    stamps = pd.Timestamp(DEMO_START) + pd.to_timedelta(ts, unit="s")
    frame = pd.DataFrame(
        {
            "user_id": "u" + pd.Series(user + 1).astype(str).str.zfill(5),
            "timestamp": stamps.strftime("%Y-%m-%d %H:%M:%S"),
            "event": _labels(EVENT_ORDER, event),
            "amount": np.round(_column(batches, "amount")[order], 2),
            "duration_s": pd.array(_column(batches, "duration")[order], dtype="Int64"),
            "nps_score": pd.array(_column(batches, "nps")[order], dtype="Int64"),
            "plan": _labels(PLANS, _plan_at(users, user, ts)),
            "platform": _labels(PLATFORMS, users.platform[user]),
            "country": _labels(COUNTRIES, users.country[user]),
        },
        columns=COLUMNS,
    )
    return frame.astype({"timestamp": str, "event": str, "plan": str, "platform": str, "country": str})


def generate_demo(seed: int = 7, n_users: int = 2000, months: int = 18) -> pd.DataFrame:
    """The demo event log, one row per event, sorted by timestamp; the same seed gives the same log."""
    rng = np.random.default_rng(seed)
    n_weeks = n_weeks_for(months)
    horizon_s = n_weeks * WEEK_S
    users = _draw_users(rng, n_users, n_weeks)
    exposure = _exposure(users, n_weeks)
    features, sharers = _feature_usage(rng, users, exposure)
    batches = [
        *_lifecycle_events(users),
        _weekly_sessions(rng, users, exposure),
        *features,
        _addon_purchases(rng, users, sharers, exposure),
        _subscription_payments(users, horizon_s),
        _nps_responses(rng, users, horizon_s),
    ]
    return _to_frame(batches, users)


def write_demo_csv(path: str | Path, seed: int = 7) -> int:
    """Write the demo log as CSV (missing values as empty fields) and return its row count."""
    frame = generate_demo(seed)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, float_format="%.2f", lineterminator="\n")
    return len(frame)
