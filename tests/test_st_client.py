"""The websocket participant (benchmarks/st_client.py) against the real app, no browser: join, score, vote."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

from benchmarks.st_client import StSession
from northstar import workshop as ws
from northstar.ingest import load_demo
from northstar.store import Store
from tests.browser import streamlit_server

SHORTLIST = [("Active users", "Distinct users with any event in the period."),
             ("NPS", "Net promoter score of the period's answers.")]
PIN = "room-pin-7"


@pytest.fixture(scope="module")
def room(tmp_path_factory):
    """A server on a store with the demo and one open workshop; yields (url, workshop)."""
    folder = tmp_path_factory.mktemp("st-client")
    with Store(folder / "store") as store:
        load_demo(store)
        workshop = ws.create_workshop(store, "Room", SHORTLIST, PIN, dataset="demo")
    with streamlit_server(folder / "store", folder / "streamlit.log") as url:
        yield url, workshop, folder / "store"


async def _join_and_score(url: str, code: str) -> tuple[list[str], dict[str, str]]:
    async with StSession(url, "Workshop", f"workshop={code}&lang=en", auto_rerun=False) as sam:
        assert sam.has_text("Live results")
        sam.set("Your name", "Sam", kind="text_input")
        await sam.click("Join")
        assert sam.has_text("Your scores"), sam.texts()
        assert "name=Sam" in sam.query and "key=" in sam.query  # the URL now carries Sam's key
        # Second candidate (position 1), criterion "measurable": 4.
        await sam.choose("Measurable", "4", kind="button_group", key=f"score-{code}-sam-1-measurable")
        for i, dots in enumerate((2, 1)):
            sam.set("", dots, kind="number_input", key=f"dots-{code}-sam-{i}")
        await sam.click("Save my dots")
        return sam.texts(), sam.metrics()


def test_one_participant_joins_scores_and_votes_over_the_websocket(room):
    url, workshop, db = room
    # A thread of its own: an earlier browser test in this worker (Playwright's sync API) may have left
    # an event loop set on the main thread, and asyncio.run refuses to start inside one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        texts, metrics = pool.submit(asyncio.run, _join_and_score(url, workshop.code)).result()
    assert any("Saved your dots: 3 of 3 placed." in t for t in texts)
    assert metrics["Joined"] == "1" and metrics["Scored"] == "1"
    with Store(db) as store:
        found = ws.results(store, workshop.code)
        scores = {(r.participant, r.candidate, r.criterion): int(r.score) for r in found.scores.itertuples()}
        assert scores == {("Sam", "NPS", "measurable"): 4}
        assert dict(zip(found.by_candidate["candidate"], found.by_candidate["dots"], strict=True)) == {
            "Active users": 2, "NPS": 1}
