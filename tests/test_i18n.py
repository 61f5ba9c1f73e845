"""The translation layer: every marked string translated to Swedish, formats per locale, pages in Swedish."""

from __future__ import annotations

import gettext
import re
from datetime import date

import pandas as pd
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from streamlit.testing.v1 import AppTest

from northstar import charts, i18n
from northstar.errors import NorthstarError
from northstar.i18n import LOCALE_DIR, _, ngettext, use_language
from northstar.ingest import ingest_file
from northstar.metrics import MetricSpec, display_name, saved_candidates, spec_from_dict
from northstar.store import DB_ENV, Store
from northstar.wording import format_change, format_value
from northstar.workshop import CRITERIA
from tests.conftest import ROOT, fixture

PO = LOCALE_DIR / "sv" / "LC_MESSAGES" / "northstar.po"
FIELD = re.compile(r"\{(\w+)(?:!r)?\}")


def _marked() -> set[str | tuple[str, ...]]:
    """Every string the code marks for translation, read as `make catalogs` reads it (babel.cfg)."""
    method_map = [("northstar/**.py", "python"), ("pages/**.py", "python"), ("app.py", "python")]
    return {message for _file, _line, message, _comments, _context in
            extract_from_dir(str(ROOT), method_map=method_map) if message}


def _catalog():
    with PO.open("rb") as handle:
        return read_po(handle, locale="sv")


def test_every_marked_string_has_a_swedish_translation():
    catalog = _catalog()
    missing = []
    for message in _marked():
        entry = catalog.get(message if isinstance(message, str) else message[0])
        translated = entry is not None and not entry.fuzzy and (
            all(entry.string) if isinstance(entry.string, tuple) else bool(entry.string))
        if not translated:
            missing.append(message)
    assert not missing, f"no Swedish for {len(missing)} strings (run `make catalogs`, then translate): " \
        f"{sorted(map(str, missing))[:10]}"


def test_translations_keep_every_field_and_the_compiled_catalog_matches():
    compiled = gettext.GNUTranslations((PO.parent / "northstar.mo").open("rb"))
    for entry in _catalog():
        if not entry.id:
            continue
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        for source, text in zip(ids * len(strings), strings, strict=False):
            assert set(FIELD.findall(source)) == set(FIELD.findall(text)), (source, text)
        if isinstance(entry.id, tuple):
            assert compiled.ngettext(entry.id[0], entry.id[1], 5) == entry.string[1], entry.id
        else:
            assert compiled.gettext(entry.id) == entry.string, f"{entry.id!r}: run `make catalogs`"


def test_the_methods_own_swedish_words():
    with use_language("sv"):
        assert _("Active users") == "Antal aktiva användare"
        assert _("MRR") == "Månatlig återkommande intäkt (MRR)"
        assert _("Customer lifetime value") == "Kundens livstidsvärde (LTV)"
        assert ngettext("{n} event", "{n} events", 1) == "1 händelse"


def test_numbers_percentages_and_weeks_per_locale():
    with use_language("sv"):
        assert i18n.number(1234.5, 1) == "1\xa0234,5"
        assert i18n.percent(0.125) == "12,5\xa0%"
        assert i18n.week(date(2026, 3, 18)) == "vecka 12, 2026"
        assert i18n.day(date(2026, 3, 1)) == "1 mars 2026"
        assert format_value(12_345) == "12,3\xa0tn" and format_value(0.452, "retention") == "45,2\xa0%"
        assert format_change(0.5, 0.2, "nps") == "▲ 0,5\xa0poäng"
        assert ngettext("{n} user", "{n} users", 2000) == "2\xa0000 användare"
    assert i18n.number(1234.5, 1) == "1,234.5" and i18n.percent(0.125) == "12.5%"
    assert i18n.week(date(2026, 3, 18)) == "week 12, 2026"


@pytest.mark.parametrize("given, expected", [
    ("sv", "sv"), ("sv-SE", "sv"), ("sv_SE.UTF-8", "sv"), ("en-GB,en;q=0.9", "en"),
    ("de-DE,sv;q=0.8", "sv"), ("fr", None), ("", None), (None, None)])
def test_language_from_browser_and_environment_text(given, expected):
    assert i18n.parse_language(given) == expected


def test_default_language_order(monkeypatch):
    monkeypatch.delenv(i18n.LANG_ENV, raising=False)
    assert i18n.default_language(None, "sv-SE,sv;q=0.9") == "sv"
    assert i18n.default_language("fr-FR") == "en"
    monkeypatch.setenv(i18n.LANG_ENV, "sv")
    assert i18n.default_language("en-US") == "sv"


@pytest.fixture
def swedish_app(tmp_path, monkeypatch):
    path = tmp_path / "app"
    monkeypatch.setenv(DB_ENV, str(path))
    monkeypatch.setenv(i18n.LANG_ENV, "sv")
    with Store(path) as store:
        ingest_file(store, fixture("metrics_tiny.csv"), dataset="tiny")
    return path


def _english_left(at: AppTest) -> list[str]:
    """Headings, labels and buttons that are still the English text of a translated message."""
    translated = {e.id: e.string for e in _catalog() if isinstance(e.id, str) and e.string != e.id}
    shown = [*(t.value for t in at.title), *(s.value for s in at.subheader), *(b.label for b in at.button),
             *(w.label for w in (*at.selectbox, *at.text_input, *at.radio, *at.multiselect))]
    return [text for text in shown if any(text.endswith(english) for english in translated
                                          if len(english) > 3)]


