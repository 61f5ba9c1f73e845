"""Workshop and Tree pages with AppTest: start, join by link, score, vote, results, PIN, lock; tree edits."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from northstar import workshop as ws
from northstar.store.core import DB_ENV, Store
from northstar.tree.model import load_tree
from northstar.ui.workshop_live import disagreements, score_heatmap
from tests.test_pages import app, loaded


def _cell(mean: str, evidence: str) -> str:
    """A heat-map cell: the room's mean, and beneath it, smaller, the data's evidence score."""
    return f"{mean}<br><span style='font-size:11px'><i>evidence {evidence}</i></span>"

WORKSHOP = "pages/4_Workshop.py"
TREE = "pages/5_Tree.py"
SHORTLIST = [("Active users", "Distinct users with any event in the period."),
             ("Returning users", "Users active in the period who were first seen in an earlier period.")]


@pytest.fixture
def db(tmp_path, monkeypatch):
    path = tmp_path / "app"
    monkeypatch.setenv(DB_ENV, str(path))
    return path


def submit(at: AppTest, form: str, label: str) -> AppTest:
    return at.button(key=f"FormSubmitter:{form}-{label}").click().run()


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


PIN = "Zq7#pw"
HOSTS: dict[str, str] = {}  # code → facilitator secret


def started(db, pin: str = PIN) -> str:
    """A workshop made with the library, as another browser would have made it; its code."""
    store = Store(db)
    try:
        workshop = ws.create_workshop(store, "Q3 NSM", SHORTLIST, pin, dataset="metrics_tiny")
        HOSTS[workshop.code] = workshop.host_secret
        return workshop.code
    finally:
        store.close()


def opened(code: str, name: str | None = None, key: str | None = None, host: str | None = None) -> AppTest:
    """The Workshop page opened from a link: the join link, or a participant's (name and key), or the
    facilitator's (host)."""
    at = app(WORKSHOP)
    at.query_params["workshop"] = code
    for param, value in (("name", name), ("key", key), ("host", host)):
        if value:
            at.query_params[param] = value
    return at.run()


def joined(db, code: str, name: str) -> str:
    """Join with the library (another phone); the participant's key."""
    return in_store(db, lambda s: ws.join(s, code, name).secret)


def lock_controls(at: AppTest) -> list[str]:
    return [t.label for t in at.text_input if "PIN" in t.label] + [
        b.label for b in at.button if b.key == "lock"]


def score(at: AppTest, code: str, name: str, position: int, values: dict[str, int]) -> AppTest:
    for criterion, value in values.items():
        at.segmented_control(key=f"score-{code}-{name.casefold()}-{position}-{criterion}").set_value(value)
    return at.run()


def in_store(db, read):
    store = Store(db)
    try:
        return read(store)
    finally:
        store.close()


def test_facilitator_starts_a_workshop_and_gets_the_join_link(db):
    loaded(db, "metrics_tiny.csv")
    at = app(WORKSHOP).run()
    assert not at.exception
    assert at.title[0].value == ":material/groups: Workshop"
    at.text_input(key="start-name").input("Q3 NSM")
    at.multiselect(key="start-shortlist").select("Active users").select("Returning users")
    at.text_input(key="start-me").input("Fran")
    at.text_input(key="start-pin").input("123456")
    submit(at, "start-workshop", "Start the workshop")
    assert "PIN too weak" in errors(at)[0]
    at.text_input(key="start-pin").input(PIN)
    submit(at, "start-workshop", "Start the workshop")
    assert not at.exception and not errors(at)
    [workshop] = in_store(db, ws.workshops)
    assert workshop.candidates == ("Active users", "Returning users")
    assert workshop.shortlist[0].definition == "Distinct users with any event in the period."
    assert at.query_params["workshop"] == workshop.code, "a reload keeps the facilitator in"
    assert f"?workshop={workshop.code}&lang=en" in [c.value for c in at.code]
    [host_link] = [c.value for c in at.code if "&host=" in c.value]
    assert at.query_params["host"] == host_link.split("&host=")[1]
    assert in_store(db, lambda s: ws.is_host(s, workshop.code, at.query_params["host"]))
    assert f"Share code {workshop.code}" in at.success[0].value
    assert at.get("image"), "the QR code is shown"
    # The facilitator also joined to score, and gets the lock form.
    assert [p.name for p in in_store(db, lambda s: ws.participants(s, workshop.code))] == ["Fran"]
    assert at.button(key="lock").label == "Lock the decision"


