"""A workshop's language: chosen at the start, stored (schema 3 → 4), carried by the join link; the
Workshop page in Swedish."""

from __future__ import annotations

import sqlite3

import pytest

from northstar import report
from northstar import workshop as ws
from northstar.i18n import use_language
from northstar.store import DB_ENV, Store, schema
from tests.test_cli import run
from tests.test_i18n import _english_left
from tests.test_pages import app, loaded
from tests.test_workshop_migration import make_v2_store
from tests.test_workshop_pages import SHORTLIST, submit


def make_v3_store(folder) -> None:
    """A v3 state database as Northstar 0.3 left it (the v2 fixture, migrated by the v3 step only)."""
    make_v2_store(folder)
    con = sqlite3.connect(folder / "state.sqlite")
    schema._v3(con)
    schema.set_version(con, 3)
    con.commit()
    con.close()


def test_a_v3_store_migrates_to_v4_with_nothing_lost(tmp_path):
    folder = tmp_path / "store"
    make_v3_store(folder)
    tables = ("workshops", "shortlist", "participants", "scores", "votes", "decisions", "pin_attempts")
    with sqlite3.connect(folder / "state.sqlite") as before:
        assert "language" not in [c[1] for c in before.execute("PRAGMA table_info(workshops)")]
        kept = {t: sorted(before.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables}
    before.close()
    assert kept["workshops"] and kept["scores"] and kept["decisions"]
    with Store(folder) as store:
        with store.read() as con:
            assert con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("4",)
            for table in tables:
                rows = con.execute(f"SELECT * FROM {table}").fetchall()
                if table == "workshops":  # every v3 column as it was, then the new language: English
                    assert {r[-1] for r in rows} == {"en"}
                    rows = [r[:-1] for r in rows]
                assert sorted(rows, key=repr) == kept[table], table
        assert ws.find_workshop(store, "LOCK22").language == "en"
        assert ws.find_workshop(store, "LOCK22").decision.chosen == "A"
    assert schema.SCHEMA_VERSION == 4


def test_a_workshop_keeps_the_language_it_was_started_in(tmp_path):
    with Store(tmp_path / "store") as store:
        chosen = ws.create_workshop(store, "Q3", SHORTLIST, "Zq7#pw", lang="sv")
        with use_language("sv"):  # default: the facilitator's current language
            current = ws.create_workshop(store, "Q4", SHORTLIST, "Zq7#pw")
        english = ws.create_workshop(store, "Q1", SHORTLIST, "Zq7#pw")
        assert ws.find_workshop(store, chosen.code).language == "sv"
        assert ws.find_workshop(store, current.code).language == "sv"
        assert ws.find_workshop(store, english.code).language == "en"


def test_the_join_link_carries_the_language():
    assert ws.join_url("http://h:8501/Workshop", "ab c12", "sv") == "http://h:8501/Workshop?workshop=ABC12&lang=sv"
    assert ws.join_url("http://h:8501/Workshop", "ABC12") == "http://h:8501/Workshop?workshop=ABC12"
    assert ws.join_url("", "ABC12", "en") == "?workshop=ABC12&lang=en"


PIN = "Zq7#pw"


def _swedish_decision(folder) -> str:
    """A Swedish workshop, scored and locked (its record frozen at lock time); its code."""
    with Store(folder) as store:
        workshop = ws.create_workshop(store, "Q3-beslut", SHORTLIST, PIN, lang="sv")
        ann = ws.join(store, workshop.code, "Ann")
        ws.set_scores(store, workshop.code, "Ann", "Active users", dict.fromkeys(ws.CRITERION_KEYS, 4),
                      secret=ann.secret)
        ws.set_votes(store, workshop.code, "Ann", {"Active users": 3}, secret=ann.secret)
        # The facilitator's browser is in English: the record still follows the workshop's language
        report.lock_and_freeze(store, workshop.code, PIN, "Active users", "Alla aktiva användare.",
                               "Den fångar värdet.", host=workshop.host_secret)
        return workshop.code


def test_a_swedish_workshops_record_is_written_in_swedish(tmp_path):
    code = _swedish_decision(tmp_path / "store")
    with Store(tmp_path / "store") as store:
        frozen = report.frozen_record(store, code)
    assert frozen.language == "sv"
    md, html = report.decision_markdown(frozen), report.decision_html(frozen)
    for text in (md, html):
        assert "Kritisk för framgång" in text and "Långsiktig" in text and "Critical" not in text
    assert md.startswith("# Beslut om North Star Metric: Q3-beslut")
    assert "## Vår North Star Metric: Active users" in md and "## Så fick kandidaterna i urvalet poäng" in md
    assert "**Varför vi valde den:**" in md and "**Deltagare (1):** Ann" in md
    assert "| Plats | Kandidat | Kritisk för framgång | Mätbar |" in md
    assert '<html lang="sv">' in html and "<h3>Varför vi valde den</h3>" in html
    assert "Why we chose it" not in md + html and "How the shortlist scored" not in md + html
    # Asked for in English, the same frozen record renders English labels (the team's text as written)
    english = report.decision_markdown(frozen, lang="en")
    assert english.startswith("# North Star Metric decision: Q3-beslut")
    assert "| Rank | Candidate | Critical | Measurable |" in english and "Den fångar värdet." in english
    assert '<html lang="en">' in report.decision_html(frozen, lang="en")


def test_the_report_command_defaults_to_the_workshops_language(tmp_path):
    code = _swedish_decision(tmp_path / "store")
    default, english = tmp_path / "default.md", tmp_path / "english.html"
    done = run("report", "--db", str(tmp_path / "store"), "--out", str(default), "--workshop", code)
    assert done.returncode == 0, done.stderr
    assert "Kritisk för framgång" in default.read_text() and "Vår North Star Metric" in default.read_text()
    done = run("report", "--db", str(tmp_path / "store"), "--out", str(english), "--lang", "en")
    assert done.returncode == 0, done.stderr
    assert "Our North Star Metric" in english.read_text() and "Kritisk" not in english.read_text()


# -- the Workshop page in Swedish (AppTest) ---------------------------------------------------------
@pytest.fixture
def db(tmp_path, monkeypatch):
    path = tmp_path / "app"
    monkeypatch.setenv(DB_ENV, str(path))
    return path


def _swedish_page(db, code: str | None = None, **params: str):
    """The Workshop page opened from a Swedish link (`?lang=sv`), e.g. a participant's own link."""
    at = app()
    at.query_params["lang"] = "sv"
    at.run().switch_page("pages/4_Workshop.py")
    if code:
        at.query_params["workshop"] = code
    for param, value in params.items():
        at.query_params[param] = value
    return at.run()


def _english(at) -> list[str]:
    """English left on the page, less "North Star Metric": the method's own name, kept in Swedish too
    ("Vår North Star Metric" ends with that English msgid)."""
    return [text for text in _english_left(at) if not text.endswith("North Star Metric")]


def _shown(at) -> str:
    return " ".join(str(e.value) for e in (*at.markdown, *at.caption, *at.success, *at.info))


def test_the_start_form_in_swedish_starts_a_swedish_workshop(db):

    loaded(db, "metrics_tiny.csv")
    at = _swedish_page(db)
    assert not at.exception
    assert at.title[0].value == ":material/groups: Workshop"
    assert not _english(at), _english(at)
    shortlist = at.multiselect(key="start-shortlist")
    assert shortlist.label == "Urval (två eller fler kandidater)"
    assert "Antal aktiva användare" in shortlist.options, shortlist.options  # Northstar's names, translated
    assert at.selectbox(key="start-lang").value == "sv", "default: the facilitator's language"
    at.text_input(key="start-name").input("Q3-beslut")
    shortlist.select("Active users").select("Returning users")
    at.text_input(key="start-pin").input(PIN)
    submit(at, "start-workshop", "Starta workshoppen")  # the submit button's key carries its label
    assert not at.exception and not at.error
    with Store(db) as store:
        [workshop] = ws.workshops(store)
    assert workshop.language == "sv" and workshop.candidates == ("Active users", "Returning users")
    assert f"Dela koden {workshop.code}" in at.success[0].value
    assert f"?workshop={workshop.code}&lang=sv" in [c.value for c in at.code]
    assert not _english(at), _english(at)


def test_a_participant_scores_in_swedish(db):

    loaded(db, "metrics_tiny.csv")
    with Store(db) as store:
        code = ws.create_workshop(store, "Q3-beslut", SHORTLIST, PIN, dataset="metrics_tiny", lang="sv").code
        kim = ws.join(store, code, "Kim")
    at = _swedish_page(db, code, name="Kim", key=kim.secret)
    assert not at.exception
    assert not _english(at), _english(at)
    labels = [g.label for g in at.button_group if g.key and g.key.startswith("score-")]
    assert labels[:5] == ["Kritisk för framgång", "Mätbar", "Förståelig", "Påverkbar", "Långsiktig"]
    shown = _shown(at)
    assert "#### Dina poäng" in shown and "**Antal aktiva användare**" in shown
    assert "Active users" not in shown and "Your scores" not in shown
    assert [m.label for m in at.metric] == ["Anslutna", "Har poängsatt", "Utdelade prickar"]
    assert "Spara mina prickar" in [b.label for b in at.button]


def test_the_locked_banner_in_swedish(db):

    loaded(db, "metrics_tiny.csv")
    with Store(db) as store:
        workshop = ws.create_workshop(store, "Q3-beslut", SHORTLIST, PIN, dataset="metrics_tiny", lang="sv")
        kim = ws.join(store, workshop.code, "Kim")
        ws.set_votes(store, workshop.code, "Kim", {"Active users": 3}, secret=kim.secret)
        report.lock_and_freeze(store, workshop.code, PIN, "Active users", "Alla aktiva.",
                               "Alla kan påverka den.", host=workshop.host_secret)
    at = _swedish_page(db, workshop.code, name="Kim", key=kim.secret)
    assert not at.exception
    assert at.success[0].value.startswith("**Beslutat: Antal aktiva användare** är vår North Star Metric.")
    assert "*Varför:* Alla kan påverka den." in at.success[0].value
    assert "#### Resultat" in _shown(at) and "**Beslutsprotokoll**" in _shown(at)
    assert [e.label for e in at.expander if "poäng" in e.label] == ["Dina poäng och prickar (skrivskyddade)"]
    assert not _english(at), _english(at)