@pytest.mark.parametrize("script, title", [
    (None, ":material/star: Northstar"),
    ("pages/2_Candidates.py", ":material/monitoring: Kandidater"),
    ("pages/5_Tree.py", ":material/account_tree: Måttträd"),
])
def test_pages_render_in_swedish(swedish_app, script, title):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    if script:
        at.switch_page(script).run()
    assert not at.exception
    assert at.title[0].value == title
    assert not _english_left(at), _english_left(at)
    sidebar = " ".join(str(e.value) for e in at.sidebar.caption)
    assert "händelser" in sidebar and "användare" in sidebar


def test_url_language_wins_over_the_environment_and_stays(swedish_app):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.query_params["lang"] = "en"
    at.run()
    assert at.subheader[0].value == "Active dataset: tiny"
    at.switch_page("pages/2_Candidates.py").run()
    assert at.title[0].value == ":material/monitoring: Candidates"


def test_the_switch_changes_the_language_and_keeps_the_page(swedish_app):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    at.switch_page("pages/2_Candidates.py").run()
    assert at.title[0].value.endswith("Kandidater")
    at.sidebar.button_group[0].set_value("en").run()
    assert at.title[0].value.endswith("Candidates")
    assert at.query_params["lang"] == "en"


def test_no_module_that_translates_hides_the_translator():
    """`_` is the translation function wherever it is imported: a `_ = ...` or `for _ in` would
    shadow it (the classic gettext trap) and break the next translated string."""
    import ast

    offenders = []
    for path in [*ROOT.glob("northstar/**/*.py"), *ROOT.glob("pages/*.py"), ROOT / "app.py"]:
        tree = ast.parse(path.read_text())
        imports_it = any(isinstance(n, ast.ImportFrom) and n.module == "northstar.i18n"
                         and any(a.name == "_" for a in n.names) for n in ast.walk(tree))
        if imports_it:
            offenders += [f"{path.relative_to(ROOT)}:{n.lineno}" for n in ast.walk(tree)
                          if isinstance(n, ast.Name) and n.id == "_" and isinstance(n.ctx, ast.Store)]
    assert not offenders


def test_northstars_own_candidate_names_are_translated_and_typed_names_are_not():
    active = MetricSpec("Active users", "active_users", source="default")
    suggested = MetricSpec("Users who did share_report", "active_users", events=("share_report",),
                           source="suggested")
    typed = MetricSpec("Active users", "active_users", source="user")
    renamed = MetricSpec("Sharers", "active_users", events=("share_report",), source="suggested")
    with use_language("sv"):
        assert display_name(active) == "Antal aktiva användare"
        assert display_name(suggested) == "Användare som gjorde share_report"
        assert display_name(typed) == "Active users" and display_name(renamed) == "Sharers"
        assert CRITERIA[0].label != _(CRITERIA[0].label) == "Kritisk för framgång"
        assert [_(c.label) for c in CRITERIA[1:]] == ["Mätbar", "Förståelig", "Påverkbar", "Långsiktig"]
        assert MetricSpec("x", "transactions", events=("buy",)).definition() == \
            "Antal händelser (buy) under perioden."
    assert display_name(suggested) == "Users who did share_report"


def test_candidates_page_shows_default_names_in_swedish(swedish_app):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    at.switch_page("pages/2_Candidates.py").run()
    labels = [e.label for e in at.expander]
    assert any(label.startswith("**Antal aktiva användare**") for label in labels), labels
    assert not any("Active users" in label for label in labels), labels
    with Store(swedish_app) as store:  # what is saved stays the English identifier
        assert "Active users" in [s.name for s in saved_candidates(store, store.dataset("tiny"))]


def test_charts_write_numbers_and_dates_in_the_readers_language():
    frame = pd.DataFrame({"metric": ["Active users"] * 2,
                          "period": pd.to_datetime(["2026-03-02", "2026-03-09"]),
                          "value": [1234.5, 1300.0], "partial": [False, True]})
    with use_language("sv"):
        fig = charts.metric_line(frame, "x")
        assert fig.layout.separators == ",\xa0" and fig.layout.xaxis.tickformat == "%Y-%m-%d"
        assert "%{x|%Y-%m-%d}" in fig.data[0].hovertemplate
        multiples = charts.small_multiples(frame, pd.DataFrame(columns=["metric"]), {})
        assert multiples.data[1].name == "Active users (ofullständig)"
    fig = charts.metric_line(frame, "x")
    assert fig.layout.separators == ".," and fig.layout.xaxis.tickformat is None
    assert "%{x|%d %b %Y}" in fig.data[0].hovertemplate


def test_library_errors_read_in_the_readers_language():
    with use_language("sv"), pytest.raises(NorthstarError) as caught:
        spec_from_dict({"name": "Sharers", "kind": "nope"})
    assert caught.value.one_line().startswith("Ogiltigt mått 'Sharers': kind 'nope' är inte en av: ")
    with pytest.raises(NorthstarError) as caught:
        spec_from_dict({"name": "Sharers", "kind": "nope"})
    assert "is not one of" in caught.value.one_line()


def test_no_literal_message_hides_inside_an_f_string():
    """Babel's extractor does not look inside f-strings on Python 3.11, so `f"**{_('Event catalogue')}**"`
    is shown untranslated while the completeness test above never sees it."""
    import ast

    offenders = []
    for path in [*ROOT.glob("northstar/**/*.py"), *ROOT.glob("pages/*.py"), ROOT / "app.py"]:
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.JoinedStr):
                continue
            offenders += [f"{path.relative_to(ROOT)}:{call.lineno}" for call in ast.walk(node)
                          if isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
                          and call.func.id in {"_", "ngettext", "pgettext", "N_"}
                          and any(isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                                  for arg in call.args)]
    assert not offenders