def test_a_short_shortlist_is_refused(db):
    loaded(db, "metrics_tiny.csv")
    at = app(WORKSHOP).run()
    at.text_input(key="start-name").input("Q3 NSM")
    at.multiselect(key="start-shortlist").select("Active users")
    at.text_input(key="start-pin").input(PIN)
    submit(at, "start-workshop", "Start the workshop")
    assert "Shortlist at least two candidates" in errors(at)[0]
    assert in_store(db, ws.workshops) == []


def test_participant_joins_by_link_scores_and_votes(db):
    loaded(db, "metrics_tiny.csv")
    code = started(db)
    at = opened(code)
    assert not at.exception
    assert at.subheader[0].value == "Q3 NSM"
    at.text_input(key=f"join-name-{code}").input("Pat")
    submit(at, f"join-{code}", "Join")
    assert not at.exception and at.query_params["name"] == "Pat" and at.query_params["key"]
    assert not lock_controls(at), "participants never see lock controls"
    score(at, code, "Pat", 0, {"critical": 5, "measurable": 4, "long_term": 2})
    assert not at.exception and not errors(at)
    mine = in_store(db, lambda s: ws.my_scores(s, code, "Pat"))
    assert mine == {("Active users", "critical"): 5, ("Active users", "measurable"): 4,
                    ("Active users", "long_term"): 2}
    assert {m.label: m.value for m in at.metric}["Scored"] == "1"
    assert "3 of 5 saved" in " ".join(c.value for c in at.caption)
    # The heat map shows the means: one score each, so the mean is the score.
    heatmap = json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]
    assert heatmap["y"] == ["Active users", "Returning users"]
    # Beneath each mean, the data's evidence score: 4 weeks are too short to test a lead or a trend,
    # but they cover every week and every user (measurable 5), and Active users is one part (5).
    assert heatmap["text"][0] == [_cell("5.0", "–"), _cell("4.0", "5"),
                                  _cell("–", "5"), _cell("–", "–"),
                                  _cell("2.0", "–")]

    at.number_input(key=f"dots-{code}-pat-0").set_value(2)
    at.number_input(key=f"dots-{code}-pat-1").set_value(1)
    submit(at, f"dots-{code}-pat", "Save my dots")
    assert not errors(at)
    assert in_store(db, lambda s: ws.my_votes(s, code, "Pat")) == {"Active users": 2, "Returning users": 1}
    assert "Saved your dots: 3 of 3 placed." in at.success[0].value


def test_a_reload_keeps_the_participant_and_their_scores(db):
    loaded(db, "metrics_tiny.csv")
    code = started(db)
    store = Store(db)
    key = ws.join(store, code, "Pat").secret
    ws.set_scores(store, code, "Pat", "Returning users", {"influenceable": 3}, secret=key)
    store.close()
    at = opened(code, "pat", key)  # any case: the same participant
    assert not at.exception
    assert at.segmented_control(key=f"score-{code}-pat-1-influenceable").value == 3
    assert [p.name for p in in_store(db, lambda s: ws.participants(s, code))] == ["Pat"]


def test_too_many_dots_are_refused(db):
    loaded(db, "metrics_tiny.csv")
    code = started(db)
    at = opened(code, "Pat")
    at.number_input(key=f"dots-{code}-pat-0").set_value(3)
    at.number_input(key=f"dots-{code}-pat-1").set_value(2)
    submit(at, f"dots-{code}-pat", "Save my dots")
    assert "Only 3 dots to spend" in errors(at)[0]
    assert in_store(db, lambda s: ws.my_votes(s, code, "Pat")) == {}


def test_a_taken_name_needs_its_key(db):
    loaded(db, "metrics_tiny.csv")
    code = started(db)
    key = joined(db, code, "Pat")
    at = opened(code, "PAT")  # someone else's link with the name but no key
    assert "The name 'Pat' is taken" in errors(at)[0]
    assert "name" not in at.query_params and not [c for c in at.segmented_control if "score-" in str(c.key)]
    at.text_input(key=f"join-name-{code}").input(" pat\u200b ")
    submit(at, f"join-{code}", "Join")
    assert "The name 'Pat' is taken" in errors(at)[0]
    assert opened(code, "Pat", "wrong-key-123").error
    mine = opened(code, "Pat", key)
    assert not mine.error and mine.segmented_control(key=f"score-{code}-pat-0-critical")


