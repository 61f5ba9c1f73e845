"""A room of phones against the real app: N participants join, score and vote while the facilitator watches.

Starts `streamlit run app.py` on a store with the demo and an open workshop. Each participant opens
the join link, joins by name, sets the five criteria of every shortlisted candidate (each click saves)
and saves 3 dots; they arrive `--arrival-s` apart (3 s: a room of 20 is in within a minute), then all
work at once. Two drivers:

- `--driver ws` (the default): every participant and the facilitator is a real Streamlit session over
  the app's own websocket (benchmarks/st_client.py), with the live results refreshing by themselves as
  in a browser tab (so 21 sessions each re-run the results every 3 s); a participant takes `--think-s`
  between two clicks. The facilitator's page "shows" a change when the server sends it the delta with
  the new count (what a browser would then paint).
- `--driver browser`: one Chromium, a context per phone, driven with Playwright's async API: as a room
  of real phones, but a renderer per participant is more than 2 cores can carry.

Latency is what the room feels: from a participant's click until the facilitator's page, which
nobody touches, shows it. The facilitator's page shows counts, so the events it can attribute are each
participant's join ("Joined"), first saved score ("Scored"), first score of each candidate (its
"scored by N" in the ranking; ws driver) and dots ("Dots placed"): the k-th time a count goes up is
matched to the k-th such click. At the end the store is compared with every click: lost = writes not
in the store + events the facilitator's page never showed.
Last line: `participants=N writes=N lost=N p95_ms=N` (goal: 20 participants, 0 lost, p95 < 3000).

    .venv/bin/python -m benchmarks.workshop_room [--participants 20] [--driver ws|browser] [--think-s 1]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from playwright.async_api import Page, async_playwright, expect

from benchmarks.st_client import Element, ScriptError, StSession
from northstar import workshop as ws
from northstar.ingest import load_demo
from northstar.store import Store
from tests.browser import CHROMIUM_ARGS, chromium_path, streamlit_server

SHORTLIST = [("Active users", "Distinct users with any event in the period."),
             ("Returning users", "Users active in the period who were first seen in an earlier period."),
             ("NPS", "Net promoter score of the period's answers.")]
PIN = "room-pin-7"
WAIT_MS = 120_000
PHONE = {"width": 390, "height": 844}
POLL_S = 0.1
# Every page is someone's phone in front of them: none may be throttled as a background tab would be.
FOREGROUND_ARGS = ["--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                   "--disable-backgrounding-occluded-windows"]


@dataclass
class Clicks:
    """When each observable event was clicked (monotonic seconds), and what every click meant."""

    joins: list[float] = field(default_factory=list)
    first_scores: list[float] = field(default_factory=list)
    dots: list[float] = field(default_factory=list)
    scores: dict[tuple[str, str, str], int] = field(default_factory=dict)  # (name, candidate, criterion)
    votes: dict[tuple[str, str], int] = field(default_factory=dict)
    click_ms: list[float] = field(default_factory=list)  # click → the participant's own page confirms
    failures: list[str] = field(default_factory=list)
    candidate_firsts: dict[str, list[float]] = field(default_factory=dict)  # first score per candidate


def score_of(person: int, candidate: int, criterion: int) -> int:
    return 1 + (person + 2 * candidate + criterion) % 5


def dots_of(person: int) -> dict[str, int]:
    first, second = SHORTLIST[person % 3][0], SHORTLIST[(person + 1) % 3][0]
    return {first: 2, second: 1}


async def participant(page: Page, link: str, code: str, person: int, clicks: Clicks,
                      arrival_s: float) -> None:
    name = f"P{person:02d}"
    await asyncio.sleep(person * arrival_s)  # people arrive over a minute or so, not all in one instant
    try:
        await page.goto(link)
        await page.get_by_role("textbox", name="Your name").fill(name)
        clicks.joins.append(time.monotonic())
        await page.get_by_role("button", name="Join").click()
        await expect(page.get_by_text("Your scores", exact=True)).to_be_visible(timeout=WAIT_MS)
        for c, (candidate, _) in enumerate(SHORTLIST):
            for k, criterion in enumerate(ws.CRITERION_KEYS):
                value = score_of(person, c, k)
                group = page.locator(f".st-key-score-{code}-{name.casefold()}-{c}-{criterion}")
                await expect(group).to_have_count(1, timeout=WAIT_MS)
                radio = group.get_by_role("radio", name=str(value), exact=True)
                began = time.monotonic()
                if c == 0 and k == 0:
                    clicks.first_scores.append(began)
                await radio.click()
                await expect(radio.first).to_be_checked(timeout=WAIT_MS)
                clicks.click_ms.append((time.monotonic() - began) * 1000)
                clicks.scores[(name, candidate, criterion)] = value
        for i, (candidate, _) in enumerate(SHORTLIST):
            box = page.locator(f".st-key-dots-{code}-{name.casefold()}-{i}").get_by_role("spinbutton")
            await box.fill(str(dots_of(person).get(candidate, 0)))
        clicks.dots.append(time.monotonic())
        await page.get_by_role("button", name="Save my dots").click()
        await expect(page.get_by_text("Saved your dots").first).to_be_visible(timeout=WAIT_MS)
        for candidate, dots in dots_of(person).items():
            clicks.votes[(name, candidate)] = dots
    except Exception as err:  # noqa: BLE001 - a benchmark reports every failure, then goes on
        clicks.failures.append(f"{name}: {type(err).__name__}: {str(err).splitlines()[0]}")


COUNTS = ("Joined", "Scored", "Dots placed")


async def watch(page: Page, done: asyncio.Event, seen: dict[str, list[tuple[float, int]]]) -> None:
    """Append (time, value) to `seen` each time one of the facilitator page's counts changes."""
    last: dict[str, int] = {}
    while not done.is_set():
        values = await page.evaluate("""() => Object.fromEntries([...document.querySelectorAll(
            '[data-testid="stMetric"]')].map(m => [m.querySelector('[data-testid="stMetricLabel"]')
            ?.innerText.trim(), m.querySelector('[data-testid="stMetricValue"]')?.innerText.trim()]))""")
        now = time.monotonic()
        for label in seen:
            text = str(values.get(label) or "").split(" of ")[0]
            if text.isdigit() and int(text) != last.get(label):
                last[label] = int(text)
                seen[label].append((now, int(text)))
        await asyncio.sleep(POLL_S)


