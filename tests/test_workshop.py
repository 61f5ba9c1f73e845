"""Workshop: scoring model, hand-computed aggregation, upserts, validation, PIN and lock, concurrency."""

from __future__ import annotations

import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from northstar import workshop as ws
from northstar.errors import NorthstarError
from northstar.store.core import Store

SHORTLIST = [("Weekly sharers", "Users who shared a report this week"),
             ("Revenue", "Sum of purchases"),
             ("Returning users", "Users active this week and last week")]
# critical, measurable, understandable, influenceable, long_term
SCORES = {
    ("Ann", "Weekly sharers"): (5, 4, 4, 5, 4),
    ("Bob", "Weekly sharers"): (4, 4, 3, 5, 5),
    ("Cy", "Weekly sharers"): (3, 4, 5, 2, 4),
    ("Ann", "Revenue"): (5, 5, 5, 2, 3),
    ("Bob", "Revenue"): (5, 5, 4, 1, 2),
}
VOTES = {"Ann": {"Weekly sharers": 2, "Revenue": 1}, "Bob": {"Revenue": 3},
         "Cy": {"Weekly sharers": 1, "Returning users": 2}}


def _workshop(store, pin: str = "2468"):
    return ws.create_workshop(store, "Q3 NSM", SHORTLIST, pin, dataset="demo")


def _score(store):
    workshop = _workshop(store)
    for name in ("Ann", "Bob", "Cy"):
        ws.join(store, workshop.code, name)
    for (name, candidate), scores in SCORES.items():
        ws.set_scores(store, workshop.code, name, candidate,
                      dict(zip(ws.CRITERION_KEYS, scores, strict=True)))
    for name, dots in VOTES.items():
        ws.set_votes(store, workshop.code, name, dots)
    return workshop


@pytest.fixture
def scored(store):
    """A scored workshop of the test's own, for tests that change it."""
    return _score(store)


@pytest.fixture(scope="module")
def scored_once(tmp_path_factory):
    """(store, workshop) shared by the tests that only read, so the module stays fast."""
    shared = Store(tmp_path_factory.mktemp("shared") / "store")
    yield shared, _score(shared)
    shared.close()


def _count(store, table: str) -> int:
    with store.read() as con:
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_criteria_have_labels_and_help():
    assert ws.CRITERION_KEYS == ("critical", "measurable", "understandable", "influenceable", "long_term")
    assert all(c.label and c.help for c in ws.CRITERIA)


def test_create_and_find_by_code(store):
    workshop = _workshop(store)
    assert len(workshop.code) == 6 and workshop.status == "open" and workshop.decision is None
    assert workshop.candidates == ("Weekly sharers", "Revenue", "Returning users")
    assert ws.find_workshop(store, f" {workshop.code.lower()} ") == workshop
    assert ws.workshops(store) == [workshop]
    assert ws.join_url("http://localhost:8501/workshop", workshop.code) == \
        f"http://localhost:8501/workshop?workshop={workshop.code}"
    with pytest.raises(NorthstarError, match="No workshop with code 'NOPE'"):
        ws.find_workshop(store, "NOPE")


def test_unknown_code_before_any_workshop(store):
    with pytest.raises(NorthstarError, match="No workshop"):
        ws.find_workshop(store, "ABCDEF")
    assert ws.workshops(store) == []


@pytest.mark.parametrize(("name", "shortlist", "pin", "title"), [
    ("", SHORTLIST, "2468", "needs a name"),
    ("Q3", SHORTLIST[:1], "2468", "at least two"),
    ("Q3", [("Revenue", ""), ("revenue ", "")], "2468", "twice"),
    ("Q3", SHORTLIST, "12", "PIN too short"),
])
def test_create_validation(store, name, shortlist, pin, title):
    with pytest.raises(NorthstarError, match=title):
        ws.create_workshop(store, name, shortlist, pin)


