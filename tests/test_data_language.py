"""The Data page in Swedish (AppTest): after the demo and after an upload without a money column, no
English left in headings, labels, buttons, notes or the health section; notes follow the reader's
language whatever language the load ran in."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from northstar import i18n
from northstar.i18n import lazy, use_language
from northstar.ingest import ingest_file, load_demo
from northstar.store import DB_ENV, Store
from tests.conftest import ROOT
from tests.test_i18n import _catalog

TIMEOUT = 60
NO_MONEY = (b"user,time,action\nu1,2024-03-01 10:00,open\nu2,2024-03-02 11:00,open\n"
            b"u1,2024-03-08 09:30,share\n")
FIELD = re.compile(r"\{\w+(?:!r)?\}")


def _english_fragments() -> set[str]:
    """Pieces of English that only an untranslated message would show: each translated msgid's
    text between its fields, 12+ characters, not also in its Swedish translation."""
    pieces = set()
    for entry in _catalog():
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        swedish = " ".join(strings)
        for english in ids:
            for piece in FIELD.split(english or ""):
                piece = piece.strip(" .,:;()*")
                if len(piece) >= 12 and piece not in swedish:
                    pieces.add(piece)
    return pieces


def _shown(at: AppTest) -> list[str]:
    """Every heading, label, button, text, note and message on the page."""
    texts = [*(t.value for t in at.title), *(s.value for s in at.subheader), *(b.label for b in at.button),
             *(m.value for m in at.markdown), *(c.value for c in at.caption),
             *(w.value for w in at.warning), *(i.value for i in at.info), *(e.value for e in at.error),
             *(s.value for s in at.success), *(x.label for x in at.expander), *(m.label for m in at.metric),
             *(w.label for w in (*at.selectbox, *at.text_input, *at.checkbox, *at.number_input))]
    texts += [str(o) for box in at.selectbox for o in box.options]
    texts += [w.placeholder or "" for w in at.text_input]
    return [str(t) for t in texts]


def _english_left(at: AppTest) -> list[str]:
    fragments = _english_fragments()
    return [f"{piece!r} in {text!r}" for text in _shown(at) for piece in fragments if piece in text]


@pytest.fixture
def swedish_demo(tmp_path, monkeypatch):
    path = tmp_path / "app"
    monkeypatch.setenv(DB_ENV, str(path))
    monkeypatch.setenv(i18n.LANG_ENV, "sv")
    with Store(path) as store:  # loaded in English, as `make run` does: the notes are read in Swedish
        load_demo(store)
    return path


def _data_page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    at.switch_page("pages/1_Data.py").run()
    assert not at.exception, at.exception
    return at


def test_the_data_page_of_the_demo_is_swedish(swedish_demo):
    at = _data_page()
    assert at.title[0].value.endswith("Data")
    assert at.subheader[0].value == "Datamängd ”demo”"
    assert [m.label for m in at.metric] == ["Händelser", "Användare", "Första händelse", "Senaste händelse"]
    assert any("Datakvalitet" in m.value for m in at.markdown)
    assert "Så lästes kolumnerna" in [e.label for e in at.expander]
    notes = " ".join(m.value for m in at.markdown)
    assert "tidsstämpel läst från 'timestamp'" in notes, notes
    assert not _english_left(at), _english_left(at)


def test_an_upload_without_money_reads_in_swedish(swedish_demo):
    at = _data_page()
    at.file_uploader(key="upload").set_value(("no_money.csv", NO_MONEY, "text/csv")).run()
    assert not at.exception, at.exception
    captions = " ".join(c.value for c in at.caption)
    assert "ingen beloppskolumn: välj en för att få Intäkter, LTV och Antal transaktioner" in captions
    assert "Välj en kolumn" not in captions  # the placeholder of an empty selectbox, not a note
    assert not _english_left(at), _english_left(at)
    next(b for b in at.button if b.label == "Ladda datamängden").click().run()
    assert not at.exception, at.exception
    assert any(s.value == "Laddade **no_money**: 3 händelser från 2 användare."
               for s in at.success), [s.value for s in at.success]
    assert at.subheader[0].value == "Datamängd ”no_money”"
    notes = " ".join(m.value for m in at.markdown)
    assert "ingen beloppskolumn" in notes and "ingen NPS-kolumn" in notes
    assert not _english_left(at), _english_left(at)


def test_stored_notes_are_read_in_the_readers_language(store, tmp_path):
    path = tmp_path / "skips.csv"
    path.write_text("user_id,timestamp\nu1,2024-01-01\nu2,not a date\nu3,2024-01-03\n", encoding="utf-8")
    with use_language("sv"):  # the language of the load does not matter: the note is kept as a message
        ingest_file(store, path)
    dataset = store.dataset("skips")
    note = next(n for n in dataset.notes if "skipped" in n)
    assert isinstance(note, lazy.Message)
    assert note == "1 row skipped: its timestamp could not be read (e.g. 'not a date')"  # its English
    with use_language("sv"):
        assert str(note) == "1 rad hoppades över: dess tidsstämpel gick inte att läsa (t.ex. 'not a date')"
        assert f"{note}" == str(note)  # an f-string says it in the reader's language too
    assert str(note) == note


def test_a_message_survives_the_store_and_older_plain_notes_stay_as_they_are():
    nested = lazy.gettext("{role} read from {column!r} as {how}", role=lazy.gettext("timestamp"),
                          column="ts", how=lazy.gettext("epoch times in mixed units, each read by its "
                                                        "magnitude ({parts})",
                                                        parts=[lazy.gettext("{n} in seconds", n=1200),
                                                               lazy.gettext("{n} in milliseconds", n=3)]))
    back = lazy.from_json(lazy.to_json(nested))
    assert back == nested == ("timestamp read from 'ts' as epoch times in mixed units, each read by its "
                              "magnitude (1,200 in seconds, 3 in milliseconds)")
    with use_language("sv"):
        assert str(back) == ("tidsstämpel läst från 'ts' som epoktider i blandade enheter, var och en "
                             "läst efter sin storlek (1\xa0200 i sekunder, 3 i millisekunder)")
    assert lazy.from_json("an old note") == "an old note"
    assert not isinstance(lazy.from_json("an old note"), lazy.Message)


def test_the_check_sees_english_when_the_page_is_english(swedish_demo, monkeypatch):
    """The detector above is not blind: the same page in English is full of catalog English."""
    monkeypatch.setenv(i18n.LANG_ENV, "en")
    left = _english_left(_data_page())
    assert any("How the columns were read" in text for text in left), left
    assert any("Other columns kept as properties" in text for text in left), left