def test_an_unknown_code_says_so_and_offers_the_forms(db):
    loaded(db, "metrics_tiny.csv")
    at = opened("ZZZZZZ")
    assert "No workshop with code 'ZZZZZZ'" in errors(at)[0]
    assert "workshop" not in at.query_params
    assert at.text_input(key="join-code").label == "Workshop code"


def test_wrong_pin_is_refused_then_the_lock_makes_it_read_only(db):
    loaded(db, "metrics_tiny.csv")
    code = started(db)
    store = Store(db)
    key = ws.join(store, code, "Pat").secret
    ws.set_scores(store, code, "Pat", "Active users", dict.fromkeys(ws.CRITERION_KEYS, 4), secret=key)
    store.close()
    assert not app(WORKSHOP).run().dataframe, "the start page lists no workshops (nor their codes)"
    assert not lock_controls(opened(code)), "a visitor sees no lock controls"
    at = opened(code, host=HOSTS[code])
    # The room's leader is proposed: Active users has the only scores.
    assert at.selectbox(key=f"lock-choice-{code}-Active users").value == "Active users"
    at.selectbox(key=f"lock-choice-{code}-Active users").select("Returning users").run()
    assert at.text_area(key=f"lock-definition-{code}-1").value == SHORTLIST[1][1]
    assert any("ranked **Active users** first" in w.value for w in at.warning)
    at.text_area(key=f"lock-rationale-{code}").input("Every team can move it.")
    at.text_input(key=f"lock-pin-{code}").input("0000")
    at.button(key="lock").click().run()
    assert "Wrong PIN" in errors(at)[0]
    assert not in_store(db, lambda s: ws.find_workshop(s, code)).locked
    at.text_input(key=f"lock-pin-{code}").input(PIN)
    at.button(key="lock").click().run()
    assert "Say why not the room's choice" in errors(at)[0]
    at.text_area(key=f"lock-reason-{code}").input("Active users counts bots too.")
    at.button(key="lock").click().run()
    assert not at.exception and not errors(at)
    assert any("Decided: Returning users" in s.value for s in at.success)
    assert [b.label for b in at.get("download_button")] == ["Download (HTML)", "Download (Markdown)"]
    decision = in_store(db, lambda s: ws.find_workshop(s, code).decision)
    assert (decision.version, decision.leader, decision.override_reason) == (
        1, "Active users", "Active users counts bots too.")
    assert in_store(db, lambda s: ws.snapshot_of(s, code))["nsm"] == "Returning users"

    # A participant now sees the decision and read-only inputs, and no reopen form.
    later = opened(code, "Pat", key)
    assert any("Decided: Returning users" in s.value for s in later.success)
    assert later.segmented_control(key=f"score-{code}-pat-0-critical").disabled
    assert later.segmented_control(key=f"score-{code}-pat-0-critical").value == 4
    assert later.number_input(key=f"dots-{code}-pat-0").disabled
    assert not lock_controls(later)

    # The facilitator reopens it; the next lock is version 2.
    at.text_input(key=f"reopen-reason-{code}").input("New data.")
    at.text_input(key=f"reopen-pin-{code}").input(PIN)
    submit(at, f"reopen-{code}", "Reopen scoring")
    assert not errors(at) and not in_store(db, lambda s: ws.find_workshop(s, code)).locked
    assert at.button(key="lock")


def test_heatmap_frames_disagreements_and_says_so(tmp_path):
    store = Store(tmp_path / "s")
    code = ws.create_workshop(store, "W", SHORTLIST, PIN).code
    for name, measurable in (("Ann", 1), ("Bob", 5)):
        key = ws.join(store, code, name).secret
        ws.set_scores(store, code, name, "Returning users", {"measurable": measurable, "critical": 4},
                      secret=key)
    found = ws.results(store, code)
    store.close()
    fig = score_heatmap(found)
    assert list(fig.data[0].text[1][:2]) == ["4.0<br>± 0.0", "3.0<br>± 2.8"]
    [frame] = fig.layout.shapes
    assert (frame.x0 + frame.x1) / 2 == pytest.approx(1) and (frame.y0 + frame.y1) / 2 == pytest.approx(1)
    assert disagreements(found) == ["Scores for 'Measurable' on 'Returning users' range from 1 to 5: "
                                    "worth talking about."]


