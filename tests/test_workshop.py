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
from northstar.text import name_key

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


PIN = "Zq7#pw"
HOSTS: dict[str, str] = {}          # code → the facilitator's secret
SECRETS: dict[tuple[str, str], str] = {}  # (code, name key) → the participant's secret


def _workshop(store, pin: str = PIN):
    workshop = ws.create_workshop(store, "Q3 NSM", SHORTLIST, pin, dataset="demo")
    HOSTS[workshop.code] = workshop.host_secret
    return workshop


def J(store, code: str, name: str):
    """Join and remember the secret, as the participant's browser does."""
    joined = ws.join(store, code, name, secret=SECRETS.get((code, name_key(name))))
    SECRETS[(code, name_key(name))] = joined.secret
    return joined


def K(code: str, name: str) -> str | None:
    return SECRETS.get((code, name_key(name)))


def H(code: str) -> str:
    return HOSTS[code]


def _score(store):
    workshop = _workshop(store)
    for name in ("Ann", "Bob", "Cy"):
        J(store, workshop.code, name)
    for (name, candidate), scores in SCORES.items():
        ws.set_scores(store, workshop.code, name, candidate,
                      dict(zip(ws.CRITERION_KEYS, scores, strict=True)), secret=K(workshop.code, name))
    for name, dots in VOTES.items():
        ws.set_votes(store, workshop.code, name, dots, secret=K(workshop.code, name))
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
    ("", SHORTLIST, PIN, "needs a name"),
    ("Q3", SHORTLIST[:1], PIN, "at least two"),
    ("Q3", [("Revenue", ""), ("revenue ", "")], PIN, "twice"),
    ("Q3", [("Revenue", ""), ("Reve\u200bnue", "")], PIN, "twice"),
    ("Q3", SHORTLIST, "2468", "PIN too weak"),
    ("Q3", SHORTLIST, "      ", "PIN too weak"),
    ("Q3", SHORTLIST, "111111", "PIN too weak"),
    ("Q3", SHORTLIST, "123456", "PIN too weak"),
    ("Q3", SHORTLIST, "abcdef", "PIN too weak"),
    ("Q3", SHORTLIST, "FEDCBA", "PIN too weak"),
])
def test_create_validation(store, name, shortlist, pin, title):
    with pytest.raises(NorthstarError, match=title):
        ws.create_workshop(store, name, shortlist, pin)


def test_rejoin_returns_same_participant_with_its_secret(store):
    workshop = _workshop(store)
    first = ws.join(store, workshop.code, "Ann  Lee")
    assert first.name == "Ann Lee" and first.secret and len(first.secret) >= 20
    again = ws.join(store, workshop.code, " ann lee ", secret=first.secret)
    assert again == first and again.secret == first.secret
    assert [p.name for p in ws.participants(store, workshop.code)] == ["Ann Lee"]
    with pytest.raises(NorthstarError, match="Enter your name"):
        ws.join(store, workshop.code, "   ")
    with pytest.raises(NorthstarError, match="Enter your name"):
        ws.join(store, workshop.code, "\u200b\u202e")  # nothing visible


@pytest.mark.parametrize("impostor", ["Ann Lee", "  ANN   LEE ", "ann\u200b lee", "Ann Lee\u202e",
                                      "\uff21nn Lee", "ANN LEE\ufeff", "ann\u2066 lee"])
def test_a_taken_name_cannot_be_claimed_without_its_secret(store, impostor):
    workshop = _workshop(store)
    ann = J(store, workshop.code, "Ann Lee")
    with pytest.raises(NorthstarError, match="The name 'Ann Lee' is taken"):
        ws.join(store, workshop.code, impostor)
    with pytest.raises(NorthstarError, match="The name 'Ann Lee' is taken"):
        ws.join(store, workshop.code, impostor, secret="guessed-" + "x" * 14)
    assert ws.join(store, workshop.code, impostor, secret=ann.secret).name == "Ann Lee"
    assert [p.name for p in ws.participants(store, workshop.code)] == ["Ann Lee"]


