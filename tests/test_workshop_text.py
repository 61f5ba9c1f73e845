"""People's text is shown as text: one escaping helper, used on every page; CSV cells cannot run."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from northstar import workshop as ws
from northstar.ingest.load import ingest_file
from northstar.metrics import MetricSpec, save_candidate
from northstar.store.core import DB_ENV, Store
from northstar.text import chart_text, csv_cell, csv_safe, markdown_text, visible
from northstar.tree.model import add_node, new_tree, save_tree
from northstar.ui.text import csv_bytes, plain
from tests.conftest import fixture
from tests.test_pages import app

# Each would do something if rendered as Markdown/HTML: fetch an image, place a link, run math, bold.
DATASET = "![d](http://evil.test/d.png) <b>ds</b>"
CANDIDATE = "[Click to re-enter your PIN](http://evil.test) $x$ " + "long" * 80
TEAM = "<img src=http://evil.test/t.png> :red[team]"
WORKSHOP = "**Q3** <script>alert(1)</script>"
PERSON = "![p](http://evil.test/p.png)_x_"
RAW = (DATASET, CANDIDATE, TEAM, WORKSHOP, PERSON)


def test_markdown_text_escapes_what_starts_markup():
    assert markdown_text("![a](http://x) <b>") == r"!\[a\](http\://x) \<b\>"
    assert markdown_text("a\n\n# b  c") == "a # b c"        # one line: no headings, no lists
    assert markdown_text("# b") == r"\# b" and markdown_text("1. x") == r"1\. x"
    assert markdown_text("- x") == r"\- x" and markdown_text("> x") == r"\> x"
    assert markdown_text("$5 :red[x] ~y~ `z` | *a* _b_ &amp;") == \
        r"\$5 \:red\[x\] \~y\~ \`z\` \| \*a\* \_b\_ \&amp;"
    assert markdown_text("see www.evil.test, a@b.c") == r"see www\.evil.test, a\@b.c"
    # Ordinary sentences and names stay readable in the page's source (and in tests that read it).
    sentence = "Åsa's report_shared (3 dots): 1-5, --db."
    assert markdown_text(sentence) == sentence
    assert plain(42) == "42"


def test_chart_text_escapes_plotly_html():
    assert chart_text('<a href="x">y</a> & z') == '&lt;a href="x"&gt;y&lt;/a&gt; &amp; z'


def test_visible_strips_invisible_and_bidi_characters():
    assert visible("Al\u200bice\u202e \u2066 Bob\ufeff") == "Alice Bob"


@pytest.mark.parametrize("cell", ["=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx",
                                  '=HYPERLINK("http://evil.test")'])
def test_formula_cells_get_an_apostrophe(cell):
    assert csv_cell(cell) == "'" + cell


def test_csv_safe_keeps_numbers_and_plain_text():
    frame = pd.DataFrame({"metric": ["=cmd|' /C calc'!A0", "Revenue", "-x"], "value": [-1.5, 2.0, -3.0]},
                         index=pd.Index(["@a", "b", "c"], name="=i"))
    safe = csv_safe(frame)
    assert list(safe["metric"]) == ["'=cmd|' /C calc'!A0", "Revenue", "'-x"]
    assert list(safe["value"]) == [-1.5, 2.0, -3.0]       # negative numbers stay numbers
    assert list(safe.index) == ["'@a", "b", "c"] and safe.index.name == "'=i"
    assert list(frame["metric"])[0].startswith("=")        # the original is not changed
    rows = list(csv.reader(io.StringIO(csv_bytes(frame).decode())))
    assert rows == [["metric", "value"], ["'=cmd|' /C calc'!A0", "-1.5"], ["Revenue", "2.0"],
                    ["'-x", "-3.0"]]


def test_cli_csv_output_neutralises_formula_cells(tmp_path, capsys):
    from northstar.cli import main

    store = Store(tmp_path / "s")
    dataset = ingest_file(store, fixture("metrics_tiny.csv"))
    save_candidate(store, dataset, MetricSpec(name="=HYPERLINK(1)", kind="active_users"))
    store.close()
    try:
        main(["metrics", "--db", str(tmp_path / "s"), "--dataset", dataset.name, "--format", "csv"])
    except SystemExit as stop:
        assert not stop.code
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    names = {row[1] for row in rows[1:]}
    assert "'=HYPERLINK(1)" in names and "=HYPERLINK(1)" not in names


# -- every page, with hostile names everywhere -----------------------------------------------------
@pytest.fixture
def hostile(tmp_path, monkeypatch):
    """A store whose dataset, candidate, team, workshop and participant names are all markup."""
    path = tmp_path / "app"
    monkeypatch.setenv(DB_ENV, str(path))
    store = Store(path)
    try:
        dataset = ingest_file(store, fixture("metrics_tiny.csv"), dataset=DATASET)
        save_candidate(store, dataset, MetricSpec(name=CANDIDATE, kind="active_users"))
        tree = new_tree(CANDIDATE, CANDIDATE)
        tree = add_node(tree, "nsm", TEAM, team=TEAM, metric="Returning users")
        save_tree(store, dataset.name, tree)
        code = ws.create_workshop(store, WORKSHOP, [(CANDIDATE, CANDIDATE), ("Active users", "")],
                                  "Zq7#pw", dataset=dataset.name).code
        joined = ws.join(store, code, PERSON)
        ws.set_scores(store, code, joined.name, CANDIDATE, {"critical": 1}, secret=joined.secret)
        bo = ws.join(store, code, "Bo")
        ws.set_scores(store, code, bo.name, CANDIDATE, {"critical": 5}, secret=bo.secret)
    finally:
        store.close()
    return code, joined


_TEXT_ELEMENTS = {"markdown", "caption", "subheader", "header", "title", "success", "info", "warning",
                  "error", "toast", "exception"}


def shown_texts(at: AppTest) -> Iterator[str]:
    """Everything Streamlit renders as Markdown: text elements' bodies, every label."""
    def walk(node) -> Iterator[str]:
        kind = getattr(node, "type", "")
        label = getattr(node, "label", None)
        if isinstance(label, str):
            yield label
        if kind in _TEXT_ELEMENTS or type(node).__name__ in ("Markdown", "Caption", "Alert", "Toast"):
            value = getattr(node, "value", None)
            if isinstance(value, str):
                yield value
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            for child in children.values():
                yield from walk(child)
    yield from walk(at._tree)