def test_rejoin_returns_same_participant(store):
    workshop = _workshop(store)
    first = ws.join(store, workshop.code, "Ann  Lee")
    again = ws.join(store, workshop.code, " ann lee ")
    assert again == first and first.name == "Ann Lee"
    assert [p.name for p in ws.participants(store, workshop.code)] == ["Ann Lee"]
    with pytest.raises(NorthstarError, match="Enter your name"):
        ws.join(store, workshop.code, "   ")


def test_results_by_criterion_hand_computed(scored_once):
    store, scored = scored_once
    found = ws.results(store, scored.code)
    table = found.by_criterion.set_index(["candidate", "criterion"])
    assert len(table) == 15  # every candidate × criterion, scored or not
    sharers = table.loc["Weekly sharers"]
    assert sharers["mean"].tolist() == pytest.approx([4.0, 4.0, 4.0, 4.0, 4.333333], abs=1e-6)
    assert sharers["std"].tolist() == pytest.approx([1.0, 0.0, 1.0, 1.732051, 0.577350], abs=1e-6)
    assert sharers["n"].tolist() == [3, 3, 3, 3, 3]
    # influenceable: 5, 5, 2 → 3 points apart → disagreement; the rest are within 2
    assert sharers["disagreement"].tolist() == [False, False, False, True, False]
    revenue = table.loc["Revenue"]
    assert revenue["mean"].tolist() == pytest.approx([5.0, 5.0, 4.5, 1.5, 2.5])
    assert revenue["std"].tolist() == pytest.approx([0.0, 0.0, 0.707107, 0.707107, 0.707107], abs=1e-6)
    assert revenue["n"].tolist() == [2] * 5
    unscored = table.loc["Returning users"]
    assert unscored["n"].tolist() == [0] * 5 and unscored["mean"].isna().all()
    assert not unscored["disagreement"].any()


def test_results_by_candidate_hand_computed(scored_once):
    store, scored = scored_once
    found = ws.results(store, scored.code)
    rows = found.by_candidate.set_index("candidate")
    # (4 + 4 + 4 + 4 + 13/3) / 5 and (5 + 5 + 4.5 + 1.5 + 2.5) / 5
    assert rows.loc["Weekly sharers", "score"] == pytest.approx(4.066667, abs=1e-6)
    assert rows.loc["Revenue", "score"] == pytest.approx(3.7)
    assert rows["dots"].to_dict() == {"Revenue": 4, "Weekly sharers": 3, "Returning users": 2}
    assert rows["voters"].to_dict() == {"Revenue": 2, "Weekly sharers": 2, "Returning users": 1}
    assert rows["scorers"].to_dict() == {"Revenue": 2, "Weekly sharers": 3, "Returning users": 0}
    assert rows["disagreements"].to_dict() == {"Revenue": 0, "Weekly sharers": 1, "Returning users": 0}
    assert found.ranking == ("Revenue", "Weekly sharers", "Returning users")
    assert found.by_candidate["rank"].tolist() == [1, 2, 3]
    assert found.participants == ("Ann", "Bob", "Cy")
    assert len(found.scores) == 25


def test_equal_dots_rank_by_mean_score(scored, store):
    ws.set_votes(store, scored.code, "bob", {"Revenue": 2})  # Revenue 3 dots, Weekly sharers 3
    assert ws.results(store, scored.code).ranking == ("Weekly sharers", "Revenue", "Returning users")
    assert ws.my_votes(store, scored.code, "BOB") == {"Revenue": 2}


def test_results_of_an_empty_workshop(store):
    workshop = _workshop(store)
    found = ws.results(store, workshop.code)
    assert found.ranking == workshop.candidates
    assert found.by_candidate["dots"].tolist() == [0, 0, 0]
    assert found.by_criterion["n"].sum() == 0 and found.scores.empty