# -- Tree page ------------------------------------------------------------------------------------
def test_tree_page_builds_nsm_omtm_kpi_and_exports_it(db):
    loaded(db, "metrics_tiny.csv")
    at = app(TREE).run()
    assert not at.exception
    assert at.title[0].value == ":material/account_tree: Metric tree"
    at.selectbox(key="tree-create-metric").select("Active users")
    submit(at, "tree-create", "Create the tree")
    at.text_input(key="omtm-team").input("Growth")
    at.selectbox(key="omtm-metric").select("Returning users")
    submit(at, "tree-add-omtm", "Add the OMTM")
    at.selectbox(key="kpi-metric").select("NPS")
    at.text_input(key="kpi-label").input("Happy customers")
    submit(at, "tree-add-kpi", "Add the KPI")
    assert not at.exception and not errors(at)

    reloaded = app(TREE).run()  # a new session: what it shows comes from the store
    assert [m.label for m in reloaded.metric] == ["Active users", "Returning users", "Happy customers"]
    tree = in_store(db, lambda s: load_tree(s, "metrics_tiny"))
    assert [(n.level, n.label, n.team, n.metric) for n in tree.nodes] == [
        ("nsm", "Active users", None, "Active users"),
        ("omtm", "Returning users", "Growth", "Returning users"), ("kpi", "Happy customers", "Growth", "NPS")]
    mermaid = next(c.value for c in reloaded.code if c.value.startswith("flowchart TD"))
    for label in ("Active users", "Returning users", "Happy customers"):
        assert label in mermaid
    markdown = next(c.value for c in reloaded.code if c.value.startswith("- **Active users**"))
    assert "Happy customers · KPI, Growth" in markdown
    # Four weeks of data: every edge says so rather than guessing.
    assert "not enough data" in mermaid
    dot = reloaded.get("graphviz_chart")[0].proto.spec
    assert "n0 -> n1" in dot and "n1 -> n2" in dot


def test_tree_page_renames_rebinds_and_removes(db):
    loaded(db, "metrics_tiny.csv")
    store = Store(db)
    from northstar import tree as mt
    tree = mt.add_node(mt.new_tree("Active users", "Active users"), "nsm", "Returning users", team="Growth",
                       metric="Returning users")
    mt.save_tree(store, "metrics_tiny", mt.add_node(tree, "omtm-1", "NPS", metric="NPS"))
    store.close()
    at = app(TREE).run()
    at.selectbox(key="edit-node").select("omtm-1").run()
    at.text_input(key="edit-label-omtm-1").input("Weekly returners")
    at.selectbox(key="edit-metric-omtm-1").select("Transactions")
    at.text_input(key="edit-team-omtm-1").input("Retention")
    submit(at, "tree-edit-omtm-1", "Save changes")
    assert not errors(at)
    omtm = in_store(db, lambda s: load_tree(s, "metrics_tiny")).node("omtm-1")
    assert (omtm.label, omtm.metric, omtm.team) == ("Weekly returners", "Transactions", "Retention")
    at.selectbox(key="edit-node").select("omtm-1").run()
    submit(at, "tree-edit-omtm-1", "Remove")
    assert [n.id for n in in_store(db, lambda s: load_tree(s, "metrics_tiny")).nodes] == ["nsm"]
    # A second OMTM for the same team is refused with the reason.
    for team in ("Growth", "growth"):
        at.text_input(key="omtm-team").input(team)
        at.selectbox(key="omtm-metric").select("NPS" if team == "Growth" else "Revenue")
        submit(at, "tree-add-omtm", "Add the OMTM")
    assert "Team 'growth' has two OMTMs" in errors(at)[0]


def test_the_join_link_uses_the_configured_public_url(db, monkeypatch):
    loaded(db, "metrics_tiny.csv")
    monkeypatch.setenv("NORTHSTAR_PUBLIC_URL", "https://nsm.example.org")
    code = started(db)
    at = opened(code, host=HOSTS[code])
    assert not at.exception
    links = [c.value for c in at.code]
    assert f"https://nsm.example.org/Workshop?workshop={code}&lang=en" in links
    assert f"https://nsm.example.org/Workshop?workshop={code}&lang=en&host={HOSTS[code]}" in links
    assert not at.warning  # a configured address is trusted