def test_names_are_normalised_for_uniqueness():
    assert name_key("  ALICE ") == name_key("alice") == name_key("Al\u200bice") == "alice"
    assert name_key("\uff21lice") == "alice"                 # full-width A (NFKC)
    assert name_key("Straße") == name_key("STRASSE")          # case-folding, not lower()
    assert name_key("Ann\u202eeL") == "annel"                 # a right-to-left override is dropped
    assert name_key("Åsa") == name_key("A\u030asa")           # composed or not


def test_only_the_secret_changes_ones_scores(scored, store):
    with pytest.raises(NorthstarError, match="Only 'Ann' can change these scores"):
        ws.set_score(store, scored.code, "Ann", "Revenue", "critical", 1, secret=None)
    with pytest.raises(NorthstarError, match="Only 'Ann' can change"):
        ws.set_score(store, scored.code, "Ann", "Revenue", "critical", 1, secret=K(scored.code, "Bob"))
    with pytest.raises(NorthstarError, match="Only 'Ann' can change"):
        ws.set_votes(store, scored.code, "ANN", {"Revenue": 3}, secret="nope")
    assert ws.my_scores(store, scored.code, "Ann")[("Revenue", "critical")] == 5
    assert ws.my_votes(store, scored.code, "Ann") == {"Weekly sharers": 2, "Revenue": 1}


def test_secrets_are_stored_hashed(scored, store):
    with store.read() as con:
        stored = {h for (h,) in con.execute("SELECT secret_hash FROM participants")}
        hosts = {h for (h,) in con.execute("SELECT host_hash FROM workshops")}
    assert K(scored.code, "Ann") not in stored and len(stored) == 3
    assert H(scored.code) not in hosts and all(len(h) == 64 for h in stored | hosts)
    assert ws.is_host(store, scored.code, H(scored.code))
    assert not ws.is_host(store, scored.code, K(scored.code, "Ann"))
    assert not ws.is_host(store, scored.code, None)


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
    # Revenue 3 dots, Weekly sharers 3
    ws.set_votes(store, scored.code, "bob", {"Revenue": 2}, secret=K(scored.code, "bob"))
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
        ws.set_score(store, scored.code, "ann", "Revenue", "critical", score, secret=K(scored.code, "ann"))
    assert _count(store, "scores") == before == 25
    assert ws.my_scores(store, scored.code, "Ann")[("Revenue", "critical")] == 5
    ws.set_votes(store, scored.code, "Ann", {"Returning users": 3}, secret=K(scored.code, "Ann"))
    assert _count(store, "votes") == 9  # 3 participants × 3 candidates, zeros included
    assert ws.my_votes(store, scored.code, "Ann") == {"Returning users": 3}


@pytest.mark.parametrize(("call", "title"), [
    (lambda s, c: ws.set_score(s, c, "Ann", "Revenue", "critical", 0, secret=K(c, "Ann")),
     "whole number from 1 to 5"),
    (lambda s, c: ws.set_score(s, c, "Ann", "Revenue", "critical", 6, secret=K(c, "Ann")),
     "whole number from 1 to 5"),
    (lambda s, c: ws.set_score(s, c, "Ann", "Revenue", "critical", 2.5, secret=K(c, "Ann")),
     "whole number"),
    (lambda s, c: ws.set_score(s, c, "Ann", "Revenue", "critical", "4", secret=K(c, "Ann")),
     "whole number"),
    (lambda s, c: ws.set_score(s, c, "Ann", "Revenue", "critical", True, secret=K(c, "Ann")),
     "whole number"),
    (lambda s, c: ws.set_score(s, c, "Ann", "Revenue", "fun", 3, secret=K(c, "Ann")),
     "Unknown criterion 'fun'"),
    (lambda s, c: ws.set_score(s, c, "Ann", "Churn", "critical", 3, secret=K(c, "Ann")),
     "'Churn' is not on the shortlist"),
    (lambda s, c: ws.set_score(s, c, "Zed", "Revenue", "critical", 3, secret=K(c, "Zed")),
     "'Zed' has not joined"),
    (lambda s, c: ws.set_votes(s, c, "Ann", {"Revenue": 2, "Weekly sharers": 2}, secret=K(c, "Ann")),
     "Only 3 dots"),
    (lambda s, c: ws.set_votes(s, c, "Ann", {"Revenue": -1}, secret=K(c, "Ann")),
     "whole number from 0 to 3"),
    (lambda s, c: ws.set_votes(s, c, "Ann", {"Churn": 1}, secret=K(c, "Ann")),
     "not on the shortlist"),
    (lambda s, c: ws.set_votes(s, c, "Zed", {"Revenue": 1}, secret=K(c, "Zed")),
     "has not joined"),
])
def test_invalid_input_is_rejected_with_a_message(scored_once, call, title):
    store, scored = scored_once
    before = ws.results(store, scored.code).scores
    with pytest.raises(NorthstarError, match=title) as raised:
        call(store, scored.code)
    assert raised.value.detail  # always says what to do
    assert ws.results(store, scored.code).scores.equals(before)