def assert_literal(at: AppTest, expected: tuple[str, ...]) -> None:
    assert not at.exception, at.exception
    texts = list(shown_texts(at))
    for raw in RAW:
        offending = [t for t in texts if raw in t]
        assert not offending, f"{raw!r} shown as Markdown in {offending[:1]}"
    for raw in expected:
        assert any(plain(raw) in t for t in texts), f"{raw!r} is not shown (escaped) on the page"


@pytest.mark.parametrize(("page", "expected"), [
    (None, (DATASET,)),
    ("pages/1_Data.py", (DATASET,)),
    ("pages/2_Candidates.py", (CANDIDATE,)),
    ("pages/3_Compare.py", (CANDIDATE,)),
    ("pages/5_Tree.py", (CANDIDATE, TEAM)),
])
def test_every_page_shows_hostile_names_as_text(hostile, page, expected):
    at = app(page).run()
    if page == "pages/3_Compare.py":  # look closely at the hostile candidate
        [picker] = [s for s in at.selectbox if str(s.key).startswith("compare_candidate")]
        picker.select(CANDIDATE).run()
    assert_literal(at, expected)


def test_workshop_page_shows_hostile_names_as_text(hostile):
    code, joined = hostile
    at = app("pages/4_Workshop.py")
    at.query_params.update({"workshop": code, "name": joined.name, "key": joined.secret})
    at.run()
    assert_literal(at, (WORKSHOP, CANDIDATE, PERSON))
