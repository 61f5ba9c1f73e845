"""`python -m northstar compare` on a Mixpanel-style export with a planted leading event."""

from __future__ import annotations

import io
import json
import shutil

import numpy as np
import pandas as pd
import pytest

from northstar.cli import main
from tests.test_cli import run

WEEK_S = 7 * 86_400
START = 1_704_067_200  # Monday 1 January 2024 00:00 UTC, in epoch seconds as Mixpanel exports it
LEAD = 2
INVITERS = "Users who did Invite Sent"
VIEWERS = "Users who did Page View"


def write_mixpanel_export(path, users: int = 1_500, weeks: int = 70, lead: int = LEAD, seed: int = 3) -> int:
    """A growing product's Mixpanel export. Each week's random shock raises the share of active users
    who send invites that week, and the share who buy `lead` weeks later, so weekly inviters lead
    weekly Purchase revenue. Page View, Session Start, Search, Settings Changed only follow the number
    of active users: the trend."""
    rng = np.random.default_rng(seed)
    growth = 1 + np.arange(weeks - 4) / 15  # more signups every week
    signup = rng.choice(weeks - 4, size=users, p=growth / growth.sum())
    leaves = signup + 1 + rng.geometric(1 / 40, size=users)
    shock = rng.normal(size=weeks + lead)
    weekly_share = {
        "Page View": np.full(weeks, 0.9), "Session Start": np.full(weeks, 0.7),
        "Search": np.full(weeks, 0.4), "Settings Changed": np.full(weeks, 0.1),
        "Invite Sent": np.clip(0.25 + 0.09 * shock[lead:], 0.02, 0.9),
        "Purchase": np.clip(0.15 + 0.06 * shock[:weeks], 0.01, 0.9),
    }
    active_weeks = [(user, week) for user in range(users)
                    for week in range(signup[user], min(leaves[user], weeks))]
    user_of, week_of = (np.array(column) for column in zip(*active_weeks, strict=True))
    parts = [pd.DataFrame({"user": np.arange(users), "week": signup, "event": "Sign Up"})]
    for event, share in weekly_share.items():
        did = rng.random(len(active_weeks)) < share[week_of]
        parts.append(pd.DataFrame({"user": user_of[did], "week": week_of[did], "event": event}))
    log = pd.concat(parts, ignore_index=True)
    log["time"] = START + log["week"] * WEEK_S + rng.integers(0, WEEK_S, size=len(log))
    log["distinct_id"] = "mp-" + log["user"].astype(str)
    log["$browser"] = np.array(["Chrome", "Safari", "Firefox", "Edge"])[log["user"] % 4]
    prices = rng.choice([9.99, 19.99, 49.0], size=len(log))
    log["price"] = np.where(log["event"] == "Purchase", prices, np.nan)
    log.sort_values("time")[["distinct_id", "time", "event", "$browser", "price"]].to_csv(path, index=False)
    return len(log)


@pytest.fixture(scope="module")
def mixpanel_db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mixpanel")
    export = folder / "mixpanel_export.csv"
    rows = write_mixpanel_export(export)
    db = folder / "store"
    loaded = run("ingest", str(export), "--db", str(db))  # no --map: Mixpanel names are recognised
    assert loaded.returncode == 0, loaded.stderr
    assert f"Loaded mixpanel_export: {rows:,} rows, 1,500 users" in loaded.stdout
    assert "read from 'time' as epoch seconds" in loaded.stdout
    return db


def compare_csv(db, *args: str) -> pd.DataFrame:
    result = run("compare", "--db", str(db), *args)
    assert result.returncode == 0, result.stderr
    return pd.read_csv(io.StringIO(result.stdout))


@pytest.fixture(scope="module")
def ranking(mixpanel_db) -> pd.DataFrame:
    return compare_csv(mixpanel_db, "--outcome", "Revenue")


def test_compare_finds_the_planted_leader_among_saved_and_suggested(ranking):
    assert list(ranking.columns[:7]) == ["metric", "kind", "best_lag", "corr_changes", "corr_levels",
                                         "p_value", "granger_p"]
    assert {"verdict", "source"} <= set(ranking.columns)
    top = ranking.iloc[0]
    assert (top["metric"], top["best_lag"], top["kind"], top["source"]) == (INVITERS, LEAD, "leading",
                                                                              "suggested")
    assert top["verdict"].startswith("leads Revenue by 2 weeks")
    assert VIEWERS not in list(ranking["metric"][:3])
    assert ranking.set_index("metric").loc[VIEWERS, "kind"] != "leading"
    assert ranking.set_index("metric").loc["Users who did Purchase", "kind"] == "part_of_outcome"
    assert {"default", "suggested"} <= set(ranking["source"])  # saved and suggested, ranked together