def latencies(clicks: list[float], changes: list[tuple[float, int]], step: int = 1) -> list[float]:
    """ms from the k-th click to the first time the count reached k × step."""
    out = []
    for k, clicked in enumerate(sorted(clicks), start=1):
        shown = next((t for t, value in changes if value >= k * step), None)
        if shown is not None:
            out.append(max(0.0, (shown - clicked) * 1000))
    return out


def p95(values: list[float]) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


async def run_browser(link: str, code: str, host: str, count: int, clicks: Clicks, arrival_s: float,
                      seen: dict[str, list[tuple[float, int]]]) -> None:
    """Every participant and the facilitator as a Chromium page (heavy: a renderer per phone)."""
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium_path(),
                                           args=CHROMIUM_ARGS + FOREGROUND_ARGS)
        facilitator = await (await browser.new_context(viewport={"width": 1400, "height": 1600})
                             ).new_page()
        await facilitator.goto(f"{link}&host={host}")
        await expect(facilitator.get_by_text("Invite people")).to_be_visible(timeout=WAIT_MS)
        phones = []
        for _ in range(count):
            context = await browser.new_context(viewport=PHONE)
            context.set_default_timeout(WAIT_MS)
            phones.append(await context.new_page())
        done = asyncio.Event()
        watcher = asyncio.create_task(watch(facilitator, done, seen))
        await asyncio.gather(*(participant(page, link, code, i, clicks, arrival_s)
                               for i, page in enumerate(phones)))
        await settle(seen, clicks, count)
        done.set()
        await watcher
        await browser.close()


