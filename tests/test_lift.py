"""User-level lift against hand-computed 2×2 tables."""

from __future__ import annotations

import math

import pytest
from statsmodels.stats.contingency_tables import StratifiedTable

from northstar.analysis.lift import Counts, lift_sentence, user_lift


def test_one_table_by_hand() -> None:
    # 100 users did it, 30 bought; 100 did not, 10 bought. Rates 0.30 and 0.10: lift 3.0.
    # log RR se = √(1/30 − 1/100 + 1/10 − 1/100) = √0.11333 = 0.33665; 3·e^(±1.96·0.33665) = 1.5508, 5.8033.
    lift = user_lift([Counts(30, 70, 10, 90)])
    assert (lift.rate_did, lift.rate_not, lift.lift) == pytest.approx((0.3, 0.1, 3.0))
    assert (lift.low, lift.high) == pytest.approx((1.5508, 5.8033), abs=1e-4)
    assert (lift.ppv, lift.npv) == pytest.approx((0.3, 0.9))
    assert (lift.users_did, lift.users_not) == (100, 100)
    assert lift_sentence(lift, "Share report", "buy", "3 weeks") == (
        "Users who did Share report were 3.0× as likely to buy within 3 weeks as active users who did "
        "not (30% vs 10%; 95% interval 1.6–5.8×).")


def test_strata_of_prior_activity_remove_the_heavy_user_effect() -> None:
    # Heavy users do the behaviour more and buy more, but within each stratum it makes no difference:
    # light users 10 of 100 who did it buy vs 40 of 400 who did not (0.1 both); heavy 50 of 100 vs 5 of 10
    # (0.5 both).
    light, heavy = Counts(10, 90, 40, 360), Counts(50, 50, 5, 5)
    crude = user_lift([Counts(60, 140, 45, 365)])
    assert crude.lift == pytest.approx((60 / 200) / (45 / 410))  # 2.73: looks predictive
    pooled = user_lift([light, heavy])
    # Mantel-Haenszel: Σ a·n0/N / Σ c·n1/N = (10·400/500 + 50·10/110) / (40·100/500 + 5·100/110) = 1.
    assert pooled.lift == pytest.approx(1.0)
    assert pooled.lift == pytest.approx(StratifiedTable([light.table(), heavy.table()]).riskratio_pooled)
    assert pooled.low < 1 < pooled.high
    assert pooled.rate_did == pytest.approx(60 / 200)  # rates and PPV/NPV stay over everyone


def test_too_few_users_say_so() -> None:
    lift = user_lift([Counts(0, 10, 0, 20)])
    assert lift.lift is None and math.isclose(lift.npv, 1.0)
    assert lift_sentence(lift, "X", "buy", "a week").startswith("Too few users")