def test_compare_json_matches_csv(mixpanel_db, ranking):
    result = run("compare", "--db", str(mixpanel_db), "--outcome", "Revenue", "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert rows[0]["metric"] == INVITERS and rows[0]["best_lag"] == LEAD
    assert [r["metric"] for r in rows] == list(ranking["metric"])
    assert any(r["granger_p"] is None for r in rows)  # lag 0: no Granger test, null rather than NaN


def test_compare_with_a_candidates_file_and_its_own_outcome(mixpanel_db, tmp_path, capsys):
    candidates = tmp_path / "candidates.yaml"
    candidates.write_text("""
candidates:
  - {name: Inviters, kind: active_users, events: [Invite Sent]}
  - {name: Viewers, kind: active_users, events: [Page View]}
  - {name: Searchers, kind: active_users, events: [Search]}
  - {name: Sales, kind: revenue, events: [Purchase], role: outcome}
""")
    ranking = compare_csv(mixpanel_db, "--outcome", "Sales", "--candidates", str(candidates),
                          "--max-lag", "6", "--grain", "week")
    assert list(ranking["metric"])[0] == "Inviters" and ranking.iloc[0]["best_lag"] == LEAD
    assert set(ranking["metric"]) == {"Inviters", "Viewers", "Searchers"}  # no suggestions with a file
    # The outcome may also be a saved one (in-process, for speed).
    assert main(["compare", "--db", str(mixpanel_db), "--outcome", "Revenue", "--candidates",
                 str(candidates), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["metric"] == "Inviters"


def test_save_keeps_a_suggestion(tmp_path, mixpanel_db, capsys):
    db = tmp_path / "copy"
    shutil.copytree(mixpanel_db, db)  # leave the shared store as the other tests expect it
    result = run("compare", "--db", str(db), "--outcome", "Revenue", "--save", INVITERS.lower())
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == f"Kept '{INVITERS}' among the saved candidates of mixpanel_export."
    ranking = pd.read_csv(io.StringIO(result.stdout))
    assert ranking.set_index("metric").loc[INVITERS, "saved"]
    metrics = run("metrics", "--db", str(db))
    assert INVITERS in set(pd.read_csv(io.StringIO(metrics.stdout))["metric"])
    assert main(["compare", "--db", str(db), "--outcome", "Revenue", "--save", INVITERS]) == 2
    assert "is already a saved candidate" in capsys.readouterr().err


@pytest.mark.parametrize(("args", "message"), [
    (["--outcome", "Profit"], "Unknown outcome 'Profit': Available outcomes: Revenue, Retention"),
    (["--outcome", "Revenue", "--max-lag", "0"], "Max lag must be a whole number from 1"),
    (["--outcome", "Revenue", "--max-lag", "soon"], "argument --max-lag: invalid int value"),
    (["--outcome", "Revenue", "--grain", "year"], "argument --grain: invalid choice"),
    (["--outcome", "Revenue", "--dataset", "nope"], "No dataset named 'nope'"),
    (["--outcome", "Revenue", "--save", "Users who did Nothing"], "No suggestion named"),
    (["--outcome", "Revenue", "--candidates", "missing.yaml"], "Cannot read candidates file"),
    ([], "the following arguments are required: --outcome"),
])
def test_bad_input_exits_2_with_one_line(mixpanel_db, args, message, capsys):
    # In-process for speed; the subprocess contract is covered by test_save_keeps_a_suggestion.
    assert main(["compare", "--db", str(mixpanel_db), *args]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("northstar: ") and message in lines[0], err


def test_compare_prints_q_values_and_leading_needs_q_below_005(ranking):
    assert list(ranking.columns).index("q_value") == 7  # right after the contract's columns
    leading = ranking[ranking["kind"] == "leading"]
    assert len(leading) and (leading["q_value"] < 0.05).all()
    tested = ranking.dropna(subset=["q_value"])
    assert (tested["q_value"] >= 0).all() and (tested["q_value"] <= 1).all()
    assert ranking.loc[ranking["kind"] == "part_of_outcome", "q_value"].isna().all()


def test_compare_ends_with_the_user_level_lift_columns(ranking, mixpanel_db):
    from northstar.cli import COMPARE_COLUMNS

    assert list(ranking.columns) == [*COMPARE_COLUMNS, "user_lift", "user_lift_low", "user_lift_high"]
    rows = ranking.set_index("metric")
    inviters = rows.loc[INVITERS]
    assert 0 < inviters["user_lift_low"] < inviters["user_lift"] < inviters["user_lift_high"]
    # No lift where it does not apply: no event filter, or the outcome's own events.
    for metric in ("Active users", "Users who did Purchase"):
        assert rows.loc[metric, ["user_lift", "user_lift_low", "user_lift_high"]].isna().all(), metric
    result = run("compare", "--db", str(mixpanel_db), "--outcome", "Revenue", "--format", "json")
    by_metric = {r["metric"]: r for r in json.loads(result.stdout)}
    assert by_metric["Active users"]["user_lift"] is None
    assert by_metric[INVITERS]["user_lift"] == pytest.approx(inviters["user_lift"], rel=1e-6)


def test_compare_json_carries_the_backtest_of_turns(mixpanel_db, capsys):
    assert main(["compare", "--db", str(mixpanel_db), "--outcome", "Revenue", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    for row in rows:
        assert 0 <= row["turns_before"] <= row["turns_total"]
        assert (row["turns_lead"] is None) == (row["turns_before"] == 0)
    assert {"turns_before", "turns_total", "turns_lead"}.isdisjoint(compare_csv(
        mixpanel_db, "--outcome", "Revenue").columns)  # JSON only