async def settle(seen: dict[str, list[tuple[float, int]]], clicks: Clicks, count: int) -> None:
    """Let the facilitator's page catch up (a refresh every few seconds), at most 20 s."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        if all(seen[k] and seen[k][-1][1] >= v for k, v in expected_counts(clicks).items()):
            return


def expected_counts(clicks: Clicks) -> dict[str, int]:
    """What the facilitator's counts must reach once every click is shown."""
    out = {"Joined": len(clicks.joins), "Scored": len(clicks.first_scores),
           "Dots placed": 3 * len(clicks.dots)}
    out.update({scored_label(c): len(t) for c, t in clicks.candidate_firsts.items()})
    return out


async def ws_participant(url: str, code: str, person: int, clicks: Clicks, arrival_s: float,
                         think_s: float) -> None:
    """One phone as a Streamlit session over the websocket: join, 15 scores, 3 dots."""
    name = f"P{person:02d}"
    await asyncio.sleep(person * arrival_s)
    me = name.casefold()
    try:
        async with StSession(url, "Workshop", f"workshop={code}&lang=en", auto_rerun=True,
                             timeout_s=WAIT_MS / 1000) as page:
            page.set("Your name", name, kind="text_input")
            clicks.joins.append(time.monotonic())
            clicks.click_ms.append(await page.click("Join"))
            if not page.has_text("Your scores"):
                raise ScriptError(f"not in after joining: {page.texts()[:8]}")
            for c, (candidate, _) in enumerate(SHORTLIST):
                for k, criterion in enumerate(ws.CRITERION_KEYS):
                    await asyncio.sleep(think_s)
                    value = score_of(person, c, k)
                    page.set("", str(value), kind="button_group", key=f"score-{code}-{me}-{c}-{criterion}")
                    began = time.monotonic()
                    if k == 0:
                        clicks.candidate_firsts.setdefault(candidate, []).append(began)
                        if c == 0:
                            clicks.first_scores.append(began)
                    clicks.click_ms.append(await page.rerun())
                    clicks.scores[(name, candidate, criterion)] = value
            await asyncio.sleep(think_s)
            for i, (candidate, _) in enumerate(SHORTLIST):
                page.set("", dots_of(person).get(candidate, 0), kind="number_input",
                         key=f"dots-{code}-{me}-{i}")
            clicks.dots.append(time.monotonic())
            clicks.click_ms.append(await page.click("Save my dots"))
            if not page.has_text("Saved your dots"):
                raise ScriptError(f"dots not confirmed: {page.texts()[:8]}")
            for candidate, dots in dots_of(person).items():
                clicks.votes[(name, candidate)] = dots
    except Exception as err:  # noqa: BLE001 - a benchmark reports every failure, then goes on
        clicks.failures.append(f"{name}: {type(err).__name__}: {str(err).splitlines()[0][:300]}")


RANK_LINE = re.compile(r"^\*\*\d+\\\. (?P<name>.+?)\*\*.*scored by (?P<n>\d+)", re.DOTALL)


def scored_label(candidate: str) -> str:
    return f"Scored {candidate}"


def watch_session(seen: dict[str, list[tuple[float, int]]]) -> Callable[[Element], None]:
    """A delta hook for the facilitator's session: note each time a count it shows goes up."""
    def note(element: Element) -> None:
        label, value = None, ""
        if element.kind == "metric" and element.label in COUNTS:
            label, value = element.label, element.text.split(" of ")[0]
        elif element.kind == "markdown" and (hit := RANK_LINE.match(element.text)):
            label, value = scored_label(hit["name"]), hit["n"]
        if label is None or not value.isdigit():
            return
        changes = seen.setdefault(label, [])
        if not changes or changes[-1][1] != int(value):
            changes.append((time.monotonic(), int(value)))
    return note


async def run_ws(url: str, code: str, host: str, count: int, clicks: Clicks, arrival_s: float,
                 think_s: float, seen: dict[str, list[tuple[float, int]]]) -> None:
    """Participants and the facilitator as websocket sessions; the facilitator's page is measured
    when its live results (refreshing by themselves, as in a browser) bring the new counts."""
    async with StSession(url, "Workshop", f"workshop={code}&host={host}&lang=en", auto_rerun=True,
                         timeout_s=WAIT_MS / 1000) as facilitator:
        if not facilitator.has_text("Invite people"):
            raise ScriptError(f"the facilitator link did not open the facilitator's page: "
                              f"{facilitator.texts()[:8]}")
        facilitator.on_delta = watch_session(seen)
        await asyncio.gather(*(ws_participant(url, code, i, clicks, arrival_s, think_s)
                               for i in range(count)))
        await settle(seen, clicks, count)


