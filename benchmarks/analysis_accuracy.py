"""Lead analysis accuracy on generated weekly logs with a planted leader, trend-only metrics and noise.

Run from the repository root: .venv/bin/python -m benchmarks.analysis_accuracy [--runs N] [--cli-seeds N]
[--demo-seeds N]. Three kinds of data, each with one planted leader:

- steady: a log length (60-104 weeks), a lag k in 1..6 and a noise level are drawn. Revenue is
  subscriptions (growing with the user base, which wobbles 3% a week) plus add-ons bought k weeks after
  sharing, plus its own noise. Besides the leader: a trend-only metric (views) and three noise series.
- growing: a product whose user base grows from a handful to hundreds of weekly actives, like the
  Mixpanel export of tests/test_cli_compare.py, aggregated. Weekly counts of users doing something and
  revenue from their purchases are binomial draws on the active users, so their changes are noisier as
  they grow. A weekly shock moves the share who invite that week and the share who buy k weeks later;
  six counts (active users, signups, four everyday events) only follow the user base: trend-only.
- daily: 240 days with a weekend dip in every series, inviters leading revenue by 10 days, four
  everyday counts following the user base (tests/test_lead_evidence.py daily_log), max lag 28.
- two leaders: inviters lead revenue by 2 weeks strongly, reviewers by 5 weeks more weakly, invites only
  echo inviters, views follow the user base (tests/test_lead_evidence.py two_leaders).
- null: no leader among 20 candidates (8 counts following a wobbling user base, 6 random walks, 6 slow
  drifts) against revenue: the share of comparisons with any "leading" verdict (goal: at most 5%).
- short: the steady data with 46-59 weeks (46 is the least for max lag 12).
- the CLI test's Mixpanel export itself, ingested and compared as `northstar compare` does (seeds 1..N),
  and the demo log (seeds 1..N).

Prints the figures of this one run; the last line is machine-readable. "false leading" counts trend-only
and noise candidates called leading, per candidate: the test promises at most 5% (alpha) each.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from northstar.analysis import compare, rank_candidates
from northstar.ingest import LEAD_WEEKS, LEADING_EVENT, MONEY_EVENTS, generate_demo, ingest_file
from northstar.store import Store

NOISE_CANDIDATES = ("random_walk", "trend_white", "drift")
# Revenue's own noise: the sd of its week-over-week changes, in units of those of the leader-driven part.
# At 1 the leader's changes explain about half of revenue's; at 3 a tenth.
NOISE_RANGE = (0.5, 3.0)
# Weekly share of active users doing each everyday event: they only follow the user base.
EVERYDAY_SHARES = {"page_views": 0.9, "sessions": 0.7, "searches": 0.4, "settings": 0.1}
GROWING_TREND_ONLY = ("active_users", "signups", *EVERYDAY_SHARES)
PRICES = np.array([9.99, 19.99, 49.0])
CLI_LEADER, CLI_LEAD = "Users who did Invite Sent", 2
# Candidates of the CLI test's export that carry no planted signal. "Events per active user" counts
# invites and purchases among its events, so it carries some and is left out of the false calls.
CLI_TREND_ONLY = (
    "Active users", "Returning users", "Retention (active again next period)", "Users who did Page View",
    "Users who did Sign Up", "Users who did Session Start", "Users who did Search",
    "Users who did Settings Changed",
)


def _tidy(columns: dict[str, np.ndarray]) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    periods = pd.date_range("2024-01-01", periods=n, freq="7D")
    frames = [pd.DataFrame({"period": periods, "metric": k, "value": v}) for k, v in columns.items()]
    return pd.concat(frames, ignore_index=True).assign(partial=False)


def _drift(rng: np.random.Generator, n: int) -> np.ndarray:
    wave = np.convolve(rng.normal(0, 1, n + 16), np.exp(-0.5 * (np.arange(-8, 9) / 2) ** 2), mode="valid")
    return wave / wave.std()


def generated_log(rng: np.random.Generator, n: int, lag: int, noise: float) -> pd.DataFrame:
    """Tidy weekly series: revenue, the leader `shares`, trend-only `views` and three noise candidates."""
    trend = 1000 * (1 + rng.uniform(0.5, 3) * np.arange(n + lag) / n)
    users = trend * np.exp(rng.normal(0, 0.03, n + lag))
    shares = 0.1 * users * np.exp(rng.normal(0, 0.3, n + lag))
    driven = 40 * shares[:n]
    # White noise in levels has changes √2 times its sd.
    revenue = 20 * users[lag:] + driven + rng.normal(0, noise * np.diff(driven).std() / np.sqrt(2), n)
    t = np.arange(n)
    return _tidy({
        "revenue": revenue,
        "shares": shares[lag:],
        "views": 0.5 * trend[lag:] * np.exp(0.1 * _drift(rng, n)),
        "random_walk": 500 + np.cumsum(rng.normal(0, 10, n)),
        "trend_white": 500 + 5 * t + rng.normal(0, 30, n),
        "drift": 500 + 5 * t + 10 * _drift(rng, n),
    })


def growing_log(rng: np.random.Generator, n: int, lag: int, users: int, effect: float) -> pd.DataFrame:
    """Tidy weekly series of a growing product: revenue, the leader `inviters`, six trend-only counts.

    Signups grow linearly, users stay about 40 weeks. `effect` scales the weekly shock's pull on the
    shares who invite and, `lag` weeks later, buy (1 = the CLI test's export).
    """
    growth = 1 + np.arange(n) / 15
    signup = rng.choice(n, size=users, p=growth / growth.sum())
    leaves = np.minimum(signup + 1 + rng.geometric(1 / 40, size=users), n)
    active = np.cumsum(np.bincount(signup, minlength=n + 1) - np.bincount(leaves, minlength=n + 1))[:n]
    shock = rng.normal(size=n + lag)
    invite = np.clip(0.25 + 0.09 * effect * shock[lag:], 0.02, 0.9)
    buy = np.clip(0.15 + 0.06 * effect * shock[:n], 0.01, 0.9)
    columns = {
        "revenue": rng.multinomial(rng.binomial(active, buy), np.full(3, 1 / 3)) @ PRICES,
        "inviters": rng.binomial(active, invite),
        "active_users": active,
        "signups": np.bincount(signup, minlength=n),
    }
    columns |= {name: rng.binomial(active, share) for name, share in EVERYDAY_SHARES.items()}
    return _tidy({name: values.astype(float) for name, values in columns.items()})


def demo_weekly(seed: int) -> pd.DataFrame:
    """Weekly distinct users per event and weekly revenue of the demo log, first and last week partial."""
    log = generate_demo(seed=seed)
    log["period"] = pd.to_datetime(log["timestamp"]).dt.to_period("W-SUN").dt.start_time
    users = log.groupby(["period", "event"])["user_id"].nunique().reset_index(name="value")
    users["metric"] = users.pop("event") + " users"
    money = log[log["event"].isin(MONEY_EVENTS)]
    revenue = money.groupby("period")["amount"].sum().reset_index(name="value").assign(metric="revenue")
    frame = pd.concat([users, revenue], ignore_index=True)
    return frame.assign(partial=frame["period"].isin([frame["period"].min(), frame["period"].max()]))


def steady_runs(rng: np.random.Generator, runs: int) -> pd.DataFrame:
    rows = []
    for _ in range(runs):
        n, lag, noise = int(rng.integers(60, 105)), int(rng.integers(1, 7)), float(rng.uniform(*NOISE_RANGE))
        results = rank_candidates(generated_log(rng, n, lag, noise), "revenue")
        found = {r.metric: r for r in results}
        rows.append({
            "noise": noise,
            "first": results[0].metric == "shares",
            "lag_right": found["shares"].best_lag == lag,
            "leading": found["shares"].kind == "leading",
            **{name: found[name].kind == "leading" for name in ("views", *NOISE_CANDIDATES)},
        })
    return pd.DataFrame(rows)


def growing_runs(rng: np.random.Generator, runs: int) -> pd.DataFrame:
    rows = []
    for _ in range(runs):
        n, lag = int(rng.integers(60, 105)), int(rng.integers(1, 7))
        users, effect = int(rng.integers(800, 3001)), float(rng.uniform(0.5, 1.0))
        results = rank_candidates(growing_log(rng, n, lag, users, effect), "revenue")
        found = {r.metric: r for r in results}
        rows.append({
            "first": results[0].metric == "inviters",
            "lag_right": found["inviters"].best_lag == lag,
            "leading": found["inviters"].kind == "leading",
            **{name: found[name].kind == "leading" for name in GROWING_TREND_ONLY},
        })
    return pd.DataFrame(rows)


def cli_runs(seeds: int) -> tuple[pd.DataFrame, list[str]]:
    """`compare --outcome Revenue` on the CLI test's Mixpanel export, generated with seeds 1..`seeds`."""
    from tests.test_cli_compare import write_mixpanel_export  # the tests' generator, not a library

    rows, calls = [], []
    for seed in range(1, seeds + 1):
        with tempfile.TemporaryDirectory() as folder:
            export = Path(folder) / "mixpanel_export.csv"
            write_mixpanel_export(export, seed=seed)
            store = Store(Path(folder) / "store")
            try:
                results = compare(store, ingest_file(store, export), "Revenue").results
            finally:
                store.close()
        found, top = {r.metric: r for r in results}, results[0]
        rows.append({
            "first": (top.metric, top.best_lag, top.kind) == (CLI_LEADER, CLI_LEAD, "leading"),
            **{name: found[name].kind == "leading" for name in CLI_TREND_ONLY},
        })
        calls += [f"seed {seed}: {name} by {found[name].best_lag} (r = {found[name].corr_changes:.2f}, "
                  f"p = {found[name].p_value:.3f})" for name in CLI_TREND_ONLY if rows[-1][name]]
    return pd.DataFrame(rows), calls


def null_log(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Weekly revenue of a wobbling user base and 20 candidates, none of which leads it."""
    users = 1000 * (1 + np.arange(n) / n) * np.exp(np.cumsum(rng.normal(0, 0.02, n)))
    columns = {"revenue": 20 * users + rng.normal(0, 300, n)}
    columns |= {f"count{i}": rng.uniform(0.05, 0.9) * users * np.exp(rng.normal(0, 0.05, n))
                for i in range(8)}
    columns |= {f"walk{i}": 500 + np.cumsum(rng.normal(0, 10, n)) for i in range(6)}
    columns |= {f"drift{i}": 500 + 5 * np.arange(n) + 10 * _drift(rng, n) for i in range(6)}
    return _tidy(columns)


def daily_runs(runs: int) -> pd.DataFrame:
    from tests.test_lead_evidence import daily_log, tidy  # the tests' generator, not a library

    rows = []
    for seed in range(runs):
        results = rank_candidates(tidy(daily_log(1000 + seed), freq="D"), "revenue", grain="day", max_lag=28)
        top = results[0]
        rows.append({"first_at_lag": (top.metric, top.best_lag, top.kind) == ("inviters", 10, "leading"),
                     "false_leading": sum(r.kind == "leading" for r in results if r.metric != "inviters")})
    return pd.DataFrame(rows)


def two_leader_runs(runs: int) -> pd.DataFrame:
    from tests.test_lead_evidence import tidy, two_leaders

    rows = []
    for seed in range(runs):
        results = rank_candidates(tidy(two_leaders(2000 + seed)), "revenue")
        found = {r.metric: r for r in results}
        rows.append({
            "first": (results[0].metric, results[0].best_lag) == ("inviters", 2),
            "second": (results[1].metric, results[1].best_lag, results[1].kind)
            == ("reviewers", 5, "leading"),
            "second_leading": found["reviewers"].kind == "leading",
            "echo": found["invites"].kind == "echo",
            "views_leading": found["views"].kind == "leading",
        })
    return pd.DataFrame(rows)


def null_runs(rng: np.random.Generator, runs: int) -> pd.DataFrame:
    rows = []
    for _ in range(runs):
        results = rank_candidates(null_log(rng, int(rng.integers(60, 105))), "revenue")
        rows.append({"any_leading": any(r.kind == "leading" for r in results),
                     "leading": sum(r.kind == "leading" for r in results)})
    return pd.DataFrame(rows)


def short_runs(rng: np.random.Generator, runs: int) -> pd.DataFrame:
    rows = []
    for _ in range(runs):
        n, lag, noise = int(rng.integers(46, 60)), int(rng.integers(1, 7)), float(rng.uniform(*NOISE_RANGE))
        results = rank_candidates(generated_log(rng, n, lag, noise), "revenue")
        found = {r.metric: r for r in results}
        rows.append({"first_at_lag": (results[0].metric, results[0].best_lag) == ("shares", lag),
                     "leading": found["shares"].kind == "leading",
                     "false": sum(found[name].kind == "leading" for name in ("views", *NOISE_CANDIDATES))})
    return pd.DataFrame(rows)


def _rate(frame: pd.DataFrame, names: tuple[str, ...]) -> tuple[float, float]:
    """Mean and worst per-candidate rate of leading calls among `names`."""
    if frame.empty:
        return float("nan"), float("nan")
    per_candidate = frame[list(names)].mean()
    return float(per_candidate.mean()), float(per_candidate.max())


def evidence_only(rng: np.random.Generator, names: list[str], k: int) -> None:
    """Only the named evidence scenarios, `k` runs each: a quick check of one change to the statistics."""
    unknown = set(names) - {"daily", "two", "null", "short"}
    if unknown:
        raise SystemExit(f"unknown scenarios: {', '.join(sorted(unknown))} (use daily, two, null, short)")
    started = time.perf_counter()
    if "daily" in names:
        daily = daily_runs(k)
        print(f"daily, weekday cycle, {k} logs: 10-day leader first at its lag "
              f"{daily['first_at_lag'].mean():.2f}; other candidates called leading per comparison "
              f"{daily['false_leading'].mean():.2f}")
    if "two" in names:
        two = two_leader_runs(k)
        print(f"two leaders, {k} logs: strong first {two['first'].mean():.2f}; weaker second leader leading "
              f"and ranked second {two['second'].mean():.2f} (leading anywhere "
              f"{two['second_leading'].mean():.2f}); echo labelled echo {two['echo'].mean():.2f}")
    if "null" in names:
        null = null_runs(rng, k)
        print(f"null, 20 candidates, {k} comparisons: with any leading verdict "
              f"{null['any_leading'].mean():.3f} (goal <= 0.05); per comparison {null['leading'].mean():.3f}")
    if "short" in names:
        short = short_runs(rng, k)
        print(f"short, 46-59 weeks, {k} logs: leader first at its lag {short['first_at_lag'].mean():.2f}, "
              f"called leading {short['leading'].mean():.2f}; "
              f"false per comparison {short['false'].mean():.2f}")
    print(f"({time.perf_counter() - started:.1f} s)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--cli-seeds", type=int, default=10)
    parser.add_argument("--demo-seeds", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--evidence-runs", type=int, default=40,
                        help="runs of each of the daily, two-leader, null and short scenarios")
    parser.add_argument("--scenarios", default="",
                        help="comma-separated subset of daily,two,null,short to run alone (with --runs "
                             "runs each), skipping the steady, growing, CLI and demo scenarios")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    if args.scenarios:
        evidence_only(rng, [name.strip() for name in args.scenarios.split(",") if name.strip()], args.runs)
        return
    started = time.perf_counter()
    runs = steady_runs(rng, args.runs)
    growing = growing_runs(rng, args.runs)
    generated_s = time.perf_counter() - started
    noise_rate, noise_worst = _rate(runs, NOISE_CANDIDATES)
    views_rate, _ = _rate(runs, ("views",))
    trend_rate, trend_worst = _rate(growing, GROWING_TREND_ONLY)

    print(f"steady: {len(runs)} generated logs, 60-104 weeks, lag 1-6, revenue's own changes "
          f"{NOISE_RANGE[0]}-{NOISE_RANGE[1]} x the leader-driven ones ({generated_s:.1f} s with growing)")
    first_at_lag = (runs["first"] & runs["lag_right"]).mean()
    print(f"leader ranked first: {runs['first'].mean():.2f}; its lag right: {runs['lag_right'].mean():.2f}; "
          f"both: {first_at_lag:.2f}; called leading: {runs['leading'].mean():.2f}")
    for label, part in runs.groupby(pd.cut(runs["noise"], [0.5, 1.5, 2.25, 3.0]), observed=True):
        print(f"  noise {label}: {len(part)} runs, first {part['first'].mean():.2f}, "
              f"lag right {part['lag_right'].mean():.2f}, called leading {part['leading'].mean():.2f}")
    print(f"noise candidates called leading: {runs[list(NOISE_CANDIDATES)].to_numpy().sum()} of "
          f"{runs[list(NOISE_CANDIDATES)].size} ({noise_rate:.3f}; worst candidate {noise_worst:.3f})")
    print(f"trend-only views called leading: {views_rate:.3f}")

    growing_first = (growing["first"] & growing["lag_right"]).mean()
    print(f"growing: {len(growing)} logs, 800-3,000 users; leader first at its lag: {growing_first:.2f}, "
          f"called leading: {growing['leading'].mean():.2f}")
    print(f"trend-only counts called leading: {growing[list(GROWING_TREND_ONLY)].to_numpy().sum()} of "
          f"{growing[list(GROWING_TREND_ONLY)].size} ({trend_rate:.3f}; worst candidate {trend_worst:.3f}: "
          + ", ".join(f"{name} {rate:.2f}" for name, rate in growing[list(GROWING_TREND_ONLY)].mean().items())
          + ")")

    cli, calls = cli_runs(args.cli_seeds)
    cli_rate, cli_worst = _rate(cli, CLI_TREND_ONLY)
    cli_first = cli["first"].mean() if len(cli) else float("nan")
    if len(cli):
        print(f"CLI test export, seeds 1-{args.cli_seeds}: {CLI_LEADER} first, leading by {CLI_LEAD} weeks "
              f"in {int(cli['first'].sum())}; unrelated candidates called leading: "
              f"{cli[list(CLI_TREND_ONLY)].to_numpy().sum()} of {cli[list(CLI_TREND_ONLY)].size}")
        for call in calls:
            print(f"  {call}")

    demo_hits = demo_others = 0
    for seed in range(1, args.demo_seeds + 1):
        results = rank_candidates(
            demo_weekly(seed), "revenue", part_of_outcome=[f"{event} users" for event in MONEY_EVENTS]
        )
        leader = results[0]
        demo_hits += (leader.metric, leader.best_lag, leader.kind) == (f"{LEADING_EVENT} users", LEAD_WEEKS,
                                                                       "leading")
        demo_others += sum(r.kind == "leading" for r in results[1:])
    demo_rate = demo_hits / args.demo_seeds if args.demo_seeds else float("nan")

    k = args.evidence_runs
    daily, two, null, short = (daily_runs(k), two_leader_runs(k), null_runs(rng, k), short_runs(rng, k))
    print(f"daily, weekday cycle, {k} logs: 10-day leader first at its lag "
          f"{daily['first_at_lag'].mean():.2f}; "
          f"other candidates called leading per comparison {daily['false_leading'].mean():.2f}")
    print(f"two leaders, {k} logs: strong first {two['first'].mean():.2f}; weaker second leader leading and "
          f"ranked second {two['second'].mean():.2f} (leading anywhere {two['second_leading'].mean():.2f}); "
          f"echo labelled echo {two['echo'].mean():.2f}; "
          f"trend-only views leading {two['views_leading'].mean():.2f}")
    print(f"null, 20 candidates, {k} comparisons: with any leading verdict {null['any_leading'].mean():.3f} "
          f"(goal <= 0.05); leading verdicts per comparison {null['leading'].mean():.3f}")
    print(f"short, 46-59 weeks, {k} logs: leader first at its lag {short['first_at_lag'].mean():.2f}, called "
          f"leading {short['leading'].mean():.2f}; false leading per comparison {short['false'].mean():.2f}")
    print(f"demo seeds 1-{args.demo_seeds}: {LEADING_EVENT} first, leading by {LEAD_WEEKS} weeks in "
          f"{demo_hits}; other candidates called leading: {demo_others}")
    print(f"runs={len(runs)} leader_first={runs['first'].mean():.2f} "
          f"lag_right={runs['lag_right'].mean():.2f} first_at_lag={first_at_lag:.2f} "
          f"leader_leading={runs['leading'].mean():.2f} "
          f"growing_first_at_lag={growing_first:.2f} growing_leading={growing['leading'].mean():.2f} "
          f"false_leading_noise={noise_rate:.3f} false_leading_trend={trend_rate:.3f} "
          f"false_leading_trend_worst={trend_worst:.3f} views_leading={views_rate:.3f} "
          f"cli_first={cli_first:.2f} cli_false_leading={cli_rate:.3f} cli_false_worst={cli_worst:.3f} "
          f"demo_first={demo_rate:.2f} demo_other_leading={demo_others / max(args.demo_seeds, 1):.2f} "
          f"daily_first_at_lag={daily['first_at_lag'].mean():.2f} "
          f"daily_false_per_comparison={daily['false_leading'].mean():.2f} "
          f"two_second={two['second'].mean():.2f} two_echo={two['echo'].mean():.2f} "
          f"null_any_leading={null['any_leading'].mean():.3f} "
          f"short_first_at_lag={short['first_at_lag'].mean():.2f} "
          f"short_leading={short['leading'].mean():.2f} short_false={short['false'].mean():.2f}")


if __name__ == "__main__":
    main()
