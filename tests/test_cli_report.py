"""`python -m northstar report`: a locked workshop's decision record as HTML or Markdown; exit 2 otherwise."""

from __future__ import annotations

import pytest

from northstar import tree as mt
from northstar import workshop as ws
from northstar.cli import main
from northstar.ingest.load import load_demo
from northstar.store.core import Store
from tests.test_cli import run

SHORTLIST = [("Active users", "Distinct users with any event in the week."),
             ("Returning users", "Users active this week who were first seen earlier.")]


@pytest.fixture(scope="module")
def decided(tmp_path_factory):
    """The demo with a metric tree and three workshops: locked first, locked last, still open."""
    db = tmp_path_factory.mktemp("report") / "store"
    store = Store(db)
    dataset = load_demo(store)
    mt.save_tree(store, dataset.name, mt.add_node(mt.new_tree("Active users", "Active users"), "nsm",
                                                  "Returning users", team="Growth", metric="Returning users"))
    codes = {}
    for name, chosen in (("Spring NSM", "Returning users"), ("Q3 NSM", "Active users"), ("Open one", None)):
        workshop = ws.create_workshop(store, name, SHORTLIST, "Zq7#pw", dataset=dataset.name)
        code = workshop.code
        ann = ws.join(store, code, "Ann")
        ws.set_scores(store, code, "Ann", "Active users", dict.fromkeys(ws.CRITERION_KEYS, 4),
                      secret=ann.secret)
        ws.set_votes(store, code, "Ann", {"Active users": 3}, secret=ann.secret)
        if chosen:
            ws.lock(store, code, "Zq7#pw", chosen, "", f"{chosen} is what our customers feel.",
                    host=workshop.host_secret, reason="Ann alone voted.")
        codes[name] = code
    store.close()
    return db, codes


def report(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["report", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_html_record_of_the_most_recently_locked_workshop(decided, tmp_path, capsys):
    db, _ = decided
    out = tmp_path / "decision.html"
    code, stdout, stderr = report(capsys, "--db", str(db), "--out", str(out))
    assert code == 0, stderr
    assert stdout == f"Wrote the decision record of 'Q3 NSM' (NSM: Active users) to {out}\n"
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "<h2>Active users</h2>" in html and "Active users is what our customers feel." in html
    # The evidence is the Compare ranking's: among all the demo's candidates, Active users only
    # shares Revenue's trend (its 3-week lead does not survive the correction over every candidate).
    assert "Evidence from the data" in html
    assert "moves with Revenue only in its trend: likely a vanity metric (r = 0.96 on levels)" in html
    # The chart is an inline SVG drawn from the series: no Plotly JS, a small file.
    assert "The North Star over time" in html and "<svg" in html and "plotly" not in html.lower()
    assert len(html.encode()) < 1_500_000
    assert "Metric tree" in html and "Returning users" in html


def test_markdown_record_of_a_named_workshop(decided, tmp_path, capsys):
    db, codes = decided
    out = tmp_path / "decision.md"
    code, _, stderr = report(capsys, "--db", str(db), "--out", str(out),
                             "--workshop", codes["Spring NSM"].lower())
    assert code == 0, stderr
    md = out.read_text(encoding="utf-8")
    assert md.startswith("# North Star Metric decision: Spring NSM\n")
    assert "## Our North Star Metric: Returning users" in md
    assert "| 1 | Active users | 4.0 | 4.0 | 4.0 | 4.0 | 4.0 | 4.0 | 3 | 1 |" in md
    assert "## Evidence from the data" in md
    assert "```mermaid" in md and "**Returning users** · OMTM, Growth" in md


@pytest.mark.parametrize(("args", "message"), [
    (["--out", "decision.pdf"], "Unknown report format '.pdf': Name the output file .html or .md."),
    (["--out", "decision"], "Unknown report format 'decision'"),
    (["--out", "d.html", "--workshop", "ZZZZZZ"], "No workshop with code 'ZZZZZZ'"),
    (["--out", "d.html", "--workshop", "OPEN"], "Workshop 'Open one' is not decided yet"),
])
def test_bad_requests_exit_2_with_one_line(decided, tmp_path, capsys, args, message):
    db, codes = decided
    args = [codes["Open one"] if a == "OPEN" else str(tmp_path / a) if a.startswith("d") else a
            for a in args]
    code, stdout, stderr = report(capsys, "--db", str(db), *args)
    assert code == 2 and stdout == ""
    assert stderr.startswith("northstar: " + message) and stderr.count("\n") == 1
    assert not list(tmp_path.iterdir())


def test_a_store_without_a_locked_workshop_exits_2(tmp_path):
    result = run("report", "--db", str(tmp_path / "empty"), "--out", str(tmp_path / "d.html"))
    assert result.returncode == 2
    assert result.stderr.startswith("northstar: No locked workshop:") and result.stderr.count("\n") == 1
    assert not (tmp_path / "d.html").exists()


def test_a_workshop_without_its_dataset_still_reports_the_decision(tmp_path, capsys):
    db = tmp_path / "store"
    store = Store(db)
    workshop = ws.create_workshop(store, "No data", SHORTLIST, "Zq7#pw")
    ws.lock(store, workshop.code, "Zq7#pw", "Active users", "", "Gut feeling.", host=workshop.host_secret)
    store.close()
    out = tmp_path / "decision.md"
    assert report(capsys, "--db", str(db), "--out", str(out))[0] == 0
    md = out.read_text(encoding="utf-8")
    assert "## Our North Star Metric: Active users" in md and "Evidence" not in md