async def run(count: int, folder: Path, verbose: bool = False, arrival_s: float = 3.0,
              driver: str = "ws", think_s: float = 1.0) -> None:
    db = folder / "store"
    with Store(db) as store:
        load_demo(store)
        workshop = ws.create_workshop(store, "Room", SHORTLIST, PIN, dataset="demo")
    code, host = workshop.code, workshop.host_secret
    assert host is not None
    clicks = Clicks()
    seen: dict[str, list[tuple[float, int]]] = {label: [] for label in COUNTS}
    with streamlit_server(db, folder / "streamlit.log") as url:
        began = time.monotonic()
        if driver == "browser":
            await run_browser(f"{url}/Workshop?workshop={code}", code, host, count, clicks, arrival_s, seen)
        else:
            await run_ws(url, code, host, count, clicks, arrival_s, think_s, seen)
        elapsed = time.monotonic() - began
    with Store(db) as store:
        stored = {(r.participant, r.candidate, r.criterion): int(r.score)
                  for r in ws.results(store, code).scores.itertuples()}
        with store.read() as con:
            votes = {(p, c): int(d) for p, c, d in con.execute(
                "SELECT participant, candidate, dots FROM votes WHERE workshop = ? AND dots > 0",
                [workshop.id])}
    not_stored = sum(stored.get(k) != v for k, v in clicks.scores.items()) + sum(
        votes.get(k) != v for k, v in clicks.votes.items())
    not_shown = sum(max(0, want - (seen.get(k) or [(0, 0)])[-1][1])
                    for k, want in expected_counts(clicks).items())
    writes = len(clicks.scores) + len(clicks.dots)
    seen_ms = (latencies(clicks.joins, seen["Joined"]) + latencies(clicks.first_scores, seen["Scored"])
               + latencies(clicks.dots, seen["Dots placed"], step=3))
    for candidate, firsts in clicks.candidate_firsts.items():
        seen_ms += latencies(firsts, seen.get(scored_label(candidate), []))
    for failure in clicks.failures:
        print("failed:", failure)
    if verbose:
        for label, changes in seen.items():
            print(label, "shown at", [(round(t - began, 1), v) for t, v in changes])
    print(f"driver={driver}: {count} participants, {writes} writes in {elapsed:.0f} s "
          f"({len(clicks.failures)} participants failed; arrival every {arrival_s:g} s"
          + (f", {think_s:g} s between a participant's clicks)" if driver == "ws" else ")"))
    print(f"not in the store: {not_stored}; never shown on the facilitator's page: {not_shown}")
    if clicks.click_ms:
        print(f"click → own page confirms: median {statistics.median(clicks.click_ms):.0f} ms, "
              f"p95 {p95(clicks.click_ms):.0f} ms, worst {max(clicks.click_ms):.0f} ms")
    if seen_ms:
        print(f"click → facilitator's page shows it ({len(seen_ms)} events): median "
              f"{statistics.median(seen_ms):.0f} ms, p95 {p95(seen_ms):.0f} ms, worst {max(seen_ms):.0f} ms")
    print(f"participants={count - len(clicks.failures)} writes={writes} lost={not_stored + not_shown} "
          f"p95_ms={p95(seen_ms):.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=20)
    parser.add_argument("--arrival-s", type=float, default=3.0, help="seconds between two arrivals")
    parser.add_argument("--driver", choices=("ws", "browser"), default="ws",
                        help="ws: Streamlit sessions over the app's websocket; browser: Chromium pages")
    parser.add_argument("--think-s", type=float, default=1.0,
                        help="ws driver: seconds a participant takes between two clicks")
    parser.add_argument("--verbose", action="store_true", help="print when each count changed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(args.participants, Path(tmp), args.verbose, args.arrival_s, args.driver,
                        args.think_s))


if __name__ == "__main__":
    main()