def test_score_accepts_whole_floats(scored, store):
    ws.set_score(store, scored.code, "Cy", "Revenue", "critical", 4.0, secret=K(scored.code, "Cy"))
    assert ws.my_scores(store, scored.code, "cy")[("Revenue", "critical")] == 4


def test_wrong_pin_cannot_lock(scored, store):
    assert not ws.verify_pin(store, scored.code, "1357")
    assert ws.verify_pin(store, scored.code, PIN)
    with pytest.raises(NorthstarError, match="Wrong PIN"):
        ws.lock(store, scored.code, "1357", "Revenue", "", "Because.", host=H(scored.code))
    with pytest.raises(NorthstarError, match="Only the facilitator"):  # the PIN alone is not enough
        ws.lock(store, scored.code, PIN, "Revenue", "", "Because.", host=None)
    with pytest.raises(NorthstarError, match="Only the facilitator"):
        ws.lock(store, scored.code, PIN, "Revenue", "", "Because.", host=K(scored.code, "Ann"))
    assert not ws.find_workshop(store, scored.code).locked
    ws.set_score(store, scored.code, "Ann", "Revenue", "critical", 4, secret=K(scored.code, "Ann"))


def test_lock_records_the_decision_and_freezes_scores(scored, store):
    with pytest.raises(NorthstarError, match="not on the shortlist"):
        ws.lock(store, scored.code, PIN, "Churn", "", "Because.", host=H(scored.code))
    with pytest.raises(NorthstarError, match="Say why"):
        ws.lock(store, scored.code, PIN, "Revenue", "", "  ", host=H(scored.code))
    # Revenue leads the room (4 dots); another choice needs its reason
    with pytest.raises(NorthstarError, match="Say why not the room's choice"):
        ws.lock(store, scored.code, PIN, "Weekly sharers", "", "It leads revenue.", host=H(scored.code))
    decision = ws.lock(store, scored.code, PIN, "Weekly sharers", "", "It leads revenue by 3 weeks.",
                       host=H(scored.code), reason="Revenue lags; we want a leading metric.")
    assert (decision.chosen, decision.definition, decision.rationale) == (
        "Weekly sharers", "Users who shared a report this week", "It leads revenue by 3 weeks.")
    assert (decision.version, decision.leader, decision.override_reason) == (
        1, "Revenue", "Revenue lags; we want a leading metric.")
    found = ws.find_workshop(store, scored.code)
    assert found.locked and found.decision == decision
    before = ws.results(store, scored.code).scores
    code = scored.code
    for write in (lambda: ws.set_score(store, code, "Ann", "Revenue", "critical", 1, secret=K(code, "Ann")),
                  lambda: ws.set_scores(store, code, "Bob", "Revenue", {"measurable": 1},
                                        secret=K(code, "Bob")),
                  lambda: ws.set_votes(store, code, "Cy", {"Revenue": 3}, secret=K(code, "Cy"))):
        with pytest.raises(NorthstarError, match="Workshop is locked"):
            write()
    assert ws.results(store, scored.code).scores.equals(before)
    with pytest.raises(NorthstarError, match="Workshop is locked"):
        ws.lock(store, scored.code, PIN, "Revenue", "", "Changed our minds.", host=H(scored.code))
    assert ws.join(store, scored.code, "Late Larry").name == "Late Larry"  # can still read results