def test_changing_a_score_never_duplicates_it(scored, store):
    before = _count(store, "scores")
    for score in (1, 2, 3, 5):
        ws.set_score(store, scored.code, "ann", "Revenue", "critical", score)
    assert _count(store, "scores") == before == 25
    assert ws.my_scores(store, scored.code, "Ann")[("Revenue", "critical")] == 5
    ws.set_votes(store, scored.code, "Ann", {"Returning users": 3})
    assert _count(store, "votes") == 9  # 3 participants × 3 candidates, zeros included
    assert ws.my_votes(store, scored.code, "Ann") == {"Returning users": 3}


@pytest.mark.parametrize(("call", "title"), [
    (lambda s, c: ws.set_score(s, c, "Ann", "Revenue", "critical", 0), "whole number from 1 to 5"),
    (lambda s, c: ws.set_score(s, c, "Ann", "Revenue", "critical", 6), "whole number from 1 to 5"),
    (lambda s, c: ws.set_score(s, c, "Ann", "Revenue", "critical", 2.5), "whole number"),
    (lambda s, c: ws.set_score(s, c, "Ann", "Revenue", "critical", "4"), "whole number"),
    (lambda s, c: ws.set_score(s, c, "Ann", "Revenue", "critical", True), "whole number"),
    (lambda s, c: ws.set_score(s, c, "Ann", "Revenue", "fun", 3), "Unknown criterion 'fun'"),
    (lambda s, c: ws.set_score(s, c, "Ann", "Churn", "critical", 3), "'Churn' is not on the shortlist"),
    (lambda s, c: ws.set_score(s, c, "Zed", "Revenue", "critical", 3), "'Zed' has not joined"),
    (lambda s, c: ws.set_votes(s, c, "Ann", {"Revenue": 2, "Weekly sharers": 2}), "Only 3 dots"),
    (lambda s, c: ws.set_votes(s, c, "Ann", {"Revenue": -1}), "whole number from 0 to 3"),
    (lambda s, c: ws.set_votes(s, c, "Ann", {"Churn": 1}), "not on the shortlist"),
    (lambda s, c: ws.set_votes(s, c, "Zed", {"Revenue": 1}), "has not joined"),
])
def test_invalid_input_is_rejected_with_a_message(scored_once, call, title):
    store, scored = scored_once
    before = ws.results(store, scored.code).scores
    with pytest.raises(NorthstarError, match=title) as raised:
        call(store, scored.code)
    assert raised.value.detail  # always says what to do
    assert ws.results(store, scored.code).scores.equals(before)


def test_score_accepts_whole_floats(scored, store):
    ws.set_score(store, scored.code, "Cy", "Revenue", "critical", 4.0)
    assert ws.my_scores(store, scored.code, "cy")[("Revenue", "critical")] == 4


def test_wrong_pin_cannot_lock(scored, store):
    assert not ws.verify_pin(store, scored.code, "1357")
    assert ws.verify_pin(store, scored.code, "2468")
    with pytest.raises(NorthstarError, match="Wrong PIN"):
        ws.lock(store, scored.code, "1357", "Revenue", "", "Because.")
    assert not ws.find_workshop(store, scored.code).locked
    ws.set_score(store, scored.code, "Ann", "Revenue", "critical", 4)  # still writable


def test_lock_records_the_decision_and_freezes_scores(scored, store):
    with pytest.raises(NorthstarError, match="not on the shortlist"):
        ws.lock(store, scored.code, "2468", "Churn", "", "Because.")
    with pytest.raises(NorthstarError, match="Say why"):
        ws.lock(store, scored.code, "2468", "Revenue", "", "  ")
    decision = ws.lock(store, scored.code, "2468", "Weekly sharers", "", "It leads revenue by 3 weeks.")
    assert (decision.chosen, decision.definition, decision.rationale) == (
        "Weekly sharers", "Users who shared a report this week", "It leads revenue by 3 weeks.")
    found = ws.find_workshop(store, scored.code)
    assert found.locked and found.decision == decision
    before = ws.results(store, scored.code).scores
    for write in (lambda: ws.set_score(store, scored.code, "Ann", "Revenue", "critical", 1),
                  lambda: ws.set_scores(store, scored.code, "Bob", "Revenue", {"measurable": 1}),
                  lambda: ws.set_votes(store, scored.code, "Cy", {"Revenue": 3})):
        with pytest.raises(NorthstarError, match="Workshop is locked"):
            write()
    assert ws.results(store, scored.code).scores.equals(before)
    with pytest.raises(NorthstarError, match="Workshop is locked"):
        ws.lock(store, scored.code, "2468", "Revenue", "", "Changed our minds.")
    assert ws.join(store, scored.code, "Late Larry").name == "Late Larry"  # can still read results