def test_reopen_and_lock_again_is_a_new_version(scored, store):
    code, host = scored.code, H(scored.code)
    first = ws.lock(store, code, PIN, "Revenue", "", "The room chose it.", host=host)
    assert first.leader == "Revenue" and first.override_reason is None
    with pytest.raises(NorthstarError, match="Only the facilitator"):
        ws.reopen(store, code, PIN, host=K(code, "Ann"))
    with pytest.raises(NorthstarError, match="Wrong PIN"):
        ws.reopen(store, code, "wrong-pin", host=host)
    reopened = ws.reopen(store, code, PIN, host=host, reason="New retention data.")
    assert not reopened.locked and reopened.decision is None and reopened.version == 1
    ws.set_votes(store, code, "Cy", {"Weekly sharers": 3}, secret=K(code, "Cy"))  # writable again
    # Weekly sharers: 2 + 3 = 5 dots, Revenue 4: the leader changed
    second = ws.lock(store, code, PIN, "Weekly sharers", "", "Now the room's choice.", host=host)
    assert (second.version, second.chosen, second.leader) == (2, "Weekly sharers", "Weekly sharers")
    history = ws.decisions(store, code)
    assert [(d.version, d.chosen) for d in history] == [(1, "Revenue"), (2, "Weekly sharers")]
    assert history[0].reopened_at is not None and history[0].reopen_reason == "New retention data."
    assert history[1].reopened_at is None
    assert ws.find_workshop(store, code).decision == second
    fresh = ws.create_workshop(store, "New", SHORTLIST, PIN)
    with pytest.raises(NorthstarError, match="is open"):
        ws.reopen(store, fresh.code, PIN, host=fresh.host_secret)


def test_pin_policy():
    assert ws.pin_problem("Zq7#pw") is None and ws.pin_problem("river-stone") is None
    assert "at least 6" in ws.pin_problem("12345")
    assert "at least 6" in ws.pin_problem("   ab   ")          # the ends do not count
    assert "repeated" in ws.pin_problem("aaaaaa") and "repeated" in ws.pin_problem("AaAaAa")
    for run in ("123456", "234567", "987654", "abcdef", "ABCDEFG", "zyxwvu"):
        assert "run" in ws.pin_problem(run)
    assert ws.pin_problem("123457") is None


def test_wait_grows_after_five_wrong_pins():
    from datetime import timedelta
    assert [ws.wait_after(n) for n in range(5)] == [timedelta(0)] * 5
    assert [ws.wait_after(n) / timedelta(minutes=1) for n in (5, 6, 7, 8)] == [10, 20, 40, 80]
    assert ws.wait_after(40) == timedelta(hours=24)


def test_pin_tries_are_limited_across_store_objects(tmp_path, monkeypatch):
    """Five wrong tries, then even the right PIN waits; the count lives in the store, so another
    process (here: another Store object on the same folder) is limited too."""
    from datetime import datetime, timedelta

    from northstar.workshop import actions

    now = [datetime(2026, 3, 2, 9, 0)]
    monkeypatch.setattr(actions, "utc_now", lambda: now[0])
    first, second = Store(tmp_path / "s"), Store(tmp_path / "s")
    try:
        code = _workshop(first).code
        for _ in range(5):
            assert not ws.verify_pin(first, code, "guess-00")
        with pytest.raises(NorthstarError, match="Too many wrong PINs") as raised:
            ws.verify_pin(second, code, PIN)
        assert "10 minutes" in raised.value.detail
        now[0] += timedelta(minutes=9)
        with pytest.raises(NorthstarError, match="Wait 1 minute"):
            ws.verify_pin(second, code, PIN)
        now[0] += timedelta(minutes=1, seconds=1)
        assert not ws.verify_pin(second, code, "guess-01")  # the 6th wrong one: now 20 minutes
        now[0] += timedelta(minutes=19)
        with pytest.raises(NorthstarError, match="Too many"):
            ws.verify_pin(first, code, PIN)
        now[0] += timedelta(minutes=1, seconds=1)
        assert ws.verify_pin(first, code, PIN)               # right: the count starts again
        assert not ws.verify_pin(first, code, "guess-02")
        assert ws.verify_pin(first, code, PIN)
        with first.read() as con:
            assert con.execute("SELECT count(*), sum(ok) FROM pin_attempts").fetchone() == (9, 2)
    finally:
        first.close()
        second.close()


def test_a_lost_facilitator_link_is_replaced_with_the_pin(scored, store):
    old = H(scored.code)
    with pytest.raises(NorthstarError, match="Wrong PIN"):
        ws.recover_host(store, scored.code, "not-the-pin")
    new = ws.recover_host(store, scored.code, PIN)
    assert new != old and ws.is_host(store, scored.code, new) and not ws.is_host(store, scored.code, old)
    HOSTS[scored.code] = new


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
    workshop = ws.create_workshop(store, "Load", [("A", ""), ("B", ""), ("C", "")], PIN)
    people = [f"P{i}" for i in range(10)]
    for name in people:
        J(store, workshop.code, name)
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
            name = people[t % 10]
            ws.set_score(store, workshop.code, name, candidate, criterion, score(t, i, candidate, criterion),
                         secret=K(workshop.code, name))

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


@pytest.mark.parametrize(("browser", "bind", "configured", "addresses", "url", "warns"), [
    # configured wins, with or without the page's path
    ("http://localhost:8501/Workshop", "localhost", "https://nsm.example.org/", [],
     "https://nsm.example.org/Workshop", False),
    (None, "", "http://10.0.0.5:8501/Workshop", [], "http://10.0.0.5:8501/Workshop", False),
    # the browser already uses a network address: keep it
    ("http://192.168.1.20:8501/Workshop?workshop=X", "", "", ["192.168.1.20"],
     "http://192.168.1.20:8501/Workshop", False),
    # localhost in the browser, the server listens on every interface: this machine's address
    ("http://localhost:8501/Workshop", "0.0.0.0", "", ["192.168.1.20"], "http://192.168.1.20:8501/Workshop",
     False),
    ("http://127.0.0.1:9000/Workshop", "", "", ["10.1.2.3"], "http://10.1.2.3:9000/Workshop", False),
    # only localhost: the link stays, with a warning
    ("http://localhost:8501/Workshop", "localhost", "", ["192.168.1.20"], "http://localhost:8501/Workshop",
     True),
    ("http://[::1]:8501/Workshop", "0.0.0.0", "", [], "http://[::1]:8501/Workshop", True),
])
def test_join_link_uses_an_address_phones_can_open(browser, bind, configured, addresses, url, warns):
    base = ws.join_base(browser, bind, 8501, configured=configured, addresses=addresses)
    assert base.url == url and bool(base.warning) == warns
    if warns:
        assert "HOST=0.0.0.0" in base.warning and "NORTHSTAR_PUBLIC_URL" in base.warning


def test_results_stamp_moves_with_every_change_the_results_show(scored, store):
    """The live results' cache key: the same while nothing changes; new on a join, a changed score
    (same row count), a changed dot, a lock and a reopen; each workshop its own."""
    code, host = scored.code, H(scored.code)
    other = _workshop(store)
    stamps = [ws.results_stamp(store, code)]
    assert ws.results_stamp(store, code) == stamps[0]  # nothing happened: the same key
    assert ws.results_stamp(store, other.code) != stamps[0]
    J(store, code, "Dee")
    stamps.append(ws.results_stamp(store, code))
    ws.set_scores(store, code, "Ann", "Revenue", {"critical": 1}, secret=K(code, "Ann"))  # was 5
    stamps.append(ws.results_stamp(store, code))
    ws.set_votes(store, code, "Bob", {"Revenue": 2}, secret=K(code, "Bob"))  # was 3
    stamps.append(ws.results_stamp(store, code))
    before_other = ws.results_stamp(store, other.code)
    ws.lock(store, code, PIN, "Weekly sharers", "", "Because.", host=host)
    stamps.append(ws.results_stamp(store, code))
    ws.reopen(store, code, PIN, host=host)
    stamps.append(ws.results_stamp(store, code))
    assert len(set(stamps)) == len(stamps)
    assert ws.results_stamp(store, other.code) == before_other  # another workshop's writes: not ours
    assert ws.results_stamp(store, "NOSUCH") == ""