def test_pin_is_never_stored_in_plain_text(store, tmp_path):
    pin = "pin-8642-secret"
    workshop = _workshop(store, pin)
    with store.read() as con:
        row = con.execute("SELECT * FROM workshops").fetchone()
    assert not any(pin in str(value) for value in row)
    pin_hash = row[4]
    assert pin_hash.startswith("pbkdf2_sha256$") and len(bytes.fromhex(row[5])) == 16
    assert all(pin.encode() not in path.read_bytes() for path in tmp_path.rglob("*") if path.is_file())
    other = _workshop(store, pin)  # same PIN, different salt → different hash
    with store.read() as con:
        assert con.execute("SELECT pin_hash FROM workshops WHERE code = ?",
                           [other.code]).fetchone()[0] != pin_hash
    assert ws.verify_pin(store, workshop.code, pin)


def test_concurrent_score_upserts(store):
    """20 threads × 100 upserts on one Store. Threads t and t+10 act for the same participant and
    both write candidate B (overlapping keys); A is t's alone, C is t+10's alone."""
    workshop = ws.create_workshop(store, "Load", [("A", ""), ("B", ""), ("C", "")], "2468")
    people = [f"P{i}" for i in range(10)]
    for name in people:
        ws.join(store, workshop.code, name)
    keys = {t: [(c, k) for c in (("A", "B") if t < 10 else ("B", "C")) for k in ws.CRITERION_KEYS]
            for t in range(20)}

    def score(t: int, i: int, candidate: str, criterion: str) -> int:
        if i >= 90 and candidate == "B":  # last round on shared keys: both threads agree
            return 1 + (ws.CRITERION_KEYS.index(criterion) + t % 10) % 5
        return 1 + (t * 7 + i) % 5

    start = threading.Barrier(20)

    def work(t: int) -> None:
        start.wait()
        for i in range(100):
            candidate, criterion = keys[t][i % 10]
            ws.set_score(store, workshop.code, people[t % 10], candidate, criterion, score(t, i, candidate,
                                                                                           criterion))

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=20) as pool:
        for future in [pool.submit(work, t) for t in range(20)]:
            future.result()
    elapsed = time.perf_counter() - began
    expected = {}
    for t in range(20):
        for i in range(90, 100):  # each key's last write in that thread
            candidate, criterion = keys[t][i % 10]
            expected[(people[t % 10], candidate, criterion)] = score(t, i, candidate, criterion)
    stored = ws.results(store, workshop.code).scores
    assert len(stored) == len(expected) == 150  # 10 participants × 3 candidates × 5 criteria
    assert {(r.participant, r.candidate, r.criterion): r.score for r in stored.itertuples()} == expected
    print(f"2000 concurrent score upserts in {elapsed:.2f}s ({2000 / elapsed:.0f}/s)")


def test_qr_svg_is_optional(monkeypatch):
    monkeypatch.setitem(sys.modules, "segno", None)  # as if not installed
    assert ws.qr_svg("http://localhost:8501?workshop=ABCDEF") is None


def test_qr_svg():
    pytest.importorskip("segno")
    assert ws.qr_svg(ws.join_url("http://localhost:8501", "abcdef")).startswith("<svg")
